// Environment variables and secrets in a config: ${VAR} expansion with
// defaults, secret files read beside the config, and no secret or variable
// value ever shown in an error.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "config/config.h"
#include "tests/config/config_fixtures.h"
#include "tests/support/scoped_env.h"

namespace salesaudit {
namespace {

namespace fs = std::filesystem;
using testing::ConfigDir;
using testing::ConnectorTypes;
using testing::Errors;
using testing::LoadOk;
using testing::ScopedEnv;

TEST_CASE("environment variables expand in strings, with defaults and $$ escapes") {
  ScopedEnv set("SA_TEST_SET", "value");
  ScopedEnv empty("SA_TEST_EMPTY", "");
  ScopedEnv unset("SA_TEST_UNSET", std::nullopt);
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"${SA_TEST_SET}", "value"},
      {"/data/${SA_TEST_SET}/db", "/data/value/db"},
      {"${SA_TEST_SET:-other}", "value"},
      {"${SA_TEST_UNSET:-fallback}", "fallback"},
      {"${SA_TEST_UNSET:-}", ""},
      {"${SA_TEST_EMPTY:-fallback}", "fallback"},
      {"${SA_TEST_EMPTY}", ""},
      {"cost$$5", "cost$5"},
      {"$${SA_TEST_SET}", "${SA_TEST_SET}"},
      {"a$5", "a$5"},
      {"a$ b", "a$ b"},
      {"end$", "end$"},
  };
  for (const auto& [raw, expanded] : cases) {
    INFO(raw);
    // Single quotes so that YAML passes the text through untouched.
    const Config c = LoadOk(
        "status: {listen: '127.0.0.1:1'}\nalerts:\n  rules:\n"
        "    - {name: r, when: x, summary: '" +
        raw + "'}\n");
    CHECK(c.alerts.rules[0].summary == expanded);
  }

  SECTION("numbers and durations are expanded before they are parsed") {
    ScopedEnv reps("SA_TEST_REPS", "7");
    const Config c =
        LoadOk("team: {reps: '${SA_TEST_REPS}'}\naudit: {every: '${SA_TEST_UNSET:-2h}'}\n");
    CHECK(c.team.reps == 7);
    CHECK(c.audit.every == std::chrono::hours(2));
  }
  SECTION("a malformed reference is an error that does not echo the text") {
    CHECK(Errors("store: {path: '${SA_TEST_SET'}\n") ==
          std::vector<std::string>{
              "t.yaml:1:15: store.path: unterminated '${' (write '$$' for a literal '$')"});
    CHECK(Errors("store: {path: '${not a name}'}\n") ==
          std::vector<std::string>{
              "t.yaml:1:15: store.path: invalid environment variable name in '${...}'"});
  }
}

TEST_CASE("secret files are read relative to the config file with the trailing newline cut") {
  ConfigDir dir;
  dir.Write("secrets/hubspot.token", "pat-from-file\n\n");
  dir.Write("creds/hook", "hook-from-credentials-dir\n");
  ScopedEnv creds("CREDENTIALS_DIRECTORY", (dir.path() / "creds").c_str());
  const fs::path config = dir.Write("config.yaml",
                                    "connectors:\n"
                                    "  - name: hs\n"
                                    "    type: hubspot\n"
                                    "    auth:\n"
                                    "      token_file: secrets/hubspot.token\n"
                                    "alerts:\n"
                                    "  receivers:\n"
                                    "    - name: h\n"
                                    "      type: webhook\n"
                                    "      url: https://h.example\n"
                                    "      secret_file: ${CREDENTIALS_DIRECTORY}/hook\n");
  const ConfigLoadResult result = LoadConfigFile(config.string(), ConnectorTypes());
  REQUIRE(result.errors == std::vector<std::string>{});
  const Config& c = *result.config;
  CHECK(c.path == config.string());
  CHECK(c.connectors[0].auth.at("token") == "pat-from-file");
  CHECK(c.connectors[0].auth_pos.at("token").ToString() == config.string() + ":5:7");
  CHECK(c.alerts.receivers[0].secret == "hook-from-credentials-dir");
  CHECK(c.secrets == std::vector<std::string>{"pat-from-file", "hook-from-credentials-dir"});

  SECTION("an empty secret file is an error naming the path") {
    dir.Write("secrets/hubspot.token", " \n");
    const ConfigLoadResult empty = LoadConfigFile(config.string(), ConnectorTypes());
    CHECK(empty.errors ==
          std::vector<std::string>{config.string() + ":5:19: connectors[0].auth.token_file: '" +
                                   (dir.path() / "secrets/hubspot.token").string() + "' is empty"});
  }
}

