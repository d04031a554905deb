#include "alerts/lifecycle.h"

#include <cctype>
#include <cstdio>
#include <utility>

#include "core/text_util.h"

namespace salesaudit {
namespace {

constexpr std::string_view kLabelPrefix = "labels.";
constexpr char kPlaceholders[] =
    "value, threshold, period, rule, severity, state, labels.NAME; value | duration";

// "value | duration" -> {"value", "duration"}; "value" -> {"value", ""}.
std::pair<std::string_view, std::string_view> SplitFilter(std::string_view placeholder) {
  const size_t bar = placeholder.find('|');
  if (bar == std::string_view::npos) return {placeholder, {}};
  return {TrimSpace(placeholder.substr(0, bar)), TrimSpace(placeholder.substr(bar + 1))};
}

// Calls on_text(piece) for literal text and on_name(name, whole) for each
// {{ name }}; returns the offset of an unclosed "{{", or npos.
template <typename OnText, typename OnName>
size_t ScanTemplate(std::string_view text, OnText on_text, OnName on_name) {
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t open = text.find("{{", pos);
    if (open == std::string_view::npos) {
      on_text(text.substr(pos));
      return std::string_view::npos;
    }
    on_text(text.substr(pos, open - pos));
    const size_t close = text.find("}}", open + 2);
    if (close == std::string_view::npos) return open;
    on_name(TrimSpace(text.substr(open + 2, close - open - 2)),
            text.substr(open, close + 2 - open));
    pos = close + 2;
  }
  return std::string_view::npos;
}

}  // namespace

const char* AlertPhaseName(AlertPhase phase) {
  switch (phase) {
    case AlertPhase::kInactive:
      return "inactive";
    case AlertPhase::kPending:
      return "pending";
    case AlertPhase::kFiring:
      return "firing";
  }
  return "inactive";
}

AlertStep StepAlert(const AlertState& previous, const AlertTiming& timing,
                    const ConditionResult& result, int64_t now_ms) {
  AlertStep step{previous, AlertChange::kNone};
  AlertState& s = step.state;
  s.value = result.value;
  auto fire = [&] {
    s.phase = AlertPhase::kFiring;
    s.fired_at_ms = now_ms;
    step.change = AlertChange::kFired;
  };
  if (result.holds) {
    s.last_held_ms = now_ms;
    if (previous.phase == AlertPhase::kInactive) {
      s.active_since_ms = now_ms;
      s.resolved_at_ms = 0;
      if (timing.for_duration.count() == 0) {
        fire();
      } else {
        s.phase = AlertPhase::kPending;
        step.change = AlertChange::kPending;
      }
    } else if (previous.phase == AlertPhase::kPending &&
               now_ms - s.active_since_ms >= timing.for_duration.count()) {
      fire();
    }
    return step;
  }
  if (previous.phase == AlertPhase::kPending) {
    s.phase = AlertPhase::kInactive;
    s.active_since_ms = 0;
    step.change = AlertChange::kCleared;
  } else if (previous.phase == AlertPhase::kFiring &&
             now_ms - s.last_held_ms >= timing.keep_firing_for.count()) {
    s.phase = AlertPhase::kInactive;
    s.active_since_ms = 0;
    s.resolved_at_ms = now_ms;
    step.change = AlertChange::kResolved;
  }
  return step;
}

std::string RenderAlertTemplate(std::string_view text, const AlertTemplateValues& values) {
  std::string out;
  const size_t unclosed = ScanTemplate(
      text, [&](std::string_view piece) { out += piece; },
      [&](std::string_view placeholder, std::string_view whole) {
        const auto [name, filter] = SplitFilter(placeholder);
        // Not a capture of `filter` itself: clang 14 cannot capture a
        // structured binding.
        auto number = [in_seconds = filter == "duration", &values](double v) {
          return in_seconds ? FigureWithUnit(v, {.kind = FigureKind::kSeconds})
                            : FigureText(v, values.unit);
        };
        if (name == "value") {
          out += values.value ? number(*values.value) : "n/a";
        } else if (name == "threshold") {
          out += number(values.threshold);
        } else if (name == "period") {
          out += values.unit.period.empty() ? "period" : values.unit.period;
        } else if (name == "rule") {
          out += values.rule;
        } else if (name == "severity") {
          out += values.severity;
        } else if (name == "state") {
          out += values.state;
        } else if (name.substr(0, kLabelPrefix.size()) == kLabelPrefix) {
          const std::string label(name.substr(kLabelPrefix.size()));
          auto it = values.labels.find(label);
          if (it != values.labels.end()) {
            out += it->second;
          } else if (label == "alertname") {
            out += values.rule;  // Alertmanager's name for the rule's name
          }
        } else {
          out += whole;  // CheckAlertTemplate refuses these at `check`
        }
      });
  if (unclosed != std::string_view::npos) out += text.substr(unclosed);
  return out;
}

Status CheckAlertTemplate(std::string_view text, const std::map<std::string, std::string>& labels) {
  Status status = Status::Ok();
  const size_t unclosed = ScanTemplate(
      text, [](std::string_view) {},
      [&](std::string_view placeholder, std::string_view whole) {
        if (!status.ok()) return;
        const auto [name, filter] = SplitFilter(placeholder);
        if (placeholder.find('|') != std::string_view::npos) {
          if (filter != "duration" || (name != "value" && name != "threshold")) {
            status = Status::InvalidArgument("placeholder " + std::string(whole) +
                                             ": the one filter is `value | duration` (or "
                                             "`threshold | duration`), which shows seconds as "
                                             "e.g. 2h 5m");
          }
          return;
        }
        const bool known = name == "value" || name == "threshold" || name == "period" ||
                           name == "rule" || name == "severity" || name == "state";
        if (known) return;
        if (name.substr(0, kLabelPrefix.size()) == kLabelPrefix) {
          const std::string label(name.substr(kLabelPrefix.size()));
          if (labels.count(label) == 0 && label != "alertname") {
            status = Status::InvalidArgument("placeholder " + std::string(whole) +
                                             ": the rule has no label '" + label + "'");
          }
          return;
        }
        status = Status::InvalidArgument("unknown placeholder " + std::string(whole) + " (use " +
                                         kPlaceholders + ")");
      });
  if (!status.ok()) return status;
  if (unclosed != std::string_view::npos) {
    return Status::InvalidArgument("a placeholder opened at character " +
                                   std::to_string(unclosed + 1) + " is not closed with }}");
  }
  return Status::Ok();
}

}  // namespace salesaudit
