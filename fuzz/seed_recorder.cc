// Writes the seeds of the connector fuzz targets: runs each stream of each
// connector against its simulator (tests/sim/), filled with a small
// generated account, through a loopback proxy that records every answer, and
// saves one stream run's answers, NUL-separated as connector_page_fuzz.cc
// reads them, to OUT_DIR/<type>_<stream>/sim-seed<N>. scripts/fuzz-seeds.sh
// runs it into fuzz/corpus/.
//
//   fuzz_seed_recorder OUT_DIR
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "connectors/connector.h"
#include "core/time_util.h"
#include "fuzz/stream_run.h"
#include "net/http_client.h"
#include "tests/sim/hubspot/hubspot_sim.h"
#include "tests/sim/mailchimp/mailchimp_sim.h"
#include "tests/support/test_http_server.h"

namespace salesaudit::fuzz {
namespace {

// A loopback proxy in front of a simulator that keeps the body of each
// answer it passes on.
class RecordingProxy {
 public:
  // `origin`: the simulator's "http://127.0.0.1:PORT".
  explicit RecordingProxy(std::string origin) : origin_(std::move(origin)) {
    server_.SetHandler([this](const TestHttpRequest& request) { return Forward(request); });
  }

  std::string base_url() const { return server_.base_url(); }

  std::vector<std::string> TakeAnswers() {
    std::lock_guard<std::mutex> lock(mu_);
    return std::move(answers_);
  }

 private:
  TestHttpResponse Forward(const TestHttpRequest& request) {
    HttpRequest forward{
        .method = request.method, .url = origin_ + request.target, .body = request.body};
    for (const char* name : {"authorization", "content-type", "accept"}) {
      if (!request.Header(name).empty()) forward.headers.emplace_back(name, request.Header(name));
    }
    HttpClient http({}, nullptr, nullptr);
    auto response = http.Send(forward);
    if (!response.ok()) return TestHttpResponse{.status = 502, .body = response.status().message()};
    std::lock_guard<std::mutex> lock(mu_);
    answers_.push_back(response->body);
    return TestHttpResponse{.status = static_cast<int>(response->status),
                            .headers = {{"Content-Type", "application/json"}},
                            .body = response->body};
  }

  std::string origin_;
  std::mutex mu_;
  std::vector<std::string> answers_;
  TestHttpServer server_;  // last: stops before what its handler uses goes
};

// "http://127.0.0.1:PORT/3.0" -> "http://127.0.0.1:PORT" and "/3.0".
std::pair<std::string, std::string> SplitOrigin(const std::string& base_url) {
  const size_t path = base_url.find('/', base_url.find("://") + 3);
  if (path == std::string::npos) return {base_url, ""};
  return {base_url.substr(0, path), base_url.substr(path)};
}

bool RecordStream(const std::filesystem::path& out_dir, const std::string& type,
                  const std::string& stream, const std::string& sim_base_url,
                  const std::map<std::string, std::string>& auth, const std::string& name) {
  const auto [origin, path] = SplitOrigin(sim_base_url);
  RecordingProxy proxy(origin);
  ReadStream(type, stream, proxy.base_url() + path, auth, NowMs(), kMaxPagesPerRun);
  std::string seed;
  for (const std::string& answer : proxy.TakeAnswers()) {
    if (!seed.empty()) seed += '\0';
    seed += answer;
  }
  const std::filesystem::path dir = out_dir / (type + "_" + stream);
  std::filesystem::create_directories(dir);
  std::ofstream out(dir / name, std::ios::binary);
  out << seed;
  std::printf("%s: %zu bytes\n", (dir / name).c_str(), seed.size());
  return static_cast<bool>(out);
}

bool RecordAll(const std::filesystem::path& out_dir) {
  bool ok = true;
  for (uint64_t seed : {1, 2}) {
    const std::string name = "sim-seed" + std::to_string(seed);
    sim::HubSpotSim hubspot;
    hubspot.Generate(sim::PortalSpec{.seed = seed,
                                     .contacts = 4,
                                     .deals = 3,
                                     .owners = 2,
                                     .history_days = 30,
                                     .max_contacts_per_deal = 2,
                                     .email_campaigns = 2,
                                     .events_per_campaign = 4});
    if (hubspot.Start() == 0) return false;
    for (const std::string& stream : BuiltinConnectors().Find("hubspot")->StreamNames()) {
      ok &= RecordStream(out_dir, "hubspot", stream, hubspot.base_url(),
                         {{"token", sim::SimOptions{}.token}}, name);
    }
    sim::MailchimpSim mailchimp;
    mailchimp.Generate(sim::MailchimpSpec{.seed = seed,
                                          .lists = 1,
                                          .members_per_list = 3,
                                          .sent_campaigns = 2,
                                          .draft_campaigns = 1,
                                          .history_days = 30});
    if (mailchimp.Start() == 0) return false;
    for (const std::string& stream : BuiltinConnectors().Find("mailchimp")->StreamNames()) {
      ok &= RecordStream(out_dir, "mailchimp", stream, mailchimp.base_url(),
                         {{"api_key", sim::MailchimpSimOptions{}.api_key}}, name);
    }
  }
  return ok;
}

}  // namespace
}  // namespace salesaudit::fuzz

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUT_DIR\n", argv[0]);
    return 2;
  }
  return salesaudit::fuzz::RecordAll(argv[1]) ? 0 : 1;
}
