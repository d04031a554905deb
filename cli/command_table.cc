#include "cli/command_table.h"

#include <algorithm>
#include <set>

#include "connectors/connector.h"
#include "core/text_util.h"

namespace salesaudit {
namespace {

std::vector<std::string> SplitWords(std::string_view text) {
  std::vector<std::string> words;
  size_t start = 0;
  while (start < text.size()) {
    const size_t end = std::min(text.find(' ', start), text.size());
    if (end > start) words.emplace_back(text.substr(start, end - start));
    start = end + 1;
  }
  return words;
}

constexpr std::string_view kDateHelp = "YYYY-MM-DD (UTC midnight) or ISO-8601";

// The streams any compiled-in connector type offers (for completion).
std::vector<std::string> EveryStreamName() {
  std::set<std::string> names;
  for (const ConnectorDescriptor* type : BuiltinConnectors().All()) {
    for (const std::string& name : type->StreamNames()) names.insert(name);
  }
  return {names.begin(), names.end()};
}

CliOption Format(std::vector<std::string> choices) {
  return {.name = "--format",
          .value = Join(choices, "|"),
          .help = "output format (default: " + choices.front() + ")",
          .choices = choices};
}

CliOption Date(const std::string& name, const std::string& help) {
  return {.name = name, .value = "DATE", .help = help + "; " + std::string(kDateHelp)};
}

std::vector<CliCommand> BuildCommands() {
  return {
      {.name = "check",
       .summary = "validate the config offline; --online: and try connectors and receivers",
       .description = "Validates the config: every key, each connector against its type, the "
                      "alert rules, and that every secret resolves. No API is contacted unless "
                      "--online is given. Each problem prints as FILE:LINE:COL: message.",
       .options = {{.name = "--online",
                    .help = "then read one page of each connector's first stream, storing "
                            "nothing, log in to each SMTP receiver and connect to each webhook "
                            "receiver, sending nothing, and say which answered (default: "
                            "offline)"}},
       .exit_codes = "0 valid (and, --online, all answered), 1 a connector or receiver failed "
                     "online, 2 invalid"},
      {.name = "sync",
       .summary = "one sync pass, one summary line per connector/stream",
       .description = "Runs one sync pass and exits, printing one summary line per "
                      "connector/stream. SIGINT or SIGTERM ends the pass early (exit 1); "
                      "nothing half-read is stored.",
       .options = {{.name = "--connector",
                    .value = "NAME",
                    .help = "sync only this connector (default: every connector)"},
                   {.name = "--stream",
                    .value = "S",
                    .help = "sync only this stream (default: every configured stream); "
                            "without --connector, of the one connector that offers it",
                    .choices = EveryStreamName()},
                   {.name = "--full",
                    .help = "read everything again, ignoring the stored cursors "
                            "(default: from the cursors on)"},
                   {.name = "--dry-run",
                    .help = "contact no vendor and store nothing: print what each stream's "
                            "next run would read (a full read, the window of changes from its "
                            "cursor less the lookback, or where an interrupted run resumes)"}},
       .exit_codes = "0 every stream synced, 1 any failed or the pass was interrupted, 2 usage "
                     "or config error; with --dry-run, 1 when a stored cursor is unreadable (that "
                     "stream's next run fails) or the store cannot be read"},
      {.name = "audit",
       .summary = "compute the audit now, store the snapshot, print it",
       .description = "Computes the audit snapshot from the store now, stores it as a one-off "
                      "snapshot (never the live one alert rules read) and prints it.",
       .options = {Date("--from", "start of the window (default: open)"),
                   Date("--to", "end of the window, excluded (default: open)"),
                   Format({"text", "json", "html"}),
                   {.name = "--out",
                    .value = "PATH",
                    .help = "write to PATH instead of standard output"}},
       .exit_codes = "0 printed, 1 the store cannot be read, 2 usage or config error"},
      {.name = "forecast",
       .summary = "customers, revenue and return on spend expected from N new leads",
       .description = "Forecasts from the matured cohorts in the store what N new leads "
                      "bring: customers (with an 80% interval), revenue and return on spend. "
                      "Nothing is written to the store.",
       .options = {{.name = "--leads",
                    .value = "N",
                    .help = "how many new leads (required; a whole number from 1)",
                    .required = true},
                   {.name = "--channel",
                    .value = "C",
                    .help = "the leads' channel, as spelled in the store (default: all channels)"},
                   {.name = "--spend",
                    .value = "AMOUNT",
                    .help = "money spent on them, for the return on spend (default: none)"},
                   Date("--from", "use cohorts created from this date (default: all history)"),
                   Date("--to", "use cohorts created before this date (default: all history)"),
                   Format({"text", "json"})},
       .exit_codes = "0 printed, 1 the store cannot be read, 2 usage or config error (an "
                     "unknown channel, --from not before --to)"},
      {.name = "status",
       .summary = "cursors, last success and errors, row counts, snapshots, alerts",
       .description = "Per connector/stream: cursor, last success, last error and row counts; "
                      "the live and the latest one-off snapshot; pending and firing alerts.",
       .options = {Format({"text", "json"})}},
      {.name = "alerts",
       .summary = "every alert's state, the active silences and the notification outbox",
       .description = "Lists every alert's state, the active silences and the notification "
                      "outbox (never a payload).",
       .options = {Format({"text", "json"})}},
      {.name = "alerts test",
       .operands = "RULE",
       .summary = "evaluate one rule now and show what would be sent",
       .description = "Evaluates the rule RULE on the latest live snapshot now and shows what "
                      "the next round would send, and what each receiver would get if it "
                      "fired. Saves nothing.",
       .options = {Format({"text", "json"})},
       .exit_codes = "0 shown, 1 the store cannot be read, 2 usage or config error (an unknown "
                     "rule)",
       .takes_operands = Operands::kCollect},
      {.name = "silence add",
       .operands = "MATCHER...",
       .summary = "silence the alerts whose labels match every MATCHER",
       .description = "Adds a silence: alerts whose labels match every MATCHER send nothing "
                      "until it ends. Give exactly one of --for and --until. MATCHER: "
                      "name=value, name!=value, name=~regex or name!~regex (regexes match the "
                      "whole label value).",
       .options = {{.name = "--for", .value = "DURATION", .help = "how long: 30s, 5m, 1h, 7d"},
                   Date("--until", "when it ends"),
                   {.name = "--comment", .value = "TEXT", .help = "why (default: empty)"},
                   {.name = "--author",
                    .value = "NAME",
                    .help = "who (default: $USER, else unknown)"}},
       .takes_operands = Operands::kCollect},
      {.name = "silence list",
       .summary = "the active silences",
       .description = "Lists the active silences.",
       .options = {{.name = "--all", .help = "expired silences too (default: active only)"},
                   Format({"text", "json"})}},
      {.name = "silence expire",
       .operands = "ID",
       .summary = "end a silence now",
       .description = "Ends the silence ID now.",
       .exit_codes = "0 expired, 1 no such silence or the store cannot be written, 2 usage or "
                     "config error",
       .takes_operands = Operands::kCollect},
      {.name = "store check",
       .operands = "[FILE]",
       .summary = "a full integrity check of the store (or of FILE, a backup)",
       .description = "Runs a full integrity check (PRAGMA integrity_check) of the store, or "
                      "of FILE (a backup; then no config is read). It only reads, also while "
                      "the daemon runs, and names each problem found.",
       .exit_codes = "0 no damage, 1 damage found or the file cannot be read, 2 usage or "
                     "config error",
       .takes_operands = Operands::kCollect},
      {.name = "store backup",
       .operands = "PATH",
       .summary = "an online, checked copy of the store in PATH (mode 0600)",
       .description = "Copies the store through SQLite's backup API, also while the daemon "
                      "runs: to a temporary name beside PATH (mode 0600), checked, then "
                      "renamed to PATH.",
       .exit_codes = "0 copied, 1 failed (a damaged store is not copied), 2 usage or config "
                     "error",
       .takes_operands = Operands::kCollect},
      {.name = "connectors",
       .summary = "the connector types with their streams, auth keys, fields and options",
       .description = "Lists the connector types compiled in: streams, auth keys, fields and "
                      "each option's type, default and meaning. Reads no config.",
       .options = {Format({"text", "markdown"})},
       .reads_config = false},
      {.name = "run",
       .summary = "the daemon, in the foreground",
       .description = "Runs the daemon in the foreground (systemd Type=notify): syncs each "
                      "connector on its poll_interval, recomputes the audit every audit.every, "
                      "evaluates alert rules, re-reads the config on SIGHUP and stops on "
                      "SIGTERM or SIGINT.",
       .exit_codes = "0 clean stop, 1 failure, 2 config error"},
      {.name = "help",
       .operands = "[COMMAND...]",
       .summary = "this help, or a command's",
       .description = "Prints the help of COMMAND (as COMMAND --help does), or the list of "
                      "commands.",
       .takes_operands = Operands::kCollect,
       .reads_config = false},
  };
}

// "--format text|json" / "--full", as usage and option lists show it.
std::string OptionWords(const CliOption& option) {
  std::string words = option.short_name.empty() ? "" : option.short_name + ", ";
  return words + option.name + (option.value.empty() ? "" : " " + option.value);
}

// The synopsis's pieces: "salesaudit", "[--config FILE]", "sync", "[--full]".
std::vector<std::string> SynopsisPieces(const CliCommand& command) {
  std::vector<std::string> pieces = {"salesaudit"};
  if (command.reads_config) pieces.push_back("[--config FILE]");
  pieces.push_back(command.name);
  for (const CliOption& option : command.options) {
    const std::string words = option.name + (option.value.empty() ? "" : " " + option.value);
    pieces.push_back(option.required ? words : "[" + words + "]");
  }
  if (!command.operands.empty()) pieces.push_back(command.operands);
  return pieces;
}

std::string Synopsis(const CliCommand& command) { return Join(SynopsisPieces(command), " "); }

// A command as a line of a command list: "silence add MATCHER..." and its summary.
CliOption ListRow(const CliCommand& command) {
  return {.name = command.name + (command.operands.empty() ? "" : " " + command.operands),
          .help = command.summary};
}

// `pieces` joined by spaces after `prefix`, wrapped before column 80; each
// line after the first indented by `indent` spaces. Ends with a newline.
std::string Wrapped(const std::string& prefix, const std::vector<std::string>& pieces,
                    size_t indent) {
  std::string out = prefix;
  size_t column = prefix.size();
  bool line_empty = prefix.empty() || prefix.back() == ' ';
  for (const std::string& piece : pieces) {
    if (!line_empty && column + 1 + piece.size() > 79) {
      out += "\n" + std::string(indent, ' ');
      column = indent;
      line_empty = true;
    }
    out += (line_empty ? "" : " ") + piece;
    column += (line_empty ? 0 : 1) + piece.size();
    line_empty = false;
  }
  return out + "\n";
}

// "  WORDS   HELP" lines, HELP aligned and wrapped.
std::string OptionLines(const std::vector<CliOption>& options) {
  size_t width = 0;
  for (const CliOption& option : options) width = std::max(width, OptionWords(option).size());
  const size_t indent = 2 + width + 3;
  std::string out;
  for (const CliOption& option : options) {
    std::string words = "  " + OptionWords(option);
    words.resize(indent, ' ');
    out += Wrapped(words, SplitWords(option.help), indent);
  }
  return out;
}

constexpr std::string_view kDefaultExitCodes = "0 success, 1 failure, 2 usage or config error";

std::string ExitCodes(const CliCommand& command) {
  return command.exit_codes.empty() ? std::string(kDefaultExitCodes) : command.exit_codes;
}

// The options a command's help lists: its own, then the global ones that
// apply to it.
std::vector<CliOption> HelpOptions(const CliCommand& command) {
  std::vector<CliOption> options = command.options;
  for (const CliOption& global : GlobalOptions()) {
    if (global.name == "--config" && !command.reads_config) continue;
    if (global.name == "--version") continue;
    options.push_back(global);
  }
  return options;
}

// Text as troff reads it: backslashes and hyphens escaped, and a line never
// starting with a control character.
std::string Troff(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\\') {
      out += "\\e";
    } else if (c == '-') {
      out += "\\-";
    } else {
      out += c;
    }
  }
  if (!out.empty() && (out[0] == '.' || out[0] == '\'')) out = "\\&" + out;
  return out;
}

