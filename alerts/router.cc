#include "alerts/router.h"

#include <algorithm>

namespace salesaudit {
namespace {

LabelSet GroupLabelsOf(const AlertNotice& alert, const RouteConfig& route) {
  LabelSet out;
  if (route.group_by.empty()) {
    auto it = alert.labels.find("alertname");
    if (it != alert.labels.end()) out.insert(*it);
    return out;
  }
  for (const std::string& name : route.group_by) {
    auto it = alert.labels.find(name);
    if (it != alert.labels.end()) out.insert(*it);
  }
  return out;
}

}  // namespace

std::vector<NotificationPlan> PlanNotifications(const std::vector<AlertNotice>& alerts,
                                                const AlertsConfig& config,
                                                const std::map<std::string, GroupMemory>& memory,
                                                const std::vector<Silence>& silences,
                                                int64_t now_ms) {
  const RouteConfig& route = config.route;
  // Group labels -> the alerts of that group that are not silenced.
  std::map<LabelSet, std::vector<const AlertNotice*>> groups;
  for (const AlertNotice& a : alerts) {
    if (IsSilenced(a.labels, silences, now_ms)) continue;
    groups[GroupLabelsOf(a, route)].push_back(&a);
  }
  std::vector<NotificationPlan> plans;
  for (const std::string& receiver : route.receivers) {
    const ReceiverConfig* r = config.FindReceiver(receiver);
    const bool send_resolved =
        r != nullptr ? r->send_resolved.value_or(route.send_resolved) : route.send_resolved;
    std::set<std::string> visited;
    for (const auto& [labels, members] : groups) {
      const std::string id = receiver + "\n" + GroupKey(labels);
      visited.insert(id);
      auto kept = memory.find(id);
      const GroupMemory before = kept == memory.end() ? GroupMemory{} : kept->second;

      NotificationPlan plan;
      plan.group_id = id;
      plan.group.receiver = receiver;
      plan.group.group_labels = labels;
      std::set<std::string> firing;
      bool resolved_news = false;
      for (const AlertNotice* a : members) {
        const std::string fingerprint = AlertFingerprint(a->labels);
        if (a->firing) {
          firing.insert(fingerprint);
          plan.group.alerts.push_back(*a);
        } else if (before.firing.count(fingerprint) != 0) {
          resolved_news = true;
          if (send_resolved) plan.group.alerts.push_back(*a);
        }
      }
      // Alertmanager's rule: notify when a firing alert is new to the
      // receiver, when resolutions are news it wants, or as a reminder. A
      // firing set that only shrank (an alert silenced) sends nothing.
      const bool new_firing =
          !std::includes(before.firing.begin(), before.firing.end(), firing.begin(), firing.end());
      const bool reminder =
          !firing.empty() && now_ms - before.last_sent_ms >= route.repeat_interval.count();
      const bool send = new_firing || (resolved_news && send_resolved) || reminder;
      if (!send && firing == before.firing) continue;
      plan.memory_after.firing = firing;
      plan.memory_after.last_sent_ms = send ? now_ms : before.last_sent_ms;
      if (!send) plan.group.alerts.clear();  // remember only
      plans.push_back(std::move(plan));
    }
    // Groups told of firing alerts that are now all silenced or gone forget
    // them, so an expiring silence brings them back as news.
    const std::string prefix = receiver + "\n";
    for (auto it = memory.lower_bound(prefix);
         it != memory.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
      if (it->second.firing.empty() || visited.count(it->first) != 0) continue;
      NotificationPlan forget;
      forget.group_id = it->first;
      forget.group.receiver = receiver;
      forget.memory_after.last_sent_ms = it->second.last_sent_ms;
      plans.push_back(std::move(forget));
    }
  }
  return plans;
}

}  // namespace salesaudit
