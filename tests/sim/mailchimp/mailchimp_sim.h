// MailchimpSim: an in-process Mailchimp Marketing API v3 simulator on
// Boost.Beast, bound to 127.0.0.1 on an ephemeral port, speaking the wire
// formats of docs/vendors/mailchimp.md, so an unmodified Mailchimp client
// can read it (tests/clients): the API root and /ping, HTTP Basic auth with
// the API key as password or an OAuth token, the key's data center checked
// against a *.api.mailchimp.com host, `count`/`offset` paging (count max
// 1000) with `total_items` and `_links` envelopes, `fields`/`exclude_fields`
// on every answer, `+00:00` timestamps and "" for unset ones, problem+json
// errors (400 for a bad parameter), audiences and their members with
// status/since_last_changed/sort filters, campaigns and their reports with
// status/type/list/send- and create-time/sort filters, per-recipient email
// activity with a whole-seconds `since` (any other form answers 500, as the
// real API did), and the 10-simultaneous-connection limit answered with a
// 429 problem+json unless rate limits are off. Tests drive it directly
// (generate, add activity, inject faults, read the account back).
//
// "Now" (generated send times, added activity, new campaigns) is the given
// clock's, the real one by default.
//
// Threading: the server runs on its own threads; every public method is safe
// to call from any thread while it runs. The clock must outlive the simulator.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/clock.h"

namespace salesaudit::sim {

struct MailchimpSpec {
  uint64_t seed = 1;
  int lists = 2;
  int members_per_list = 200;
  int sent_campaigns = 10;  // spread over history_days; the last few are recent
  int draft_campaigns = 2;  // status "save", send_time ""
  int history_days = 120;
  // Member addresses to use, in order, before generated ones: pass a CRM
  // simulator's contact emails so both sources share people. Generated
  // addresses follow the HubSpot simulator's scheme
  // (first.last<id>@domain, ids from 101 rising by 1..3).
  std::vector<std::string> emails;
};

// Values as the API sends them (timestamps as wire strings).
struct MailchimpList {  // an audience
  std::string id;
  std::string name;
  std::string date_created;
};

struct MailchimpMember {
  std::string id;  // MD5 of the lower-cased address
  std::string list_id;
  std::string email_address;  // as typed: some mixed case
  std::string first_name;
  std::string last_name;
  std::string status;
  std::string timestamp_signup;  // may be ""
  std::string timestamp_opt;     // may be ""
  std::string last_changed;
  int64_t last_changed_ms = 0;
};

struct MailchimpCampaign {
  std::string id;
  std::string list_id;
  std::string type;    // regular | plaintext
  std::string status;  // sent | save
  std::string title;
  std::string subject_line;
  std::string create_time;
  std::string send_time;  // "" unless sent
  int64_t send_time_ms = 0;
};

struct MailchimpActivity {
  std::string campaign_id;
  std::string list_id;
  std::string email_id;
  std::string email_address;
  std::string action;       // open | click | bounce
  std::string bounce_type;  // hard | soft for bounces
  std::string timestamp;    // wire form
  int64_t at_ms = 0;
  std::string url;  // clicks
};

enum class MailchimpFaultKind {
  kTooManyRequests,  // 429 problem+json
  kBlocked403,       // bare 403 with an HTML "Request Blocked" body (edge throttling)
  kServerError,      // 503 with an HTML body
  kForbidden,        // 403 problem+json: the key lacks access (not throttling)
};

struct MailchimpSimOptions {
  // Its suffix after the last '-' is the account's data center: a request
  // to another data center's host (us6.api.mailchimp.com) is refused.
  std::string api_key = "0123456789abcdef0123456789abcdef-us19";
  // An OAuth access token, sent as "Bearer" or "OAuth"; "" accepts none.
  std::string oauth_token = "mc-oauth-0123456789abcdef0123456789abcdef";
  // Mailchimp's limit of simultaneous connections; off, any number is served.
  bool rate_limits = true;
  int max_connections = 10;  // requests in flight at once; more get 429
  // Largest page served whatever `count` asks (up to 1000): lower it to make
  // paging visible with small data. The real cap is 1000.
  int max_page = 1000;
  int response_delay_ms = 0;  // every answer waits this long (holds its connection)
};

struct MailchimpSimStats {
  int64_t requests = 0;
  std::map<int, int64_t> by_status;
  std::map<std::string, int64_t> by_path;  // path without query
  int max_in_flight = 0;
  std::vector<std::string> since_values;  // every email-activity `since` received
};

class MailchimpSim {
 public:
  explicit MailchimpSim(MailchimpSimOptions options = {}, const Clock& clock = Clock::Default());
  ~MailchimpSim();  // stops the server
  MailchimpSim(const MailchimpSim&) = delete;
  MailchimpSim& operator=(const MailchimpSim&) = delete;

  // Binds 127.0.0.1:`port` (0 = ephemeral); returns the port or 0.
  uint16_t Start(uint16_t port = 0);
  void Stop();
  std::string base_url() const;  // "http://127.0.0.1:PORT/3.0"

  // Replaces the account with deterministic data from spec.seed.
  void Generate(const MailchimpSpec& spec);
  // Adds `count` opens or clicks at `at_ms` (0 = now, whole seconds) by
  // members of `campaign_id`'s list ("" = the most recently sent campaign).
  std::vector<MailchimpActivity> AddActivity(int count, const std::string& campaign_id = "",
                                             int64_t at_ms = 0);
  // Sends a new campaign to the first list now; returns its id.
  std::string SendCampaign();

  // Faults are consumed in order by matching requests ("" = any path): the
  // first `skip` matching requests are served normally, the next `count`
  // get the fault.
  void InjectFault(MailchimpFaultKind kind, int count = 1, const std::string& path_prefix = "",
                   int skip = 0);
  void SetOptions(const MailchimpSimOptions& options);

  std::vector<MailchimpList> Lists() const;
  std::vector<MailchimpCampaign> Campaigns() const;
  std::vector<MailchimpMember> Members() const;
  std::vector<MailchimpActivity> Activity() const;
  MailchimpSimStats Stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The MD5 hex of the lower-cased address: Mailchimp's member id / email_id.
std::string MailchimpEmailId(const std::string& email);

}  // namespace salesaudit::sim
