// Fuzz target for the config loader: any text as a config file, then what
// `salesaudit check` and a reload run on a config that loads (CheckAlertRules).
// The text is loaded as if from a directory that does not exist, so relative
// *_file paths name no file.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "alerts/rule_check.h"
#include "config/config.h"
#include "connectors/connector.h"

namespace {

// config.h: every error is "FILE:LINE:COL: message" or "FILE: message".
bool NamesTheFile(const std::string& error, const std::string& file) {
  return error.compare(0, file.size() + 1, file + ":") == 0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // A directory that does not exist: relative *_file paths name no file.
  static const std::string file = "/nonexistent/salesaudit-fuzz/config.yaml";
  const salesaudit::ConfigLoadResult loaded =
      salesaudit::LoadConfigText(std::string(reinterpret_cast<const char*>(data), size), file,
                                 salesaudit::BuiltinConnectors().Schemas());
  if (loaded.config.has_value() == !loaded.errors.empty()) std::abort();
  for (const std::string& error : loaded.errors) {
    if (!NamesTheFile(error, file)) std::abort();
  }
  if (loaded.config) (void)salesaudit::CheckAlertRules(*loaded.config);
  return 0;
}
