// The CLI commands of docs/contracts.md "Binary and CLI" (README "Commands").
// Each returns the process exit code: 0 success, 1 failure, 2 usage or config
// error. Called from main() on the main thread.
#pragma once

#include <string>
#include <vector>

namespace salesaudit {

// argv without the program name; takes the global options (--config,
// --help/-h, --version) wherever they stand, answers --help and `help
// COMMAND` from the command table (cli/command_table.h) and dispatches to the
// command.
int RunCli(const std::vector<std::string>& args);

}  // namespace salesaudit
