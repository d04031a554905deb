// The HubSpot connector against a hostile server in front of its simulator:
// each test sends one input a broken or malicious API could send, over real
// HTTP, and checks that the stream it hits fails with an error naming the
// connector and stream, that the store keeps what it had, and that the other
// streams still sync.
#include <malloc.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <vector>

#include "connectors/connector.h"
#include "tests/connectors/hubspot/hubspot_fixture.h"
#include "tests/support/build_flavor.h"
#include "tests/support/hostile_http_server.h"

namespace salesaudit::testing {
namespace {

using namespace std::chrono_literals;

constexpr char kOwners[] = "/crm/v3/owners";
constexpr char kContacts[] = "/crm/v3/objects/contacts";
constexpr char kAssociations[] = "/crm/v4/associations/deals/contacts/batch/read";
constexpr char kCampaigns[] = "/email/public/v1/campaigns/by-id";
constexpr char kEvents[] = "/email/public/v1/events";

sim::PortalSpec SmallPortal() {
  sim::PortalSpec spec;
  spec.seed = 11;
  spec.contacts = 250;
  spec.deals = 40;
  spec.owners = 4;
  return spec;
}

// The simulator behind a hostile server, the connector pointed at the latter.
struct HostileFixture {
  HostileFixture() : f(SmallPortal()), server(f.sim.base_url()) {
    f.config.base_url = server.base_url();
  }
  HubSpotFixture f;
  HostileHttpServer server;
};

const StreamSyncResult& Of(const std::vector<StreamSyncResult>& results,
                           const std::string& stream) {
  for (const auto& r : results) {
    if (r.stream == stream) return r;
  }
  FAIL("no result for stream " << stream);
  throw std::logic_error("unreachable");
}

// Every stream but `failed` synced.
void RequireOthersOk(const std::vector<StreamSyncResult>& results, const std::string& failed) {
  REQUIRE(results.size() == BuiltinConnectors().Find("hubspot")->streams.size());
  for (const auto& r : results) {
    INFO(r.Summary());
    if (r.stream != failed) REQUIRE(r.status.ok());
  }
}

int64_t Rows(HubSpotFixture& f, RecordKind kind) {
  auto n = f.store->CountRows(kind, "crm", /*include_deleted=*/true);
  REQUIRE(n.ok());
  return *n;
}

std::string HubSpotListPage(const std::string& next) {
  return R"({"results":[],"paging":{"next":{"after":")" + next + R"("}}})";
}

TEST_CASE("A contacts page nested 150,000 deep fails contacts clearly and the rest syncs",
          "[hubspot][hostile]") {
  HostileFixture h;
  h.server.Serve(kContacts, hostile::DeeplyNested(150000));
  auto results = h.f.Sync();
  RequireOthersOk(results, "contacts");
  const Status& s = Of(results, "contacts").status;
  CHECK(s.code() == StatusCode::kDataLoss);
  CHECK(s.message() ==
        "hubspot[crm]: contacts: GET /crm/v3/objects/contacts: JSON nested deeper than 128 "
        "levels at offset 137");
  CHECK(Rows(h.f, RecordKind::kContact) == 0);
  CHECK(Rows(h.f, RecordKind::kDeal) == static_cast<int64_t>(h.f.sim.Deals().size()));
}

TEST_CASE("An HTTP 500 nested 150,000 deep is retried and reported by its status",
          "[hubspot][hostile]") {
  HostileFixture h;
  h.f.config.max_retries = 2;
  h.server.Serve(kOwners, hostile::DeeplyNested(150000, 500));
  auto results = h.f.Sync();
  RequireOthersOk(results, "owners");
  const Status& s = Of(results, "owners").status;
  CHECK(s.code() == StatusCode::kUnavailable);
  CHECK(s.message() ==
        "hubspot[crm]: owners: GET /crm/v3/owners: HTTP 500 (gave up after 3 attempts)");
  CHECK(h.server.RequestsTo(kOwners) == 3);
}

TEST_CASE("A token response nested 150,000 deep fails each stream clearly and stores nothing",
          "[hubspot][hostile]") {
  HostileFixture h;
  h.f.config.auth = {
      {"client_id", "client-1"}, {"client_secret", "secret-2"}, {"refresh_token", "refresh-3"}};
  h.server.Serve("/oauth/v1/token", hostile::DeeplyNested(150000));
  auto results = h.f.Sync();
  REQUIRE(results.size() == 5);
  for (const auto& r : results) {
    CHECK(r.status.code() == StatusCode::kDataLoss);
    CHECK(r.status.message() == "hubspot[crm]: " + r.stream +
                                    ": oauth token refresh: JSON nested deeper than 128 levels "
                                    "at offset 137");
  }
  CHECK(Rows(h.f, RecordKind::kOwner) == 0);
}

TEST_CASE("A stored cursor nested 150,000 deep is refused with the hint to run sync --full",
          "[hubspot][hostile]") {
  HostileFixture h;
  Page planted{.stream = "contacts", .cursor = std::string(150000, '[') + std::string(150000, ']')};
  REQUIRE(h.f.store->CommitPage("crm", planted).ok());
  auto results = h.f.Sync();
  RequireOthersOk(results, "contacts");
  CHECK(Of(results, "contacts").status.message() ==
        "hubspot[crm]: contacts: stored cursor is not valid JSON; run `sync --full`");
  // --full forgets it and reads the portal.
  auto full = h.f.Sync(/*full=*/true);
  for (const auto& r : full) REQUIRE(r.status.ok());
  CHECK(h.f.DifferencesFromPortal().empty());
}

TEST_CASE("Owner paging tokens that cycle A/B/A/B stop the owners stream after three requests",
          "[hubspot][hostile]") {
  HostileFixture h;
  h.server.Serve(kOwners, hostile::CyclingTokens({"A", "B"}, [](const std::string& next) {
                   return R"({"results":[{"id":"9001","email":"loop@example.com"}],)"
                          R"("paging":{"next":{"after":")" +
                          next + R"("}}})";
                 }));
  auto results = h.f.Sync();
  RequireOthersOk(results, "owners");
  const StreamSyncResult& owners = Of(results, "owners");
  CHECK(owners.status.code() == StatusCode::kDataLoss);
  CHECK(owners.status.message() ==
        "hubspot[crm]: owners: page 3 returns to the position after page 1 (the API's paging "
        "repeats itself); stopped before reading it again");
  CHECK(owners.pages == 2);
  CHECK(h.server.RequestsTo(kOwners) == 3);
  CHECK(Rows(h.f, RecordKind::kOwner) == 1);
}

