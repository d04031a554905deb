// SalesforceSim: an in-process Salesforce REST API simulator on Boost.Beast,
// bound to 127.0.0.1 on an ephemeral port, speaking the wire formats of
// docs/vendors/salesforce.md. One server plays both hosts: the login host
// (POST /services/oauth2/token, the refresh-token grant) and the instance
// (GET /services/data/vNN.N/query and /queryAll with a SOQL subset, their
// nextRecordsUrl locators, and the version list at /services/data/).
//
// Where Salesforce is unkind, the simulator is too: access tokens carry no
// lifetime and die with the session (or every one at once, ExpireSessions);
// query locators belong to the session that opened them, expire when idle and
// are released past a per-user cap; ties in an ORDER BY that does not end in
// Id come back in a different order every time; changes can become visible
// after later ones (commit lag); the daily API allocation ends in a 403.
//
// Tests drive it directly (generate an org from an OrgSpec, mutate records as
// Salesforce would, inject faults, read the org back). `salesforce-sim`
// wraps it in a binary.
//
// Time is the clock it is given (the real one by default): sessions, locator
// expiry, commit lag and every stamped date follow it, so a test sharing a
// ManualClock with the client moves both together.
//
// Threading: the server runs on its own threads; every public method is safe
// from any thread while it runs. The clock must outlive the simulator.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "core/clock.h"

namespace salesaudit::sim {

// A field's value: null, boolean, number or text. Fields typed kDateTime
// hold epoch milliseconds (a double), served as
// "2024-02-01T08:30:12.000+0000"; fields typed kDate hold the epoch
// milliseconds of their UTC midnight, served as "YYYY-MM-DD".
using SfValue = std::variant<std::monostate, bool, double, std::string>;

inline bool IsNull(const SfValue& v) { return std::holds_alternative<std::monostate>(v); }

// The field types of the describe call the simulator knows.
enum class FieldType {
  kId,
  kReference,
  kString,
  kPicklist,
  kBoolean,
  kDouble,
  kCurrency,
  kPercent,
  kDate,
  kDateTime,
};

struct SfRecord {
  std::string id;                         // 18 characters, the object's key prefix first
  std::map<std::string, SfValue> fields;  // canonical field names; Id included
};

struct OrgSpec {
  uint64_t seed = 1;
  int users = 6;
  int queues = 2;
  int leads = 2000;
  // Contacts created directly, not by converting a lead.
  int contacts_without_lead = 200;
  // Opportunities created directly (converted leads add theirs).
  int opportunities = 150;
  double converted_share = 0.3;
  double queue_owned_share = 0.1;
  // Created dates spread over this many days before now.
  int history_days = 365;
  // Off: no CurrencyIsoCode field anywhere (selecting it is INVALID_FIELD),
  // as in a single-currency org.
  bool multi_currency = false;
  // (ISO code, label); the first is the corporate currency. Used only when
  // multi_currency.
  std::vector<std::pair<std::string, std::string>> currencies = {
      {"USD", "U.S. Dollar"}, {"EUR", "Euro"}, {"GBP", "British Pound"}};
  // object -> custom fields (names ending in __c) added to it and filled by
  // the generator.
  std::map<std::string, std::vector<std::pair<std::string, FieldType>>> custom_fields;
  // Records stamped in the same second by the generator's bulk loads: the
  // 1,000+ ties a SystemModstamp cursor must survive.
  int bulk_loaded_leads = 0;
};

enum class SfFaultKind {
  // 500 with a JSON array body (UNKNOWN_EXCEPTION) and 503 with an HTML page,
  // alternately.
  kServerError,
  // 503 [{"errorCode":"SERVER_UNAVAILABLE",...}].
  kUnavailableJsonArray,
  kSlow,       // answers after `delay_ms`
  kTruncated,  // Content-Length says more than is sent, then closes
  // 400 QUERY_TIMEOUT, as a long query on a big object gets.
  kQueryTimeout,
};

struct SfFault {
  SfFaultKind kind;
  std::string path_prefix;  // "" = any request; e.g. "/services/data/v61.0/query"
  int count = 1;            // how many matching requests get it
  int delay_ms = 0;         // kSlow only
  int skip = 0;             // matching requests let through before the fault applies
};

struct SalesforceSimOptions {
  // The connected app and the integration user's refresh token. An empty
  // client_secret is an app that does not require one; otherwise a token
  // request without it is refused.
  std::string client_id = "3MVG9sim.client";
  std::string client_secret = "sim-client-secret";
  std::string refresh_token = "5Aep861sim.refresh";
  // Each exchange answers a new refresh token, invalidating the old one and
  // ending the session the old one opened.
  bool rotate_refresh_token = false;
  // The org's session timeout: an access token dies this long after issue.
  int64_t session_lifetime_ms = 2 * 3600 * 1000;
  // The daily API allocation; 0 = not enforced (the header then shows the
  // Enterprise base, 100,000).
  int64_t daily_api_limit = 0;
  int64_t api_usage_start = 0;
  // What the token response names as instance_url; "" = the simulator's own
  // base_url.
  std::string instance_url;
  // Every change is invisible to queries until this long after its
  // SystemModstamp (queries see the version before it meanwhile).
  int64_t commit_lag_ms = 0;
  // Like careless gateways: the message of every error answer quotes the
  // request's Authorization header and body, for tests that prove no echoed
  // credential is stored, logged or served.
  bool echo_credentials = false;
  // A query locator not used for this long is gone (the pre-v56 rule; today
  // Salesforce keeps them two days).
  int64_t locator_idle_expiry_ms = 15 * 60 * 1000;
  // Open locators per user; opening one more releases the oldest (the pre-v56
  // rule; today there is no cap). 0 = no cap.
  int max_open_locators = 10;
  // The most records a batch carries whatever batchSize asks: Salesforce
  // sends fewer than 2,000 when rows are wide (many fields, long text).
  int max_batch_size = 2000;
  // Oldest and newest API versions served; others are 404 NOT_FOUND.
  std::string api_version_min = "31.0";
  std::string api_version_max = "66.0";
};

// Request counts, for tests that check how the client behaves.
struct SfSimStats {
  int64_t requests = 0;
  std::map<int, int64_t> by_status;
  std::map<std::string, int64_t> by_path;  // path without query
  int64_t tokens_issued = 0;
  std::vector<std::string> access_tokens;   // in issue order
  std::vector<std::string> refresh_tokens;  // issued by rotation, in order
  std::map<std::string, int64_t> queries;   // object -> queries opened (not locator pages)
  int64_t open_locators = 0;
  int64_t rows_served = 0;
};

class SalesforceSim {
 public:
  explicit SalesforceSim(OrgSpec spec = {}, SalesforceSimOptions options = {},
                         const Clock& clock = Clock::Default());
  ~SalesforceSim();  // stops the server
  SalesforceSim(const SalesforceSim&) = delete;
  SalesforceSim& operator=(const SalesforceSim&) = delete;

