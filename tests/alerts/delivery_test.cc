// The outbox delivery: a real HTTP receiver and a real SMTP server on
// 127.0.0.1; retries while a receiver is down or failing, drops on permanent
// failures and old age, the same idempotency key on every attempt, the body
// signature.
#include "alerts/delivery.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "alerts/notification.h"
#include "tests/support/subprocess.h"
#include "tests/support/test_http_server.h"
#include "tests/support/test_smtp_server.h"

namespace salesaudit {
namespace {

using testing::TempDir;

constexpr int64_t kT0 = 1764201600000;
constexpr int64_t kMinute = 60000;
constexpr char kSecret[] = "whsec-test-7f3a";
constexpr char kBody[] = R"({"version":"4","status":"firing","receiver":"hook"})";

struct OutboxFixture {
  OutboxFixture() {
    auto opened = Store::Open(dir.File("s.db"));
    REQUIRE(opened.ok());
    store = std::move(opened).value();
    alerts.delivery.retry_backoff = std::chrono::seconds(1);
    alerts.delivery.retry_backoff_max = std::chrono::seconds(10);
    alerts.delivery.max_age = std::chrono::hours(1);
    alerts.delivery.timeout = std::chrono::seconds(5);
  }

  void Queue(const std::string& key, const std::string& receiver, const std::string& payload,
             int64_t at = kT0) {
    REQUIRE(store
                ->SaveAlertRound({}, {}, {},
                                 {OutboxRow{.idempotency_key = key,
                                            .receiver = receiver,
                                            .created_at = at,
                                            .payload = payload,
                                            .next_attempt_at = at}})
                .ok());
  }

  DeliveryCounts Pass(int64_t now) {
    auto counts = DeliverDueNotifications(*store, alerts, now, rng);
    INFO(counts.status().ToString());
    REQUIRE(counts.ok());
    return *counts;
  }

  OutboxRow Only() {
    auto rows = store->RecentNotifications(10);
    REQUIRE(rows.ok());
    REQUIRE(rows->size() == 1);
    return rows->front();
  }

