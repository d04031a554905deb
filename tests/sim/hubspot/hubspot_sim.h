// HubSpotSim: an in-process HubSpot CRM API simulator on Boost.Beast, bound to
// 127.0.0.1 on an ephemeral port, speaking the wire formats of
// docs/vendors/hubspot.md (paths, parameters, string-typed
// properties, opaque list cursors, numeric search offsets, the 200 search page
// limit and the 10,000 search cap, archived listing, rate-limit headers and
// 429 bodies, v3 and v4 association batch reads with their 207 partial
// answers, the `associations=` of list requests and one record's v4
// associations, property definitions and
// the (empty) custom object schemas; the legacy email campaigns and events
// API). Tests drive
// it directly (generate, mutate, inject faults, read the portal); `crm-sim`
// wraps it in a binary for the demo and the bench.
//
// Where HubSpot is known to be unkind, the simulator is too: the search index
// lags and serves the previous version of a changed record meanwhile, merges
// and association edits change deals without touching their modified dates,
// and the portal's clock can run ahead of or behind ours.
//
// Its time is the clock it is given (the real one by default): a test that
// shares a ManualClock with the sync engine moves both together, so the index
// lag, rate-limit windows and token lifetimes pass without real waiting.
//
// Threading: the server runs on its own threads; every public method is safe
// to call from any thread while it runs. The clock must outlive the simulator.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"

