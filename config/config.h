// The daemon's configuration as plain structs (docs/contracts.md "Config (YAML)").
// yaml-cpp stays inside config.cc. Values here are validated and resolved:
// ${ENV} expanded, *_file secrets read, durations parsed. Plain data; build it
// once, then share it read-only between threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config/audit_defaults.h"
#include "config/connector_schema.h"

namespace salesaudit {

// Where a value came from, for "FILE:LINE:COL: message" errors (1-based).
struct SourcePos {
  std::string file;
  int line = 0;
  int column = 0;
  // "FILE:LINE:COL", or just "FILE" when line is 0 (no position applies).
  std::string ToString() const;
};

// A request budget: at most `requests` per `per`; requests == 0 means unlimited.
struct RateLimit {
  int requests = 0;
  std::chrono::milliseconds per{0};
  bool unlimited() const { return requests == 0; }
  bool operator==(const RateLimit&) const = default;
};

struct ConnectorConfig {
  std::string name;  // unique; the `source` column in the store
  std::string type;  // registry key, e.g. "hubspot"
  SourcePos pos;     // of the list item
  SourcePos type_pos;
  std::string base_url;  // http(s)://...; no trailing '/'; empty: the connector's default
  // Resolved auth values by key ("token", "api_key", ...). `token_file: P`
  // arrives here as auth["token"] = contents of P with the trailing newline cut.
  std::map<std::string, std::string> auth;
  std::map<std::string, SourcePos> auth_pos;  // of the key (`token` or `token_file`)
  std::chrono::milliseconds poll_interval = std::chrono::minutes(10);
  std::vector<std::string> streams;  // empty: all the connector offers
  SourcePos streams_pos;
  // fields: canonical field -> source properties, first non-null wins.
  std::map<std::string, std::vector<std::string>> fields;
  std::map<std::string, SourcePos> fields_pos;  // of the canonical field's key
  // stages: funnel stage (mql, contacted, sql) -> the source's status values
  // that put a record at it, for CRMs whose statuses are the org's own
  // (Salesforce's Lead Status); empty: the connector's defaults.
  std::map<std::string, std::vector<std::string>> stages;
  std::map<std::string, SourcePos> stages_pos;  // of the stage's key
  // The store's directory: a connector keeps there what it must remember
  // outside the store (Salesforce's rotated refresh token), never in the
  // store that BI tools read.
  std::string state_dir;
  std::optional<RateLimit> rate_limit;  // unset: the connector's default
  // The share of a limit the vendor states in its answers that the budget
  // leaves to the account's other apps (RequestBudget::SetVendorReserve).
  double rate_limit_reserve = 0.05;
  int max_retries = 8;  // per request, for retryable failures
  std::chrono::milliseconds retry_backoff = std::chrono::milliseconds(500);  // first backoff
  std::chrono::milliseconds retry_backoff_max = std::chrono::seconds(60);
  std::chrono::milliseconds request_timeout = std::chrono::seconds(60);
  // The largest response body read, after decoding (HubSpot pages are under
  // 2 MB); a larger one fails the request instead of filling the memory.
  size_t max_response_size = 16 * 1024 * 1024;
  // Pages one stream commits per run; then the run ends with its cursor
  // kept and the next poll resumes. Bounds a vendor that pages forever to
  // a small share of a daily quota (HubSpot's is 250,000 requests or more)
  // while a backfill still moves 1-2 million records a run.
  int max_pages_per_run = 10000;
  // The type's own options (its ConnectorSchema), defaults filled in.
  ConnectorOptions options;
};

struct StoreConfig {
  std::string path = "/var/lib/salesaudit/salesaudit.db";
};

struct TeamConfig {
  std::optional<int> reps;  // unset: count active owners
  double leads_per_rep_per_week = 25;
};

// audit.currency: the reporting currency money is converted into, with the
// rates the admin gives (docs/audit.md "Money and currencies").
struct CurrencyConfig {
  std::string report_in;  // ISO 4217 code (three upper-case letters); empty: none
  // Code -> how many report_in units one unit of the code is worth; finite, > 0.
  std::map<std::string, double> rates;
};

struct AuditConfig {
  std::chrono::milliseconds every = std::chrono::hours(1);
  std::string period = "week";  // week | month
  // After a sync that changed data the audit is recomputed, at most this often.
  std::chrono::milliseconds min_interval = std::chrono::minutes(5);
  // Snapshots older than this are pruned from audit_snapshots.
  std::chrono::milliseconds keep_snapshots = std::chrono::hours(24 * 90);
  // A lead created this long after a click counts for the clicked campaign.
  std::chrono::milliseconds attribution_window = audit_defaults::kAttributionWindow;
  double open_rate_floor = 0;  // campaigns below are underperforming; 0 = off
  double click_rate_floor = 0;
  int min_sample = audit_defaults::kMinSample;
  // Open deals not updated for this long are reported as stale.
  std::chrono::milliseconds stale_deal_age = audit_defaults::kStaleDealAge;
  int forecast_min_channel_leads = audit_defaults::kForecastMinChannelLeads;
  double return_on_spend_target = audit_defaults::kReturnOnSpendTarget;
  std::optional<double> revenue_target_per_period;
  std::vector<std::string> referral_channels = {std::string(audit_defaults::kReferralChannel)};
  CurrencyConfig currency;
};

struct SpendEntry {
  std::string channel;
  std::string month;  // YYYY-MM
  double amount = 0;
  bool operator==(const SpendEntry&) const = default;
};

// What a rule watches: a condition on the snapshot (`when`), or one of the
// built-in health checks, which need no snapshot path.
enum class AlertRuleKind {
  kCondition,         // when: <snapshot path> <op> <number>
  kConnectorStale,    // connector_stale: <duration>, one alert per connector
  kConnectorFailing,  // connector_failing: <runs>, one alert per connector
  kSnapshotStale,     // snapshot_stale: <duration>
};

struct AlertRuleConfig {
  std::string name;
  AlertRuleKind kind = AlertRuleKind::kCondition;
  std::string when;  // kCondition
  // kConnectorStale: no stream of the connector may go longer without a
  // successful sync; kSnapshotStale: the latest snapshot's greatest age.
  std::chrono::milliseconds stale_after{0};
  int failing_runs = 0;  // kConnectorFailing: failed runs in a row that fire
  std::chrono::milliseconds for_duration{0};
  // Stay firing this long after the condition clears (flap damping).
  std::chrono::milliseconds keep_firing_for{0};
  std::string severity;
  std::map<std::string, std::string> labels;
  std::string summary;
  std::string description;
  SourcePos pos;       // of the list item
  SourcePos when_pos;  // of the value of `when` (or of the built-in check)
};

struct ReceiverConfig {
  std::string name;
  std::string type;  // email | webhook
  std::string smtp_url;
  std::string from;
  std::vector<std::string> to;
  std::string url;
  std::string secret;  // resolved; never log
  std::string username;
  std::string password;               // resolved; never log
  std::string format;                 // payload/body format; empty: the receiver's default
  std::optional<bool> send_resolved;  // unset: the route's
  SourcePos pos;
};

struct RouteConfig {
  std::vector<std::string> receivers;
  std::chrono::milliseconds repeat_interval = std::chrono::hours(4);
  bool send_resolved = true;
  std::vector<std::string> group_by;  // label names; empty: one group per rule
};

// How the outbox is delivered (alerts.delivery).
struct DeliveryConfig {
  std::chrono::milliseconds retry_backoff = std::chrono::seconds(5);  // first retry
  std::chrono::milliseconds retry_backoff_max = std::chrono::minutes(10);
  // A notification still undelivered this long after it was queued is dropped.
  std::chrono::milliseconds max_age = std::chrono::hours(24);
  std::chrono::milliseconds timeout = std::chrono::seconds(30);  // per attempt
};

struct AlertsConfig {
  // The receiver named `name`, or nullptr.
  const ReceiverConfig* FindReceiver(const std::string& name) const {
    for (const ReceiverConfig& r : receivers) {
      if (r.name == name) return &r;
    }
    return nullptr;
  }

