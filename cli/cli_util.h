// Helpers every CLI command shares: option parsing with one-line errors that
// name the argument, --format and date arguments, and the checked config and
// store a command runs on. Each prints its own error to stderr and returns
// nullopt (or nullptr), so a command only maps that to its exit code.
// Called on the main thread.
//
//   auto parsed = ParseCommandArgs("audit", args);
//   if (!parsed) return 2;
//   auto config = LoadCheckedConfig(config_path);
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "audit/funnel.h"
#include "cli/command_table.h"
#include "config/config.h"
#include "core/records.h"
#include "store/store.h"

namespace salesaudit {

// Options after the command word: "--name value" pairs and "--flag" words,
// plus the words that are not options (operands), in order.
struct CommandArgs {
  std::map<std::string, std::string> values;
  std::map<std::string, bool> flags;
  std::vector<std::string> operands;
};

// Parses `args` (the words after the command's own) against the options the
// command table gives `command` ("sync", "silence add"). Prints a one-line
// error naming the argument and pointing at the command's --help, and
// returns nullopt, on anything unexpected. A command that takes operands
// collects the words not starting with "--"; for any other such a word is an
// error. `command` must be in the table.
std::optional<CommandArgs> ParseCommandArgs(const std::string& command,
                                            const std::vector<std::string>& args);

// A date option's value: YYYY-MM-DD or ISO-8601 (epoch numbers are not dates
// here). An absent option is an empty TimeMs; a bad one prints an error and
// returns nullopt.
std::optional<TimeMs> ParseDateArgument(const std::string& command, const CommandArgs& args,
                                        const std::string& name);

// --from and --to as a window (ParseDateArgument each): a --from at or after
// --to prints "--from must be before --to" and returns nullopt, as every
// command taking both refuses it.
std::optional<AuditWindow> ParseWindowArguments(const std::string& command,
                                                const CommandArgs& args);

// --format, which must be one of `allowed`; absent: the first of them.
std::optional<std::string> ParseFormat(const std::string& command, const CommandArgs& args,
                                       const std::vector<std::string>& allowed);

// Loads and validates the config including each connector against its type
// and the alert rules, then applies its log settings (secrets redacted).
// Prints every problem as FILE:LINE:COL: message.
std::optional<Config> LoadCheckedConfig(const std::string& path);

// The config's store, or nullptr after printing why it cannot be opened.
std::unique_ptr<Store> OpenStore(const Config& config);

}  // namespace salesaudit