  // Binds 127.0.0.1:`port` (0 = ephemeral) and serves on background threads.
  // Returns the bound port, or 0 if it cannot be bound.
  uint16_t Start(uint16_t port = 0);
  void Stop();
  std::string base_url() const;  // "http://127.0.0.1:PORT"
  // The org id (00D...) and the integration user's id (005...).
  std::string org_id() const;
  std::string integration_user_id() const;

  // Reading the org. Object names are case-insensitive. Records in id order.
  std::vector<SfRecord> Records(const std::string& object, bool include_deleted = false) const;
  std::optional<SfRecord> Find(const std::string& object, const std::string& id) const;

  // Mutations, as Salesforce makes them: each stamps CreatedDate (Create),
  // LastModifiedDate and SystemModstamp with the clock's now (whole seconds)
  // unless `fields` gives them. Unknown objects, fields or ids throw
  // std::invalid_argument (a test bug).
  std::string Create(const std::string& object, const std::map<std::string, SfValue>& fields);
  // A Lead Status change writes a LeadHistory row.
  void Update(const std::string& object, const std::string& id,
              const std::map<std::string, SfValue>& fields);

  struct Conversion {
    std::string contact_id, account_id, opportunity_id;  // opportunity "" if none
  };
  // Converts a live, unconverted lead: new Account (or the existing
  // contact's) and Contact (unless `existing_contact_id`), an Opportunity
  // unless !create_opportunity, with an OpportunityContactRole (IsPrimary
  // true, Role null) for the contact; the lead gets IsConverted, ConvertedDate
  // (today), the Converted*Id fields and `converted_status`, and LeadHistory
  // rows for the status change and 'leadConverted'.
  Conversion ConvertLead(const std::string& lead_id,
                         const std::string& converted_status = "Closed - Converted",
                         bool create_opportunity = true,
                         const std::string& existing_contact_id = "");
  // To the recycle bin: IsDeleted, SystemModstamp now. An Account takes its
  // Contacts and Opportunities along, an Opportunity its
  // OpportunityContactRoles, a Lead its LeadHistory; a Contact's contact
  // roles stay, naming a deleted contact.
  void Delete(const std::string& object, const std::string& id);
  // Back from the recycle bin, with what was deleted along with it.
  void Undelete(const std::string& object, const std::string& id);
  // Lead, Contact or Account: the loser is deleted with MasterRecordId =
  // master; a Contact loser's OpportunityContactRoles move to the master.
  void Merge(const std::string& object, const std::string& master_id, const std::string& loser_id);
  // Records deleted more than `older_than_ms` ago leave the recycle bin and
  // every answer, queryAll included.
  void PurgeRecycleBin(int64_t older_than_ms);
  // `n` live records of `object` get SystemModstamp = `at_ms` (floored to
  // the second) and nothing else changes, as a system job stamps them.
  // Returns their ids.
  std::vector<std::string> TouchMany(const std::string& object, int n, int64_t at_ms);
  // Creates a record whose SystemModstamp (and dates) are `modstamp_ms`,
  // visible at once: a commit that lands after rows with later stamps were
  // served.
  std::string InsertLate(const std::string& object, const std::map<std::string, SfValue>& fields,
                         int64_t modstamp_ms);

  // Every access token dies, and with it every query locator.
  void ExpireSessions();
  void AddFault(const SfFault& fault);
  void ClearFaults();
  SfSimStats Stats() const;
  void ResetStats();
  // API requests counted today (api_usage_start included).
  int64_t api_usage() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace salesaudit::sim
