// Alert delivery as the daemon does it (issue 5): the real `salesaudit run`
// against a HubSpot simulator, a real store file, a real webhook receiver and
// a real SMTP server, all on 127.0.0.1. A kill -9 in the middle of delivery,
// a receiver that is down for a while, a silence and its expiry, and secrets
// that must never reach the logs.
#include <rapidjson/document.h>
#include <signal.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "alerts/notification.h"
#include "tests/connectors/hubspot/hubspot_fixture.h"
#include "tests/support/test_http_server.h"
#include "tests/support/test_smtp_server.h"

namespace salesaudit::testing {
namespace {

using std::chrono::seconds;

const std::string kBinary = SALESAUDIT_BINARY;
constexpr char kWebhookSecret[] = "whsec-alert-daemon-7731";

int64_t WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

sim::PortalSpec SmallPortal() {
  sim::PortalSpec spec;
  spec.seed = 17;
  spec.contacts = 200;
  spec.deals = 40;
  spec.owners = 3;
  return spec;
}

// Rules r1..rN that hold on any snapshot with leads; the route's default
// grouping (by alertname) makes one notification per rule.
std::string HoldingRules(int n) {
  std::string out = "  rules:\n";
  for (int i = 1; i <= n; ++i) {
    out += "    - name: r" + std::to_string(i) +
           "\n"
           "      when: funnel.leads > 0\n"
           "      severity: warning\n"
           "      summary: \"{{ value }} leads\"\n";
  }
  return out;
}

// A webhook receiver signed with the secret from TEST_WEBHOOK_SECRET.
std::string SignedWebhook(const std::string& name, const std::string& url) {
  return "    - name: " + name +
         "\n"
         "      type: webhook\n"
         "      url: " +
         url +
         "/alerts\n"
         "      secret: ${TEST_WEBHOOK_SECRET}\n";
}

// One signed webhook receiver and the route to it.
std::string WebhookOnly(const std::string& url) {
  return "  receivers:\n" + SignedWebhook("hook", url) +
         "  route:\n"
         "    receivers: [hook]\n";
}

// The email receiver `ops-mail` (more of its keys may follow).
std::string MailReceiver(const std::string& smtp_url) {
  return "    - name: ops-mail\n"
         "      type: email\n"
         "      smtp_url: " +
         smtp_url +
         "\n"
         "      from: salesaudit@example.com\n"
         "      to: [ops@example.com]\n";
}

// The receivers `ops-mail` and `ops-hook` both get every alert.
constexpr char kRouteToMailAndHook[] =
    "  route:\n"
    "    receivers: [ops-mail, ops-hook]\n";

// Retries come due within 2 s (the daemon still looks only every 10 s).
constexpr char kQuickRetries[] =
    "  delivery:\n"
    "    retry_backoff: 1s\n"
    "    retry_backoff_max: 2s\n";

// alerts[0].labels.alertname of an Alertmanager webhook body, or "".
std::string AlertName(const std::string& body) {
  rapidjson::Document doc;
  doc.Parse(body.c_str());
  if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("alerts") ||
      !doc["alerts"].IsArray() || doc["alerts"].Empty()) {
    return "";
  }
  const auto& labels = doc["alerts"][0]["labels"];
  if (!labels.IsObject() || !labels.HasMember("alertname")) return "";
  return labels["alertname"].GetString();
}

// A webhook receiver whose answer the test sets; it logs what it answered to
// each request, and can hold the Nth request inside its handler until the
// test releases it (the server answers one request at a time, so that is
// the moment the daemon waits on a reply).
class WebhookReceiver {
 public:
  struct Answered {
    std::string key;  // Idempotency-Key
    std::string alertname;
    int status = 0;
    int64_t at_ms = 0;  // wall clock, when answered
  };

  WebhookReceiver() {
    server_.SetHandler([this](const TestHttpRequest& r) { return Answer(r); });
  }
  // A held handler must return before the server can stop.
  ~WebhookReceiver() { Release(); }