  std::vector<AlertRuleConfig> rules;
  std::vector<ReceiverConfig> receivers;
  RouteConfig route;
  // Rules are evaluated after each snapshot and also this often, so that
  // `for`, silences' expiry and the built-in checks advance between audits.
  std::chrono::milliseconds evaluate_every = std::chrono::minutes(1);
  DeliveryConfig delivery;
};

// The status HTTP server (/healthz, /readyz, /metrics, /api/v1/..., /).
struct StatusConfig {
  // HOST:PORT or [V6]:PORT to bind; port 0 picks any free port; empty
  // (`listen: ""`): no status server.
  std::string listen = "127.0.0.1:9464";
  // `token` / `token_file`, resolved; non-empty: every path but /healthz and
  // /readyz needs `Authorization: Bearer <token>`. A secret: never log.
  std::string token;
  int max_connections = 64;  // open at once; a new one closes the one waiting longest
  // A request must arrive whole within this; a response be read within it.
  std::chrono::milliseconds request_timeout = std::chrono::seconds(10);
  // The dashboard (/) reloads itself this often.
  std::chrono::milliseconds dashboard_refresh = std::chrono::seconds(30);
  // Where people open the dashboard (a proxy in front of `listen`), ending
  // in '/'; alert emails and webhooks link it. "": no link, since the listen
  // address is loopback or internal to everyone but this host.
  std::string external_url;
  bool operator==(const StatusConfig&) const = default;
};

struct LogConfig {
  std::string level = "info";   // trace debug info warn error
  std::string format = "text";  // text | json
};

struct Config {
  std::string path;  // the file it was loaded from
  StoreConfig store;
  std::vector<ConnectorConfig> connectors;
  TeamConfig team;
  AuditConfig audit;
  // `spend:` entries, then the rows of `spend_file:` (CSV channel,month,amount).
  std::vector<SpendEntry> spend;
  AlertsConfig alerts;
  StatusConfig status;
  LogConfig log;
  // Every resolved secret value (auth values, receiver secrets/passwords).
  // The loader also adds each to ProcessSecrets() as it reads it.
  std::vector<std::string> secrets;
  // Hex SHA-256 of the file's bytes, recorded with audit snapshots.
  std::string hash;
};

// The outcome of loading a config: a Config, or every problem found, each
// formatted "FILE:LINE:COL: message" (or "FILE: message" when no position
// applies), sorted by position. Messages never contain secret values.
struct ConfigLoadResult {
  std::optional<Config> config;  // set iff errors is empty
  std::vector<std::string> errors;
};

// The directory beside the store where connectors keep their own state
// (ConnectorConfig::state_dir): the store's directory, "." for a bare name.
std::string ConnectorStateDir(const std::string& store_path);

// Reads and validates the YAML file at `path`; each connector entry is checked
// against the schema of its type among `connector_types` (the compiled-in
// ones: BuiltinConnectors().Schemas()). Never throws. Secret files are read;
// no network is touched. Environment variables come from the process.
ConfigLoadResult LoadConfigFile(const std::string& path, const ConnectorSchemas& connector_types);

// Same, for text already in memory; `file_name` is used in error positions and
// relative *_file paths resolve against its directory.
ConfigLoadResult LoadConfigText(const std::string& text, const std::string& file_name,
                                const ConnectorSchemas& connector_types);

}  // namespace salesaudit
