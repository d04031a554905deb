// The shipped systemd/salesaudit.service: what the daemon relies on is in it,
// `systemd-analyze verify` accepts it without a word, and `systemd-analyze
// security --offline=true` rates it "OK" (exposure at most 2.0). verify
// requires ExecStart's binary to exist, so the checks run on a copy whose
// ExecStart names the binary just built. A machine without systemd-analyze
// fails these tests: the unit would ship unchecked otherwise.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/subprocess.h"

namespace salesaudit::testing {
namespace {

const std::string kUnitPath = std::string(SALESAUDIT_SOURCE_DIR) + "/systemd/salesaudit.service";
const std::string kShippedExecStart =
    "ExecStart=/usr/bin/salesaudit --config /etc/salesaudit/config.yaml run";

// The path of systemd-analyze from PATH (or /usr/bin, /bin); fails the test
// with what to install when there is none.
std::string SystemdAnalyze() {
  std::string dirs = "/usr/bin:/bin";
  if (const char* path = std::getenv("PATH")) dirs = std::string(path) + ":" + dirs;
  std::stringstream stream(dirs);
  for (std::string dir; std::getline(stream, dir, ':');) {
    const std::string candidate = dir + "/systemd-analyze";
    if (!dir.empty() && access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  FAIL(
      "systemd-analyze not found in PATH: install Debian's 'systemd' package "
      "(scripts/install-deps.sh does)");
  return "";
}

// No pager, no colours, no PID 1 needed: plain text to parse.
const std::map<std::string, std::string> kPlainOutput = {
    {"SYSTEMD_PAGER", "cat"}, {"SYSTEMD_COLORS", "0"}, {"SYSTEMD_LOG_COLOR", "0"}};

// The shipped unit with ExecStart pointing at the built binary, written as
// <dir>/salesaudit.service (the name the checks report).
std::string InstallTestCopy(const TempDir& dir) {
  std::string unit = ReadFile(kUnitPath);
  const size_t at = unit.find(kShippedExecStart);
  REQUIRE(at != std::string::npos);
  unit.replace(at, std::string_view("ExecStart=/usr/bin/salesaudit").size(),
               std::string("ExecStart=") + SALESAUDIT_BINARY);
  const std::string path = dir.File("salesaudit.service");
  WriteFile(path, unit);
  return path;
}

// Directive=value lines (comments and sections skipped), in order.
std::multimap<std::string, std::string> Directives(const std::string& unit) {
  std::multimap<std::string, std::string> out;
  std::stringstream stream(unit);
  for (std::string line; std::getline(stream, line);) {
    if (line.empty() || line[0] == '#' || line[0] == ';' || line[0] == '[') continue;
    const size_t eq = line.find('=');
    if (eq != std::string::npos) out.emplace(line.substr(0, eq), line.substr(eq + 1));
  }
  return out;
}

std::string Only(const std::multimap<std::string, std::string>& directives,
                 const std::string& key) {
  INFO(key);
  REQUIRE(directives.count(key) == 1);
  return directives.find(key)->second;
}

TEST_CASE("The unit declares what the daemon relies on", "[systemd]") {
  const auto directives = Directives(ReadFile(kUnitPath));
  CHECK(Only(directives, "Type") == "notify");
  CHECK(Only(directives, "NotifyAccess") == "main");
  CHECK("ExecStart=" + Only(directives, "ExecStart") == kShippedExecStart);
  CHECK(Only(directives, "ExecReload") == "/bin/kill -HUP $MAINPID");
  CHECK(Only(directives, "Restart") == "on-failure");
  CHECK(Only(directives, "RestartPreventExitStatus") == "2");  // `check`'s invalid-config code
  CHECK_FALSE(Only(directives, "WatchdogSec").empty());
  CHECK_FALSE(Only(directives, "TimeoutStopSec").empty());
  // The defaults of docs/contracts.md "Binary and CLI": /etc/salesaudit/config.yaml,
  // /var/lib/salesaudit/salesaudit.db.
  CHECK(Only(directives, "StateDirectory") == "salesaudit");
  CHECK(Only(directives, "ConfigurationDirectory") == "salesaudit");
  CHECK(Only(directives, "DynamicUser") == "yes");
  CHECK(Only(directives, "UMask") == "0077");
}

TEST_CASE("systemd-analyze verify accepts the unit without warnings", "[systemd]") {
  const std::string analyze = SystemdAnalyze();
  TempDir dir;
  const std::string unit = InstallTestCopy(dir);
  const RunResult result =
      RunProcess({analyze, "verify", unit}, std::chrono::seconds(120), kPlainOutput);
  INFO("stdout: " << result.out);
  INFO("stderr: " << result.err);
  CHECK(result.exit_code == 0);
  CHECK(result.out.empty());
  CHECK(result.err.empty());  // unknown keys and bad values are only warnings
}

TEST_CASE("systemd-analyze security rates the unit OK, exposure at most 2.0", "[systemd]") {
  const std::string analyze = SystemdAnalyze();
  TempDir dir;
  const std::string unit = InstallTestCopy(dir);
  // --threshold is on the 0..100 scale of ten times the printed level
  // (default 100): 20 fails the run above 2.0.
  const RunResult result =
      RunProcess({analyze, "security", "--offline=true", "--threshold=20", "--no-pager", unit},
                 std::chrono::seconds(120), kPlainOutput);
  INFO("stdout: " << result.out);
  INFO("stderr: " << result.err);
  CHECK(result.exit_code == 0);

  std::smatch match;
  REQUIRE(std::regex_search(
      result.out, match,
      std::regex("Overall exposure level for salesaudit\\.service: ([0-9]+\\.[0-9]+) (\\S+)")));
  const double exposure = std::stod(match[1]);
  UNSCOPED_INFO("exposure " << exposure << " " << match[2]);
  CHECK(exposure <= 2.0);
  CHECK(match[2] == "OK");
}

}  // namespace
}  // namespace salesaudit::testing
