// Fuzz target for every connector stream's page mapping, driven through the
// connector itself. The input's first line selects the stream as
// `<type>/<stream>` (a compiled-in connector type and one of its streams, as
// BuiltinConnectors() lists them; any other first line is ignored), so one
// target covers every connector and a new one needs no edit here. The rest
// is the vendor's answers, NUL-separated (a NUL cannot occur in JSON text),
// served by a loopback HTTP server one per request in order. A request past
// the last answer gets HTTP 400, which ends the stream run, so an input
// bounds its own requests; a run reads at most kMaxPagesPerRun pages.
// Everything between the HTTP body and the canonical Page (classification,
// ParseJson, paging fields, the record mappings) runs as in a sync.
//
// Each input gets a fresh server and connector, so nothing carries over from
// one input to the next.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "connectors/connector.h"
#include "fuzz/stream_run.h"
#include "tests/support/test_http_server.h"

namespace salesaudit::fuzz {
namespace {

constexpr size_t kMaxAnswers = 32;
// A fixed run start (2024-11-14), so that an input behaves the same each time.
constexpr int64_t kRunStartedAtMs = 1731542400000;

std::vector<std::string> SplitAnswers(std::string_view input) {
  std::vector<std::string> answers;
  while (answers.size() < kMaxAnswers) {
    const size_t nul = input.find('\0');
    answers.emplace_back(input.substr(0, nul));
    if (nul == std::string_view::npos) break;
    input.remove_prefix(nul + 1);
  }
  return answers;
}

// The first set of credentials the type requires, each a made-up value
// ("fuzz-<key>"): the answers come from the input whatever the request carries.
std::map<std::string, std::string> MadeUpAuth(const ConnectorDescriptor& descriptor) {
  std::map<std::string, std::string> auth;
  if (descriptor.auth_required.empty()) return auth;
  for (const std::string& key : descriptor.auth_required.front()) auth[key] = "fuzz-" + key;
  return auth;
}

void ServeAndRead(std::string_view input) {
  const size_t line_end = input.find('\n');
  if (line_end == std::string_view::npos) return;
  const std::string_view selector = input.substr(0, line_end);
  const size_t slash = selector.find('/');
  if (slash == std::string_view::npos) return;
  const std::string type(selector.substr(0, slash));
  const std::string stream(selector.substr(slash + 1));
  const ConnectorDescriptor* descriptor = BuiltinConnectors().Find(type);
  if (descriptor == nullptr) return;
  const std::vector<std::string> streams = descriptor->StreamNames();
  if (std::find(streams.begin(), streams.end(), stream) == streams.end()) return;

  std::mutex mu;
  const std::vector<std::string> answers = SplitAnswers(input.substr(line_end + 1));
  size_t next_answer = 0;
  TestHttpServer server;
  server.SetHandler([&](const TestHttpRequest&) {
    std::lock_guard<std::mutex> lock(mu);
    if (next_answer == answers.size()) {
      return TestHttpResponse{.status = 400, .body = R"({"message":"fuzz: no more answers"})"};
    }
    return TestHttpResponse{.headers = {{"Content-Type", "application/json"}},
                            .body = answers[next_answer++]};
  });
  ReadStream(type, stream, server.base_url(), MadeUpAuth(*descriptor), kRunStartedAtMs,
             kMaxPagesPerRun);
}

}  // namespace
}  // namespace salesaudit::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  salesaudit::fuzz::ServeAndRead(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
