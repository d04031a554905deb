#include "config/loader.h"
#include "core/text_util.h"

namespace salesaudit::config_internal {

namespace {

constexpr std::string_view kAlertsKeys[] = {"rules", "receivers", "route", "evaluate_every",
                                            "delivery"};

constexpr std::string_view kRuleKeys[] = {
    "name",           "when",    "connector_stale", "connector_failing",
    "snapshot_stale", "for",     "keep_firing_for", "severity",
    "labels",         "summary", "description"};

// What a rule watches; a rule gives exactly one of these.
constexpr std::string_view kRuleWatchKeys[] = {"when", "connector_stale", "connector_failing",
                                               "snapshot_stale"};

constexpr std::string_view kReceiverKeys[] = {
    "name",        "type",     "smtp_url", "from",          "to",     "url",          "secret",
    "secret_file", "username", "password", "password_file", "format", "send_resolved"};

constexpr std::string_view kDeliveryKeys[] = {"retry_backoff", "retry_backoff_max", "max_age",
                                              "timeout"};

// Rules are evaluated on a timer this often at most; a shorter period would
// only spin the evaluation loop.
constexpr milliseconds kMinEvaluateEvery = std::chrono::seconds(1);

constexpr std::string_view kEmailOnlyKeys[] = {"smtp_url", "from", "to"};

constexpr std::string_view kWebhookOnlyKeys[] = {"url", "secret", "secret_file"};

constexpr std::string_view kRouteKeys[] = {"receivers", "repeat_interval", "send_resolved",
                                           "group_by"};

constexpr std::string_view kReceiverTypes[] = {"email", "webhook"};

}  // namespace

void Loader::LoadAlerts(const Item& item, AlertsConfig* alerts) {
  const std::optional<Section> s = ReadSection(item, kAlertsKeys);
  if (!s) return;
  if (const Item* rules = s->Find("rules")) LoadRules(*rules, &alerts->rules);
  std::vector<std::string> declared;
  if (const Item* receivers = s->Find("receivers")) {
    LoadReceivers(*receivers, &alerts->receivers, &declared);
  }
  if (const Item* route = s->Find("route")) LoadRoute(*route, declared, &alerts->route);
  if (const Item* every = s->Find("evaluate_every")) {
    if (std::optional<milliseconds> value = ReadDuration(*every)) {
      if (*value < kMinEvaluateEvery) {
        Error(every->pos, every->path + ": must be at least 1s");
      } else {
        alerts->evaluate_every = *value;
      }
    }
  }
  if (const Item* delivery = s->Find("delivery")) LoadDelivery(*delivery, &alerts->delivery);
}

void Loader::LoadDelivery(const Item& item, DeliveryConfig* delivery) {
  const std::optional<Section> s = ReadSection(item, kDeliveryKeys);
  if (!s) return;
  Set(*s, "retry_backoff", &Loader::ReadPositiveDuration, &delivery->retry_backoff);
  Set(*s, "retry_backoff_max", &Loader::ReadPositiveDuration, &delivery->retry_backoff_max);
  Set(*s, "max_age", &Loader::ReadPositiveDuration, &delivery->max_age);
  Set(*s, "timeout", &Loader::ReadPositiveDuration, &delivery->timeout);
  if (delivery->retry_backoff_max < delivery->retry_backoff) {
    const Item* at = s->Find("retry_backoff_max");
    Error(at != nullptr ? at->pos : s->Find("retry_backoff")->pos,
          item.path + ": retry_backoff_max must not be shorter than retry_backoff");
  }
}

bool Loader::LoadRuleWatch(const Item& element, const Section& s, AlertRuleConfig* rule) {
  std::vector<const Item*> given;
  for (std::string_view key : kRuleWatchKeys) {
    if (const Item* item = s.Find(key)) given.push_back(item);
  }
  if (given.empty()) {
    Error(element.pos, element.path +
                           ": give `when` (a condition on the snapshot, e.g. "
                           "capacity.shortfall_per_period > 0) or a built-in check: "
                           "connector_stale, connector_failing or snapshot_stale");
    return false;
  }
  // Blame the keys after the first as written, not in the section's key order.
  std::sort(given.begin(), given.end(), [](const Item* a, const Item* b) {
    return std::tuple(a->key_pos.line, a->key_pos.column) <
           std::tuple(b->key_pos.line, b->key_pos.column);
  });
  auto key_of = [&](const Item* item) { return item->path.substr(element.path.size() + 1); };
  for (size_t i = 1; i < given.size(); ++i) {
    Error(given[i]->key_pos, element.path + ": give either " + Quoted(key_of(given[0])) + " or " +
                                 Quoted(key_of(given[i])) + ", not both; a rule watches one thing");
  }
  if (given.size() > 1) return false;
  const Item& watch = *given[0];
  const std::string key = key_of(&watch);
  rule->when_pos = watch.pos;
  if (key == "when") {
    rule->kind = AlertRuleKind::kCondition;
    std::optional<std::string> when = ReadNonEmptyString(watch);
    if (when) rule->when = std::move(*when);
    return when.has_value();
  }
  if (key == "connector_failing") {
    rule->kind = AlertRuleKind::kConnectorFailing;
    std::optional<int> runs = ReadPositiveInt(watch);
    if (runs) rule->failing_runs = *runs;
    return runs.has_value();
  }
  rule->kind =
      key == "connector_stale" ? AlertRuleKind::kConnectorStale : AlertRuleKind::kSnapshotStale;
  std::optional<milliseconds> stale_after = ReadPositiveDuration(watch);
  if (stale_after) rule->stale_after = *stale_after;
  return stale_after.has_value();
}

void Loader::LoadRules(const Item& item, std::vector<AlertRuleConfig>* rules) {
  const std::optional<std::vector<Item>> elements = ReadList(item);
  if (!elements) return;
  std::map<std::string, int> names;
  for (const Item& element : *elements) {
    const std::optional<Section> s = ReadSection(element, kRuleKeys);
    if (!s) continue;
    Require(*s, "name");
    AlertRuleConfig rule;
    rule.pos = element.pos;
    Set(*s, "name", &Loader::ReadName, &rule.name);
    const bool watch_ok = LoadRuleWatch(element, *s, &rule);
    Set(*s, "for", &Loader::ReadDuration, &rule.for_duration);
    Set(*s, "keep_firing_for", &Loader::ReadDuration, &rule.keep_firing_for);
    Set(*s, "severity", &Loader::ReadNonEmptyString, &rule.severity);
    Set(*s, "labels", &Loader::ReadStringMap, &rule.labels);
    if (const Item* labels = s->Find("labels"); labels != nullptr && labels->node.IsMap()) {
      const bool per_connector = rule.kind == AlertRuleKind::kConnectorStale ||
                                 rule.kind == AlertRuleKind::kConnectorFailing;
      for (const auto& entry : labels->node) {
        if (!entry.first.IsScalar()) continue;
        const std::string& label = entry.first.Scalar();
        if (label == "alertname") {
          Error(Pos(entry.first),
                labels->path + ": 'alertname' cannot be set; it is the rule's name");
        } else if (label == "connector" && per_connector) {
          Error(Pos(entry.first), labels->path +
                                      ": 'connector' cannot be set on a per-connector check; "
                                      "the check sets it to each connector's name");
        }
      }
    }
    Set(*s, "summary", &Loader::ReadString, &rule.summary);
    Set(*s, "description", &Loader::ReadString, &rule.description);
    if (rule.name.empty() || !watch_ok) continue;
    const auto [it, inserted] = names.emplace(rule.name, rule.pos.line);
    if (!inserted) {
      Error(element.pos, element.path + ": duplicate rule name " + Quoted(rule.name) +
                             " (first at line " + std::to_string(it->second) + ")");
      continue;
    }
    rules->push_back(std::move(rule));
  }
}

void Loader::LoadReceivers(const Item& item, std::vector<ReceiverConfig>* receivers,
                           std::vector<std::string>* declared) {
  const std::optional<std::vector<Item>> elements = ReadList(item);
  if (!elements) return;
  std::map<std::string, int> names;
  for (const Item& element : *elements) {
    const std::optional<Section> s = ReadSection(element, kReceiverKeys);
    if (!s) continue;
    Require(*s, "name");
    Require(*s, "type", "email or webhook");
    ReceiverConfig r;
    r.pos = element.pos;
    Set(*s, "name", &Loader::ReadName, &r.name);
    if (!r.name.empty()) declared->push_back(r.name);
    if (const Item* type = s->Find("type")) {
      if (auto v = ReadOneOf(*type, kReceiverTypes)) r.type = *v;
    }
    Set(*s, "smtp_url", &Loader::ReadString, &r.smtp_url);
    if (!r.smtp_url.empty() && !HasScheme(r.smtp_url, "smtp://", "smtps://")) {
      const Item* at = s->Find("smtp_url");
      Error(at->pos,
            at->path + ": must start with smtp:// or smtps://, got " + Shown(*at, r.smtp_url));
    }
    Set(*s, "from", &Loader::ReadMailbox, &r.from);
    Set(*s, "to", &Loader::ReadMailboxList, &r.to);
    Set(*s, "url", &Loader::ReadHttpUrl, &r.url);
    Set(*s, "username", &Loader::ReadString, &r.username);
    Set(*s, "format", &Loader::ReadNonEmptyString, &r.format);
    Set(*s, "send_resolved", &Loader::ReadBool, &r.send_resolved);
    if (auto secret = ReadSecret(*s, "secret")) r.secret = std::move(secret->first);
    if (auto password = ReadSecret(*s, "password")) r.password = std::move(password->first);

    if (r.type == "email") {
      Require(*s, "smtp_url", "e.g. smtp://127.0.0.1:25");
      Require(*s, "from");
      Require(*s, "to", "a list of addresses");
      if (const Item* to = s->Find("to");
          to != nullptr && to->node.IsSequence() && to->node.size() == 0) {
        Error(to->pos, to->path + ": list at least one address");
      }
    } else if (r.type == "webhook") {
      Require(*s, "url");
    }
    const KeyList foreign = r.type == "email" ? KeyList(kWebhookOnlyKeys) : KeyList(kEmailOnlyKeys);
    if (!r.type.empty()) {
      for (std::string_view key : foreign) {
        if (const Item* misplaced = s->Find(key)) {
          Error(misplaced->key_pos,
                element.path + ": " + Quoted(key) + " does not apply to " + r.type + " receivers");
        }
      }
    }
    if (r.name.empty() || r.type.empty()) continue;
    const auto [it, inserted] = names.emplace(r.name, r.pos.line);
    if (!inserted) {
      Error(element.pos, element.path + ": duplicate receiver name " + Quoted(r.name) +
                             " (first at line " + std::to_string(it->second) + ")");
      continue;
    }
    receivers->push_back(std::move(r));
  }
}

void Loader::LoadRoute(const Item& item, const std::vector<std::string>& declared,
                       RouteConfig* route) {
  const std::optional<Section> s = ReadSection(item, kRouteKeys);
  if (!s) return;
  if (const Item* names = s->Find("receivers")) {
    if (const std::optional<std::vector<Item>> elements = ReadList(*names)) {
      for (const Item& element : *elements) {
        const std::optional<std::string> name = ReadNonEmptyString(element);
        if (!name) continue;
        if (std::find(declared.begin(), declared.end(), *name) == declared.end()) {
          Error(element.pos,
                element.path + ": unknown receiver " + Shown(element, *name) +
                    (declared.empty() ? " (alerts.receivers declares none)"
                                      : " (alerts.receivers: " + Join(declared, ", ") + ")") +
                    Suggestion(*name, declared));
        } else if (std::find(route->receivers.begin(), route->receivers.end(), *name) ==
                   route->receivers.end()) {
          route->receivers.push_back(*name);
        }
      }
    }
  }
  Set(*s, "repeat_interval", &Loader::ReadPositiveDuration, &route->repeat_interval);
  Set(*s, "send_resolved", &Loader::ReadBool, &route->send_resolved);
  Set(*s, "group_by", &Loader::ReadStringList, &route->group_by);
}

}  // namespace salesaudit::config_internal
