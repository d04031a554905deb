// Notification planning: grouping, what is news, reminders, resolved
// notifications, silences, and the memory that keeps a restart from
// re-sending.
#include "alerts/router.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace salesaudit {
namespace {

constexpr int64_t kHour = 3600000;

AlertNotice Alert(const std::string& name, const std::string& team, bool firing = true) {
  AlertNotice a;
  a.firing = firing;
  a.labels = {{"alertname", name}, {"team", team}};
  a.starts_at_ms = 0;
  a.ends_at_ms = firing ? 0 : kHour;
  return a;
}

RouteConfig Route(std::vector<std::string> group_by = {}) {
  RouteConfig r;
  r.receivers = {"mail", "hook"};
  r.repeat_interval = std::chrono::hours(4);
  r.send_resolved = true;
  r.group_by = std::move(group_by);
  return r;
}

AlertsConfig Alerts(RouteConfig route) {
  AlertsConfig c;
  c.route = std::move(route);
  c.receivers = {ReceiverConfig{.name = "mail", .type = "email"},
                 ReceiverConfig{.name = "hook", .type = "webhook"}};
  return c;
}

// Plans, then keeps their memory as the daemon does.
struct Planner {
  AlertsConfig alerts = Alerts(Route());
  RouteConfig& route = alerts.route;
  std::map<std::string, GroupMemory> memory;
  std::vector<Silence> silences;

  // The notifications sent at `now`, as "receiver:alertname/alertname..."
  // with resolved ones marked "-".
  std::vector<std::string> At(int64_t now, const std::vector<AlertNotice>& firing) {
    std::vector<std::string> sent;
    for (const NotificationPlan& p : PlanNotifications(firing, alerts, memory, silences, now)) {
      memory[p.group_id] = p.memory_after;
      if (p.group.alerts.empty()) continue;
      std::string line = p.group.receiver + ":";
      for (const AlertNotice& a : p.group.alerts) {
        line += (a.firing ? "" : "-") + a.labels.at("alertname") + "/";
      }
      sent.push_back(line);
    }
    return sent;
  }
};

using Lines = std::vector<std::string>;

TEST_CASE("A new firing alert goes to every receiver once, then again only as a reminder") {
  Planner p;
  const auto a = Alert("lead-shortfall", "sales");
  CHECK(p.At(0, {a}) == Lines{"mail:lead-shortfall/", "hook:lead-shortfall/"});
  CHECK(p.At(kHour, {a}).empty());
  CHECK(p.At(4 * kHour - 1, {a}).empty());
  CHECK(p.At(4 * kHour, {a}) == Lines{"mail:lead-shortfall/", "hook:lead-shortfall/"});
  CHECK(p.At(5 * kHour, {a}).empty());
}

TEST_CASE("Alerts group by the route's labels, by alertname when it names none") {
  Planner by_name;
  const auto a = Alert("lead-shortfall", "sales");
  const auto b = Alert("low-win-rate", "sales");
  CHECK(by_name.At(0, {a, b}) == Lines{"mail:lead-shortfall/", "mail:low-win-rate/",
                                       "hook:lead-shortfall/", "hook:low-win-rate/"});
  Planner by_team;
  by_team.route = Route({"team"});
  CHECK(by_team.At(0, {a, b}) ==
        Lines{"mail:lead-shortfall/low-win-rate/", "hook:lead-shortfall/low-win-rate/"});
  // A second alert joining a group that was told of the first is news; the
  // notification carries the whole group.
  Planner joining;
  joining.route = Route({"team"});
  CHECK(joining.At(0, {a}).size() == 2);
  CHECK(joining.At(kHour, {a, b}) ==
        Lines{"mail:lead-shortfall/low-win-rate/", "hook:lead-shortfall/low-win-rate/"});
}

TEST_CASE("A resolved alert is sent once, to receivers told it fired, when send_resolved is on") {
  Planner p;
  CHECK(p.At(0, {Alert("lead-shortfall", "sales")}).size() == 2);
  const auto resolved = Alert("lead-shortfall", "sales", false);
  CHECK(p.At(kHour, {resolved}) == Lines{"mail:-lead-shortfall/", "hook:-lead-shortfall/"});
  CHECK(p.At(2 * kHour, {resolved}).empty());
  // Never told it fired: nothing to resolve.
  Planner fresh;
  CHECK(fresh.At(0, {resolved}).empty());

  Planner quiet;
  quiet.route.send_resolved = false;
  CHECK(quiet.At(0, {Alert("lead-shortfall", "sales")}).size() == 2);
  CHECK(quiet.At(kHour, {resolved}).empty());
  // ... and it forgot the alert: firing again is news.
  CHECK(quiet.At(2 * kHour, {Alert("lead-shortfall", "sales")}).size() == 2);

  // A receiver's own send_resolved wins over the route's, either way.
  Planner mixed;
  mixed.alerts.receivers[0].send_resolved = false;
  CHECK(mixed.At(0, {Alert("lead-shortfall", "sales")}).size() == 2);
  CHECK(mixed.At(kHour, {resolved}) == Lines{"hook:-lead-shortfall/"});
  Planner only_mail;
  only_mail.route.send_resolved = false;
  only_mail.alerts.receivers[0].send_resolved = true;
  CHECK(only_mail.At(0, {Alert("lead-shortfall", "sales")}).size() == 2);
  CHECK(only_mail.At(kHour, {resolved}) == Lines{"mail:-lead-shortfall/"});
}

TEST_CASE("A silence suppresses an alert and its expiry brings it back as news") {
  Planner p;
  const auto a = Alert("lead-shortfall", "sales");
  Silence s;
  s.matchers = {*ParseMatcher("alertname=lead-shortfall")};
  s.starts_at_ms = 0;
  s.ends_at_ms = 2 * kHour;
  p.silences = {s};
  CHECK(p.At(0, {a}).empty());
  CHECK(p.At(kHour, {a}).empty());
  CHECK(p.At(2 * kHour, {a}) == Lines{"mail:lead-shortfall/", "hook:lead-shortfall/"});

  // Silenced while firing: no reminders; after expiry it is sent again.
  Planner q;
  CHECK(q.At(0, {a}).size() == 2);
  s.starts_at_ms = kHour;
  s.ends_at_ms = 6 * kHour;
  q.silences = {s};
  CHECK(q.At(kHour, {a}).empty());
  CHECK(q.At(5 * kHour, {a}).empty());
  CHECK(q.At(6 * kHour, {a}) == Lines{"mail:lead-shortfall/", "hook:lead-shortfall/"});
}

TEST_CASE("The memory is what stops a restart from sending again") {
  Planner before;
  const auto a = Alert("lead-shortfall", "sales");
  CHECK(before.At(0, {a}).size() == 2);
  Planner after;
  after.memory = before.memory;  // as loaded from the store
  CHECK(after.At(kHour, {a}).empty());
}

}  // namespace
}  // namespace salesaudit
