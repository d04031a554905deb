// `salesaudit run` under a service manager's notify socket (the test's own,
// named by NOTIFY_SOCKET as systemd would): READY=1 with a STATUS line once
// it runs, STATUS naming a failing connector, WATCHDOG=1 pings at half of
// WATCHDOG_USEC, RELOADING=1 then READY=1 around a SIGHUP, and STOPPING=1 on
// SIGTERM before a clean exit.
#include <signal.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <regex>
#include <string>
#include <vector>

#include "tests/support/subprocess.h"
#include "tests/systemd/notify_socket.h"

namespace salesaudit::testing {
namespace {

const std::string kBinary = SALESAUDIT_BINARY;

// Every datagram received so far, in order.
struct Notifications {
  explicit Notifications(NotifySocket& socket) : socket_(socket) {}
  const std::vector<std::string>& Drain() {
    while (auto message = socket_.Receive()) all.push_back(*message);
    return all;
  }
  // Waits for a datagram matching `pattern` after index `from`; its index.
  int WaitFor(const std::string& pattern, size_t from = 0) {
    const std::regex re(pattern);
    int found = -1;
    testing::WaitFor(
        [&] {
          Drain();
          for (size_t i = from; i < all.size() && found < 0; ++i) {
            if (std::regex_match(all[i], re)) found = static_cast<int>(i);
          }
          return found >= 0;
        },
        std::chrono::seconds(20));
    return found;
  }
  std::vector<std::string> all;

 private:
  NotifySocket& socket_;
};

TEST_CASE("The daemon tells systemd it is ready, its status, reloads, watchdog and stop") {
  TempDir dir;
  NotifySocket socket(dir.File("notify.sock"));
  const std::string config = dir.File("config.yaml");
  // A connector whose API refuses connections: its sync fails at once.
  WriteFile(config, "store:\n  path: " + dir.File("s.db") +
                        "\n"
                        "connectors:\n"
                        "  - name: crm\n"
                        "    type: hubspot\n"
                        "    base_url: http://127.0.0.1:1\n"
                        "    auth: {token: test-token}\n"
                        "    max_retries: 0\n"
                        "    poll_interval: 1h\n"
                        "audit:\n  every: 1h\n"
                        "status: {listen: '127.0.0.1:0'}\n");
  ChildProcess daemon({kBinary, "--config", config, "run"}, dir.path(),
                      {{"NOTIFY_SOCKET", socket.address()}, {"WATCHDOG_USEC", "400000"}});
  Notifications n(socket);

  const int ready = n.WaitFor("READY=1\nSTATUS=[0-9]+ connector\\(s\\) ok.*");
  INFO(daemon.Stderr());
  REQUIRE(ready == 0);  // nothing before READY=1
  const int failing = n.WaitFor("STATUS=0 connector\\(s\\) ok, 1 failing \\(crm\\).*", ready);
  CHECK(failing > ready);
  // Pings every 200 ms: several arrive within a second or two.
  REQUIRE(WaitFor(
      [&] {
        n.Drain();
        return std::count(n.all.begin(), n.all.end(), "WATCHDOG=1") >= 4;
      },
      std::chrono::seconds(10)));

  const size_t before_reload = n.Drain().size();
  daemon.Signal(SIGHUP);
  const int reloading = n.WaitFor("RELOADING=1\nMONOTONIC_USEC=[0-9]+", before_reload);
  REQUIRE(reloading >= 0);
  CHECK(n.WaitFor("READY=1\nSTATUS=.*", static_cast<size_t>(reloading)) > reloading);

  const size_t before_stop = n.Drain().size();
  daemon.Signal(SIGTERM);
  CHECK(n.WaitFor("STOPPING=1", before_stop) >= 0);
  CHECK(daemon.Wait(std::chrono::seconds(10)) == 0);
}

}  // namespace
}  // namespace salesaudit::testing
