// PipedriveSim: an in-process Pipedrive API simulator on Boost.Beast, bound to
// 127.0.0.1 on an ephemeral port, speaking the wire formats of
// docs/vendors/pipedrive.md: API v2 (/api/v2/persons, deals, activities,
// stages, pipelines: cursor paging, RFC 3339 times, strict booleans, custom
// fields under `custom_fields`) and API v1 (/v1/users, /v1/leads,
// /v1/leads/archived, /v1/personFields: offset paging, "YYYY-MM-DD HH:MM:SS"
// times, custom fields at the root under 40-character keys).
//
// Where Pipedrive is unkind, the simulator is too: a token has a rolling
// 2-second request window whose x-ratelimit-* headers come on every answer,
// and going over it is a 429 whose reset is a 10-second penalty; a company has
// a daily token budget that each endpoint spends at its documented cost and
// that ends in 429s until the next UTC day; deleted persons leave the v2 list
// (only GET /api/v2/persons/{id} still shows them, with is_deleted) while
// deleted deals come back only when `status` asks for `deleted`; archived
// leads leave /v1/leads for /v1/leads/archived; 30 days after its deletion a
// person or deal is gone from every answer; bulk edits stamp thousands of
// records with one update second.
//
// Tests drive it directly (generate a company from a PdCompanySpec, change
// records as Pipedrive would, inject faults, read the company back).
// `pipedrive-sim` wraps it in a binary.
//
// Time is the clock it is given (the real one by default): update times, the
// rate-limit window and the daily budget's day follow it, so a test sharing a
// ManualClock with the client moves both together.
//
// Threading: the server runs on its own threads; every public method is safe
// from any thread while it runs. The clock must outlive the simulator.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/clock.h"