TEST_CASE("Contacts list tokens that cycle stop the stream and a full sync later converges",
          "[hubspot][hostile]") {
  HostileFixture h;
  h.server.Serve(kContacts, hostile::CyclingTokens({"A", "B", "C"}, HubSpotListPage));
  auto results = h.f.Sync();
  RequireOthersOk(results, "contacts");
  CHECK_THAT(Of(results, "contacts").status.message(),
             Catch::StartsWith("hubspot[crm]: contacts: page 4 returns to the position after "
                               "page 1"));
  CHECK(h.server.RequestsTo(kContacts) == 4);

  h.server.Forward(kContacts);
  for (const auto& r : h.f.Sync(/*full=*/true)) REQUIRE(r.status.ok());
  CHECK(h.f.DifferencesFromPortal().empty());
}

TEST_CASE("Archived list tokens that cycle stop the deletion rescan", "[hubspot][hostile]") {
  HostileFixture h;
  for (const auto& r : h.f.Sync()) REQUIRE(r.status.ok());
  auto cycling = hostile::CyclingTokens({"X", "Y"}, HubSpotListPage);
  HostileHttpServer& server = h.server;
  h.server.Serve(kContacts, [&server, cycling](const TestHttpRequest& request) {
    return request.target.find("archived=true") != std::string::npos ? cycling(request)
                                                                     : server.Upstream(request);
  });
  auto results = h.f.Sync();
  RequireOthersOk(results, "contacts");
  CHECK_THAT(Of(results, "contacts").status.message(),
             Catch::StartsWith("hubspot[crm]: contacts: page ") &&
                 Catch::Contains("returns to the position after page"));
  CHECK(h.f.DifferencesFromPortal().empty());
}

