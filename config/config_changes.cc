#include "config/config_changes.h"

#include <set>
#include <sstream>
#include <string_view>

#include "core/duration.h"
#include "core/text_util.h"

namespace salesaudit {
namespace {

using std::chrono::milliseconds;

// Values as a log line shows them, close to how the config writes them.
std::string Shown(const std::string& s) { return s.empty() ? "(none)" : s; }
std::string Shown(int v) { return std::to_string(v); }
std::string Shown(size_t v) { return std::to_string(v); }
std::string Shown(bool v) { return v ? "true" : "false"; }
std::string Shown(milliseconds d) { return FormatDuration(d); }

std::string Shown(double v) {
  std::ostringstream out;
  out << v;
  return out.str();
}

std::string Shown(const std::vector<std::string>& items) { return "[" + Join(items, ",") + "]"; }

std::string Shown(const RateLimit& limit) {
  if (limit.unlimited()) return "off";
  return std::to_string(limit.requests) + "/" + FormatDuration(limit.per);
}

template <typename T>
std::string Shown(const std::optional<T>& value) {
  return value ? Shown(*value) : "(default)";
}

template <typename V>
std::string Shown(const std::map<std::string, V>& entries) {
  std::vector<std::string> parts;
  for (const auto& [key, value] : entries) parts.push_back(key + "=" + Shown(value));
  return "{" + Join(parts, ",") + "}";
}

// The changed keys of one thing ("connector crm"), gathered into one line.
class KeyChanges {
 public:
  template <typename T>
  void Compare(const std::string& key, const T& before, const T& after) {
    if (before != after) parts_.push_back(key + " " + Shown(before) + " -> " + Shown(after));
  }

  // A secret, or a value that may carry one (a webhook URL): whether it
  // changed, never what it is.
  void CompareSecret(const std::string& key, const std::string& before, const std::string& after) {
    if (before == after) return;
    parts_.push_back(key + (before.empty() ? " added" : after.empty() ? " removed" : " changed"));
  }

  // Keyed lists (fields, stages): each key compared, one left out reading
  // as the connector's default.
  void CompareEach(const std::string& prefix,
                   const std::map<std::string, std::vector<std::string>>& before,
                   const std::map<std::string, std::vector<std::string>>& after) {
    std::set<std::string> keys;
    for (const auto& entry : before) keys.insert(entry.first);
    for (const auto& entry : after) keys.insert(entry.first);
    for (const std::string& key : keys) {
      Compare(prefix + key, Find(before, key), Find(after, key));
    }
  }

  // "SUBJECT: part, part" when anything changed.
  void AppendTo(const std::string& subject, std::vector<std::string>* lines) const {
    if (!parts_.empty()) lines->push_back(subject + ": " + Join(parts_, ", "));
  }

 private:
  static std::optional<std::vector<std::string>> Find(
      const std::map<std::string, std::vector<std::string>>& lists, const std::string& key) {
    const auto it = lists.find(key);
    if (it == lists.end()) return std::nullopt;
    return it->second;
  }