  std::string url() const { return server_.base_url(); }
  void SetStatus(int status) {
    std::lock_guard<std::mutex> lock(mu_);
    status_ = status;
  }
  void HoldRequest(int n) {
    std::lock_guard<std::mutex> lock(mu_);
    hold_request_ = n;
  }
  void Release() {
    std::lock_guard<std::mutex> lock(mu_);
    released_ = true;
    cv_.notify_all();
  }
  // Every request as it arrived (a held one included).
  std::vector<TestHttpRequest> Arrived() const { return server_.requests(); }
  std::vector<Answered> Log() const {
    std::lock_guard<std::mutex> lock(mu_);
    return log_;
  }
  // How often `alertname` was answered with `status`.
  int Count(const std::string& alertname, int status = 200) const {
    const auto log = Log();
    return static_cast<int>(std::count_if(log.begin(), log.end(), [&](const Answered& a) {
      return a.alertname == alertname && a.status == status;
    }));
  }
  // When `alertname` was first answered with `status`, or 0.
  int64_t FirstAt(const std::string& alertname, int status = 200) const {
    for (const Answered& a : Log()) {
      if (a.alertname == alertname && a.status == status) return a.at_ms;
    }
    return 0;
  }

 private:
  TestHttpResponse Answer(const TestHttpRequest& request) {
    std::unique_lock<std::mutex> lock(mu_);
    if (++count_ == hold_request_) cv_.wait(lock, [&] { return released_; });
    log_.push_back({.key = request.Header("idempotency-key"),
                    .alertname = AlertName(request.body),
                    .status = status_,
                    .at_ms = WallMs()});
    return TestHttpResponse{.status = status_};
  }

  mutable std::mutex mu_;
  std::condition_variable cv_;
  int status_ = 200;
  int count_ = 0;
  int hold_request_ = 0;  // 0: hold none
  bool released_ = false;
  std::vector<Answered> log_;
  TestHttpServer server_;  // last: stops (joins its thread) before the rest goes
};

struct AlertDaemonFixture : HubSpotFixture {
  AlertDaemonFixture() : HubSpotFixture(SmallPortal()) {
    config_path = dir.File("config.yaml");
    env = {{"TEST_HUBSPOT_TOKEN", options.token}, {"TEST_WEBHOOK_SECRET", kWebhookSecret}};
  }
  // The simulator's connector, one audit at start, `extra` top-level
  // sections, then `alerts:` with `alerts_body` under it.
  void WriteConfig(const std::string& alerts_body, const std::string& extra = "") {
    WriteFile(config_path, ConfigYaml() + "audit:\n  every: 1h\n  min_interval: 0s\n" + extra +
                               "alerts:\n" + alerts_body);
  }
  std::unique_ptr<ChildProcess> StartDaemon() {
    return std::make_unique<ChildProcess>(
        std::vector<std::string>{kBinary, "--config", config_path, "run"}, dir.path(), env);
  }
  std::vector<OutboxRow> Outbox() {
    auto rows = store->RecentNotifications(1000);
    return rows.ok() ? *rows : std::vector<OutboxRow>{};
  }
  // The outbox holds exactly `n` notifications, all delivered.
  bool AllDelivered(size_t n) {
    const auto rows = Outbox();
    return rows.size() == n && std::all_of(rows.begin(), rows.end(), [](const OutboxRow& r) {
             return r.delivered_at.has_value();
           });
  }
  std::optional<AlertStateRow> State(const std::string& rule) {
    auto states = store->AlertStates();
    if (!states.ok()) return std::nullopt;
    for (const AlertStateRow& s : *states) {
      if (s.rule == rule) return s;
    }
    return std::nullopt;
  }