std::string ManOption(const CliOption& option) {
  std::string out = ".TP\n";
  if (!option.short_name.empty()) out += "\\fB" + Troff(option.short_name) + "\\fR, ";
  out += "\\fB" + Troff(option.name) + "\\fR";
  if (!option.value.empty()) out += " \\fI" + Troff(option.value) + "\\fR";
  return out + "\n" + Troff(option.help) + "\n";
}

// A bash word list, each word single-quoted-safe (the table holds no quote).
std::string Words(const std::vector<std::string>& words) { return Join(words, " "); }

}  // namespace

bool CliCommand::IsFlag(std::string_view option) const {
  return std::any_of(options.begin(), options.end(),
                     [&](const CliOption& o) { return o.name == option && o.value.empty(); });
}

bool CliCommand::TakesValue(std::string_view option) const {
  return std::any_of(options.begin(), options.end(),
                     [&](const CliOption& o) { return o.name == option && !o.value.empty(); });
}

const std::vector<CliOption>& GlobalOptions() {
  static const std::vector<CliOption> options = {
      {.name = "--config",
       .value = "FILE",
       .help = "the config file (default: /etc/salesaudit/config.yaml); accepted before or "
               "after the command"},
      {.name = "--help",
       .help = "this help; salesaudit help COMMAND says the same",
       .short_name = "-h"},
      {.name = "--version", .help = "the version"}};
  return options;
}

