#include "cli/commands.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <optional>

#include "alerts/delivery.h"
#include "alerts/rule_check.h"
#include "audit/forecast.h"
#include "audit/html_report.h"
#include "audit/runner.h"
#include "cli/alert_commands.h"
#include "cli/cli_util.h"
#include "cli/command_table.h"
#include "cli/connectors_command.h"
#include "config/config.h"
#include "connectors/connector.h"
#include "core/records.h"
#include "core/secret_registry.h"
#include "core/text_util.h"
#include "core/time_util.h"
#include "core/version.h"
#include "daemon/daemon.h"
#include "daemon/logging.h"
#include "status/status_report.h"
#include "store/store.h"
#include "sync/sync_engine.h"

namespace salesaudit {
namespace {

constexpr char kDefaultConfigPath[] = "/etc/salesaudit/config.yaml";

std::atomic<bool> g_cancel{false};

extern "C" void OnStopSignal(int) { g_cancel.store(true); }

// " (connectors: a, b; did you mean 'a'?)": what a not-found name could have
// been.
std::string NamesThere(const std::string& word, const std::string& what,
                       const std::vector<std::string>& names) {
  if (names.empty()) return " (it has no " + what + ")";
  const std::optional<std::string> typo = LikelyTypoOf(word, names);
  return " (" + what + ": " + Join(names, ", ") + (typo ? "; did you mean '" + *typo + "'?" : "") +
         ")";
}

// `salesaudit help [COMMAND...]` and `COMMAND --help`: the help of `name`
// ("sync", "silence add", a group such as "store"; empty: every command).
int ShowHelp(const std::string& name) {
  if (name.empty()) {
    std::cout << GeneralHelp();
    return 0;
  }
  if (const CliCommand* command = FindCliCommand(name)) {
    std::cout << CommandHelp(*command);
    return 0;
  }
  if (!Subcommands(name).empty()) {
    std::cout << GroupHelp(name);
    return 0;
  }
  std::vector<std::string> names;
  for (const CliCommand& command : CliCommands()) names.push_back(command.name);
  const std::optional<std::string> typo = LikelyTypoOf(name, names);
  std::cerr << "salesaudit help: no command '" << name << "'"
            << (typo ? "; did you mean '" + *typo + "'?" : "") << " (see salesaudit --help)\n";
  return 2;
}

int Check(const std::string& config_path, const std::vector<std::string>& args) {
  auto parsed = ParseCommandArgs("check", args);
  if (!parsed) return 2;
  auto config = LoadCheckedConfig(config_path);
  if (!config) return 2;
  std::cout << config_path << ": valid, " << config->connectors.size() << " connector(s)\n";
  // Rules against what the store has seen, when there is one: only read,
  // never created or migrated.
  if (auto store = Store::OpenReadOnly(config->store.path); store.ok()) {
    for (const std::string& warning : UnmatchedSelectorWarnings(*config, **store)) {
      std::cerr << "warning: " << warning << "\n";
    }
  }
  if (parsed->flags.count("--online") == 0) return 0;
  // No store is opened: a probe stores nothing, and an in-memory store
  // serves the engine's bookkeeping.
  auto store = Store::Open(":memory:");
  if (!store.ok()) {
    std::cerr << "salesaudit check: " << store.status().message() << "\n";
    return 1;
  }
  std::signal(SIGINT, OnStopSignal);
  std::signal(SIGTERM, OnStopSignal);
  SyncEngine engine(**store, BuiltinConnectors());
  bool all_ok = true;
  // "ok, WHAT", or the failure with secrets cut and terminal escapes shown.
  auto outcome = [&all_ok](const Status& s, const std::string& what) {
    all_ok = all_ok && s.ok();
    return s.ok() ? "ok, " + what
                  : "FAILED: " + EscapeControlCharacters(ProcessSecrets().Redact(s.message()));
  };
  for (const ConnectorConfig& c : config->connectors) {
    if (g_cancel.load()) break;
    std::cout << "connector " << c.name << " (" << c.type
              << "): " << outcome(engine.Probe(c, g_cancel), "answered") << "\n";
  }
  // Reached as delivery reaches them, but sent nothing.
  const std::string no_notification =
      ", nothing sent (`salesaudit alerts test` sends a test notification)";
  for (const ReceiverConfig& r : config->alerts.receivers) {
    if (g_cancel.load()) break;
    auto reached = CheckReceiver(r, config->alerts.delivery);
    std::cout << "receiver " << r.name << " (" << (r.type == "email" ? "smtp" : "webhook")
              << "): "
              << outcome(reached.status(), reached.ok() ? *reached + no_notification : "")
              << "\n";
  }
  return all_ok && !g_cancel.load() ? 0 : 1;
}

// `sync --dry-run`: what the next run of each of `selected`'s streams
// (`request.streams`, else the configured ones) would read, from the stored
// cursors. The store is opened read-only and no vendor is contacted.
int SyncDryRun(const Config& config, const std::vector<const ConnectorConfig*>& selected,
               const SyncRequest& request) {
  std::unique_ptr<Store> store;
  auto opened = Store::OpenReadOnly(config.store.path);
  if (opened.ok()) {
    store = std::move(opened).value();
  } else if (opened.status().code() == StatusCode::kNotFound) {
    std::cout << "no store at " << config.store.path
              << " yet: every stream's next run is its first\n";
  } else {
    std::cerr << "salesaudit sync: cannot read store: " << opened.status().message() << "\n";
    return 1;
  }
  const int64_t now_ms = NowMs();
  std::cout << "dry run at " << FormatIsoMs(now_ms)
            << ": what each stream's next run would read (no vendor contacted, nothing stored)\n";
  bool every_cursor_readable = true;
  for (const ConnectorConfig* c : selected) {
    const ConnectorDescriptor* type = BuiltinConnectors().Find(c->type);
    const std::vector<std::string> streams =
        request.streams.empty() ? ConfiguredStreams(*c, *type) : request.streams;
    for (const std::string& stream : streams) {
      std::string cursor;  // --full forgets it
      if (store && !request.full) {
        auto stored = store->GetCursor(c->name, stream);
        if (!stored.ok()) {
          std::cerr << "salesaudit sync: " << stored.status().message() << "\n";
          return 1;
        }
        cursor = std::move(stored).value();
      }
      const CursorDescription next = DescribeStoredCursor(*type, *c, stream, cursor, now_ms);
      every_cursor_readable = every_cursor_readable && next.unreadable.ok();
      std::cout << c->name << " " << stream << ": " << NextReadText(next, now_ms) << "\n";
    }
  }
  return every_cursor_readable ? 0 : 1;
}

int Sync(const std::string& config_path, const std::vector<std::string>& args) {
  auto parsed = ParseCommandArgs("sync", args);
  if (!parsed) return 2;
  auto config = LoadCheckedConfig(config_path);
  if (!config) return 2;
  const std::string only = parsed->values.count("--connector") ? parsed->values["--connector"] : "";
  std::vector<const ConnectorConfig*> selected;
  std::vector<std::string> connector_names;
  for (const auto& c : config->connectors) {
    connector_names.push_back(c.name);
    if (only.empty() || c.name == only) selected.push_back(&c);
  }
  if (!only.empty() && selected.empty()) {
    std::cerr << "salesaudit sync: --connector '" << only << "' is not in " << config_path
              << NamesThere(only, "connectors", connector_names) << "\n";
    return 2;
  }
  SyncRequest request;
  request.full = parsed->flags.count("--full") != 0;
  if (parsed->values.count("--stream")) {
    // Without --connector the stream picks its connector: the one whose type
    // offers it, so `--stream members` finds the Mailchimp connector wherever
    // it is listed.
    const std::string& stream = parsed->values["--stream"];
    std::vector<const ConnectorConfig*> offering;
    std::vector<std::string> offering_names, stream_names;
    for (const auto* c : selected) {
      const auto* type = BuiltinConnectors().Find(c->type);
      if (type->FindStream(stream) != nullptr) {
        offering.push_back(c);
        offering_names.push_back(c->name);
      }
      for (const std::string& name : type->StreamNames()) {
        if (std::find(stream_names.begin(), stream_names.end(), name) == stream_names.end())
          stream_names.push_back(name);
      }
    }
    if (offering.empty()) {
      std::cerr << "salesaudit sync: --stream '" << stream << "' is not a stream of "
                << (only.empty() ? "any connector in " + config_path : "connector '" + only + "'")
                << NamesThere(stream, "streams", stream_names) << "\n";
      return 2;
    }
    if (offering.size() > 1) {
      std::cerr << "salesaudit sync: --stream '" << stream << "' is a stream of connectors "
                << Join(offering_names, ", ") << ": name one with --connector\n";
      return 2;
    }
    selected = offering;
    request.streams = {stream};
  }
  if (parsed->flags.count("--dry-run") != 0) return SyncDryRun(*config, selected, request);
  auto store = OpenStore(*config);
  if (!store) return 1;
  std::signal(SIGINT, OnStopSignal);
  std::signal(SIGTERM, OnStopSignal);
  SyncEngine engine(*store, BuiltinConnectors());
  bool all_ok = true;
  // Progress on stderr while a stream runs: on a terminal a line rewritten
  // twice a second, elsewhere (a log, a pipe) a line every 10 s. Each
  // stream's result goes to stdout when the stream ends.
  const bool terminal = isatty(STDERR_FILENO) != 0;
  bool progress_shown = false;
  request.on_page =
      EveryInterval(terminal ? std::chrono::milliseconds(500) : std::chrono::milliseconds(10000),
                    [&](const SyncProgress& p) {
                      if (terminal) {
                        std::cerr << "\r\033[K" << DescribeProgress(p) << std::flush;
                        progress_shown = true;
                      } else {
                        std::cerr << "syncing " << DescribeProgress(p) << std::endl;
                      }
                    });
  request.on_stream_done = [&](const StreamSyncResult& r) {
    if (progress_shown) std::cerr << "\r\033[K" << std::flush;
    progress_shown = false;
    std::cout << r.Summary() << std::endl;
    all_ok = all_ok && r.status.ok();
  };
  for (const auto* c : selected) {
    engine.RunConnector(*c, request, g_cancel);
    if (g_cancel.load()) break;
  }
  return all_ok && !g_cancel.load() ? 0 : 1;
}

int Audit(const std::string& config_path, const std::vector<std::string>& args) {
  auto parsed = ParseCommandArgs("audit", args);
  if (!parsed) return 2;
  auto window = ParseWindowArguments("audit", *parsed);
  auto format = ParseFormat("audit", *parsed, {"text", "json", "html"});
  if (!window || !format) return 2;
  auto config = LoadCheckedConfig(config_path);
  if (!config) return 2;
  auto store = OpenStore(*config);
  if (!store) return 1;
  auto stored =
      ComputeAndStoreSnapshot(*store, *config, *window, NowMs(), SnapshotPurpose::kOneOff);
  if (!stored.ok()) {
    std::cerr << "salesaudit audit: " << stored.status().message() << "\n";
    // A window the audit refuses (--from before 1980, say) is a usage error.
    return stored.status().code() == StatusCode::kInvalidArgument ? 2 : 1;
  }
  std::string output;
  if (*format == "json") {
    output = stored->json + "\n";
  } else if (*format == "text") {
    output = SnapshotText(stored->snapshot);
  } else {
    auto html = RenderHtmlReport(stored->json);
    if (!html.ok()) {
      std::cerr << "salesaudit audit: " << html.status().message() << "\n";
      return 1;
    }
    output = std::move(html).value();
  }
  if (parsed->values.count("--out")) {
    std::ofstream out(parsed->values["--out"], std::ios::binary | std::ios::trunc);
    out << output;
    if (!out.good()) {
      std::cerr << "salesaudit audit: cannot write --out '" << parsed->values["--out"] << "'\n";
      return 1;
    }
    return 0;
  }
  std::cout << output;
  return 0;
}

// `salesaudit forecast`: history is every matured cohort unless --from/--to
// narrow it by creation date; nothing is written to the store.
int ForecastCommand(const std::string& config_path, const std::vector<std::string>& args) {
  auto parsed = ParseCommandArgs("forecast", args);
  if (!parsed) return 2;
  auto fail = [](const std::string& message) {
    std::cerr << "salesaudit forecast: " << message << "\n";
    return 2;
  };
  ForecastRequest request;
  if (!parsed->values.count("--leads")) return fail("--leads is required");
  {
    const std::string& text = parsed->values["--leads"];
    // Digits only: strtoll alone would take "+5", " 5" and "5e3" as 5.
    errno = 0;
    const long long n = std::strtoll(text.c_str(), nullptr, 10);
    if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos ||
        errno == ERANGE || n <= 0 || n > kMaxForecastLeads) {
      return fail("--leads '" + text + "' is not a whole number from 1 to " +
                  std::to_string(kMaxForecastLeads));
    }
    request.leads = n;
  }
  if (parsed->values.count("--channel")) {
    if (parsed->values["--channel"].empty()) return fail("--channel must not be empty");
    request.channel = parsed->values["--channel"];
  }
  if (parsed->values.count("--spend")) {
    const std::string& text = parsed->values["--spend"];
    char* end = nullptr;
    const double spend = std::strtod(text.c_str(), &end);
    if (text.empty() || *end != '\0' || !std::isfinite(spend) || spend < 0 ||
        spend > kMaxPlausibleAmount) {
      return fail("--spend '" + text + "' is not an amount from 0 to 1e15");
    }
    request.spend = spend;
  }
  auto window = ParseWindowArguments("forecast", *parsed);
  auto format = ParseFormat("forecast", *parsed, {"text", "json"});
  if (!window || !format) return 2;
  request.history = *window;
  request.now_ms = NowMs();
  auto config = LoadCheckedConfig(config_path);
  if (!config) return 2;
  auto store = OpenStore(*config);
  if (!store) return 1;
  auto forecast = ComputeForecast(*store, request, ForecastOptionsFrom(AuditSettingsFrom(*config)));
  if (!forecast.ok()) {
    // A refused request (an unknown channel) is a usage error; its message
    // already starts with "forecast: ".
    if (forecast.status().code() == StatusCode::kInvalidArgument) {
      std::cerr << "salesaudit " << forecast.status().message() << "\n";
      return 2;
    }
    std::cerr << "salesaudit forecast: " << forecast.status().message() << "\n";
    return 1;
  }
  std::cout << (*format == "json" ? ForecastJson(*forecast) + "\n" : ForecastText(*forecast));
  return 0;
}

int StatusCommand(const std::string& config_path, const std::vector<std::string>& args) {
  auto parsed = ParseCommandArgs("status", args);
  if (!parsed) return 2;
  auto format = ParseFormat("status", *parsed, {"text", "json"});
  if (!format) return 2;
  auto config = LoadCheckedConfig(config_path);
  if (!config) return 2;
  auto store = OpenStore(*config);
  if (!store) return 1;
  auto report = ReadStatusReport(*config, *store, NowMs());
  if (!report.ok()) {
    std::cerr << "salesaudit status: " << report.status().message() << "\n";
    return 1;
  }
  std::cout << (*format == "json" ? report->json + "\n" : report->text);
  return 0;
}

// `salesaudit store check [FILE]` and `salesaudit store backup PATH`: the
// recovery tools of README "Recovering a damaged store". Neither opens the
// store as the daemon does (no migration, no write), so both work on a
// damaged store and beside a running daemon.
int StoreCommand(const std::string& config_path, const std::vector<std::string>& args) {
  const std::string sub = args.empty() ? "" : args[0];
  if (sub != "check" && sub != "backup") {
    std::cerr << SubcommandError("store", sub) << "\n";
    return 2;
  }
  const std::string command = "store " + sub;
  auto parsed = ParseCommandArgs(command, std::vector<std::string>(args.begin() + 1, args.end()));
  if (!parsed) return 2;
  if (parsed->operands.size() > 1 || (sub == "backup" && parsed->operands.empty())) {
    std::cerr << "salesaudit " << command << ": "
              << (sub == "backup" ? "expected one PATH to write the copy to"
                                  : "expected at most one FILE")
              << "\n";
    return 2;
  }
  std::string path;
  if (sub == "check" && !parsed->operands.empty()) {
    path = parsed->operands[0];  // a file named on its own needs no config
  } else {
    auto config = LoadCheckedConfig(config_path);
    if (!config) return 2;
    path = config->store.path;
  }
  if (sub == "backup") {
    const std::string& destination = parsed->operands[0];
    if (Status s = Store::Backup(path, destination); !s.ok()) {
      std::cerr << "salesaudit store backup: " << s.message() << "\n";
      return 1;
    }
    std::cout << "store " << path << " copied to " << destination << " (checked, mode 0600)\n";
    return 0;
  }
  auto report = Store::CheckFile(path);
  if (!report.ok()) {
    std::cerr << "salesaudit store check: " << report.status().message() << "\n";
    return 1;
  }
  for (const std::string& warning : report->warnings) std::cout << "warning: " << warning << "\n";
  if (report->problems.empty()) {
    std::cout << "store " << path << ": ok (" << report->bytes << " bytes, schema version "
              << report->schema_version << ", integrity check in " << report->took.count()
              << " ms)\n";
    return 0;
  }
  std::cout << "store " << path << ": DAMAGED, " << report->problems.size()
            << " problem(s) found by the integrity check:\n";
  for (const std::string& problem : report->problems) std::cout << "  " << problem << "\n";
  std::cout << "see README \"Recovering a damaged store\"\n";
  return 1;
}

int Run(const std::string& config_path, const std::vector<std::string>& args) {
  if (!ParseCommandArgs("run", args)) return 2;
  auto config = LoadCheckedConfig(config_path);
  if (!config) return 2;
  Daemon daemon(std::move(*config), config_path);
  return daemon.Run();
}

}  // namespace