namespace salesaudit::sim {

// A custom field's value: unset, an option id (enum fields) or text.
using PdFieldValue = std::variant<std::monostate, int64_t, std::string>;

struct PdUser {
  int64_t id = 0;
  std::string name, email;
  bool active = true;
  bool is_admin = false;
  int64_t created_ms = 0, modified_ms = 0;
};

// An e-mail address or phone number of a person.
struct PdContactValue {
  std::string value;
  std::string label = "work";
  bool primary = false;
};

struct PdPerson {
  int64_t id = 0;
  std::string name, first_name, last_name;
  int64_t owner_id = 0;
  std::vector<PdContactValue> emails;  // may be empty; the primary one need not be first
  std::vector<PdContactValue> phones;
  std::map<std::string, PdFieldValue> custom_fields;  // 40-character key -> value
  int64_t add_time_ms = 0, update_time_ms = 0;        // whole seconds
  bool is_deleted = false;
  int64_t delete_time_ms = 0;
};

// A person field as /v1/personFields lists it. Custom fields have 40-character
// hex keys; enum and set fields have options (id -> label).
struct PdPersonField {
  int64_t id = 0;
  std::string key, name, field_type;
  bool is_custom = false;
  std::vector<std::pair<int64_t, std::string>> options;
};

struct PdPipeline {
  int64_t id = 0;
  std::string name;
  int order_nr = 0;
  int64_t add_time_ms = 0, update_time_ms = 0;
};

struct PdStage {
  int64_t id = 0;
  std::string name;
  int order_nr = 0;
  int64_t pipeline_id = 0;
  int deal_probability = 100;
  int64_t add_time_ms = 0, update_time_ms = 0;
};

struct PdDeal {
  int64_t id = 0;
  std::string title;
  int64_t owner_id = 0, creator_user_id = 0;
  std::optional<int64_t> person_id;
  int64_t pipeline_id = 0, stage_id = 0;
  double value = 0;
  std::string currency = "EUR";
  std::string status = "open";  // open, won, lost
  bool is_deleted = false;
  int64_t delete_time_ms = 0;
  int64_t add_time_ms = 0, update_time_ms = 0, stage_change_time_ms = 0;
  std::optional<int64_t> won_time_ms, lost_time_ms, close_time_ms;
  std::optional<std::string> lost_reason;
  std::string origin = "ManuallyCreated";
};

struct PdLead {
  std::string id;  // a UUID
  std::string title;
  int64_t owner_id = 0, creator_id = 0;
  std::optional<int64_t> person_id, organization_id;
  std::string source_name = "Manually created";
  std::string origin = "ManuallyCreated";
  std::optional<int64_t> channel;  // a marketing channel's id
  bool is_archived = false;
  bool is_deleted = false;  // deleted leads are gone from every answer
  std::optional<double> value_amount;
  std::string value_currency = "EUR";
  int64_t add_time_ms = 0, update_time_ms = 0;
};

struct PdActivity {
  int64_t id = 0;
  std::string subject;
  std::string type = "call";
  int64_t owner_id = 0;
  std::optional<int64_t> person_id, deal_id;
  std::optional<std::string> lead_id;
  bool done = false;
  std::optional<int64_t> marked_as_done_time_ms;
  std::string due_date;  // YYYY-MM-DD
  bool is_deleted = false;
  int64_t add_time_ms = 0, update_time_ms = 0;
};

struct PdCompanySpec {
  uint64_t seed = 1;
  int users = 5;
  int persons = 1000;
  int deals = 300;
  int leads = 400;
  int activities = 800;
  int pipelines = 2;
  int stages_per_pipeline = 5;
  // Records are added over this many days before now.
  int history_days = 365;
  // Persons with 2-3 e-mails whose primary is not the first one, and
  // persons with no e-mail at all.
  double multi_email_share = 0.2;
  double no_email_share = 0.05;
  // Persons with a value in the "Channel" enum field (its value an option id).
  double channel_share = 0.6;
  double won_share = 0.25, lost_share = 0.2;
  // Deleted in the last 29 days, so the API still shows them.
  double deleted_deal_share = 0.03;
  double deleted_person_share = 0.02;
  double archived_lead_share = 0.15;
  double done_activity_share = 0.6;
  // Live persons and deals a bulk edit stamped with one update second (at
  // most as many as there are): the ties an update_time cursor must survive.
  int bulk_updated_persons = 0;
  int bulk_updated_deals = 0;
};

enum class PdFaultKind {
  kServerError,      // 500 with Pipedrive's JSON envelope
  kServerErrorHtml,  // 502 with a gateway's HTML page
  kRateLimited,      // 429 with Pipedrive's body and rate-limit headers
  kRateLimitedBare,  // 429 with no rate-limit headers at all
  kTruncated,        // Content-Length says more than is sent, then closes
  kSlow,             // answers after `delay_ms`
  kNullBody,         // 200 whose body is `null`
  kAccountClosed,    // 402: the company account is not open
  kUnauthorized,     // 401 as for a revoked token
};

struct PdFault {
  PdFaultKind kind;
  std::string path_prefix;  // "" = any request; e.g. "/api/v2/persons"
  int count = 1;            // how many matching requests get it
  int delay_ms = 0;         // kSlow only
  int skip = 0;             // matching requests let through before the fault applies
};

struct PipedriveSimOptions {
  std::string api_token = "pd-sim-api-token-0123456789abcdef";
  // Requests per rolling 2-second window per token: the Professional plan's
  // api_token limit. Shown in x-ratelimit-limit on every answer.
  int rate_limit = 80;
  // Off: the window is counted and shown but never refused (unit tests that
  // are not about limits).
  bool enforce_rate_limit = true;
  // How long a token that went over the window is refused (and what its
  // x-ratelimit-reset says).
  int64_t rate_limit_penalty_ms = 10'000;
  // The company's daily token budget; 0 = not enforced (and its headers not
  // sent). Resets at 00:00 UTC of the clock.
  int64_t daily_token_budget = 0;
  int64_t tokens_spent_start = 0;
  // Overrides of the documented token costs, by route as TokenCost names it
  // (e.g. "GET /api/v2/persons").
  std::map<std::string, int64_t> token_costs;
};

struct PdSimStats {
  int64_t requests = 0;
  std::map<int, int64_t> by_status;
  std::map<std::string, int64_t> by_path;  // path without query
  // How each request carried a token: "header" (x-api-token), "query"
  // (api_token in the URL), "none".
  std::map<std::string, int64_t> by_auth;
  // The 429s the simulator's own limits sent: the 2-second window's and the
  // daily budget's; and, apart from them, the injected ones (faults).
  int64_t rate_limited = 0;
  int64_t budget_exhausted = 0;
  int64_t injected_429 = 0;
  int64_t tokens_spent = 0;  // today, tokens_spent_start included
  int64_t records_served = 0;
};

class PipedriveSim {
 public:
  explicit PipedriveSim(PdCompanySpec spec = {}, PipedriveSimOptions options = {},
                        const Clock& clock = Clock::Default());
  ~PipedriveSim();  // stops the server
  PipedriveSim(const PipedriveSim&) = delete;
  PipedriveSim& operator=(const PipedriveSim&) = delete;