  TempDir dir;
  std::unique_ptr<Store> store;
  AlertsConfig alerts;
  std::mt19937_64 rng{7};
};

TEST_CASE("A webhook is retried while its receiver fails and is delivered once it answers") {
  TestHttpServer receiver;
  int calls = 0;
  receiver.SetHandler([&](const TestHttpRequest&) {
    ++calls;
    return TestHttpResponse{.status = calls <= 2 ? 503 : 200};
  });
  OutboxFixture f;
  f.alerts.receivers = {ReceiverConfig{.name = "hook",
                                       .type = "webhook",
                                       .url = receiver.base_url() + "/alerts",
                                       .secret = kSecret}};
  f.Queue("n-1", "hook", kBody);

  int64_t now = kT0;
  DeliveryCounts c = f.Pass(now);
  CHECK(c.retried == 1);
  CHECK(f.Pass(now).retried == 0);  // waiting for its next try
  for (int i = 0; i < 10 && f.Only().delivered_at == std::nullopt; ++i) {
    now += kMinute;
    f.Pass(now);
  }
  const OutboxRow row = f.Only();
  CHECK(row.delivered_at.has_value());
  CHECK(row.attempts == 3);

  const auto requests = receiver.requests();
  REQUIRE(requests.size() == 3);
  for (const TestHttpRequest& r : requests) {
    CHECK(r.method == "POST");
    CHECK(r.target == "/alerts");
    CHECK(r.body == kBody);
    CHECK(r.Header("content-type") == "application/json");
    // The same key on every attempt: a receiver that dedupes sees it once.
    CHECK(r.Header("idempotency-key") == "n-1");
    CHECK(r.Header("x-salesaudit-signature") == SignatureHeader(kSecret, kBody));
  }
  now += kMinute;
  CHECK(f.Pass(now).delivered == 0);  // delivered once, never again
}

TEST_CASE("A receiver down at first gets the notification when it comes up") {
  OutboxFixture f;
  int port = 0;
  {
    TestHttpServer gone;  // bound, then closed: nothing listens there
    port = gone.port();
  }
  f.alerts.receivers = {ReceiverConfig{
      .name = "hook", .type = "webhook", .url = "http://127.0.0.1:" + std::to_string(port)}};
  f.Queue("n-1", "hook", kBody);
  CHECK(f.Pass(kT0).retried == 1);
  CHECK_THAT(f.Only().last_error, Catch::Contains("127.0.0.1") || Catch::Contains("/"));

  TestHttpServer up;
  up.SetHandler([](const TestHttpRequest&) { return TestHttpResponse{.status = 204}; });
  f.alerts.receivers[0].url = up.base_url();  // as after a reload
  CHECK(f.Pass(kT0 + 10 * kMinute).delivered == 1);
  CHECK(up.requests().size() == 1);
}

TEST_CASE("Permanent failures, unknown receivers and old notifications are dropped with why") {
  TestHttpServer receiver;
  receiver.SetHandler([](const TestHttpRequest&) { return TestHttpResponse{.status = 404}; });
  OutboxFixture f;
  f.alerts.receivers = {
      ReceiverConfig{.name = "hook", .type = "webhook", .url = receiver.base_url()}};
  f.Queue("gone-receiver", "removed", kBody);
  f.Queue("not-found", "hook", kBody);
  f.Queue("too-old", "hook", kBody, kT0 - 2 * 3600000);
  const DeliveryCounts c = f.Pass(kT0);
  CHECK(c.dropped == 3);
  REQUIRE(c.drops.size() == 3);
  std::string all;
  for (const std::string& d : c.drops) all += d + "\n";
  CHECK_THAT(all, Catch::Contains("notification gone-receiver to removed: the receiver is no "
                                  "longer configured"));
  CHECK_THAT(all, Catch::Contains("notification not-found to hook: POST /: HTTP 404"));
  CHECK_THAT(all, Catch::Contains("notification too-old to hook: undelivered after 0 attempts"));
  CHECK(receiver.requests().size() == 1);  // the old one was not sent
  CHECK(f.store->DueNotifications(kT0 + 86400000, 10)->empty());
}

TEST_CASE("An email notification goes through a real SMTP server, retried on 4xx, dropped on 5xx") {
  testing::TestSmtpServer smtp("bot", "smtp-pass-91");
  REQUIRE_FALSE(smtp.url().empty());
  OutboxFixture f;
  const std::string mail = "From: salesaudit@example.com\r\nSubject: [FIRING:1] x\r\n\r\nbody\r\n";
  auto receiver = [&](const std::string& name, const std::string& to, const std::string& password) {
    return ReceiverConfig{.name = name,
                          .type = "email",
                          .smtp_url = smtp.url(),
                          .from = "salesaudit@example.com",
                          .to = {to},
                          .username = "bot",
                          .password = password};
  };
  f.alerts.receivers = {receiver("mail", "ops@example.com", "smtp-pass-91"),
                        receiver("busy", "later@example.com", "smtp-pass-91"),
                        receiver("bad", "reject@example.com", "smtp-pass-91"),
                        receiver("misconfigured", "ops@example.com", "wrong-pass-3")};
  f.Queue("m-1", "mail", mail);
  f.Queue("m-2", "busy", mail);
  f.Queue("m-3", "bad", mail);
  f.Queue("m-4", "misconfigured", mail);
  const DeliveryCounts c = f.Pass(kT0);
  CHECK(c.delivered == 1);
  CHECK(c.retried == 2);  // 451, and refused credentials a reload can fix
  CHECK(c.dropped == 1);  // 550
  REQUIRE(c.drops.size() == 1);
  CHECK_THAT(c.drops[0], Catch::Contains("to bad:") && Catch::Contains("550"));
  auto rows = f.store->RecentNotifications(10);
  REQUIRE(rows.ok());
  for (const OutboxRow& r : *rows) {
    CHECK_THAT(r.last_error, !Catch::Contains("wrong-pass-3") && !Catch::Contains("smtp-pass-91"));
  }
  const auto mails = smtp.Mails();
  REQUIRE(mails.size() == 1);
  CHECK_THAT(mails[0], Catch::Contains("X-Envelope-To: ops@example.com") &&
                           Catch::EndsWith("Subject: [FIRING:1] x\r\n\r\nbody\r\n"));
}

}  // namespace
}  // namespace salesaudit