int RunCli(const std::vector<std::string>& args) {
  SetupLogging("info");
  // The global options are taken wherever they stand (`salesaudit check
  // --config x`), except as the value of the command's own option.
  std::string config_path = kDefaultConfigPath;
  bool help = false;
  std::vector<std::string> words;  // the line without its global options
  std::string name;                // the command as far as read: "silence", "silence add"
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    const CliCommand* command = FindCliCommand(name);
    if (command != nullptr && command->TakesValue(a) && i + 1 < args.size()) {
      words.push_back(a);
      words.push_back(args[++i]);
    } else if (a == "--help" || a == "-h") {
      help = true;
    } else if (a == "--version") {
      std::cout << "salesaudit " << SALESAUDIT_VERSION << "\n";
      return 0;
    } else if (a == "--config") {
      if (i + 1 >= args.size()) {
        std::cerr << "salesaudit: --config needs a file\n";
        return 2;
      }
      config_path = args[++i];
    } else if (a.starts_with("--config=")) {
      config_path = a.substr(9);
    } else {
      if (name.empty() && !a.starts_with("-")) {
        name = a;
      } else if (words.size() == 1 && FindCliCommand(name + " " + a) != nullptr) {
        name += " " + a;  // the subcommand follows its command at once
      }
      words.push_back(a);
    }
  }
  // `help COMMAND...` names the command to help with; `help --help` is help's own.
  if (name == "help" && words.size() > 1) {
    return ShowHelp(Join({words.begin() + 1, words.end()}, " "));
  }
  if (help || name == "help") return ShowHelp(help ? name : "");
  if (words.empty()) {
    std::cerr << GeneralHelp();
    return 2;
  }
  const std::string command = words[0];
  const std::vector<std::string> rest(words.begin() + 1, words.end());
  if (command == "check") return Check(config_path, rest);
  if (command == "sync") return Sync(config_path, rest);
  if (command == "audit") return Audit(config_path, rest);
  if (command == "forecast") return ForecastCommand(config_path, rest);
  if (command == "status") return StatusCommand(config_path, rest);
  if (command == "alerts") return AlertsCommand(config_path, rest);
  if (command == "silence") return SilenceCommand(config_path, rest);
  if (command == "store") return StoreCommand(config_path, rest);
  if (command == "connectors") return ConnectorsCommand(rest);
  if (command == "run") return Run(config_path, rest);
  std::vector<std::string> names;
  for (const CliCommand& c : CliCommands()) names.push_back(c.name.substr(0, c.name.find(' ')));
  const std::optional<std::string> typo = LikelyTypoOf(command, names);
  std::cerr << "salesaudit: unknown command '" << command << "'"
            << (typo ? "; did you mean '" + *typo + "'?" : "") << " (see salesaudit --help)\n";
  return 2;
}

}  // namespace salesaudit