TEST_CASE("secrets are collected and never appear in any error message") {
  ConfigDir dir;
  dir.Write("pw", "file-password-123\n");
  ScopedEnv token("SA_TEST_TOKEN", "env-token-456");
  const std::vector<std::string> secrets = {"env-token-456", "inline-key-789", "file-password-123",
                                            "both-secret-000", "hook-secret-321"};
  const std::string yaml =
      "connectors:\n"
      "  - name: a\n"
      "    type: x\n"
      "    auth:\n"
      "      token: ${SA_TEST_TOKEN}\n"
      "      api_key: inline-key-789\n"
      "      password_file: pw\n"
      "      tokn: env-token-456\n"
      "  - name: b\n"
      "    type: x\n"
      "    auth:\n"
      "      client_secret: both-secret-000\n"
      "      client_secret_file: pw\n"
      "      refresh_token: [inline-key-789]\n"
      "      api_token: ${SA_TEST_UNSET_SECRET}\n"
      "alerts:\n"
      "  receivers:\n"
      "    - name: h\n"
      "      type: email\n"
      "      secret: hook-secret-321\n";
  ScopedEnv unset("SA_TEST_UNSET_SECRET", std::nullopt);
  const ConfigLoadResult result =
      LoadConfigText(yaml, (dir.path() / "c.yaml").string(), ConnectorTypes());
  CHECK(result.errors.size() >= 5);
  for (const std::string& error : result.errors) {
    for (const std::string& secret : secrets) {
      INFO(error);
      CHECK(error.find(secret) == std::string::npos);
    }
  }

  SECTION("a valid config lists each resolved secret once") {
    const Config c = LoadOk(
        "connectors:\n"
        "  - {name: a, type: x, auth: {token: '${SA_TEST_TOKEN}', password_file: pw}}\n"
        "  - {name: b, type: x, auth: {api_key: '${SA_TEST_TOKEN}'}}\n"
        "alerts:\n"
        "  receivers: [{name: h, type: webhook, url: 'http://h', secret: hook-secret-321}]\n",
        (dir.path() / "c.yaml").string());
    CHECK(c.secrets ==
          std::vector<std::string>{"env-token-456", "file-password-123", "hook-secret-321"});
  }
}

TEST_CASE("a '$' before a name is refused with a hint instead of passing as literal text") {
  ScopedEnv set("SA_TEST_SET", "value");
  for (const char* raw : {"$SA_TEST_SET", "pa$sword", "/data/$_x"}) {
    INFO(raw);
    CHECK(Errors("store: {path: '" + std::string(raw) + "'}\n") ==
          std::vector<std::string>{
              "t.yaml:1:15: store.path: '$' before a name is not expanded: write '${NAME}' for an "
              "environment variable, or '$$' for a literal '$'"});
  }
}

