// The alert email: headers, two base64 parts, no header injection.
#include "alerts/email_message.h"

#include <catch2/catch.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "core/encoding.h"
#include "tests/support/test_smtp_server.h"

namespace salesaudit {
namespace {

NotificationGroup Group() {
  NotificationGroup g;
  g.receiver = "ops-mail";
  g.external_url = "https://salesaudit.example.com/";
  AlertNotice a;
  a.labels = {{"alertname", "lead-shortfall"}, {"severity", "warning"}, {"team", "sales"}};
  a.annotations = {{"summary", "Lead shortfall: 12.5 leads <per> week"}};
  a.starts_at_ms = 1764201600000;
  a.value = 4.117647058823529;
  a.unit = {.kind = FigureKind::kPerPeriod, .noun = "leads", .period = "week"};
  a.context = {{"", "capacity 100 leads/week (4 reps x 25), incoming 95.9/week"},
               {"reps", "4"},
               {"window", "2026-09-07 00:00 UTC to 2026-12-07 00:00 UTC, by week"}};
  g.alerts = {a};
  return g;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t end = text.find("\r\n", pos);
    REQUIRE(end != std::string::npos);  // every line ends in CRLF
    lines.push_back(text.substr(pos, end - pos));
    pos = end + 2;
  }
  return lines;
}

TEST_CASE("The subject names state, severity and rule") {
  NotificationGroup g = Group();
  CHECK(AlertEmailSubject(g) == "[FIRING:1] warning lead-shortfall");
  g.alerts.push_back(g.alerts[0]);
  g.alerts[1].labels["alertname"] = "low-win-rate";
  g.alerts[1].labels["severity"] = "critical";
  g.alerts[1].firing = false;
  CHECK(AlertEmailSubject(g) == "[FIRING:1] lead-shortfall, low-win-rate");
  g.alerts.erase(g.alerts.begin());
  CHECK(AlertEmailSubject(g) == "[RESOLVED] critical low-win-rate");
}

TEST_CASE("The email is a multipart/alternative message with a text and an HTML part") {
  const std::string mail = AlertEmail(
      Group(), {.from = "salesaudit@example.com", .to = {"ops@example.com", "lead@example.com"}},
      "n42-abc", 1764201600000);
  const auto lines = Lines(mail);
  for (const std::string& line : lines) CHECK(line.size() <= 78);
  CHECK(lines[0] == "From: salesaudit@example.com");
  CHECK(lines[1] == "To: ops@example.com, lead@example.com");
  CHECK(lines[2] == "Subject: [FIRING:1] warning lead-shortfall");
  CHECK(lines[3] == "Date: Thu, 27 Nov 2025 00:00:00 +0000");
  CHECK(lines[4] == "Message-ID: <n42-abc@salesaudit>");
  CHECK(lines[6] == "Content-Type: multipart/alternative; boundary=\"salesaudit-n42-abc\"");

  // Split the parts and decode them.
  std::vector<std::string> bodies;
  std::vector<std::string> types;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (lines[i] != "--salesaudit-n42-abc") continue;
    types.push_back(lines[i + 1]);
    CHECK(lines[i + 2] == "Content-Transfer-Encoding: base64");
    std::string b64;
    for (size_t j = i + 4; j < lines.size() && lines[j].rfind("--", 0) != 0; ++j) b64 += lines[j];
    bodies.push_back(Base64Decode(b64).value_or(""));
  }
  CHECK(lines.back() == "--salesaudit-n42-abc--");
  REQUIRE(types == std::vector<std::string>{"Content-Type: text/plain; charset=utf-8",
                                            "Content-Type: text/html; charset=utf-8"});
  CHECK_THAT(bodies[0], Catch::Contains("[FIRING] lead-shortfall (warning)") &&
                            Catch::Contains("Lead shortfall: 12.5 leads <per> week") &&
                            Catch::Contains("value: 4.1 leads per week\n") &&
                            Catch::Contains("\n  capacity 100 leads/week (4 reps x 25), incoming "
                                            "95.9/week\n  reps: 4\n  window: 2026-09-07") &&
                            Catch::Contains("Dashboard: https://salesaudit.example.com/"));
  CHECK_THAT(bodies[0], !Catch::Contains("4.1176"));
  CHECK_THAT(bodies[1], Catch::Contains("Lead shortfall: 12.5 leads &lt;per&gt; week") &&
                            Catch::Contains("value: 4.1 leads per week") &&
                            Catch::Contains("capacity 100 leads/week (4 reps x 25)") &&
                            Catch::Contains("<a href=\"https://salesaudit.example.com/\">") &&
                            Catch::Contains("<html"));
}

TEST_CASE("Without an external URL the email links no dashboard") {
  NotificationGroup g = Group();
  g.external_url.clear();
  const std::string text = AlertEmailText(g);
  CHECK_THAT(text, !Catch::Contains("Dashboard") && !Catch::Contains("http"));
  CHECK_THAT(text, Catch::Contains("value: 4.1 leads per week"));
}

TEST_CASE("From and To keep display names: specials quoted, non-ASCII names encoded") {
  const std::string mail = AlertEmail(
      Group(),
      {.from = "Sales audit <salesaudit@example.com>",
       .to = {"\"Ops, on call\" <ops@example.com>", "Équipe <ventes@example.fr>", "b@x.example"}},
      "k", 0);
  const auto lines = Lines(mail);
  CHECK(lines[0] == "From: Sales audit <salesaudit@example.com>");
  CHECK(lines[1] ==
        "To: \"Ops, on call\" <ops@example.com>, =?UTF-8?B?w4lxdWlwZQ==?= <ventes@example.fr>, "
        "b@x.example");
}

TEST_CASE("Header values cannot start headers of their own, and non-ASCII subjects are encoded") {
  NotificationGroup g = Group();
  g.alerts[0].labels["alertname"] = "évolution\r\nBcc: victim@example.com";
  const std::string mail =
      AlertEmail(g, {.from = "a@example.com\r\nX-Evil: 1", .to = {"b@x"}}, "k", 0);
  for (const std::string& line : Lines(mail)) {
    CHECK(line.rfind("Bcc:", 0) != 0);
    CHECK(line.rfind("X-Evil:", 0) != 0);
  }
  CHECK_THAT(mail, Catch::Contains("Subject: =?UTF-8?B?"));
  CHECK(MimeBase64("Jefe") == "SmVmZQ==\r\n");
  CHECK(Base64Decode(MimeBase64(std::string(200, 'x'))) == std::string(200, 'x'));
}

}  // namespace
}  // namespace salesaudit
