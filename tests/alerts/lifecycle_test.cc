// The alert lifecycle (pending, firing, resolved, keep_firing_for) driven by
// a fake clock, and the summary templates.
#include "alerts/lifecycle.h"

#include <catch2/catch.hpp>
#include <limits>
#include <string>
#include <utility>
#include <vector>

namespace salesaudit {
namespace {

using std::chrono::minutes;

constexpr int64_t kMinute = 60'000;

ConditionResult Holds(double value) { return {value, true}; }
ConditionResult Clear(double value) { return {value, false}; }
ConditionResult NoValue() { return {}; }

// One evaluation of a scripted run: the minute it happens, what the
// condition gave, and the change and phase expected after it.
struct Tick {
  int64_t minute;
  ConditionResult result;
  AlertChange change;
  AlertPhase phase;
};

// Runs the ticks from an inactive state; returns the final state.
AlertState Run(const AlertTiming& timing, const std::vector<Tick>& ticks) {
  AlertState state;
  for (const Tick& t : ticks) {
    INFO("minute " << t.minute);
    const AlertStep step = StepAlert(state, timing, t.result, t.minute * kMinute);
    CHECK(step.change == t.change);
    CHECK(step.state.phase == t.phase);
    state = step.state;
  }
  return state;
}

TEST_CASE(
    "Without `for` an alert fires on the first evaluation that holds and resolves on the "
    "first that does not") {
  const AlertState end = Run({}, {
                                     {0, Clear(0), AlertChange::kNone, AlertPhase::kInactive},
                                     {1, Holds(5), AlertChange::kFired, AlertPhase::kFiring},
                                     {2, Holds(6), AlertChange::kNone, AlertPhase::kFiring},
                                     {3, Clear(0), AlertChange::kResolved, AlertPhase::kInactive},
                                     {4, Clear(0), AlertChange::kNone, AlertPhase::kInactive},
                                 });
  CHECK(end.resolved_at_ms == 3 * kMinute);
  CHECK(end.fired_at_ms == 1 * kMinute);
  CHECK(end.value == 0);
}

TEST_CASE(
    "An alert is pending until its condition has held for `for`, and a dip clears it "
    "silently") {
  const AlertTiming timing{.for_duration = minutes(10)};
  const AlertState end =
      Run(timing, {
                      {0, Holds(1), AlertChange::kPending, AlertPhase::kPending},
                      {5, Holds(1), AlertChange::kNone, AlertPhase::kPending},
                      {7, NoValue(), AlertChange::kCleared, AlertPhase::kInactive},
                      {8, Holds(2), AlertChange::kPending, AlertPhase::kPending},
                      {17, Holds(2), AlertChange::kNone, AlertPhase::kPending},
                      {18, Holds(3), AlertChange::kFired, AlertPhase::kFiring},
                      {30, Holds(3), AlertChange::kNone, AlertPhase::kFiring},
                  });
  CHECK(end.active_since_ms == 8 * kMinute);
  CHECK(end.fired_at_ms == 18 * kMinute);
  CHECK(end.resolved_at_ms == 0);
}

TEST_CASE("keep_firing_for holds a firing alert through short dips so it does not flap") {
  const AlertTiming timing{.keep_firing_for = minutes(15)};
  const AlertState end =
      Run(timing, {
                      {0, Holds(1), AlertChange::kFired, AlertPhase::kFiring},
                      {10, Clear(0), AlertChange::kNone, AlertPhase::kFiring},
                      {14, Holds(1), AlertChange::kNone, AlertPhase::kFiring},
                      {20, Clear(0), AlertChange::kNone, AlertPhase::kFiring},
                      {28, NoValue(), AlertChange::kNone, AlertPhase::kFiring},
                      {29, Clear(0), AlertChange::kResolved, AlertPhase::kInactive},
                  });
  CHECK(end.fired_at_ms == 0);  // one firing all along: never fired twice
  CHECK(end.resolved_at_ms == 29 * kMinute);
}

TEST_CASE("An alert that fires again after resolving starts a new firing") {
  const AlertState end = Run({}, {
                                     {0, Holds(1), AlertChange::kFired, AlertPhase::kFiring},
                                     {1, Clear(0), AlertChange::kResolved, AlertPhase::kInactive},
                                     {2, Holds(1), AlertChange::kFired, AlertPhase::kFiring},
                                 });
  CHECK(end.fired_at_ms == 2 * kMinute);
  CHECK(end.resolved_at_ms == 0);
}

TEST_CASE("Templates show the value, threshold, period, rule, severity, state and labels") {
  AlertTemplateValues v;
  v.value = 12.5;
  v.threshold = 0;
  v.rule = "lead-shortfall";
  v.severity = "warning";
  v.state = "firing";
  v.labels = {{"team", "sales"}};
  CHECK(RenderAlertTemplate("Lead shortfall: {{ value }} leads per period below team capacity",
                            v) == "Lead shortfall: 12.5 leads per period below team capacity");
  CHECK(RenderAlertTemplate("{{rule}}/{{ severity }}/{{state}} for {{ labels.team }} "
                            "({{ labels.alertname }}) > {{threshold}}",
                            v) == "lead-shortfall/warning/firing for sales (lead-shortfall) > 0");
  v.value = 0.18250001;
  CHECK(RenderAlertTemplate("{{ value }}", v) == "0.18");
  v.value = 3;
  CHECK(RenderAlertTemplate("{{ value }}", v) == "3");
  // Formatted for the figure's kind: the period named, a rate as a percent.
  v.value = 4.117647058823536;
  v.unit = {.kind = FigureKind::kPerPeriod, .noun = "leads", .period = "week"};
  CHECK(RenderAlertTemplate("{{ value }} leads per {{ period }} below team capacity", v) ==
        "4.1 leads per week below team capacity");
  v.value = 0.125;
  v.threshold = 0.2;
  v.unit = {.kind = FigureKind::kRate, .period = "month"};
  CHECK(RenderAlertTemplate("SQL to won {{ value }} (target {{ threshold }}) this {{period}}", v) ==
        "SQL to won 12.5% (target 20%) this month");
  CHECK(CheckAlertTemplate("{{ value }} per {{ period }}", {}).ok());
  v.value.reset();
  CHECK(RenderAlertTemplate("now {{ value }}", v) == "now n/a");
  CHECK(RenderAlertTemplate("left open {{ value", v) == "left open {{ value");
}

TEST_CASE("The duration filter shows a value in seconds as an age") {
  AlertTemplateValues v;
  const std::pair<double, const char*> cases[] = {
      {0, "0s"},       {44.6, "45s"}, {60, "1m"},    {330, "5m 30s"},
      {7500, "2h 5m"}, {7200, "2h"},  {86400, "1d"}, {3 * 86400 + 4 * 3600 + 59, "3d 4h"},
      {-5, "0s"},
  };
  for (const auto& [seconds, shown] : cases) {
    v.value = seconds;
    CHECK(RenderAlertTemplate("{{ value | duration }}", v) == shown);
  }
  v.threshold = 7200;
  CHECK(RenderAlertTemplate("over {{threshold|duration}}", v) == "over 2h");
  CHECK(CheckAlertTemplate("{{ value | duration }} {{ threshold | duration }}", {}).ok());
  CHECK_FALSE(CheckAlertTemplate("{{ value | humanize }}", {}).ok());
  CHECK_FALSE(CheckAlertTemplate("{{ rule | duration }}", {}).ok());
}

// Found by fuzz_alert_template: converting these to whole seconds was
// undefined behaviour.
TEST_CASE("The duration filter shows a value too large for an age, or NaN, as the number") {
  AlertTemplateValues v;
  const std::pair<double, const char*> cases[] = {
      {1.14065e19, "1.14065e+19"},
      {1e308, "1e+308"},
      {std::numeric_limits<double>::infinity(), "inf"},
      {std::numeric_limits<double>::quiet_NaN(), "nan"},
      {-std::numeric_limits<double>::infinity(), "0s"},
  };
  for (const auto& [seconds, shown] : cases) {
    v.value = seconds;
    CHECK(RenderAlertTemplate("{{ value | duration }}", v) == shown);
  }
}

TEST_CASE("A template placeholder that is unknown or unclosed is refused at check time") {
  const std::map<std::string, std::string> labels = {{"team", "sales"}};
  CHECK(CheckAlertTemplate("{{ value }} {{labels.team}} {{ labels.alertname }}", labels).ok());
  CHECK(CheckAlertTemplate("no placeholders at all", labels).ok());
  CHECK(CheckAlertTemplate("{{ valeu }}", labels).message() ==
        "unknown placeholder {{ valeu }} (use value, threshold, period, rule, severity, state, "
        "labels.NAME; value | duration)");
  CHECK(CheckAlertTemplate("{{ labels.region }}", labels).message() ==
        "placeholder {{ labels.region }}: the rule has no label 'region'");
  CHECK(CheckAlertTemplate("at {{ value", labels).message() ==
        "a placeholder opened at character 4 is not closed with }}");
}

}  // namespace
}  // namespace salesaudit
