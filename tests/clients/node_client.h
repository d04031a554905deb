// Runs one of tests/clients' Node scripts, which drive an unmodified vendor
// client from npm (the build directory's node_modules) against a simulator,
// and hands back the JSON document it printed.
#pragma once

#include <rapidjson/document.h>

#include <map>
#include <string>

namespace salesaudit::testing {

// Runs `script` with `env` (and NODE_PATH at the pinned clients); fails the
// test, with the script's stderr, unless it exits 0 within two minutes
// printing one JSON document.
rapidjson::Document RunNodeClient(const std::string& script,
                                  const std::map<std::string, std::string>& env);

}  // namespace salesaudit::testing
