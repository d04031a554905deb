#include "cli/alert_commands.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <limits>
#include <optional>

#include "alerts/lifecycle.h"
#include "alerts/notification.h"
#include "alerts/overview.h"
#include "alerts/round.h"
#include "alerts/silence.h"
#include "alerts/stored_json.h"
#include "cli/cli_util.h"
#include "cli/command_table.h"
#include "config/config.h"
#include "core/duration.h"
#include "core/secret_registry.h"
#include "core/text_table.h"
#include "core/text_util.h"
#include "core/time_util.h"
#include "daemon/logging.h"

namespace salesaudit {
namespace {

// How many delivered or dropped notifications `alerts` shows.
constexpr size_t kRecentNotifications = 10;

void WriteLabels(JsonWriter& w, const LabelSet& labels) {
  w.StartObject();
  for (const auto& [name, value] : labels) {
    w.Key(name);
    w.String(value);
  }
  w.EndObject();
}

std::string LabelsText(const LabelSet& labels) {
  std::string out;
  for (const auto& [name, value] : labels) out += (out.empty() ? "" : " ") + name + "=" + value;
  return out;
}

// The labels the RULE and CONNECTOR columns do not already show.
std::string OtherLabelsText(LabelSet labels) {
  labels.erase("alertname");
  labels.erase("connector");
  return labels.empty() ? "-" : LabelsText(labels);
}

std::string IsoOr(const TimeMs& t, const std::string& absent) {
  return t ? FormatIsoMs(*t) : absent;
}

// [{"receiver", "payload"}] of notifications `alerts test` shows.
void WritePayloads(JsonWriter& w, const std::vector<OutboxRow>& rows) {
  w.StartArray();
  for (const OutboxRow& row : rows) {
    w.StartObject();
    w.Key("receiver");
    w.String(row.receiver);
    w.Key("payload");
    w.String(row.payload);
    w.EndObject();
  }
  w.EndArray();
}

// A word that must be a silence id: digits only.
std::optional<int64_t> ParseSilenceId(const std::string& text) {
  if (text.empty() || text.size() > 18 ||
      text.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  return std::strtoll(text.c_str(), nullptr, 10);
}

// Why a parsed matcher is an operator typo (`alertname==x`, `team!==x`):
// unquoted, its value starts with an operator character, so as written it
// matches only label values starting with one, which no alert has. A
// quoted value (name="=x") says such a value is meant.
std::optional<std::string> OperatorTypo(std::string_view text, const Matcher& m) {
  const std::string_view after_name = TrimSpace(TrimSpace(text).substr(m.name.size()));
  const std::string_view value = TrimSpace(after_name.substr(m.op == MatchOp::kEqual ? 1 : 2));
  if (value.empty() || std::string_view("=~!").find(value.front()) == std::string_view::npos) {
    return std::nullopt;
  }
  return "matcher '" + std::string(text) + "' has a value starting with '" + value.front() +
         "', which no label has: a mistyped operator? Operators: = != =~ !~ (quote the value, " +
         m.name + "=\"" + std::string(value) + "\", to mean it)";
}

int ListAlerts(const std::string& config_path, const std::vector<std::string>& args) {
  auto parsed = ParseCommandArgs("alerts", args);
  if (!parsed) return 2;
  auto format = ParseFormat("alerts", *parsed, {"text", "json"});
  if (!format) return 2;
  auto config = LoadCheckedConfig(config_path);
  if (!config) return 2;
  auto store = OpenStore(*config);
  if (!store) return 1;
  const int64_t now = NowMs();
  auto states = store->AlertStates();
  auto silence_rows = store->Silences();
  auto waiting = store->WaitingNotifications();
  if (!states.ok() || !silence_rows.ok() || !waiting.ok()) {
    const Status& s = !states.ok()         ? states.status()
                      : !silence_rows.ok() ? silence_rows.status()
                                           : waiting.status();
    std::cerr << "salesaudit alerts: " << s.message() << "\n";
    return 1;
  }
  auto finished = store->RecentNotifications(kRecentNotifications, /*finished_only=*/true);
  if (!finished.ok()) {
    std::cerr << "salesaudit alerts: " << finished.status().message() << "\n";
    return 1;
  }
  const TimeMs oldest_waiting = waiting->oldest_created_at;
  std::vector<Silence> active_silences;
  std::vector<const SilenceRow*> active_rows;
  for (const SilenceRow& row : *silence_rows) {
    Silence s = SilenceFromRow(row);
    if (!s.ActiveAt(now)) continue;
    active_silences.push_back(std::move(s));
    active_rows.push_back(&row);
  }

  JsonWriter w;
  w.StartObject();
  w.Key("alerts");
  w.StartArray();
  std::vector<std::vector<std::string>> alert_rows = {
      {"RULE", "CONNECTOR", "PHASE", "SINCE", "VALUE", "SILENCED", "LABELS", "SUMMARY"}};
  std::string alert_text;
  for (const AlertStateRow& row : *states) {
    const LabelSet labels = LabelSetFromJson(row.labels_json);
    const std::string summary = AlertSummary(row);
    const bool silenced = IsSilenced(labels, active_silences, now);
    w.StartObject();
    WriteAlertFields(w, row, summary);
    w.Key("silenced");
    w.Bool(silenced);
    w.Key("labels");
    WriteLabels(w, labels);
    w.EndObject();
    alert_rows.push_back({row.rule, row.instance.empty() ? "-" : row.instance, row.phase,
                          IsoOr(AlertSince(row), "-"), AlertValueText(row.value),
                          silenced ? "yes" : "no", OtherLabelsText(labels), summary});
  }
  w.EndArray();
  w.Key("silences");
  w.StartArray();
  std::vector<std::vector<std::string>> silence_rows_text = {
      {"ID", "ENDS", "MATCHERS", "AUTHOR", "COMMENT"}};
  for (const SilenceRow* row : active_rows) {
    const std::vector<std::string> matchers = StringsFromJson(row->matchers_json);
    w.StartObject();
    w.Key("id");
    w.Int64(row->id);
    w.Key("matchers");
    w.StartArray();
    for (const std::string& m : matchers) w.String(m);
    w.EndArray();
    w.Key("starts_at");
    w.String(FormatIsoMs(row->starts_at));
    w.Key("ends_at");
    w.String(FormatIsoMs(row->ends_at));
    w.Key("author");
    w.String(row->created_by);
    w.Key("comment");
    w.String(row->comment);
    w.EndObject();
    std::string matcher_text;
    for (const std::string& m : matchers) matcher_text += (matcher_text.empty() ? "" : ", ") + m;
    silence_rows_text.push_back({std::to_string(row->id), FormatIsoMs(row->ends_at), matcher_text,
                                 row->created_by, row->comment});
  }
  w.EndArray();
  w.Key("notifications");
  w.StartObject();
  w.Key("pending");
  w.Int64(waiting->waiting);
  w.Key("oldest_pending_at");
  w.Time(oldest_waiting);
  w.Key("recent");
  w.StartArray();
  std::vector<std::vector<std::string>> outbox_rows = {
      {"ID", "RECEIVER", "STATUS", "AT", "ATTEMPTS", "LAST ERROR"}};
  for (const OutboxRow& row : *finished) {
    const bool delivered = row.delivered_at.has_value();
    const TimeMs at = delivered ? row.delivered_at : row.dropped_at;
    w.StartObject();
    w.Key("id");
    w.Int64(row.id);
    w.Key("receiver");
    w.String(row.receiver);
    w.Key("status");
    w.String(delivered ? "delivered" : "dropped");
    w.Key("at");
    w.Time(at);
    w.Key("queued_at");
    w.String(FormatIsoMs(row.created_at));
    w.Key("attempts");
    w.Int64(row.attempts);
    w.Key("last_error");
    w.OptionalString(row.last_error.empty() ? nullptr : &row.last_error);
    w.EndObject();
    outbox_rows.push_back({std::to_string(row.id), row.receiver,
                           delivered ? "delivered" : "dropped", IsoOr(at, "-"),
                           std::to_string(row.attempts), row.last_error});
  }
  w.EndArray();
  w.EndObject();
  w.EndObject();

  std::string out;
  if (*format == "json") {
    out = w.TakeString() + "\n";
  } else {
    out += "alerts:\n";
    out += states->empty() ? "  none evaluated yet\n" : LeftAlignedTable(alert_rows, "  ");
    out += "silences active:\n";
    out += active_rows.empty() ? "  none\n" : LeftAlignedTable(silence_rows_text, "  ");
    out += "notifications: " + std::to_string(waiting->waiting) + " waiting";
    if (oldest_waiting) out += ", the oldest queued " + FormatIsoMs(*oldest_waiting);
    out += "\n";
    if (finished->empty()) {
      out += "  none delivered or dropped yet\n";
    } else {
      out += "  last " + std::to_string(finished->size()) + " delivered or dropped:\n";
      out += LeftAlignedTable(outbox_rows, "  ");
    }
  }
  // An error text could quote a receiver's answer; keep secrets out anyway.
  std::cout << ProcessSecrets().Redact(out);
  return 0;
}

// Why the next round would send nothing for one evaluation.
std::string NothingSentReason(const AlertEvaluation& e, const AlertRuleConfig& rule,
                              const AlertRoundPlan& plan, const Config& config) {
  if (e.phase_after == "pending") {
    std::string reason = "pending: the condition must hold for " +
                         FormatDuration(rule.for_duration) + " before it fires";
    for (const AlertStateRow& s : plan.states) {
      if (s.rule == e.key.rule && s.instance == e.key.instance && s.active_since) {
        reason += " (at " + FormatIsoMs(*s.active_since + rule.for_duration.count()) + ")";
      }
    }
    return reason;
  }
  if (e.phase_after == "firing") {
    if (e.silenced) return "silenced";
    if (config.alerts.route.receivers.empty()) return "the route names no receiver";
    if (!e.fired) {
      return "already notified (it fires since " + FormatIsoMs(e.fired_at_ms) +
             "; reminders go out every " + FormatDuration(config.alerts.route.repeat_interval) +
             ")";
    }
    return "the route sends it nowhere";
  }
  if (e.resolved) {
    return e.silenced ? "silenced" : "resolved, and no receiver wants resolved notifications";
  }
  if (!e.value) return "the condition does not hold (no value)";
  return "the condition does not hold";
}

std::string RuleNames(const Config& config) {
  std::string names;
  for (const AlertRuleConfig& r : config.alerts.rules)
    names += (names.empty() ? "" : ", ") + r.name;
  return names.empty() ? "none are configured" : "rules: " + names;
}

int TestAlertRule(const std::string& config_path, const std::vector<std::string>& args) {
  const std::string command = "alerts test";
  auto parsed = ParseCommandArgs(command, args);
  if (!parsed) return 2;
  auto format = ParseFormat(command, *parsed, {"text", "json"});
  if (!format) return 2;
  if (parsed->operands.size() != 1) {
    std::cerr << "salesaudit " << command << ": needs exactly one RULE name\n";
    return 2;
  }
  const std::string& rule_name = parsed->operands.front();
  auto config = LoadCheckedConfig(config_path);
  if (!config) return 2;
  const AlertRuleConfig* rule = nullptr;
  for (const AlertRuleConfig& r : config->alerts.rules) {
    if (r.name == rule_name) rule = &r;
  }
  if (rule == nullptr) {
    std::cerr << "salesaudit " << command << ": no rule '" << rule_name << "' in " << config_path
              << " (" << RuleNames(*config) << ")\n";
    return 2;
  }
  auto store = OpenStore(*config);
  if (!store) return 1;
  const int64_t now = NowMs();
  auto inputs = ReadAlertInputs(*store, now);
  if (!inputs.ok()) {
    std::cerr << "salesaudit " << command << ": " << inputs.status().message() << "\n";
    return 1;
  }
  auto plan = PlanAlertRound(*store, *config, *inputs, {.only_rule = rule_name}, now);
  if (!plan.ok()) {
    std::cerr << "salesaudit " << command << ": " << plan.status().message() << "\n";
    return plan.status().code() == StatusCode::kNotFound ? 2 : 1;
  }
  const std::vector<OutboxRow> preview = PreviewNotifications(*config, plan->evaluations, now);
  std::vector<std::string> reasons;
  if (plan->queued.empty()) {
    for (const AlertEvaluation& e : plan->evaluations) {
      std::string reason = NothingSentReason(e, *rule, *plan, *config);
      if (!e.key.instance.empty()) reason = e.key.instance + ": " + reason;
      reasons.push_back(std::move(reason));
    }
    if (plan->evaluations.empty()) reasons.push_back("no alert was evaluated");
  }
  const bool no_snapshot = !inputs->snapshot_json.has_value();
  const bool needs_snapshot = rule->kind == AlertRuleKind::kCondition;

  std::string out;
  if (*format == "json") {
    JsonWriter w;
    w.StartObject();
    w.Key("rule");
    w.String(rule_name);
    w.Key("snapshot_computed_at");
    w.Time(no_snapshot ? TimeMs() : TimeMs(inputs->snapshot_computed_at));
    w.Key("evaluations");
    w.StartArray();
    for (const AlertEvaluation& e : plan->evaluations) {
      w.StartObject();
      w.Key("connector");
      WriteAlertConnector(w, e.key.instance);
      w.Key("labels");
      WriteLabels(w, e.labels);
      w.Key("value");
      w.OptionalDouble(e.value);
      w.Key("holds");
      w.Bool(e.holds);
      w.Key("phase_before");
      w.String(e.phase_before);
      w.Key("phase_after");
      w.String(e.phase_after);
      w.Key("silenced");
      w.Bool(e.silenced);
      w.Key("annotations");
      WriteLabels(w, e.annotations);
      w.EndObject();
    }
    w.EndArray();
    w.Key("would_send");
    WritePayloads(w, plan->queued);
    w.Key("nothing_sent_because");
    w.StartArray();
    for (const std::string& r : reasons) w.String(r);
    w.EndArray();
    w.Key("preview");
    WritePayloads(w, preview);
    w.EndObject();
    out = w.TakeString() + "\n";
  } else {
    out += "rule " + rule_name + ", evaluated at " + FormatIsoMs(now) + "\n";
    if (no_snapshot) {
      out += needs_snapshot
                 ? "no live snapshot in the store yet (the daemon's audit stores one; a "
                   "`salesaudit audit` by hand does not feed alert rules): the condition has no "
                   "value\n"
                 : "no live snapshot in the store yet\n";
    } else {
      out += "live snapshot: computed " + FormatIsoMs(inputs->snapshot_computed_at) + "\n";
    }
    for (const AlertEvaluation& e : plan->evaluations) {
      out += "\nalert " + e.key.rule +
             (e.key.instance.empty() ? "" : " (connector " + e.key.instance + ")") + "\n";
      out += LeftAlignedTable({{"labels", LabelsText(e.labels)},
                               {"value", AlertValueText(e.value, e.unit)},
                               {"condition", e.holds ? "holds" : "does not hold"},
                               {"phase", e.phase_before + " -> " + e.phase_after},
                               {"silenced", e.silenced ? "yes" : "no"}},
                              "  ");
      if (auto summary = e.annotations.find("summary"); summary != e.annotations.end()) {
        out += "  summary    " + summary->second + "\n";
      }
    }
    out += "\n";
    if (plan->queued.empty()) {
      out += "nothing would be sent now: ";
      for (size_t i = 0; i < reasons.size(); ++i) out += (i ? "; " : "") + reasons[i];
      out += "\n";
    } else {
      out += "the next round would send:\n";
      for (const OutboxRow& row : plan->queued) {
        out += "to " + row.receiver + ":\n" + row.payload + "\n";
      }
    }
    if (preview.empty()) {
      out += "\nif it fired now, no receiver would get anything (the route names none)\n";
    }
    for (const OutboxRow& row : preview) {
      out += "\nif it fired now, " + row.receiver + " would get:\n" + row.payload + "\n";
    }
  }
  // Payloads carry no secret (signatures are headers), but a summary
  // template or a URL could still quote one.
  std::cout << ProcessSecrets().Redact(out);
  return 0;
}

int AddSilenceCommand(const std::string& config_path, const std::vector<std::string>& args) {
  const std::string command = "silence add";
  auto parsed = ParseCommandArgs(command, args);
  if (!parsed) return 2;
  auto fail = [&](const std::string& message) {
    std::cerr << "salesaudit " << command << ": " << message << "\n";
    return 2;
  };
  if (parsed->operands.empty()) {
    return fail(
        "at least one MATCHER is needed (name=value, name!=value, name=~regex, "
        "name!~regex)");
  }
  std::vector<std::string> matchers;
  for (const std::string& text : parsed->operands) {
    auto m = ParseMatcher(text);
    if (!m.ok()) return fail(m.status().message());
    if (auto typo = OperatorTypo(text, *m)) return fail(*typo);
    matchers.push_back(m->ToString());
  }
  const bool has_for = parsed->values.count("--for") != 0;
  const bool has_until = parsed->values.count("--until") != 0;
  if (has_for == has_until) return fail("give exactly one of --for DURATION and --until DATE");
  const int64_t now = NowMs();
  int64_t ends_at = 0;
  if (has_for) {
    const std::string& text = parsed->values["--for"];
    auto d = ParseDuration(text);
    if (!d || d->count() <= 0) {
      return fail("--for '" + text + "' is not a duration above zero (30s, 5m, 1h, 7d)");
    }
    ends_at = now + d->count();
  } else {
    auto until = ParseDateArgument(command, *parsed, "--until");
    if (!until) return 2;
    if (**until <= now) {
      return fail("--until '" + parsed->values["--until"] + "' is not in the future");
    }
    ends_at = **until;
  }
  std::string author = parsed->values.count("--author") ? parsed->values["--author"] : "";
  if (author.empty()) {
    const char* user = std::getenv("USER");
    author = user != nullptr && *user != '\0' ? user : "unknown";
  }
  auto config = LoadCheckedConfig(config_path);
  if (!config) return 2;
  auto store = OpenStore(*config);
  if (!store) return 1;
  auto id = store->AddSilence(SilenceRow{.matchers_json = StringsToJson(matchers),
                                         .starts_at = now,
                                         .ends_at = ends_at,
                                         .created_by = author,
                                         .comment = parsed->values["--comment"]});
  if (!id.ok()) {
    std::cerr << "salesaudit " << command << ": " << id.status().message() << "\n";
    return 1;
  }
  std::cout << "silence " << *id << " added, ends " << FormatIsoMs(ends_at) << "\n";
  return 0;
}

int ListSilences(const std::string& config_path, const std::vector<std::string>& args) {
  const std::string command = "silence list";
  auto parsed = ParseCommandArgs(command, args);
  if (!parsed) return 2;
  auto format = ParseFormat(command, *parsed, {"text", "json"});
  if (!format) return 2;
  const bool all = parsed->flags.count("--all") != 0;
  auto config = LoadCheckedConfig(config_path);
  if (!config) return 2;
  auto store = OpenStore(*config);
  if (!store) return 1;
  auto rows = store->Silences();
  if (!rows.ok()) {
    std::cerr << "salesaudit " << command << ": " << rows.status().message() << "\n";
    return 1;
  }
  const int64_t now = NowMs();
  JsonWriter w;
  w.StartObject();
  w.Key("silences");
  w.StartArray();
  std::vector<std::vector<std::string>> table = {
      {"ID", "STATE", "STARTS", "ENDS", "MATCHERS", "AUTHOR", "COMMENT"}};
  for (const SilenceRow& row : *rows) {
    const bool expired = row.ends_at <= now;
    if (expired && !all) continue;
    const std::vector<std::string> matchers = StringsFromJson(row.matchers_json);
    w.StartObject();
    w.Key("id");
    w.Int64(row.id);
    w.Key("active");
    w.Bool(!expired);
    w.Key("matchers");
    w.StartArray();
    for (const std::string& m : matchers) w.String(m);
    w.EndArray();
    w.Key("starts_at");
    w.String(FormatIsoMs(row.starts_at));
    w.Key("ends_at");
    w.String(FormatIsoMs(row.ends_at));
    w.Key("author");
    w.String(row.created_by);
    w.Key("comment");
    w.String(row.comment);
    w.EndObject();
    std::string matcher_text;
    for (const std::string& m : matchers) matcher_text += (matcher_text.empty() ? "" : ", ") + m;
    table.push_back({std::to_string(row.id), expired ? "expired" : "active",
                     FormatIsoMs(row.starts_at), FormatIsoMs(row.ends_at), matcher_text,
                     row.created_by, row.comment});
  }
  w.EndArray();
  w.EndObject();
  if (*format == "json") {
    std::cout << w.TakeString() << "\n";
  } else if (table.size() == 1) {
    std::cout << (all ? "no silences\n" : "no active silences\n");
  } else {
    std::cout << LeftAlignedTable(table, "");
  }
  return 0;
}

int ExpireSilenceCommand(const std::string& config_path, const std::vector<std::string>& args) {
  const std::string command = "silence expire";
  auto parsed = ParseCommandArgs(command, args);
  if (!parsed) return 2;
  if (parsed->operands.size() != 1) {
    std::cerr << "salesaudit " << command << ": needs exactly one silence ID\n";
    return 2;
  }
  const std::string& text = parsed->operands.front();
  auto id = ParseSilenceId(text);
  if (!id) {
    std::cerr << "salesaudit " << command << ": '" << text << "' is not a silence ID (a number)\n";
    return 2;
  }
  auto config = LoadCheckedConfig(config_path);
  if (!config) return 2;
  auto store = OpenStore(*config);
  if (!store) return 1;
  const int64_t now = NowMs();
  Status s = store->ExpireSilence(*id, now);
  if (s.code() == StatusCode::kNotFound) {
    std::cerr << "salesaudit " << command << ": no silence " << *id << "\n";
    return 1;
  }
  if (!s.ok()) {
    std::cerr << "salesaudit " << command << ": " << s.message() << "\n";
    return 1;
  }
  std::cout << "silence " << *id << " expired\n";
  return 0;
}

}  // namespace

int AlertsCommand(const std::string& config_path, const std::vector<std::string>& args) {
  if (!args.empty() && args.front() == "test") {
    return TestAlertRule(config_path, std::vector<std::string>(args.begin() + 1, args.end()));
  }
  return ListAlerts(config_path, args);
}

int SilenceCommand(const std::string& config_path, const std::vector<std::string>& args) {
  const std::string sub = args.empty() ? "" : args.front();
  const std::vector<std::string> rest =
      args.empty() ? std::vector<std::string>()
                   : std::vector<std::string>(args.begin() + 1, args.end());
  if (sub == "add") return AddSilenceCommand(config_path, rest);
  if (sub == "list") return ListSilences(config_path, rest);
  if (sub == "expire") return ExpireSilenceCommand(config_path, rest);
  std::cerr << SubcommandError("silence", sub) << "\n";
  return 2;
}

}  // namespace salesaudit