const std::vector<CliCommand>& CliCommands() {
  static const std::vector<CliCommand> commands = BuildCommands();
  return commands;
}

const CliCommand* FindCliCommand(std::string_view name) {
  for (const CliCommand& command : CliCommands()) {
    if (command.name == name) return &command;
  }
  return nullptr;
}

std::vector<const CliCommand*> Subcommands(std::string_view group) {
  std::vector<const CliCommand*> out;
  const std::string prefix = std::string(group) + " ";
  for (const CliCommand& command : CliCommands()) {
    if (command.name.starts_with(prefix)) out.push_back(&command);
  }
  return out;
}

std::string SubcommandError(std::string_view group, std::string_view given) {
  std::vector<std::string> usages;
  for (const CliCommand* command : Subcommands(group)) {
    usages.push_back("`" + command->name +
                     (command->operands.empty() ? "" : " " + command->operands) + "`");
  }
  std::string expected;
  for (size_t i = 0; i < usages.size(); ++i) {
    expected += (i == 0 ? "" : i + 1 == usages.size() ? " or " : ", ") + usages[i];
  }
  const std::string problem =
      given.empty() ? "needs a subcommand" : "unknown subcommand '" + std::string(given) + "'";
  return "salesaudit " + std::string(group) + ": " + problem + " (expected " + expected +
         "; see salesaudit " + std::string(group) + " --help)";
}

