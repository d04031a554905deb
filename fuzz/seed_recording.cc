#include "fuzz/seed_recording.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <utility>
#include <vector>

#include "connectors/connector.h"
#include "core/time_util.h"
#include "fuzz/stream_run.h"
#include "net/http_client.h"
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
    for (const char* name : {"authorization", "x-api-token", "content-type", "accept"}) {
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
  std::string seed = type + "/" + stream + "\n";
  const std::vector<std::string> answers = proxy.TakeAnswers();
  for (size_t k = 0; k < answers.size(); ++k) {
    if (k > 0) seed += '\0';
    seed += answers[k];
  }
  std::filesystem::create_directories(out_dir);
  const std::filesystem::path file = out_dir / (type + "_" + stream + "_" + name);
  std::ofstream out(file, std::ios::binary);
  out << seed;
  std::printf("%s: %zu bytes\n", file.c_str(), seed.size());
  return static_cast<bool>(out);
}

}  // namespace

int RecordSeedsMain(
    int argc, char** argv,
    const std::function<bool(const SeedRecorder& recorder, uint64_t seed)>& record_account) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUT_DIR\n", argv[0]);
    return 2;
  }
  const std::filesystem::path out_dir = argv[1];
  bool ok = true;
  for (uint64_t seed : {1, 2}) {
    const std::string name = "sim-seed" + std::to_string(seed);
    const SeedRecorder recorder = [&](const std::string& type, const std::string& base_url,
                                      const std::map<std::string, std::string>& auth) {
      const ConnectorDescriptor* descriptor = BuiltinConnectors().Find(type);
      if (descriptor == nullptr) {
        std::fprintf(stderr, "%s: no connector type '%s'\n", argv[0], type.c_str());
        return false;
      }
      bool recorded = true;
      for (const std::string& stream : descriptor->StreamNames()) {
        recorded &= RecordStream(out_dir, type, stream, base_url, auth, name);
      }
      return recorded;
    };
    ok &= record_account(recorder, seed);
  }
  return ok ? 0 : 1;
}

}  // namespace salesaudit::fuzz