TEST_CASE("Association pages that cycle stop the deals stream naming the deal",
          "[hubspot][hostile]") {
  HostileFixture h;
  auto served = std::make_shared<int>(0);
  h.server.Serve(kAssociations, [served](const TestHttpRequest& request) {
    // Every deal asked for gets one contact and a token, cycling P/Q.
    const std::string token = (*served)++ % 2 == 0 ? "P" : "Q";
    std::string results;
    for (size_t at = request.body.find(R"("id":")"); at != std::string::npos;
         at = request.body.find(R"("id":")", at + 1)) {
      const size_t start = at + 6;
      const std::string id = request.body.substr(start, request.body.find('"', start) - start);
      if (!results.empty()) results += ',';
      results += R"({"from":{"id":")" + id + R"("},"to":[{"toObjectId":1}],)" +
                 R"("paging":{"next":{"after":")" + token + R"("}}})";
    }
    return TestHttpResponse{.body = R"({"status":"COMPLETE","results":[)" + results + "]}"};
  });
  auto results = h.f.Sync();
  RequireOthersOk(results, "deals");
  CHECK_THAT(Of(results, "deals").status.message(),
             Catch::Matches("hubspot\\[crm\\]: deals: associations of deal \\d+: a paging token "
                            "came back \\(the API's paging repeats itself\\); stopped"));
  CHECK(h.server.RequestsTo(kAssociations) == 3);
  CHECK(Rows(h.f, RecordKind::kDeal) == 0);
}

TEST_CASE("Email campaign and event offsets that cycle stop only their stream",
          "[hubspot][hostile]") {
  struct Case {
    const char* path;
    const char* stream;
    const char* array;
    int requests;  // events: five API pages per committed page, offsets o1, o2, o1
  };
  for (const Case& c : {Case{kCampaigns, "email_campaigns", "campaigns", 3},
                        Case{kEvents, "email_events", "events", 15}}) {
    INFO(c.stream);
    HostileFixture h;
    const std::string array = c.array;
    h.server.Serve(c.path, hostile::CyclingTokens({"o1", "o2"}, [array](const std::string& next) {
                     return R"({")" + array + R"(":[],"hasMore":true,"offset":")" + next + R"("})";
                   }));
    auto results = h.f.Sync();
    RequireOthersOk(results, c.stream);
    CHECK_THAT(Of(results, c.stream).status.message(),
               Catch::StartsWith("hubspot[crm]: " + std::string(c.stream) +
                                 ": page 3 returns to the position after page 1"));
    CHECK(h.server.RequestsTo(c.path) == c.requests);
  }
}

TEST_CASE("A 10 MB paging token is refused before the page commits and the next sync works",
          "[hubspot][hostile]") {
  HostileFixture h;
  h.server.Serve(kContacts, hostile::OversizedToken(10 * 1024 * 1024, HubSpotListPage));
  auto results = h.f.Sync();
  RequireOthersOk(results, "contacts");
  CHECK(Of(results, "contacts").status.message() ==
        "hubspot[crm]: contacts: paging token of 10485760 bytes is over the 4096-byte limit; "
        "not followed");
  auto cursor = h.f.store->GetCursor("crm", "contacts");
  REQUIRE(cursor.ok());
  CHECK(cursor->empty());  // the page with the token was not committed
  CHECK(Rows(h.f, RecordKind::kContact) == 0);

  h.server.Forward(kContacts);
  for (const auto& r : h.f.Sync()) REQUIRE(r.status.ok());
  CHECK(h.f.DifferencesFromPortal().empty());
}

TEST_CASE("max_pages_per_run ends a run cleanly and later runs resume until the portal is stored",
          "[hubspot][hostile]") {
  HostileFixture h;
  h.f.config.max_pages_per_run = 1;
  auto first = h.f.Sync();
  const StreamSyncResult& contacts = Of(first, "contacts");
  CHECK(contacts.status.ok());
  CHECK(contacts.pages == 1);
  CHECK(contacts.page_limit_reached);
  CHECK_THAT(contacts.Summary(),
             Catch::EndsWith("(max_pages_per_run reached: the next sync resumes)"));
  CHECK(Rows(h.f, RecordKind::kContact) == 100);
  int runs = 1;
  while (!h.f.DifferencesFromPortal().empty() && runs < 20) {
    for (const auto& r : h.f.Sync()) {
      INFO(r.Summary());
      REQUIRE(r.status.ok());
    }
    ++runs;
  }
  const auto diffs = h.f.DifferencesFromPortal();
  INFO(diffs.size() << " differences, first: " << (diffs.empty() ? "" : diffs[0]));
  CHECK(diffs.empty());
  CHECK(runs >= 3);  // 250 contacts at 100 a page
}

