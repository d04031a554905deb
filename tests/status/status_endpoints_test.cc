// The daemon's status endpoints end to end (issue 6, "Endpoints"): the real
// `salesaudit run` against a HubSpot simulator and a real store file, all on
// 127.0.0.1: health and readiness, the snapshot and status API, and the
// bearer token that guards them.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "tests/status/status_endpoints_fixture.h"

namespace salesaudit::testing {
namespace {

using std::chrono::seconds;

TEST_CASE("The daemon answers /healthz and /readyz, 404 for unknown paths and 405 for POST",
          "[daemon][status_endpoints]") {
  DaemonFixture f;
  f.WriteConfig();
  f.Start();

  HttpResponse health = f.Fetch("/healthz");
  CHECK(health.status == 200);
  CHECK(health.body == "ok\n");

  // The server answers before the schedules are armed: ready shortly after.
  REQUIRE(WaitFor(
      [&] {
        auto ready = TryFetch(f.Url("/readyz"));
        return ready && ready->status == 200;
      },
      seconds(10)));
  HttpResponse ready = f.Fetch("/readyz");
  CHECK(ready.body == "ok\n");
  HttpResponse verbose = f.Fetch("/readyz?verbose");
  CHECK(verbose.status == 200);
  INFO(verbose.body);
  CHECK_THAT(verbose.body, Catch::Contains("[+]store ok"));
  CHECK_THAT(verbose.body, Catch::Contains("[+]config ok"));
  CHECK_THAT(verbose.body, Catch::Contains("[+]schedules ok"));
  CHECK_THAT(verbose.body, !Catch::Contains("[-]"));
  CHECK_THAT(verbose.body, Catch::EndsWith("readyz check passed\n"));

  CHECK(f.Fetch("/nope").status == 404);
  CHECK(f.Fetch("/healthz/").status == 404);
  for (const char* path : {"/healthz", "/metrics", "/"}) {
    INFO(path);
    HttpResponse post = f.Fetch(path, "POST");
    CHECK(post.status == 405);
    CHECK(post.Header("allow") == "GET, HEAD");
  }
  f.Stop();
}

TEST_CASE("/api/v1/snapshot is the stored snapshot and /api/v1/status what `status` prints",
          "[daemon][status_endpoints]") {
  DaemonFixture f;
  f.WriteConfig();
  f.Start();
  f.WaitUntilSettled();

  // Compared only while the store's latest snapshot stayed the same around
  // the reads (the daemon may store one meanwhile; then read again).
  bool compared = false;
  for (int attempt = 0; attempt < 5 && !compared; ++attempt) {
    const SnapshotRow before = f.LatestSnapshot();
    HttpResponse snapshot = f.Fetch("/api/v1/snapshot");
    RunResult cli = RunProcess({kBinary, "--config", f.config_path, "status", "--format", "json"},
                               seconds(60), f.env);
    HttpResponse status = f.Fetch("/api/v1/status");
    if (f.LatestSnapshot().id != before.id) continue;
    compared = true;

    CHECK(snapshot.status == 200);
    CHECK(snapshot.Header("content-type") == "application/json");
    auto served_snapshot = ParseJson(snapshot.body);
    auto stored_snapshot = ParseJson(before.json);
    INFO("served: " << snapshot.body);
    INFO("stored: " << before.json);
    REQUIRE(served_snapshot->IsObject());
    REQUIRE(stored_snapshot->IsObject());
    CHECK(*served_snapshot == *stored_snapshot);

    INFO(cli.err);
    REQUIRE(cli.exit_code == 0);
    CHECK(status.status == 200);
    CHECK(status.Header("content-type") == "application/json");
    auto served_status = ParseJson(status.body);
    auto printed_status = ParseJson(cli.out);
    INFO("served: " << status.body);
    INFO("printed: " << cli.out);
    REQUIRE(served_status->IsObject());
    REQUIRE(printed_status->IsObject());
    CHECK(*served_status == *printed_status);
    // Not two empty documents: the streams and the snapshot are in it.
    REQUIRE((*served_status)["connectors"].IsArray());
    REQUIRE((*served_status)["connectors"].Size() == 1);
    CHECK((*served_status)["connectors"][0]["streams"].Size() == kStreams.size());
    REQUIRE((*served_status)["snapshot"].IsObject());
    CHECK((*served_status)["snapshot"]["id"].GetInt64() == before.id);
  }
  CHECK(compared);
  f.Stop();
}

TEST_CASE("With status.token_file only /healthz and /readyz answer without the bearer token",
          "[daemon][status_endpoints][secrets]") {
  DaemonFixture f;
  const std::string token = "statustok-5f2a91c7e3";
  const std::string token_file = f.dir.File("status_token");
  WriteFile(token_file, token + "\n");
  f.WriteConfig("status:\n  listen: 127.0.0.1:0\n  token_file: " + token_file + "\n",
                "log:\n  level: debug\n");
  f.Start();
  f.WaitUntilSettled();

  const Headers right = {{"Authorization", "Bearer " + token}};
  const Headers wrong = {{"Authorization", "Bearer " + token + "x"}};
  for (const char* path : {"/metrics", "/api/v1/snapshot", "/api/v1/status", "/"}) {
    INFO(path);
    HttpResponse without = f.Fetch(path);
    CHECK(without.status == 401);
    CHECK_THAT(without.Header("www-authenticate"), Catch::StartsWith("Bearer"));
    CHECK_THAT(without.body, !Catch::Contains(token));
    CHECK(f.Fetch(path, "GET", wrong).status == 401);
    HttpResponse with = f.Fetch(path, "GET", right);
    CHECK(with.status == 200);
    CHECK_FALSE(with.body.empty());
  }
  // The scrape with the token parses too.
  CHECK(f.Metrics(right).Find("salesaudit_syncs_total") != nullptr);
  for (const char* path : {"/healthz", "/readyz", "/readyz?verbose"}) {
    INFO(path);
    CHECK(f.Fetch(path).status == 200);
  }
  f.Stop();
  const std::string log = f.Log();
  INFO(log);
  CHECK_THAT(log, Catch::Contains("status server on http://127.0.0.1:"));
  CHECK_THAT(log, !Catch::Contains(token));
}

}  // namespace
}  // namespace salesaudit::testing
