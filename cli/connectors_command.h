// `salesaudit connectors [--format text|markdown]`: the connector types this
// binary has, each with its streams, auth keys, fields and options, printed
// from the same tables the config loader checks entries against. The
// markdown form is what the README's per-connector option lists hold.
// Returns the process exit code. Called on the main thread.
#pragma once

#include <string>
#include <vector>

namespace salesaudit {

int ConnectorsCommand(const std::vector<std::string>& args);

}  // namespace salesaudit