std::string GeneralHelp() {
  std::string out =
      "usage: salesaudit [--config FILE] COMMAND [options]\n\n"
      "Syncs CRM and email-marketing data into a local SQLite store and keeps a\n"
      "sales audit current.\n\ncommands:\n";
  std::vector<CliOption> rows;
  for (const CliCommand& command : CliCommands()) {
    rows.push_back(ListRow(command));
  }
  out += OptionLines(rows);
  out += "\nglobal options (before or after the command):\n" + OptionLines(GlobalOptions());
  out +=
      "\n`salesaudit COMMAND --help` (or `salesaudit help COMMAND`) shows a command's\n"
      "options and defaults; `man salesaudit` all of them.\n";
  return out;
}

std::string CommandHelp(const CliCommand& command) {
  std::string out = Wrapped("usage:", SynopsisPieces(command), 6) + "\n" +
                    Wrapped("", SplitWords(command.description), 0);
  std::vector<CliOption> subcommands;
  for (const CliCommand* sub : Subcommands(command.name)) {
    subcommands.push_back(ListRow(*sub));
  }
  if (!subcommands.empty()) out += "\nsubcommands:\n" + OptionLines(subcommands);
  out += "\noptions:\n" + OptionLines(HelpOptions(command));
  return out + "\n" + Wrapped("exit status:", SplitWords(ExitCodes(command)), 2);
}

