// What the config loader's tests share: a temp directory to write config
// and secret files into, the connector types the loader checks entries
// against, and loaders that fail the running Catch2 test on a wrong outcome.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "config/config.h"

namespace salesaudit::testing {

// A fresh directory under the system temp dir, removed with everything in it.
// Owned by the test; one thread.
class ConfigDir {
 public:
  ConfigDir();
  ~ConfigDir();
  ConfigDir(const ConfigDir&) = delete;
  ConfigDir& operator=(const ConfigDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  // Writes `contents` to `name` under the directory, creating its parents.
  std::filesystem::path Write(const std::string& name, const std::string& contents) const;

 private:
  std::filesystem::path path_;
};

// The loader's shape checks are tested on connector types that add nothing
// of their own: the compiled-in ones without required auth (most cases leave
// auth out), and a type `x` that takes every type's keys. The checks a type
// adds are tested with the real types, under "Connector entries are checked
// against their type".
const ConnectorSchemas& ConnectorTypes();

// The loader's errors for `yaml` read as "t.yaml".
std::vector<std::string> Errors(const std::string& yaml);
// The config `yaml` loads to, failing the test on any error.
Config LoadOk(const std::string& yaml, const std::string& file_name = "t.yaml");

}  // namespace salesaudit::testing
