// Notification bodies: Alertmanager's webhook format, Slack's, the
// fingerprint Alertmanager would give, and the body signature.
#include "alerts/notification.h"

#include <rapidjson/document.h>

#include <catch2/catch.hpp>
#include <string>

namespace salesaudit {
namespace {

constexpr int64_t kStart = 1764201600000;  // 2025-11-27T00:00:00Z

NotificationGroup TwoAlerts() {
  NotificationGroup g;
  g.receiver = "ops-hook";
  g.group_labels = {{"team", "sales"}};
  g.external_url = "https://salesaudit.example.com/";
  AlertNotice firing;
  firing.labels = {{"alertname", "lead-shortfall"}, {"severity", "warning"}, {"team", "sales"}};
  firing.annotations = {{"summary", "Lead shortfall: 12.5 leads <below> capacity & more"}};
  firing.starts_at_ms = kStart;
  firing.value = 4.117647058823529;
  firing.unit = {.kind = FigureKind::kPerPeriod, .noun = "leads", .period = "week"};
  AlertNotice resolved;
  resolved.firing = false;
  resolved.labels = {{"alertname", "low-win-rate"}, {"severity", "warning"}, {"team", "sales"}};
  resolved.annotations = {{"summary", "SQL to won below 20%"}};
  resolved.starts_at_ms = kStart - 3600000;
  resolved.ends_at_ms = kStart + 60000;
  g.alerts = {firing, resolved};
  return g;
}

TEST_CASE("The fingerprint is Prometheus's label-set fingerprint") {
  // The vector of prometheus/common's signature tests.
  CHECK(AlertFingerprint({{"name", "garland, briggs"}, {"fear", "love is not enough"}}) ==
        "507a62d79ee76c9a");
  CHECK(AlertFingerprint({}) == "cbf29ce484222325");  // FNV-1a's offset basis
  CHECK(AlertFingerprint({{"a", "b"}}) != AlertFingerprint({{"a", "c"}}));
}

TEST_CASE("The webhook body has Alertmanager's version 4 shape") {
  const std::string body = AlertmanagerWebhookBody(TwoAlerts());
  rapidjson::Document doc;
  doc.Parse(body.c_str());
  REQUIRE_FALSE(doc.HasParseError());
  CHECK(std::string(doc["version"].GetString()) == "4");
  CHECK(std::string(doc["receiver"].GetString()) == "ops-hook");
  CHECK(std::string(doc["status"].GetString()) == "firing");
  CHECK(std::string(doc["groupKey"].GetString()) == "{}:{team=\"sales\"}");
  CHECK(doc["truncatedAlerts"].GetInt() == 0);
  CHECK(std::string(doc["externalURL"].GetString()) == "https://salesaudit.example.com/");
  CHECK(doc["groupLabels"].MemberCount() == 1);
  // Common labels are those every alert has with one value.
  CHECK(doc["commonLabels"].MemberCount() == 2);
  CHECK(std::string(doc["commonLabels"]["severity"].GetString()) == "warning");
  CHECK(std::string(doc["commonLabels"]["team"].GetString()) == "sales");
  CHECK(doc["commonAnnotations"].MemberCount() == 0);

  const auto& alerts = doc["alerts"];
  REQUIRE(alerts.Size() == 2);
  CHECK(std::string(alerts[0]["status"].GetString()) == "firing");
  CHECK(std::string(alerts[0]["labels"]["alertname"].GetString()) == "lead-shortfall");
  CHECK(std::string(alerts[0]["startsAt"].GetString()) == "2025-11-27T00:00:00.000Z");
  CHECK(std::string(alerts[0]["endsAt"].GetString()) == "0001-01-01T00:00:00Z");
  CHECK(std::string(alerts[0]["fingerprint"].GetString()) ==
        AlertFingerprint(TwoAlerts().alerts[0].labels));
  CHECK(std::string(alerts[0]["generatorURL"].GetString()) == "https://salesaudit.example.com/");
  // The exact value, for receivers that compute; people read the summary.
  CHECK(alerts[0]["value"].GetDouble() == 4.117647058823529);
  CHECK(alerts[1]["value"].IsNull());
  CHECK(std::string(alerts[1]["status"].GetString()) == "resolved");
  CHECK(std::string(alerts[1]["endsAt"].GetString()) == "2025-11-27T00:01:00.000Z");

  NotificationGroup all_resolved = TwoAlerts();
  all_resolved.alerts.erase(all_resolved.alerts.begin());
  doc.Parse(AlertmanagerWebhookBody(all_resolved).c_str());
  CHECK(std::string(doc["status"].GetString()) == "resolved");
  CHECK(std::string(doc["commonAnnotations"]["summary"].GetString()) == "SQL to won below 20%");
}

TEST_CASE("The Slack body is one escaped text with a line per alert, its value and the dashboard") {
  rapidjson::Document doc;
  doc.Parse(SlackWebhookBody(TwoAlerts()).c_str());
  REQUIRE_FALSE(doc.HasParseError());
  CHECK(std::string(doc["text"].GetString()) ==
        "*[FIRING:1]* sales\n• Lead shortfall: 12.5 leads &lt;below&gt; capacity &amp; more "
        "(value: 4.1 leads per week)\n"
        "• resolved: SQL to won below 20%\n<https://salesaudit.example.com/|Dashboard>");
  NotificationGroup no_url = TwoAlerts();
  no_url.external_url.clear();
  doc.Parse(SlackWebhookBody(no_url).c_str());
  CHECK_THAT(std::string(doc["text"].GetString()), !Catch::Contains("Dashboard"));
}

TEST_CASE("The signature is the hex HMAC-SHA256 of the body with the receiver's secret") {
  // RFC 4231, test case 2.
  CHECK(SignatureHeader("Jefe", "what do ya want for nothing?") ==
        "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  CHECK(SignatureHeader("other", "what do ya want for nothing?") !=
        SignatureHeader("Jefe", "what do ya want for nothing?"));
}

}  // namespace
}  // namespace salesaudit