  std::vector<std::string> parts_;
};

const ConnectorSchema* FindSchema(const ConnectorSchemas& types, const std::string& type) {
  for (const ConnectorSchema* schema : types) {
    if (schema->type == type) return schema;
  }
  return nullptr;
}

// Empty means something of its own for these keys.
std::string StreamsShown(const std::vector<std::string>& streams) {
  return streams.empty() ? "(all)" : Shown(streams);
}
std::string OrDefault(const std::string& value) { return value.empty() ? "(default)" : value; }

void CompareConnector(const ConnectorConfig& a, const ConnectorConfig& b,
                      const ConnectorSchemas& types, std::vector<std::string>* lines) {
  KeyChanges changes;
  changes.Compare("type", a.type, b.type);
  changes.Compare("base_url", OrDefault(a.base_url), OrDefault(b.base_url));
  std::set<std::string> auth_keys;
  for (const auto& entry : a.auth) auth_keys.insert(entry.first);
  for (const auto& entry : b.auth) auth_keys.insert(entry.first);
  for (const std::string& key : auth_keys) {
    const auto before = a.auth.find(key);
    const auto after = b.auth.find(key);
    changes.CompareSecret(key, before == a.auth.end() ? "" : before->second,
                          after == b.auth.end() ? "" : after->second);
  }
  changes.Compare("poll_interval", a.poll_interval, b.poll_interval);
  changes.Compare("streams", StreamsShown(a.streams), StreamsShown(b.streams));
  changes.CompareEach("fields.", a.fields, b.fields);
  changes.CompareEach("stages.", a.stages, b.stages);
  changes.Compare("rate_limit", a.rate_limit, b.rate_limit);
  changes.Compare("rate_limit_reserve", a.rate_limit_reserve, b.rate_limit_reserve);
  changes.Compare("max_retries", a.max_retries, b.max_retries);
  changes.Compare("retry_backoff", a.retry_backoff, b.retry_backoff);
  changes.Compare("retry_backoff_max", a.retry_backoff_max, b.retry_backoff_max);
  changes.Compare("request_timeout", a.request_timeout, b.request_timeout);
  changes.Compare("max_response_size", a.max_response_size, b.max_response_size);
  changes.Compare("max_pages_per_run", a.max_pages_per_run, b.max_pages_per_run);
  // Another type's options are not comparable; its change was named above.
  const ConnectorSchema* schema = a.type == b.type ? FindSchema(types, b.type) : nullptr;
  if (schema != nullptr) {
    for (const OptionSpec& option : schema->options) {
      changes.Compare(option.name, FormatOptionValue(a.options.Value(option)),
                      FormatOptionValue(b.options.Value(option)));
    }
  }
  changes.AppendTo("connector " + b.name, lines);
}

void CompareReceiver(const ReceiverConfig& a, const ReceiverConfig& b,
                     std::vector<std::string>* lines) {
  KeyChanges changes;
  changes.Compare("type", a.type, b.type);
  changes.Compare("smtp_url", a.smtp_url, b.smtp_url);
  changes.Compare("from", a.from, b.from);
  changes.Compare("to", a.to, b.to);
  // A webhook URL often is its credential (Slack's, Teams').
  changes.CompareSecret("url", a.url, b.url);
  changes.CompareSecret("secret", a.secret, b.secret);
  changes.Compare("username", a.username, b.username);
  changes.CompareSecret("password", a.password, b.password);
  changes.Compare("format", OrDefault(a.format), OrDefault(b.format));
  changes.Compare("send_resolved", a.send_resolved, b.send_resolved);
  changes.AppendTo("receiver " + b.name, lines);
}

// What the rule watches, as the config writes it.
std::string Condition(const AlertRuleConfig& rule) {
  switch (rule.kind) {
    case AlertRuleKind::kCondition:
      return rule.when;
    case AlertRuleKind::kConnectorStale:
      return "connector_stale " + FormatDuration(rule.stale_after);
    case AlertRuleKind::kConnectorFailing:
      return "connector_failing " + std::to_string(rule.failing_runs);
    case AlertRuleKind::kSnapshotStale:
      return "snapshot_stale " + FormatDuration(rule.stale_after);
  }
  return rule.when;
}

void CompareRule(const AlertRuleConfig& a, const AlertRuleConfig& b,
                 std::vector<std::string>* lines) {
  KeyChanges changes;
  changes.Compare("condition", Condition(a), Condition(b));
  changes.Compare("for", a.for_duration, b.for_duration);
  changes.Compare("keep_firing_for", a.keep_firing_for, b.keep_firing_for);
  changes.Compare("severity", a.severity, b.severity);
  changes.Compare("labels", a.labels, b.labels);
  // Prose: that it changed is enough for a log line.
  changes.CompareSecret("summary", a.summary, b.summary);
  changes.CompareSecret("description", a.description, b.description);
  changes.AppendTo("alert rule " + b.name, lines);
}

// Items matched by name: "WHAT NAME removed" for those gone, "WHAT NAME
// added (DETAIL)" for new ones, `compare` for those in both.
template <typename Item, typename Detail, typename CompareItems>
void CompareNamed(const std::string& what, const std::vector<Item>& before,
                  const std::vector<Item>& after, Detail detail, CompareItems compare,
                  std::vector<std::string>* lines) {
  auto find = [](const std::vector<Item>& items, const std::string& name) -> const Item* {
    for (const Item& item : items) {
      if (item.name == name) return &item;
    }
    return nullptr;
  };
  for (const Item& item : before) {
    if (find(after, item.name) == nullptr) lines->push_back(what + " " + item.name + " removed");
  }
  for (const Item& item : after) {
    if (const Item* old = find(before, item.name)) {
      compare(*old, item, lines);
    } else {
      lines->push_back(what + " " + item.name + " added (" + detail(item) + ")");
    }
  }
}

void CompareAudit(const AuditConfig& a, const AuditConfig& b, std::vector<std::string>* lines) {
  KeyChanges changes;
  changes.Compare("every", a.every, b.every);
  changes.Compare("period", a.period, b.period);
  changes.Compare("min_interval", a.min_interval, b.min_interval);
  changes.Compare("keep_snapshots", a.keep_snapshots, b.keep_snapshots);
  changes.Compare("attribution_window", a.attribution_window, b.attribution_window);
  changes.Compare("open_rate_floor", a.open_rate_floor, b.open_rate_floor);
  changes.Compare("click_rate_floor", a.click_rate_floor, b.click_rate_floor);
  changes.Compare("min_sample", a.min_sample, b.min_sample);
  changes.Compare("stale_deal_age", a.stale_deal_age, b.stale_deal_age);
  changes.Compare("forecast_min_channel_leads", a.forecast_min_channel_leads,
                  b.forecast_min_channel_leads);
  changes.Compare("return_on_spend_target", a.return_on_spend_target, b.return_on_spend_target);
  changes.Compare("revenue_target_per_period", a.revenue_target_per_period,
                  b.revenue_target_per_period);
  changes.Compare("referral_channels", a.referral_channels, b.referral_channels);
  changes.Compare("currency.report_in", a.currency.report_in, b.currency.report_in);
  changes.Compare("currency.rates", a.currency.rates, b.currency.rates);
  changes.AppendTo("audit", lines);
}

}  // namespace

std::vector<std::string> KeepStartOnlySettings(const Config& running, Config* next) {
  std::vector<std::string> warnings;
  auto keep = [&warnings](const std::string& key, std::string shown_change, auto& value,
                          const auto& running_value) {
    if (value == running_value) return;
    warnings.push_back(key + " changed" + shown_change +
                       "; it takes effect after a restart, the running value is kept");
    value = running_value;
  };
  // The store is opened once; connectors keep their state beside it.
  keep("store.path", " (" + running.store.path + " -> " + next->store.path + ")", next->store.path,
       running.store.path);
  for (ConnectorConfig& c : next->connectors) c.state_dir = ConnectorStateDir(next->store.path);
  // The status server is set up at start from these.
  const StatusConfig& was = running.status;
  StatusConfig& status = next->status;
  keep("status.listen", " (" + Shown(was.listen) + " -> " + Shown(status.listen) + ")",
       status.listen, was.listen);
  keep("status.token", "", status.token, was.token);
  keep("status.max_connections",
       " (" + Shown(was.max_connections) + " -> " + Shown(status.max_connections) + ")",
       status.max_connections, was.max_connections);
  keep("status.request_timeout",
       " (" + Shown(was.request_timeout) + " -> " + Shown(status.request_timeout) + ")",
       status.request_timeout, was.request_timeout);
  keep("status.dashboard_refresh",
       " (" + Shown(was.dashboard_refresh) + " -> " + Shown(status.dashboard_refresh) + ")",
       status.dashboard_refresh, was.dashboard_refresh);
  return warnings;
}

std::vector<std::string> DescribeConfigChanges(const Config& running, const Config& next,
                                               const ConnectorSchemas& connector_types) {
  std::vector<std::string> lines;
  CompareNamed(
      "connector", running.connectors, next.connectors,
      [](const ConnectorConfig& c) { return c.type; },
      [&connector_types](const ConnectorConfig& a, const ConnectorConfig& b,
                         std::vector<std::string>* out) {
        CompareConnector(a, b, connector_types, out);
      },
      &lines);
  CompareNamed(
      "receiver", running.alerts.receivers, next.alerts.receivers,
      [](const ReceiverConfig& r) { return r.type; }, CompareReceiver, &lines);
  {
    const RouteConfig& a = running.alerts.route;
    const RouteConfig& b = next.alerts.route;
    KeyChanges changes;
    changes.Compare("receivers", a.receivers, b.receivers);
    changes.Compare("repeat_interval", a.repeat_interval, b.repeat_interval);
    changes.Compare("send_resolved", a.send_resolved, b.send_resolved);
    changes.Compare("group_by", a.group_by, b.group_by);
    changes.AppendTo("route", &lines);
  }
  CompareNamed(
      "alert rule", running.alerts.rules, next.alerts.rules,
      [](const AlertRuleConfig& r) { return Condition(r); }, CompareRule, &lines);
  {
    const AlertsConfig& a = running.alerts;
    const AlertsConfig& b = next.alerts;
    KeyChanges changes;
    changes.Compare("evaluate_every", a.evaluate_every, b.evaluate_every);
    changes.Compare("delivery.retry_backoff", a.delivery.retry_backoff, b.delivery.retry_backoff);
    changes.Compare("delivery.retry_backoff_max", a.delivery.retry_backoff_max,
                    b.delivery.retry_backoff_max);
    changes.Compare("delivery.max_age", a.delivery.max_age, b.delivery.max_age);
    changes.Compare("delivery.timeout", a.delivery.timeout, b.delivery.timeout);
    changes.AppendTo("alerts", &lines);
  }
  CompareAudit(running.audit, next.audit, &lines);
  {
    KeyChanges changes;
    changes.Compare("reps", running.team.reps, next.team.reps);
    changes.Compare("leads_per_rep_per_week", running.team.leads_per_rep_per_week,
                    next.team.leads_per_rep_per_week);
    changes.AppendTo("team", &lines);
  }
  if (running.spend.size() != next.spend.size()) {
    lines.push_back("spend: " + std::to_string(running.spend.size()) + " entries -> " +
                    std::to_string(next.spend.size()));
  } else if (running.spend != next.spend) {
    lines.push_back("spend: entries changed");
  }
  {
    KeyChanges changes;
    changes.Compare("path", running.store.path, next.store.path);
    changes.AppendTo("store", &lines);
  }
  {
    const StatusConfig& a = running.status;
    const StatusConfig& b = next.status;
    KeyChanges changes;
    changes.Compare("listen", a.listen, b.listen);
    changes.CompareSecret("token", a.token, b.token);
    changes.Compare("max_connections", a.max_connections, b.max_connections);
    changes.Compare("request_timeout", a.request_timeout, b.request_timeout);
    changes.Compare("dashboard_refresh", a.dashboard_refresh, b.dashboard_refresh);
    changes.Compare("external_url", a.external_url, b.external_url);
    changes.AppendTo("status", &lines);
  }
  {
    KeyChanges changes;
    changes.Compare("level", running.log.level, next.log.level);
    changes.Compare("format", running.log.format, next.log.format);
    changes.AppendTo("log", &lines);
  }
  if (lines.empty()) lines.push_back("no changes");
  return lines;
}

}  // namespace salesaudit
