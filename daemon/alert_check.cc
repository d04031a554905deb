#include "daemon/alert_check.h"

#include <optional>
#include <utility>

#include "alerts/condition.h"
#include "alerts/lifecycle.h"
#include "core/time_util.h"
#include "daemon/audit_runner.h"
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

}  // namespace

std::vector<std::string> CheckAlertRules(const Config& config) {
  std::vector<std::string> errors;
  if (config.alerts.rules.empty()) return errors;
  std::optional<SnapshotDocument> shape;
  const int64_t now = NowMs();
  auto store = Store::Open(":memory:");
  Status status = store.status();
  if (status.ok()) status = SeedShapeStore(**store, now);
  if (status.ok()) {
    auto stored = ComputeAndStoreSnapshot(**store, config, AuditWindow{}, now);
    status = stored.status();
    if (status.ok()) {
      auto parsed = SnapshotDocument::Parse(stored->json);
      status = parsed.status();
      if (status.ok()) shape = *parsed;
    }
  }
  if (!status.ok()) {
    errors.push_back("alerts: cannot compute a snapshot to check rule paths against: " +
                     status.message());
  }
  for (size_t i = 0; i < config.alerts.rules.size(); ++i) {
    const AlertRuleConfig& rule = config.alerts.rules[i];
    const std::string where =
        rule.pos.ToString() + ": alerts.rules[" + std::to_string(i) + "] (" + rule.name + "): ";
    auto condition = ParseCondition(rule.when);
    if (!condition.ok()) {
      errors.push_back(where + "when: " + condition.status().message());
    } else if (shape) {
      if (Status s = CheckConditionPath(*condition, *shape); !s.ok()) {
        errors.push_back(where + "when: " + s.message());
      }
    }
    for (const auto& [key, text] :
         {std::pair{"summary", &rule.summary}, std::pair{"description", &rule.description}}) {
      if (Status s = CheckAlertTemplate(*text, rule.labels); !s.ok()) {
        errors.push_back(where + key + ": " + s.message());
      }
    }
  }
  return errors;
}

}  // namespace salesaudit
