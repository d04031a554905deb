#include "tests/status/status_endpoints_fixture.h"

#include <signal.h>

#include <catch2/catch.hpp>

namespace salesaudit::testing {

using std::chrono::seconds;

const std::string kBinary = SALESAUDIT_BINARY;
const std::vector<std::string> kStreams = {"owners", "contacts", "deals", "email_campaigns",
                                           "email_events"};

std::optional<HttpResponse> TryFetch(const std::string& url, const std::string& method,
                                     Headers headers) {
  HttpClient http(HttpClient::Options{.timeout = seconds(10)}, nullptr, nullptr);
  Result<HttpResponse> response =
      http.Send({.method = method, .url = url, .headers = std::move(headers)});
  if (!response.ok()) return std::nullopt;
  return *response;
}

size_t Occurrences(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

std::unique_ptr<rapidjson::Document> ParseJson(const std::string& text) {
  auto doc = std::make_unique<rapidjson::Document>();
  doc->Parse(text.c_str(), text.size());
  if (doc->HasParseError()) doc->SetNull();
  return doc;
}

double ValueOf(const PrometheusExposition& metrics, const std::string& sample,
               const std::map<std::string, std::string>& labels) {
  return metrics.Value(sample, labels).value_or(-1);
}

std::string AlertTo(const TestHttpServer& receiver, const std::string& rule,
                    const std::string& when, const std::string& section_extra,
                    const std::string& rule_extra) {
  return "alerts:\n" + section_extra +
         "  rules:\n"
         "    - name: " +
         rule + "\n      when: " + when + "\n" + rule_extra +
         "  receivers:\n"
         "    - name: hook\n"
         "      type: webhook\n"
         "      url: " +
         receiver.base_url() +
         "/alerts\n"
         "  route:\n"
         "    receivers: [hook]\n";
}

std::string LeadsAlertTo(const TestHttpServer& receiver, const std::string& section_extra,
                         const std::string& rule_extra) {
  return AlertTo(receiver, "leads", "funnel.leads > 0", section_extra, rule_extra);
}

DaemonFixture::DaemonFixture() : HubSpotFixture(SmallPortal()) {
  config_path = dir.File("config.yaml");
  env = {{"TEST_HUBSPOT_TOKEN", options.token}};
}

std::string DaemonFixture::ConfigText(const std::string& status, const std::string& extra) {
  std::string yaml = ConfigYaml();
  const size_t at = yaml.find(kAnyPort);
  REQUIRE(at != std::string::npos);
  yaml.replace(at, std::string(kAnyPort).size(), status);
  return yaml + "audit:\n  every: 1h\n  min_interval: 0s\n" + extra;
}

void DaemonFixture::WriteConfig(const std::string& status, const std::string& extra) {
  WriteFile(config_path, ConfigText(status, extra));
}

void DaemonFixture::Start() {
  daemon = std::make_unique<ChildProcess>(
      std::vector<std::string>{kBinary, "--config", config_path, "run"}, dir.path(), env);
  REQUIRE(WaitFor(
      [&] {
        port = PortFromLog(daemon->Stderr());
        return port != 0 || !daemon->running();
      },
      seconds(30)));
  INFO(daemon->Stderr());
  REQUIRE(port != 0);
}

void DaemonFixture::Stop() {
  daemon->Signal(SIGTERM);
  CHECK(daemon->Wait(seconds(10)) == 0);
}

std::string DaemonFixture::Log() const { return daemon->Stdout() + daemon->Stderr(); }

std::string DaemonFixture::Url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port) + path;
}

HttpResponse DaemonFixture::Fetch(const std::string& path, const std::string& method,
                                  Headers headers) {
  auto response = TryFetch(Url(path), method, std::move(headers));
  INFO(method << " " << path);
  REQUIRE(response.has_value());
  return *response;
}

PrometheusExposition DaemonFixture::Metrics(Headers headers) {
  HttpResponse response = Fetch("/metrics", "GET", std::move(headers));
  REQUIRE(response.status == 200);
  CHECK(response.Header("content-type") == "text/plain; version=0.0.4; charset=utf-8");
  auto parsed = ParsePrometheusText(response.body);
  INFO(response.body);
  INFO(parsed.status().message());
  REQUIRE(parsed.ok());
  return *parsed;
}

bool DaemonFixture::WaitForMetrics(
    const std::function<bool(const PrometheusExposition&)>& condition,
    std::chrono::milliseconds timeout) {
  return WaitFor(
      [&] {
        auto response = TryFetch(Url("/metrics"));
        if (!response || response->status != 200) return false;
        auto parsed = ParsePrometheusText(response->body);
        return parsed.ok() && condition(*parsed);
      },
      timeout);
}

void DaemonFixture::WaitUntilSettled() {
  const bool settled =
      WaitFor([&] { return Occurrences(daemon->Stderr(), "audit snapshot ") >= 2; }, seconds(60));
  INFO(Log());
  REQUIRE(settled);
}

SnapshotRow DaemonFixture::LatestSnapshot() {
  auto latest = store->LatestSnapshot();
  REQUIRE(latest.ok());
  REQUIRE(latest->has_value());
  return **latest;
}

}  // namespace salesaudit::testing
