// Fuzz target for one connector stream's page mapping, driven through the
// connector itself: the input is the vendor's answers, NUL-separated (a NUL
// cannot occur in JSON text), served by a loopback HTTP server one per
// request in order. A request past the last answer gets HTTP 400, which ends
// the stream run, so an input bounds its own requests; a run reads at most
// kMaxPagesPerRun pages. Everything between the HTTP body and the canonical Page
// (classification, ParseJson, paging fields, the record mappings) runs as in
// a sync.
//
// Built once per stream (fuzz/CMakeLists.txt) with SALESAUDIT_FUZZ_CONNECTOR
// and SALESAUDIT_FUZZ_STREAM naming it. Each input gets a fresh server and
// connector, so nothing carries over from one input to the next.
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

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

void ServeAndRead(std::string_view input) {
  std::mutex mu;
  const std::vector<std::string> answers = SplitAnswers(input);
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
  const std::string type = SALESAUDIT_FUZZ_CONNECTOR;
  const std::map<std::string, std::string> auth =
      type == "mailchimp" ? std::map<std::string, std::string>{{"api_key", "0123456789abcdef-us1"}}
                          : std::map<std::string, std::string>{{"token", "pat-na1-fuzz"}};
  ReadStream(type, SALESAUDIT_FUZZ_STREAM, server.base_url(), auth, kRunStartedAtMs,
             kMaxPagesPerRun);
}

}  // namespace
}  // namespace salesaudit::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  salesaudit::fuzz::ServeAndRead(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