std::string GroupHelp(std::string_view group) {
  std::string out = "usage: salesaudit [--config FILE] " + std::string(group) + " SUBCOMMAND\n\n";
  std::vector<CliOption> rows;
  for (const CliCommand* command : Subcommands(group)) {
    rows.push_back(ListRow(*command));
  }
  out += "subcommands:\n" + OptionLines(rows);
  return out + "\n`salesaudit " + std::string(group) + " SUBCOMMAND --help` shows one's options.\n";
}

std::string ManPage(std::string_view version) {
  std::string out = ".TH SALESAUDIT 1 \"\" \"salesaudit " + Troff(version) +
                    "\" \"User Commands\"\n"
                    ".SH NAME\nsalesaudit \\- sales audit daemon syncing CRM and email-marketing "
                    "data\n"
                    ".SH SYNOPSIS\n.B salesaudit\n[\\fB\\-\\-config\\fR \\fIFILE\\fR] "
                    "\\fICOMMAND\\fR [\\fIoptions\\fR]\n"
                    ".SH DESCRIPTION\nsalesaudit syncs CRM and email-marketing data into a local "
                    "SQLite store and keeps a sales audit current.\n"
                    "Each command answers \\fB\\-\\-help\\fR (or \\fB\\-h\\fR) with the text "
                    "below.\n.SH GLOBAL OPTIONS\nAccepted before or after the command.\n";
  for (const CliOption& option : GlobalOptions()) out += ManOption(option);
  out += ".SH COMMANDS\n";
  for (const CliCommand& command : CliCommands()) {
    out += ".SS " + Troff(command.name) + "\n.nf\n" + Troff(Synopsis(command)) + "\n.fi\n.PP\n" +
           Troff(command.description) + "\n";
    for (const CliOption& option : command.options) out += ManOption(option);
    out += ".PP\nExit status: " + Troff(ExitCodes(command)) + ".\n";
  }
  out += ".SH EXIT STATUS\n" + Troff(std::string(kDefaultExitCodes)) +
         ", unless a command above says more.\n"
         ".SH FILES\n.TP\n.I /etc/salesaudit/config.yaml\nthe default config\n"
         ".SH SEE ALSO\nThe README, in /usr/share/doc/salesaudit/README.md.\n";
  return out;
}