TEST_CASE("nested defaults expand: ${A:-${B}} takes B when A is unset or empty") {
  ScopedEnv set("SA_TEST_SET", "value");
  ScopedEnv empty("SA_TEST_EMPTY", "");
  ScopedEnv unset("SA_TEST_UNSET", std::nullopt);
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"${SA_TEST_UNSET:-${SA_TEST_SET}}", "value"},
      {"${SA_TEST_EMPTY:-${SA_TEST_UNSET:-deep}}", "deep"},
      {"x${SA_TEST_UNSET:-a${SA_TEST_SET}b}y", "xavalueby"},
      {"${SA_TEST_UNSET:-$${SA_TEST_SET}}", "${SA_TEST_SET}"},
      // A default that is not needed is not expanded, so its variable may be unset.
      {"${SA_TEST_SET:-${SA_TEST_UNSET}}", "value"},
  };
  for (const auto& [raw, expanded] : cases) {
    INFO(raw);
    const Config c = LoadOk("store: {path: '" + raw + "'}\n");
    CHECK(c.store.path == expanded);
  }
  SECTION("an unset variable in a needed default is named") {
    CHECK(Errors("store: {path: '${SA_TEST_UNSET:-${SA_TEST_UNSET}}'}\n") ==
          std::vector<std::string>{
              "t.yaml:1:15: store.path: environment variable 'SA_TEST_UNSET' is not set"});
  }
  SECTION("an unterminated nested reference is refused, not taken literally") {
    CHECK(Errors("store: {path: '${SA_TEST_UNSET:-${SA_TEST_SET}'}\n") ==
          std::vector<std::string>{
              "t.yaml:1:15: store.path: unterminated '${' (write '$$' for a literal '$')"});
  }
  SECTION("defaults nested deeper than 8 levels are refused") {
    std::string raw = "x";
    for (int i = 0; i < 9; ++i) raw = "${SA_TEST_UNSET:-" + raw + "}";
    CHECK(Errors("store: {path: '" + raw + "'}\n") ==
          std::vector<std::string>{
              "t.yaml:1:15: store.path: defaults in '${NAME:-...}' nest deeper than 8 levels"});
  }
}

TEST_CASE("an error quotes ${VAR} as written, never the value the variable holds") {
  ScopedEnv token("SA_TEST_SECRET", "pat-na1-0123456789abcdef");
  const std::string yaml =
      "connectors:\n"
      "  - name: crm\n"
      "    type: hubspot\n"
      "    base_url: '${SA_TEST_SECRET}'\n"
      "    poll_interval: '${SA_TEST_SECRET}'\n"
      "    rate_limit: '${SA_TEST_SECRET}'\n"
      "team: {reps: '${SA_TEST_SECRET}', leads_per_rep_per_week: '${SA_TEST_SECRET}'}\n"
      "audit: {period: '${SA_TEST_SECRET}', open_rate_floor: '${SA_TEST_SECRET}'}\n"
      "status: {listen: '${SA_TEST_SECRET}'}\n"
      "alerts:\n"
      "  receivers:\n"
      "    - {name: m, type: email, smtp_url: '${SA_TEST_SECRET}', from: a@b.c, to: [x@y.z],\n"
      "       send_resolved: '${SA_TEST_SECRET}'}\n"
      "  route: {receivers: ['${SA_TEST_SECRET}']}\n";
  const auto errors = Errors(yaml);
  CHECK(errors.size() == 11);
  for (const std::string& e : errors) {
    INFO(e);
    CHECK_THAT(e, Catch::Contains("'${SA_TEST_SECRET}'"));
    CHECK_THAT(e, !Catch::Contains("pat-na1"));
  }
}

TEST_CASE("a *_file that is a FIFO, a directory or a device is refused without blocking") {
  ConfigDir dir;
  REQUIRE(mkfifo((dir.path() / "token.fifo").c_str(), 0600) == 0);
  fs::create_directories(dir.path() / "a-directory");
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"token.fifo", "a FIFO"},
      {"a-directory", "a directory"},
      {"/dev/zero", "a device"},
  };
  for (const auto& [file, kind] : cases) {
    INFO(file);
    const fs::path config = dir.Write("config.yaml",
                                      "connectors:\n  - name: crm\n    type: "
                                      "hubspot\n    auth: {token_file: " +
                                          file + "}\nspend_file: " + file + "\n");
    const std::string shown = file[0] == '/' ? file : (dir.path() / file).string();
    CHECK(LoadConfigFile(config.string(), ConnectorTypes()).errors ==
          std::vector<std::string>{config.string() +
                                       ":4:24: connectors[0].auth.token_file: cannot read '" +
                                       shown + "': it is " + kind + "; give a regular file",
                                   config.string() + ":5:13: spend_file: cannot read '" + shown +
                                       "': it is " + kind + "; give a regular file"});
  }
}

}  // namespace
}  // namespace salesaudit
