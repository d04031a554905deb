// The command line as data: every command and subcommand with what it does,
// its options (with defaults), its operands and its exit codes, plus the
// global options. It is the one source of truth that the parser validates
// against (cli_util's ParseCommandArgs) and that each command's `--help`,
// the man page salesaudit(1) and the bash completion are rendered from, so
// none of them is written by hand a second time. Immutable after static
// initialisation; thread-safe.
//
//   const CliCommand* sync = FindCliCommand("sync");
//   std::cout << CommandHelp(*sync);
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace salesaudit {

// Whether a command takes words that are not options (`silence add MATCHER...`).
enum class Operands { kRefuse, kCollect };

// One option: "--format FORMAT" takes a value, "--full" is a flag.
struct CliOption {
  std::string name;                  // "--format"
  std::string value;                 // "text|json", "DATE"; empty for a flag
  std::string help;                  // what it does, with its default
  std::vector<std::string> choices;  // the values completion offers (--format's, streams)
  bool required = false;
  std::string short_name;  // "-h"; most have none
};

// A command ("sync") or subcommand ("silence add").
struct CliCommand {
  std::string name;      // the words that select it: "sync", "silence add"
  std::string operands;  // how its operands read in the synopsis: "MATCHER...", "[FILE]"
  std::string summary;   // one line, for the command list
  std::string description;
  std::vector<CliOption> options;
  std::string exit_codes;  // when they say more than "0 success, 2 usage or config error"
  Operands takes_operands = Operands::kRefuse;
  bool reads_config = true;  // whether --config matters to it

  bool IsFlag(std::string_view option) const;
  bool TakesValue(std::string_view option) const;
};

// Options accepted before, between or after the command words.
const std::vector<CliOption>& GlobalOptions();

// Every command and subcommand, in the order help lists them.
const std::vector<CliCommand>& CliCommands();

// The command named by `name` ("silence add"), or nullptr.
const CliCommand* FindCliCommand(std::string_view name);

// The subcommands of a group ("silence" -> silence add, list, expire; "alerts"
// -> alerts test); empty when `group` has none.
std::vector<const CliCommand*> Subcommands(std::string_view group);

// The one-line error for a group word followed by no subcommand or an unknown
// one (`given`): "salesaudit store: unknown subcommand 'repair' (expected
// `store check [FILE]` or `store backup PATH`; see salesaudit store --help)".
std::string SubcommandError(std::string_view group, std::string_view given);

// `salesaudit --help`: the synopsis, every command's summary, the global options.
std::string GeneralHelp();

// `salesaudit COMMAND --help` and `salesaudit help COMMAND`: usage, what it
// does, its options with their defaults, its exit codes.
std::string CommandHelp(const CliCommand& command);

// `salesaudit GROUP --help` for a group that is no command itself ("store",
// "silence"): its subcommands' summaries.
std::string GroupHelp(std::string_view group);

// The man page salesaudit(1), in troff (man macros), for `version`.
std::string ManPage(std::string_view version);

// A bash completion script for salesaudit (commands, subcommands, options,
// their fixed values, the compiled-in stream names, files; connector names
// from the config in use).
std::string BashCompletion();

}  // namespace salesaudit