  // Binds 127.0.0.1:`port` (0 = ephemeral) and serves on background threads.
  // Returns the bound port, or 0 if it cannot be bound.
  uint16_t Start(uint16_t port = 0);
  void Stop();
  std::string base_url() const;  // "http://127.0.0.1:PORT"
  const std::string& api_token() const;

  // Reading the company, in id order (leads in creation order); deleted
  // records stay here after the API has forgotten them.
  std::vector<PdUser> Users() const;
  std::vector<PdPerson> Persons(bool include_deleted = false) const;
  std::vector<PdDeal> Deals(bool include_deleted = false) const;
  std::vector<PdLead> Leads(bool include_deleted = false) const;
  std::vector<PdActivity> Activities(bool include_deleted = false) const;
  std::vector<PdPipeline> Pipelines() const;
  std::vector<PdStage> Stages() const;
  std::vector<PdPersonField> PersonFields() const;
  // The key of the custom person field named `name` ("Channel", "Campaign").
  std::string PersonFieldKey(const std::string& name) const;

  // Changes, as Pipedrive makes them: each stamps update_time with the
  // clock's now (whole seconds). Unknown ids throw std::invalid_argument (a
  // test bug). Create* assign the id and times and return the id.
  int64_t CreatePerson(PdPerson person);
  void UpdatePerson(int64_t id, const std::function<void(PdPerson&)>& change);
  // Marks it deleted (is_deleted, delete time); its deals keep naming it.
  void DeletePerson(int64_t id);
  int64_t CreateDeal(PdDeal deal);
  // A status change stamps won_time / lost_time and close_time (and clears
  // them when reopened); a stage change stamps stage_change_time and takes
  // the stage's pipeline.
  void UpdateDeal(int64_t id, const std::function<void(PdDeal&)>& change);
  void DeleteDeal(int64_t id);
  std::string CreateLead(PdLead lead);
  void ArchiveLead(const std::string& id);
  void DeleteLead(const std::string& id);
  int64_t CreateActivity(PdActivity activity);
  // done = true, marked_as_done_time = now.
  void MarkActivityDone(int64_t id);
  // PUT /v1/persons/{loser}/merge with merge_with_id = survivor: the loser is
  // deleted; its deals, leads and activities move to the survivor; the
  // survivor's values win, and fields it has empty (e-mails, phones, custom
  // fields) take the loser's.
  void MergePersons(int64_t survivor_id, int64_t loser_id);
  // `n` live records get update_time = `at_ms` (floored to the second) and
  // nothing else changes, as a bulk edit stamps them. Returns their ids.
  std::vector<int64_t> TouchPersons(int n, int64_t at_ms);
  std::vector<int64_t> TouchDeals(int n, int64_t at_ms);
  // Renames an option of an enum or set person field (the field's
  // update_time moves; persons holding the option keep its id).
  void SetPersonFieldOptionLabel(const std::string& key, int64_t option_id,
                                 const std::string& label);

  void AddFault(const PdFault& fault);
  void ClearFaults();
  PdSimStats Stats() const;
  void ResetStats();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace salesaudit::sim