TEST_CASE("A gzip bomb on the contacts list fails that stream naming the limit",
          "[hubspot][hostile]") {
  HostileFixture h;
  h.server.Serve(kContacts, hostile::GzipBomb(1024 * 1024 * 1024));
  auto results = h.f.Sync();
  RequireOthersOk(results, "contacts");
  const Status& s = Of(results, "contacts").status;
  CHECK(s.code() == StatusCode::kPermanent);
  CHECK(s.message() ==
        "hubspot[crm]: contacts: GET /crm/v3/objects/contacts: response body over the "
        "16777216-byte limit (max_response_size); not read");
  CHECK(h.server.RequestsTo(kContacts) == 1);  // not retried
}

// Runs the salesaudit binary with `args`; returns its exit code and peak RSS.
// A child's peak starts at its parent's resident size when it forks (Linux
// keeps it across exec), so this process first hands its free heap back and
// forks rather than spawning in its address space.
std::pair<int, long> RunMeasured(const std::vector<std::string>& args, const std::string& token) {
  std::vector<std::string> env_text = {"TEST_HUBSPOT_TOKEN=" + token, "PATH=/usr/bin:/bin"};
  std::vector<char*> argv;
  std::vector<char*> env;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  for (const auto& e : env_text) env.push_back(const_cast<char*>(e.c_str()));
  argv.push_back(nullptr);
  env.push_back(nullptr);
  malloc_trim(0);
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    execve(argv[0], argv.data(), env.data());
    _exit(127);
  }
  int status = 0;
  rusage usage{};
  REQUIRE(wait4(pid, &status, 0, &usage) == pid);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), usage.ru_maxrss};
}

TEST_CASE("A sync meeting the largest allowed gzip body, or a bomb, stays in the memory goal",
          "[hubspot][hostile]") {
  HostileFixture h;
  std::string yaml = h.f.ConfigYaml();
  yaml.replace(yaml.find(h.f.sim.base_url()), h.f.sim.base_url().size(), h.server.base_url());
  const std::string config = h.f.dir.File("config.yaml");
  WriteFile(config, yaml);
  const std::vector<std::string> sync = {SALESAUDIT_BINARY, "--config", config, "sync"};

  // Exactly max_response_size (16 MiB) decoded: read and parsed.
  h.server.Serve(kContacts, hostile::GzipBomb(16 * 1024 * 1024));
  auto [allowed_exit, allowed_kib] = RunMeasured(sync, h.f.options.token);
  // 1 GiB decoded from 1 MiB of gzip: cut at the limit.
  h.server.Serve(kContacts, hostile::GzipBomb(1024 * 1024 * 1024));
  auto [bomb_exit, bomb_kib] = RunMeasured(sync, h.f.options.token);
  WARN("peak RSS: largest allowed body " << allowed_kib / 1024 << " MiB, gzip bomb "
                                         << bomb_kib / 1024 << " MiB");
  CHECK(allowed_exit == 0);
  CHECK(bomb_exit == 1);  // contacts failed, the process did not
  if (kMemoryGoalsApply) {
    CHECK(allowed_kib < 64 * 1024);
    CHECK(bomb_kib < 64 * 1024);
  }
}

TEST_CASE("A 429 asking to wait until year 9999 waits retry_backoff_max and the sync converges",
          "[hubspot][hostile]") {
  HostileFixture h;
  auto first = std::make_shared<bool>(true);
  HostileHttpServer& server = h.server;
  h.server.Serve(kOwners, [&server, first](const TestHttpRequest& request) {
    if (!std::exchange(*first, false)) return server.Upstream(request);
    return TestHttpResponse{.status = 429,
                            .headers = {{"Retry-After", "Fri, 31 Dec 9999 23:59:59 GMT"}},
                            .body = R"({"message":"later"})"};
  });
  const auto started = std::chrono::steady_clock::now();
  auto results = h.f.Sync();
  for (const auto& r : results) REQUIRE(r.status.ok());
  CHECK(Of(results, "owners").retries == 1);
  CHECK(std::chrono::steady_clock::now() - started < 10s);
  CHECK(h.f.DifferencesFromPortal().empty());
}

}  // namespace
}  // namespace salesaudit::testing
