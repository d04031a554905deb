// The salesaudit binary run against the HubSpot simulator: a config file for
// it, the child process's environment (the token) and helpers to run
// commands, for the CLI tests.
#pragma once

#include <rapidjson/document.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "tests/connectors/hubspot/hubspot_fixture.h"
#include "tests/support/subprocess.h"

namespace salesaudit::testing {

inline const std::string kBinary = SALESAUDIT_BINARY;

inline sim::PortalSpec Portal(int contacts) {
  sim::PortalSpec spec;
  spec.seed = 11;
  spec.contacts = contacts;
  spec.deals = 120;
  spec.owners = 4;
  return spec;
}

struct CliFixture : HubSpotFixture {
  explicit CliFixture(int contacts = 1200) : HubSpotFixture(Portal(contacts)) {
    config_path = dir.File("config.yaml");
    WriteFile(config_path, ConfigYaml());
    env = {{"TEST_HUBSPOT_TOKEN", options.token}};
  }
  RunResult Cli(std::vector<std::string> args) {
    args.insert(args.begin(), {kBinary, "--config", config_path});
    return RunProcess(args, std::chrono::seconds(120), env);
  }
  std::vector<std::string> Argv(const std::vector<std::string>& args) const {
    std::vector<std::string> argv = {kBinary, "--config", config_path};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  }
  int64_t ContactRows() {
    auto n = store->CountRows(RecordKind::kContact, "crm", true);
    return n.ok() ? *n : -1;
  }
  std::string config_path;
  std::map<std::string, std::string> env;
};

// The JSON a command printed, which must have succeeded.
inline rapidjson::Document JsonOf(const RunResult& r) {
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  rapidjson::Document doc;
  doc.Parse(r.out.c_str());
  REQUIRE_FALSE(doc.HasParseError());
  return doc;
}

}  // namespace salesaudit::testing
