#include "alerts/rule_check.h"

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "alerts/condition.h"
#include "alerts/lifecycle.h"
#include "audit/runner.h"
#include "connectors/connector.h"
#include "core/time_util.h"
#include "net/http_client.h"
#include "store/store.h"

namespace salesaudit {
namespace {

constexpr int64_t kDayMs = 24LL * 3600 * 1000;

// One owner, a contact through every stage with a channel, its won deal, a
// campaign with an event of each kind, an audience member: every list of the
// snapshot gets an element.
Status SeedShapeStore(Store& store, int64_t now_ms) {
  const int64_t t = now_ms - 20 * kDayMs;
  Page crm;
  crm.stream = "shape";
  crm.owners.push_back(Owner{.id = "o1", .email = "rep@example.com", .name = "Rep"});
  crm.contacts.push_back(Contact{.id = "c1",
                                 .email = "lead@example.com",
                                 .owner_id = "o1",
                                 .channel = "PAID_SEARCH",
                                 .created_at = t,
                                 .mql_at = t + kDayMs,
                                 .contacted_at = t + 2 * kDayMs,
                                 .sql_at = t + 3 * kDayMs,
                                 .customer_at = t + 4 * kDayMs,
                                 .updated_at = t + 4 * kDayMs});
  crm.deals.push_back(Deal{.id = "d1",
                           .owner_id = "o1",
                           .amount = 1000.0,
                           .currency = "USD",
                           .created_at = t + 3 * kDayMs,
                           .closed_at = t + 4 * kDayMs,
                           .is_closed = true,
                           .is_won = true,
                           .updated_at = t + 4 * kDayMs,
                           .contact_ids = std::vector<std::string>{"c1"}});
  if (Status s = store.CommitPage("crm", crm); !s.ok()) return s;
  Page email;
  email.stream = "shape";
  email.campaigns.push_back(EmailCampaign{.id = "m1", .name = "Campaign", .sent_at = t});
  int n = 0;
  for (const char* type : {"sent", "delivered", "open", "click", "bounce", "unsubscribe", "spam"}) {
    email.events.push_back(EmailEvent{.id = "e" + std::to_string(++n),
                                      .campaign_id = "m1",
                                      .email = "lead@example.com",
                                      .type = type,
                                      .occurred_at = t - kDayMs});
  }
  email.members.push_back(EmailMember{.id = "x1", .email = "reader@example.com"});
  return store.CommitPage("email", email);
}

// The shape of a snapshot computed from the seeded store, or why there is none.
Result<SnapshotDocument> ComputeShape(const Config& config) {
  const int64_t now = NowMs();
  auto store = Store::Open(":memory:");
  if (!store.ok()) return store.status();
  if (Status s = SeedShapeStore(**store, now); !s.ok()) return s;
  auto stored =
      ComputeAndStoreSnapshot(**store, config, AuditWindow{}, now, SnapshotPurpose::kLive);
  if (!stored.ok()) return stored.status();
  return SnapshotDocument::Parse(stored->json);
}

}  // namespace

std::vector<std::string> CheckAlertRules(const Config& config) {
  std::vector<std::string> errors;
  const std::vector<AlertRuleConfig>& rules = config.alerts.rules;
  // Built-in checks read no snapshot path; computing a snapshot is the
  // expensive part of `check`, so it waits for a rule that needs it.
  std::optional<SnapshotDocument> shape;
  if (std::any_of(rules.begin(), rules.end(),
                  [](const AlertRuleConfig& r) { return r.kind == AlertRuleKind::kCondition; })) {
    auto computed = ComputeShape(config);
    if (computed.ok()) {
      shape = *computed;
    } else {
      errors.push_back("alerts: cannot compute a snapshot to check rule paths against: " +
                       computed.status().message());
    }
  }
  for (size_t i = 0; i < rules.size(); ++i) {
    const AlertRuleConfig& rule = rules[i];
    const std::string name = "alerts.rules[" + std::to_string(i) + "] (" + rule.name + "): ";
    if (rule.kind == AlertRuleKind::kCondition) {
      // At the value of `when`, where the fix goes; a column the parser names
      // counts within the condition text.
      const std::string at = rule.when_pos.ToString() + ": " + name + "when: ";
      auto condition = ParseCondition(rule.when);
      if (!condition.ok()) {
        errors.push_back(at + condition.status().message());
      } else if (shape) {
        if (Status s = CheckConditionPath(*condition, *shape); !s.ok()) {
          errors.push_back(at + s.message());
        }
      }
    }
    // Per-connector checks label each alert with its connector, so templates
    // may show {{ labels.connector }}.
    std::map<std::string, std::string> labels = rule.labels;
    if (rule.kind == AlertRuleKind::kConnectorStale ||
        rule.kind == AlertRuleKind::kConnectorFailing) {
      labels.emplace("connector", "");
    }
    for (const auto& [key, text] :
         {std::pair{"summary", &rule.summary}, std::pair{"description", &rule.description}}) {
      if (Status s = CheckAlertTemplate(*text, labels); !s.ok()) {
        errors.push_back(rule.pos.ToString() + ": " + name + key + ": " + s.message());
      }
    }
  }
  return errors;
}

std::vector<std::string> UnmatchedSelectorWarnings(const Config& config, Store& store) {
  std::vector<std::string> warnings;
  // The daemon's live snapshot; before a daemon ran, the latest `audit`.
  auto latest = store.LatestSnapshot(SnapshotPurpose::kLive);
  if (latest.ok() && !*latest) latest = store.LatestSnapshot(SnapshotPurpose::kOneOff);
  if (!latest.ok()) return {"cannot read the latest snapshot: " + latest.status().message()};
  if (!*latest) return warnings;
  auto snapshot = SnapshotDocument::Parse((*latest)->json);
  if (!snapshot.ok()) return {"the latest snapshot: " + snapshot.status().message()};
  const std::vector<AlertRuleConfig>& rules = config.alerts.rules;
  for (size_t i = 0; i < rules.size(); ++i) {
    const AlertRuleConfig& rule = rules[i];
    if (rule.kind != AlertRuleKind::kCondition) continue;
    auto condition = ParseCondition(rule.when);
    if (!condition.ok()) continue;  // an error of CheckAlertRules
    if (Status s = CheckSelectorValues(*condition, *snapshot); !s.ok()) {
      warnings.push_back(rule.when_pos.ToString() + ": alerts.rules[" + std::to_string(i) + "] (" +
                         rule.name + "): when: in the latest snapshot (#" +
                         std::to_string((*latest)->id) + "), " + s.message() +
                         ". Until a snapshot has one, the rule cannot fire");
    }
  }
  return warnings;
}

namespace {

// Each connector built from its entry as a sync builds it, offline (no
// request is sent): what a type refuses only then, such as a Mailchimp
// api_key without its data-center suffix and no base_url, fails `check` too,
// placed at the connector's entry.
std::vector<std::string> CheckConnectorsBuild(const Config& config) {
  std::vector<std::string> errors;
  HttpClient http(HttpClient::Options{}, nullptr, nullptr);
  for (const ConnectorConfig& c : config.connectors) {
    const ConnectorDescriptor* type = BuiltinConnectors().Find(c.type);
    if (type == nullptr) continue;  // the loader refused it already
    auto built = type->create(c, http);
    if (!built.ok()) errors.push_back(c.pos.ToString() + ": " + built.status().message());
  }
  return errors;
}

}  // namespace

ConfigLoadResult LoadCheckedConfigFile(const std::string& path) {
  ConfigLoadResult loaded = LoadConfigFile(path, BuiltinConnectors().Schemas());
  if (!loaded.config) return loaded;
  loaded.errors = CheckConnectorsBuild(*loaded.config);
  for (std::string& e : CheckAlertRules(*loaded.config)) loaded.errors.push_back(std::move(e));
  if (!loaded.errors.empty()) loaded.config.reset();
  return loaded;
}

}  // namespace salesaudit