namespace salesaudit::sim {

// One CRM object as the portal holds it: properties are strings, as HubSpot
// sends them; a property absent from the map is null.
struct SimObject {
  std::string id;  // numeric string
  std::map<std::string, std::string> properties;
  int64_t created_at_ms = 0;
  int64_t updated_at_ms = 0;  // also lastmodifieddate / hs_lastmodifieddate
  bool archived = false;
  int64_t archived_at_ms = 0;
  // This version is searchable from this time on (index lag); list endpoints
  // see it at once. Until then search matches and returns the version the
  // index last caught (its old properties and modified date), or nothing for
  // a record created since.
  int64_t indexed_at_ms = 0;
};

struct SimOwner {
  std::string id;
  std::string email;
  std::string first_name;
  std::string last_name;
  int64_t user_id = 0;
  bool archived = false;
  int64_t created_at_ms = 0;
  int64_t updated_at_ms = 0;
};

// A marketing email campaign as GET /email/public/v1/campaigns/{id} shows it
// (docs/vendors/hubspot.md "Marketing email events"); its counters are
// computed from its events.
struct SimEmailCampaign {
  int64_t id = 0;  // the emailCampaignId events carry
  int64_t group_id = 0;
  int64_t app_id = 113;
  std::string app_name = "BatchEmail";
  int64_t content_id = 0;
  std::string name;
  std::string subject;
  std::string type;  // BATCH_EMAIL, AB_EMAIL, AUTOMATED_EMAIL
  int64_t sub_type = 0;
  int64_t last_updated_ms = 0;
  // Sent as lastProcessingFinishedAt; 0 = not sent yet (absent).
  int64_t sent_at_ms = 0;
  int64_t num_included = 0;
};

// One event of the legacy email events API.
struct SimEmailEvent {
  std::string id;
  int64_t created = 0;  // epoch ms; (id, created) is the key
  std::string type;     // SENT, PROCESSED, DELIVERED, OPEN, CLICK, ...
  std::string recipient;
  int64_t campaign_id = 0;
  int64_t campaign_group_id = 0;
  int64_t app_id = 113;
  std::string app_name = "BatchEmail";
  std::string sent_by_id;
  int64_t sent_by_created = 0;
  std::string url;                         // CLICK
  std::string bounce_category;             // BOUNCE
  std::string portal_subscription_status;  // STATUSCHANGE: SUBSCRIBED / UNSUBSCRIBED
  bool filtered = false;                   // filteredEvent
};

struct PortalSpec {
  uint64_t seed = 1;
  int contacts = 2000;
  int deals = 200;
  int owners = 5;
  // Created dates spread over this many days before `now`.
  int history_days = 365;
  // Fraction of datetime properties sent as epoch-ms strings instead of ISO.
  double epoch_date_share = 0.2;
  // A generated or updated deal links 1..this many contacts (92% of deals
  // have any); raise it past association_page_size to exercise paging.
  int max_contacts_per_deal = 3;
  // Marketing email: campaigns and about this many events each, for the
  // contacts' emails (drawn from a generator of their own, so the CRM data
  // for a seed does not depend on these).
  int email_campaigns = 4;
  int events_per_campaign = 150;
};

enum class FaultKind {
  kRateLimitWithRetryAfter,     // 429 with Retry-After: 1 and the TEN_SECONDLY_ROLLING body
  kRateLimitWithoutRetryAfter,  // 429 with the body and rate-limit headers only
  kServerError,                 // 502/503/500 with an HTML or JSON body
  kSlow,                        // answers after `delay_ms`
  kTruncated,                   // Content-Length says more than is sent, then closes
  // 429 policyName DAILY with X-HubSpot-RateLimit-Daily: 250000 and
  // X-HubSpot-RateLimit-Daily-Remaining: 0, no Retry-After: waiting seconds
  // does not help, the quota resets at the portal's midnight.
  kDailyLimit,
  // 403 category MISSING_SCOPES naming the read scope the path needs in
  // errors[0].context.requiredGranularScopes: not retryable.
  kMissingScopes,
};

struct Fault {
  FaultKind kind;
  std::string path_prefix;  // "" = any request; e.g. "/crm/v3/objects/contacts/search"
  int count = 1;            // how many matching requests get it
  int delay_ms = 0;         // kSlow only
  int skip = 0;             // matching requests let through before the fault applies
};

struct SimOptions {
  std::string token = "pat-na1-test-token";  // expected in Authorization: Bearer
  // HubSpot's rate limits and their X-HubSpot-RateLimit-* headers, on by
  // default with a Free/Starter account's private-app allowance
  // (docs/vendors/hubspot.md "Rate limits"). false turns every limit and
  // header off (an injected fault still sends its own), for tests and
  // benchmarks that measure something else.
  bool rate_limits = true;
  // Requests per 10 s rolling window over all non-search endpoints; 0 = none.
  int ten_secondly_limit = 100;
  // Requests per portal day (it resets at the portal's midnight, UTC here)
  // over the same endpoints; 0 = none. Calls with an OAuth access token have
  // no daily limit and get no daily headers, as on HubSpot.
  int daily_limit = 250'000;
  // Search requests per second; 0 = none.
  int search_per_second_limit = 4;
  // Records become searchable this long after they change (index lag).
  int64_t index_lag_ms = 0;
  // OAuth (docs/vendors/hubspot.md "Authentication"): when oauth_client_id is set, POST
  // /oauth/v1/token with grant_type=refresh_token and these three values
  // issues access tokens valid for oauth_token_lifetime_s, accepted like
  // `token`; an expired one gets 401 EXPIRED_AUTHENTICATION.
  std::string oauth_client_id;
  std::string oauth_client_secret;
  std::string oauth_refresh_token;
  int64_t oauth_token_lifetime_s = 1800;
  // The most contacts one association result carries: the v4 batch read
  // pages past it with a per-input `after`; the v3 one silently drops the
  // rest (the real cap for both is 100).
  int association_page_size = 100;
  // Whether AssociateContacts sets the deal's modified date. HubSpot's
  // behaviour is unconfirmed, so by default it does not: a client must not
  // rely on the date to notice association changes.
  bool association_changes_touch_deal = false;
  // Off: the v4 associations endpoint answers 404, as on an API that only
  // has v3.
  bool associations_v4 = true;
  // Added to every time the simulator stamps (created and modified dates of
  // generated and mutated records, archivedAt, batch startedAt/completedAt)
  // and to the "now" search visibility is judged against: a HubSpot clock
  // ahead of ours (+) or behind it (-). Times a test passes explicitly
  // (`at_ms`) are used as given.
  int64_t clock_offset_ms = 0;
  // The most events one /email/public/v1/events page carries, whatever
  // `limit` asks (the real cap is 1000); lower it to exercise paging.
  int email_events_page_size = 1000;
  // Like careless gateways and token endpoints: the message of every error
  // answer quotes the request's Authorization header and body (a token
  // request's form: client_secret, refresh_token), for tests that prove no
  // echoed credential is stored, logged or served.
  bool echo_credentials = false;

