#include "tests/config/config_fixtures.h"

#include <stdlib.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <fstream>

#include "connectors/connector.h"

namespace salesaudit::testing {

namespace fs = std::filesystem;

ConfigDir::ConfigDir() {
  std::string pattern = (fs::temp_directory_path() / "config_test.XXXXXX").string();
  REQUIRE(mkdtemp(pattern.data()) != nullptr);
  path_ = pattern;
}

ConfigDir::~ConfigDir() {
  std::error_code ignored;
  fs::remove_all(path_, ignored);
}

fs::path ConfigDir::Write(const std::string& name, const std::string& contents) const {
  const fs::path file = path_ / name;
  fs::create_directories(file.parent_path());
  std::ofstream(file, std::ios::binary) << contents;
  return file;
}

const ConnectorSchemas& ConnectorTypes() {
  static const std::vector<ConnectorSchema> owned = [] {
    std::vector<ConnectorSchema> types;
    ConnectorSchema any;
    any.type = "x";
    for (const ConnectorSchema* type : BuiltinConnectors().Schemas()) {
      ConnectorSchema lenient = *type;
      lenient.auth_required.clear();
      types.push_back(lenient);
      for (const StreamSpec& stream : type->streams) any.streams.push_back(stream);
      for (const std::string& key : type->auth_keys) {
        if (std::find(any.auth_keys.begin(), any.auth_keys.end(), key) == any.auth_keys.end()) {
          any.auth_keys.push_back(key);
        }
      }
      for (const std::string& key : type->field_keys) any.field_keys.push_back(key);
      for (const std::string& key : type->stage_keys) {
        if (std::find(any.stage_keys.begin(), any.stage_keys.end(), key) == any.stage_keys.end()) {
          any.stage_keys.push_back(key);
        }
      }
      for (const OptionSpec& option : type->options) {
        if (std::none_of(any.options.begin(), any.options.end(),
                         [&](const OptionSpec& o) { return o.name == option.name; })) {
          any.options.push_back(option);
        }
      }
    }
    // Credentials of the kinds other vendors use, so that cases can show
    // how every secret is read and kept out of messages.
    for (const char* key : {"api_token", "password"}) any.auth_keys.push_back(key);
    types.push_back(any);
    return types;
  }();
  static const ConnectorSchemas types = [] {
    ConnectorSchemas pointers;
    for (const ConnectorSchema& type : owned) pointers.push_back(&type);
    return pointers;
  }();
  return types;
}

std::vector<std::string> Errors(const std::string& yaml) {
  return LoadConfigText(yaml, "t.yaml", ConnectorTypes()).errors;
}

Config LoadOk(const std::string& yaml, const std::string& file_name) {
  ConfigLoadResult result = LoadConfigText(yaml, file_name, ConnectorTypes());
  INFO(yaml);
  CHECK(result.errors == std::vector<std::string>{});
  REQUIRE(result.config.has_value());
  return *result.config;
}

}  // namespace salesaudit::testing
