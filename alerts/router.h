// Which notifications are due (Alertmanager's dispatcher, reduced to what
// salesaudit's route has): alerts are grouped by the route's group_by labels
// (by alertname when it names none), and each group is sent to every
// receiver of the route when its set of firing alerts changed since the last
// notification to that receiver, or when it still fires and repeat_interval
// has passed. Resolved alerts go out once, to receivers that were told they
// fired, when send_resolved is on (the receiver's, else the route's). Silenced alerts count as not
// firing, so a silence's expiry brings them back as new.
//
// Pure: the caller keeps GroupMemory per group id (in the store, so a restart
// or reload neither forgets nor repeats) and delivers the plans.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "alerts/notification.h"
#include "alerts/silence.h"
#include "config/config.h"

namespace salesaudit {

// What was last sent for one (receiver, group).
struct GroupMemory {
  int64_t last_sent_ms = 0;
  std::set<std::string> firing;  // fingerprints of the firing alerts in it
};

// A notification to queue (group.alerts not empty), or only a change of what
// the group remembers (group.alerts empty: nothing to send).
struct NotificationPlan {
  std::string group_id;  // receiver + "\n" + GroupKey(group labels): the GroupMemory key
  NotificationGroup group;
  GroupMemory memory_after;  // to keep, in the same transaction as the queued notification
};

// `alerts`: every firing alert, and every alert resolved since it may last
// have been notified (a resolved one is sent only to groups that were told
// it fired). `memory`: by group id, as kept from earlier plans.
std::vector<NotificationPlan> PlanNotifications(const std::vector<AlertNotice>& alerts,
                                                const AlertsConfig& config,
                                                const std::map<std::string, GroupMemory>& memory,
                                                const std::vector<Silence>& silences,
                                                int64_t now_ms);

}  // namespace salesaudit