std::string BashCompletion() {
  std::set<std::string> top;
  std::string cases;
  for (const CliCommand& command : CliCommands()) {
    top.insert(command.name.substr(0, command.name.find(' ')));
    std::vector<std::string> options;
    for (const CliOption& option : command.options) options.push_back(option.name);
    for (const CliOption& option : GlobalOptions()) {
      if (option.name != "--version") options.push_back(option.name);
    }
    cases += "    '" + command.name + "') opts='" + Words(options) + "' ;;\n";
  }
  std::string values;
  std::set<std::string> seen;
  for (const CliCommand& command : CliCommands()) {
    for (const CliOption& option : command.options) {
      if (option.value.empty()) continue;
      const std::string key = command.name + " " + option.name;
      std::string words = option.choices.empty() ? "" : Words(option.choices);
      if (option.name == "--connector") words = "$(_salesaudit_connectors)";
      if (option.value == "PATH" || option.value == "FILE") words = "@files";
      values += "    '" + key + "') words='" + words + "' ;;\n";
    }
  }
  std::string groups;
  for (const std::string& word : top) {
    std::vector<std::string> subs;
    for (const CliCommand* sub : Subcommands(word))
      subs.push_back(sub->name.substr(word.size() + 1));
    if (!subs.empty()) groups += "    '" + word + "') subs='" + Words(subs) + "' ;;\n";
  }
  groups += "    'help') subs='" + Words({top.begin(), top.end()}) + "' ;;\n";
  return "# bash completion for salesaudit; generated from its command table.\n"
         "_salesaudit_connectors() {\n"
         "  # The connector names of the config in use: `- name: X` under `connectors:`.\n"
         "  local config=/etc/salesaudit/config.yaml i\n"
         "  for ((i = 1; i < ${#COMP_WORDS[@]} - 1; i++)); do\n"
         "    [[ ${COMP_WORDS[i]} == --config ]] && config=${COMP_WORDS[i + 1]}\n"
         "  done\n"
         "  [[ -r $config ]] || return 0\n"
         "  awk '/^[^ #]/ { in_list = ($0 ~ /^connectors:/) }\n"
         "       in_list && $1 == \"-\" && $2 == \"name:\" {\n"
         "         gsub(/[\"\\047]/, \"\", $3)  # a quoted name\n"
         "         print $3\n"
         "       }' \"$config\" 2>/dev/null\n"
         "}\n"
         "_salesaudit() {\n"
         "  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}\n"
         "  local command='' i word subs opts words\n"
         "  COMPREPLY=()\n"
         "  if [[ $prev == --config ]]; then\n"
         "    COMPREPLY=($(compgen -f -- \"$cur\"))\n"
         "    return 0\n"
         "  fi\n"
         "  for ((i = 1; i < COMP_CWORD; i++)); do\n"
         "    word=${COMP_WORDS[i]}\n"
         "    if [[ $word == --config ]]; then ((i++)); continue; fi\n"
         "    [[ $word == -* ]] && continue\n"
         "    if [[ -z $command ]]; then command=$word; continue; fi\n"
         "    subs=''\n"
         "    case $command in\n" +
         groups +
         "    esac\n"
         "    [[ \" $subs \" == *\" $word \"* && $command != *' '* ]] && command=\"$command "
         "$word\"\n"
         "    break\n"
         "  done\n"
         "  if [[ -z $command ]]; then\n"
         "    COMPREPLY=($(compgen -W '" +
         Words({top.begin(), top.end()}) +
         " --config --help --version' -- \"$cur\"))\n"
         "    return 0\n"
         "  fi\n"
         "  words=-\n"
         "  case \"$command $prev\" in\n" +
         values +
         "  esac\n"
         "  if [[ $words == @files ]]; then\n"
         "    COMPREPLY=($(compgen -f -- \"$cur\"))\n"
         "    return 0\n"
         "  elif [[ $words != - ]]; then\n"
         "    COMPREPLY=($(compgen -W \"$words\" -- \"$cur\"))\n"
         "    return 0\n"
         "  fi\n"
         "  subs=''\n"
         "  case $command in\n" +
         groups +
         "  esac\n"
         "  opts=''\n"
         "  case $command in\n" +
         cases +
         "  esac\n"
         "  COMPREPLY=($(compgen -W \"$subs $opts\" -- \"$cur\"))\n"
         "}\n"
         "complete -F _salesaudit salesaudit\n";
}

}  // namespace salesaudit