  // The defaults with rate limits off: for tests and benchmarks that measure
  // something other than how a client meets HubSpot's limits.
  static SimOptions WithoutRateLimits() {
    SimOptions options;
    options.rate_limits = false;
    return options;
  }
};

// Request counts, for tests that check how the client behaves.
struct SimStats {
  int64_t requests = 0;
  std::map<int, int64_t> by_status;
  std::map<std::string, int64_t> by_path;  // path without query
  int64_t max_search_after = 0;            // the largest `after` offset a search asked for
  int64_t tokens_issued = 0;               // OAuth access tokens handed out
  std::vector<std::string> access_tokens;  // the tokens themselves, in order
};

class HubSpotSim {
 public:
  explicit HubSpotSim(SimOptions options = {}, const Clock& clock = Clock::Default());
  ~HubSpotSim();  // stops the server
  HubSpotSim(const HubSpotSim&) = delete;
  HubSpotSim& operator=(const HubSpotSim&) = delete;

  // Binds 127.0.0.1:`port` (0 = ephemeral) and serves on background threads.
  // Returns the bound port, or 0 if the port cannot be bound. Calling it while
  // running returns the current port.
  uint16_t Start(uint16_t port = 0);
  void Stop();
  std::string base_url() const;  // "http://127.0.0.1:PORT"

  // Replaces the portal with deterministic data from spec.seed. Contacts have
  // email, firstname, lastname, hubspot_owner_id, hs_analytics_source,
  // lifecyclestage, hs_lead_status, createdate, lastmodifieddate, the
  // hs_lifecyclestage_*_date stage dates, hs_sa_first_engagement_date; some
  // emails in mixed case with spaces, some properties missing or "". Deals
  // have dealname, dealstage, pipeline, amount (numeric string, sometimes
  // null), deal_currency_code, closedate, createdate, hs_lastmodifieddate,
  // hubspot_owner_id, hs_is_closed, hs_is_closed_won, and contact associations.
  // Marketing email campaigns and their events go to the contacts' emails
  // (see sim_email.h).
  void Generate(const PortalSpec& spec);

  // Mutations between syncs. Each returns the ids it touched. `at_ms` = 0
  // means now. Updates change a few properties and set the modified date.
  std::vector<std::string> UpdateContacts(int count, int64_t at_ms = 0);
  // Updates `count` contacts, giving them only `distinct_timestamps` different
  // modified dates (a bulk import): for the 10,000+ ties case.
  std::vector<std::string> BulkUpdateContacts(int count, int distinct_timestamps);
  std::vector<std::string> AddContacts(int count);
  std::vector<std::string> ArchiveContacts(int count);  // modified date unchanged
  // Merges `count` pairs of live contacts: the survivor's
  // hs_merged_object_ids gains the other's id and its modified date is set;
  // the other id vanishes from every endpoint. Deals associated with the
  // merged-away contact are associated with the survivor instead (once),
  // and their modified dates are left alone. Returns the merged-away ids.
  std::vector<std::string> MergeContacts(int count);
  // Changes stage and amount, re-picks the contact associations and sets the
  // modified date.
  std::vector<std::string> UpdateDeals(int count);
  std::vector<std::string> AddDeals(int count);
  std::vector<std::string> ArchiveDeals(int count);
  // Associates up to `count` more live contacts with a live deal, after its
  // existing ones; returns the ids added (none for an unknown or archived
  // deal). The deal's modified date changes only when
  // SimOptions::association_changes_touch_deal is set.
  std::vector<std::string> AssociateContacts(const std::string& deal_id, int count);
  void SetContactProperty(const std::string& id, const std::string& name,
                          std::optional<std::string> value, int64_t at_ms = 0);
  // Adds `count` OPEN and CLICK events (some filtered) to existing campaigns
  // at `at_ms` (0 = now); returns their keys "<id>:<created>".
  std::vector<std::string> AddEmailEvents(int count, int64_t at_ms = 0);

  // Faults are consumed in order by matching requests.
  void InjectFault(const Fault& fault);
  void ClearFaults();
  void SetToken(const std::string& token);
  // Invalidates every OAuth access token issued so far (401 on next use).
  void RevokeAccessTokens();
  void SetOptions(const SimOptions& options);

  // Copies of the portal, for tests to compare a store against.
  std::vector<SimObject> Contacts() const;  // archived included
  std::vector<SimObject> Deals() const;     // archived included
  std::vector<SimOwner> Owners() const;
  std::map<std::string, std::vector<std::string>> DealContactIds() const;  // deal -> contacts
  std::vector<SimEmailCampaign> EmailCampaigns() const;
  std::vector<SimEmailEvent> EmailEvents() const;  // by (created, id)
  SimStats Stats() const;
  void ResetStats();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace salesaudit::sim