  std::string config_path;
  std::map<std::string, std::string> env;
};

TEST_CASE("A kill -9 during webhook delivery, then a restart, delivers exactly the missing ones",
          "[daemon][alerts][crash]") {
  AlertDaemonFixture f;
  WebhookReceiver receiver;
  receiver.HoldRequest(3);
  f.WriteConfig(HoldingRules(5) + "  evaluate_every: 1s\n" + WebhookOnly(receiver.url()));
  {
    auto daemon = f.StartDaemon();
    REQUIRE(WaitFor([&] { return receiver.Arrived().size() == 3; }, seconds(60)));
    daemon->Signal(SIGKILL);
    CHECK(daemon->Wait(seconds(10)) == 128 + SIGKILL);
  }
  receiver.Release();  // its answer goes to a dead connection
  const std::string interrupted_key = receiver.Arrived()[2].Header("idempotency-key");
  {
    const auto outbox = f.Outbox();
    REQUIRE(outbox.size() == 5);
    CHECK(std::count_if(outbox.begin(), outbox.end(),
                        [](const OutboxRow& r) { return r.delivered_at.has_value(); }) == 2);
    // The attempt the kill cut short was counted before it was made.
    for (const OutboxRow& row : outbox) {
      INFO(row.idempotency_key);
      const bool attempted = row.delivered_at.has_value() || row.idempotency_key == interrupted_key;
      CHECK(row.attempts == (attempted ? 1 : 0));
      CHECK(row.last_attempt_at.has_value() == attempted);
    }
  }

  auto daemon = f.StartDaemon();
  REQUIRE(WaitFor([&] { return f.AllDelivered(5); }, seconds(60)));
  // A round of the restarted daemon saw the five alerts firing and, from
  // the stored states and group memories, queued nothing.
  REQUIRE(WaitFor(
      [&] {
        return daemon->Stderr().find("5 rule(s), 5 firing, 0 notification(s) queued") !=
               std::string::npos;
      },
      seconds(30)));
  daemon->Signal(SIGTERM);
  CHECK(daemon->Wait(seconds(10)) == 0);
  INFO(daemon->Stderr());

  const auto requests = receiver.Arrived();
  REQUIRE(requests.size() == 6);
  std::vector<std::string> keys;
  std::map<std::string, int> seen;
  for (const TestHttpRequest& r : requests) {
    CHECK(r.target == "/alerts");
    CHECK(r.Header("x-salesaudit-signature") == SignatureHeader(kWebhookSecret, r.body));
    keys.push_back(r.Header("idempotency-key"));
    ++seen[keys.back()];
  }
  CHECK(seen.size() == 5);
  CHECK_FALSE(seen.count(""));
  // The interrupted one is resent first, byte for byte; the others once each.
  CHECK(keys[3] == keys[2]);
  CHECK(requests[3].body == requests[2].body);
  for (const auto& [key, n] : seen) {
    INFO(key);
    CHECK(n == (key == keys[2] ? 2 : 1));
  }
  std::set<std::string> rules;
  for (const TestHttpRequest& r : requests) rules.insert(AlertName(r.body));
  CHECK(rules == std::set<std::string>{"r1", "r2", "r3", "r4", "r5"});
  // The interrupted notification counts both its attempts, the others one.
  for (const OutboxRow& row : f.Outbox()) {
    INFO(row.idempotency_key);
    CHECK(row.attempts == (row.idempotency_key == interrupted_key ? 2 : 1));
  }
  CHECK(keys[2] == interrupted_key);
  // The outbox is still the first run's five: nothing queued twice.
  std::set<std::string> outbox_keys;
  for (const OutboxRow& row : f.Outbox()) outbox_keys.insert(row.idempotency_key);
  std::set<std::string> sent_keys(keys.begin(), keys.end());
  CHECK(outbox_keys == sent_keys);
  CHECK(f.Outbox().size() == 5);
}

TEST_CASE("A webhook receiver that is down for a while gets every notification once it is up",
          "[daemon][alerts]") {
  AlertDaemonFixture f;
  WebhookReceiver receiver;
  receiver.SetStatus(503);
  f.WriteConfig(HoldingRules(3) + WebhookOnly(receiver.url()) + kQuickRetries);
  auto daemon = f.StartDaemon();
  // Each notification was tried and refused. The attempt is counted before it
  // is made, so the refusal is there only once its error is recorded.
  REQUIRE(WaitFor(
      [&] {
        const auto rows = f.Outbox();
        return rows.size() == 3 &&
               std::all_of(rows.begin(), rows.end(), [](const OutboxRow& r) {
                 return r.attempts >= 1 && !r.last_error.empty();
               });
      },
      seconds(60)));
  for (const OutboxRow& row : f.Outbox()) {
    CHECK_FALSE(row.delivered_at.has_value());
    CHECK_FALSE(row.dropped_at.has_value());
    CHECK_THAT(row.last_error, Catch::Contains("HTTP 503"));
  }
  const int64_t up_at = WallMs();
  receiver.SetStatus(200);
  REQUIRE(WaitFor([&] { return f.AllDelivered(3); }, seconds(60)));
  daemon->Signal(SIGTERM);
  CHECK(daemon->Wait(seconds(10)) == 0);
  INFO(daemon->Stderr());

  std::map<std::string, int> refused;
  std::map<std::string, int> accepted;
  for (const WebhookReceiver::Answered& a : receiver.Log()) {
    if (a.status == 200) {
      ++accepted[a.key];
      CHECK(a.at_ms >= up_at);
    } else {
      ++refused[a.key];
    }
  }
  std::set<std::string> outbox_keys;
  for (const OutboxRow& row : f.Outbox()) outbox_keys.insert(row.idempotency_key);
  REQUIRE(outbox_keys.size() == 3);
  CHECK(accepted.size() == 3);
  CHECK(refused.size() == 3);
  for (const std::string& key : outbox_keys) {
    INFO(key);
    CHECK(accepted[key] == 1);
    CHECK(refused[key] >= 1);
  }
  for (const char* rule : {"r1", "r2", "r3"}) CHECK(receiver.Count(rule) == 1);
}

TEST_CASE("A silence suppresses an alert's notification and its expiry brings it",
          "[daemon][alerts]") {
  AlertDaemonFixture f;
  WebhookReceiver receiver;
  const int64_t silence_ends = WallMs() + 6000;
  auto silence = f.store->AddSilence({.matchers_json = "[\"alertname=r1\"]",
                                      .starts_at = WallMs() - 1000,
                                      .ends_at = silence_ends,
                                      .created_by = "alert_daemon_test",
                                      .comment = "maintenance"});
  REQUIRE(silence.ok());
  f.WriteConfig(HoldingRules(2) + "  evaluate_every: 1s\n" + WebhookOnly(receiver.url()));
  auto daemon = f.StartDaemon();

  // r2 arriving shows rounds ran; r1 fires too but is silenced.
  REQUIRE(WaitFor([&] { return receiver.Count("r2") == 1; }, seconds(60)));
  const int64_t r2_at = receiver.FirstAt("r2");
  INFO("r2 arrived " << silence_ends - r2_at << " ms before the silence ends");
  REQUIRE(r2_at < silence_ends);  // else too slow a machine to show anything
  CHECK(receiver.Count("r1") == 0);
  auto r1 = f.State("r1");
  REQUIRE(r1.has_value());
  CHECK(r1->phase == "firing");

  // After the expiry a round brings r1, once.
  REQUIRE(WaitFor([&] { return receiver.Count("r1") == 1; }, seconds(30)));
  const int64_t r1_at = receiver.FirstAt("r1");
  CHECK(r1_at >= silence_ends);
  // Let two more rounds (evaluate_every: 1s) pass: r2's last_held_at moves
  // on with every round.
  REQUIRE(WaitFor(
      [&] {
        auto r2 = f.State("r2");
        return r2 && r2->last_held_at && *r2->last_held_at >= r1_at + 2000;
      },
      seconds(30)));
  daemon->Signal(SIGTERM);
  CHECK(daemon->Wait(seconds(10)) == 0);
  INFO(daemon->Stderr());
  CHECK(receiver.Count("r1") == 1);
  CHECK(receiver.Count("r2") == 1);
  CHECK(receiver.Log().size() == 2);
  CHECK(f.Outbox().size() == 2);
}

TEST_CASE("Neither the SMTP password nor the webhook secret nor the token reach the logs",
          "[daemon][alerts][secrets]") {
  const std::string right_password = "smtp-right-pass-31415";
  const std::string wrong_password = "smtp-wrong-pass-27182";
  TestSmtpServer smtp("alertbot", right_password);
  REQUIRE_FALSE(smtp.url().empty());
  AlertDaemonFixture f;
  WebhookReceiver hook;
  hook.SetStatus(503);
  const std::string password_file = f.dir.File("smtp_password");
  WriteFile(password_file, wrong_password + "\n");
  f.WriteConfig(HoldingRules(1) + "  receivers:\n" + MailReceiver(smtp.url()) +
                    "      username: alertbot\n"
                    "      password_file: " +
                    password_file + "\n" + SignedWebhook("ops-hook", hook.url()) +
                    kRouteToMailAndHook + kQuickRetries,
                "log:\n  level: debug\n");
  const auto row_of = [&](const std::string& receiver) -> std::optional<OutboxRow> {
    for (const OutboxRow& row : f.Outbox()) {
      if (row.receiver == receiver) return row;
    }
    return std::nullopt;
  };
  const auto attempts_of = [&](const std::string& receiver) -> int64_t {
    auto row = row_of(receiver);
    return row ? row->attempts : 0;
  };
  const auto check_no_secret = [&](const std::string& text) {
    CHECK_THAT(text, !Catch::Contains(wrong_password));
    CHECK_THAT(text, !Catch::Contains(right_password));
    CHECK_THAT(text, !Catch::Contains(kWebhookSecret));
    CHECK_THAT(text, !Catch::Contains(f.options.token));
  };

  {
    auto daemon = f.StartDaemon();
    // Refused, and retried: the first attempt and one more.
    REQUIRE(WaitFor([&] { return attempts_of("ops-mail") >= 2 && attempts_of("ops-hook") >= 2; },
                    seconds(60)));
    daemon->Signal(SIGTERM);
    CHECK(daemon->Wait(seconds(10)) == 0);
    const std::string log = daemon->Stdout() + daemon->Stderr();
    INFO(log);
    check_no_secret(log);
    // An operator can tell which receiver fails.
    CHECK_THAT(log, Catch::Contains("ops-mail"));
    CHECK_THAT(log, Catch::Contains("ops-hook"));
  }
  auto mail_row = row_of("ops-mail");
  REQUIRE(mail_row.has_value());
  CHECK_FALSE(mail_row->delivered_at.has_value());
  CHECK_FALSE(mail_row->dropped_at.has_value());
  CHECK_THAT(mail_row->last_error, Catch::Contains("535"));
  for (const OutboxRow& row : f.Outbox()) check_no_secret(row.last_error);
  CHECK(smtp.Mails().empty());

  // The right password: the next run delivers what was queued (once its
  // retry is due, so the first pass finds it).
  WriteFile(password_file, right_password + "\n");
  hook.SetStatus(200);
  REQUIRE(WaitFor(
      [&] {
        const int64_t now = WallMs();
        for (const OutboxRow& row : f.Outbox()) {
          if (row.next_attempt_at > now) return false;
        }
        return true;
      },
      seconds(10)));
  auto daemon = f.StartDaemon();
  REQUIRE(WaitFor([&] { return f.AllDelivered(2); }, seconds(60)));
  daemon->Signal(SIGTERM);
  CHECK(daemon->Wait(seconds(10)) == 0);
  const std::string log = daemon->Stdout() + daemon->Stderr();
  INFO(log);
  check_no_secret(log);

  const auto mails = smtp.Mails();
  REQUIRE(mails.size() == 1);
  CHECK_THAT(mails[0], Catch::Contains("X-Envelope-To: ops@example.com"));
  const size_t subject_at = mails[0].find("\r\nSubject: ");
  REQUIRE(subject_at != std::string::npos);
  const size_t subject_from = subject_at + 2;
  const std::string subject =
      mails[0].substr(subject_from, mails[0].find("\r\n", subject_from) - subject_from);
  CHECK_THAT(subject, Catch::Contains("FIRING") && Catch::Contains("r1"));
  const auto hooks = hook.Arrived();
  REQUIRE_FALSE(hooks.empty());
  for (const TestHttpRequest& r : hooks) {
    CHECK(r.Header("x-salesaudit-signature") == SignatureHeader(kWebhookSecret, r.body));
  }
  CHECK(hook.Count("r1") == 1);
}

// A number of leads per period as a reader should see it: one decimal at
// most ("4.1", "96"), written out here rather than by the code under test.
std::string OneDecimal(double v) {
  std::string out = std::to_string(std::round(v * 10) / 10);
  out = out.substr(0, out.find('.') + 2);
  if (out.ends_with(".0")) out.resize(out.size() - 2);
  return out;
}

TEST_CASE(
    "The alert email a real SMTP server receives names the period, explains the capacity "
    "figure and links only the configured dashboard",
    "[daemon][alerts][email]") {
  TestSmtpServer smtp;
  REQUIRE_FALSE(smtp.url().empty());
  AlertDaemonFixture f;
  WebhookReceiver hook;
  // Capacity far above what 200 contacts bring in a week: a shortfall.
  std::string config = f.ConfigYaml();
  const std::string status = "status:\n  listen: 127.0.0.1:0\n";
  REQUIRE(config.find(status) != std::string::npos);
  config.replace(config.find(status), status.size(),
                 status + "  external_url: https://salesaudit.example.com/sales\n");
  WriteFile(f.config_path,
            config +
                "team:\n  reps: 4\n  leads_per_rep_per_week: 25\n"
                "audit:\n  every: 1h\n  min_interval: 0s\n  period: week\n"
                "alerts:\n"
                "  rules:\n"
                "    - name: lead-shortfall\n"
                "      when: capacity.shortfall_per_period > 0\n"
                "      severity: warning\n"
                "      summary: \"Lead shortfall: {{ value }} leads per {{ period }} below team "
                "capacity\"\n"
                "  receivers:\n" +
                MailReceiver(smtp.url()) + SignedWebhook("ops-hook", hook.url()) +
                kRouteToMailAndHook);
  {
    auto daemon = f.StartDaemon();
    REQUIRE(WaitFor([&] { return f.AllDelivered(2); }, seconds(60)));
    daemon->Signal(SIGTERM);
    CHECK(daemon->Wait(seconds(10)) == 0);
  }
  auto latest = f.store->LatestSnapshot();
  REQUIRE(latest.ok());
  REQUIRE(latest->has_value());
  rapidjson::Document snapshot;
  snapshot.Parse((*latest)->json.c_str());
  REQUIRE(snapshot.IsObject());
  const auto& capacity = snapshot["capacity"];
  REQUIRE(capacity["shortfall_per_period"].IsNumber());
  const double shortfall = capacity["shortfall_per_period"].GetDouble();
  const double incoming = capacity["incoming_per_period"].GetDouble();
  REQUIRE(shortfall > 0);
  REQUIRE(shortfall < 100);

  const auto mails = smtp.Mails();
  REQUIRE(mails.size() == 1);
  const std::string text = MailPart(mails[0], "text/plain");
  INFO(text);
  CHECK_THAT(text, Catch::Contains("Lead shortfall: " + OneDecimal(shortfall) +
                                   " leads per week below team capacity"));
  CHECK_THAT(text, Catch::Contains("value: " + OneDecimal(shortfall) + " leads per week\n"));
  CHECK_THAT(text, Catch::Contains("capacity 100 leads/week (4 reps x 25), incoming " +
                                   OneDecimal(incoming) + "/week"));
  CHECK_THAT(text, Catch::Contains("reps source: configured"));
  CHECK_THAT(text, Catch::Contains("window: ") && Catch::Contains(", by week"));
  CHECK_THAT(text, Catch::Contains("Dashboard: https://salesaudit.example.com/sales/"));
  // The raw figure's long decimals are for machines, not for this reader.
  char raw[32];
  std::snprintf(raw, sizeof raw, "%.4f", shortfall);
  CHECK_THAT(text, !Catch::Contains(raw));
  const std::string html = MailPart(mails[0], "text/html");
  CHECK_THAT(html, Catch::Contains("<a href=\"https://salesaudit.example.com/sales/\">") &&
                       Catch::Contains("capacity 100 leads/week (4 reps x 25)"));
  for (const char* local : {"127.0.0.1", "0.0.0.0", "localhost", "[::1]"}) {
    CHECK_THAT(text + html, !Catch::Contains(local));
  }

  // The webhook carries the exact value and the same link.
  const auto hooks = hook.Arrived();
  REQUIRE(hooks.size() == 1);
  rapidjson::Document body;
  body.Parse(hooks[0].body.c_str());
  REQUIRE(body.IsObject());
  CHECK(body["alerts"][0]["value"].GetDouble() == shortfall);
  CHECK(std::string(body["externalURL"].GetString()) == "https://salesaudit.example.com/sales/");
  CHECK_THAT(hooks[0].body, !Catch::Contains("127.0.0.1"));
}

}  // namespace
}  // namespace salesaudit::testing
