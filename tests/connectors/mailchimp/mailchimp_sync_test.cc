// The Mailchimp connector against its simulator over real HTTP, through the
// sync engine into a real store: full and incremental syncs equal the
// simulated account, throttling converges, a wrong key changes nothing.
#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "connectors/connector.h"
#include "connectors/shared_options.h"
#include "core/time_util.h"
#include "store/store.h"
#include "sync/sync_engine.h"
#include "tests/sim/mailchimp/mailchimp_sim.h"
#include "tests/support/hostile_http_server.h"
#include "tests/support/subprocess.h"

namespace salesaudit::testing {
namespace {

constexpr char kKey[] = "0123456789abcdef0123456789abcdef-us19";
constexpr char kSource[] = "mail";

struct MailchimpFixture {
  explicit MailchimpFixture(const sim::MailchimpSpec& spec, sim::MailchimpSimOptions options = {})
      : sim(options) {
    sim.Generate(spec);
    REQUIRE(sim.Start() != 0);
    auto opened = Store::Open(dir.File("salesaudit.db"));
    REQUIRE(opened.ok());
    store = std::move(opened).value();
    config.name = kSource;
    config.type = "mailchimp";
    config.base_url = sim.base_url();
    config.auth["api_key"] = options.api_key;
    config.rate_limit = RateLimit{};
    config.retry_backoff = std::chrono::milliseconds(5);
    config.retry_backoff_max = std::chrono::milliseconds(50);
    config.request_timeout = std::chrono::seconds(10);
  }

  std::vector<StreamSyncResult> Sync(bool full = false) {
    SyncEngine engine(*store, BuiltinConnectors());
    std::atomic<bool> cancel{false};
    SyncRequest request;
    request.full = full;
    return engine.RunConnector(config, request, cancel);
  }

  std::map<std::string, EmailEvent> Events() {
    std::map<std::string, EmailEvent> out;
    (void)store->ForEachEmailEvent([&](const StoredEmailEvent& e) {
      if (e.source == kSource) out[e.event.id] = e.event;
    });
    return out;
  }

  // Every difference between the store and the simulated account.
  std::vector<std::string> Differences() {
    std::vector<std::string> diffs;
    std::map<std::string, EmailCampaign> campaigns;
    (void)store->ForEachEmailCampaign([&](const StoredEmailCampaign& c) {
      if (c.source == kSource) campaigns[c.campaign.id] = c.campaign;
    });
    std::set<std::string> sent_lists;
    size_t sent = 0;
    // What Mailchimp reports per campaign, recounted from the account.
    std::map<std::string, int64_t> list_sizes, opens, clicks;
    std::map<std::string, std::set<std::string>> openers, clickers;
    for (const auto& m : sim.Members()) list_sizes[m.list_id] += m.status != "cleaned" ? 1 : 0;
    for (const auto& a : sim.Activity()) {
      if (a.action == "open") {
        ++opens[a.campaign_id];
        openers[a.campaign_id].insert(a.email_id);
      } else if (a.action == "click") {
        ++clicks[a.campaign_id];
        clickers[a.campaign_id].insert(a.email_id);
      }
    }
    for (const auto& c : sim.Campaigns()) {
      if (c.status != "sent") continue;
      ++sent;
      sent_lists.insert(c.list_id);
      auto it = campaigns.find(c.id);
      if (it == campaigns.end()) {
        diffs.push_back("campaign " + c.id + " missing");
        continue;
      }
      const EmailCampaign& s = it->second;
      if (s.name != c.title || s.subject != c.subject_line || s.kind != c.type ||
          s.sent_at != std::optional<int64_t>(c.send_time_ms)) {
        diffs.push_back("campaign " + c.id + " differs");
      }
      const EmailCampaignCounters& r = s.reported;
      if (r.sent != list_sizes[c.list_id] || r.opens != opens[c.id] ||
          r.unique_opens != static_cast<int64_t>(openers[c.id].size()) ||
          r.clicks != clicks[c.id] ||
          r.unique_clicks != static_cast<int64_t>(clickers[c.id].size()) || r.delivered ||
          r.bounces || r.unsubscribes || r.spam_reports) {
        diffs.push_back("campaign " + c.id + " reported counters differ");
      }
    }
    if (campaigns.size() != sent) diffs.push_back("campaign counts differ");

    auto events = Events();
    size_t expected_events = 0;
    for (const auto& a : sim.Activity()) {
      ++expected_events;
      const std::string id = a.campaign_id + ":" + a.email_id + ":" + a.action + ":" + a.timestamp;
      auto it = events.find(id);
      if (it == events.end()) {
        diffs.push_back("event " + id + " missing");
        continue;
      }
      const EmailEvent& e = it->second;
      if (e.campaign_id != a.campaign_id || e.email != NormalizeEmail(a.email_address) ||
          e.type != a.action || e.occurred_at != std::optional<int64_t>(a.at_ms) ||
          e.url != a.url || e.machine) {
        diffs.push_back("event " + id + " differs");
      }
    }
    if (events.size() != expected_events) {
      diffs.push_back("events: store " + std::to_string(events.size()) + ", account " +
                      std::to_string(expected_events));
    }

    // Members are an audience, never CRM contacts (they would count as leads).
    (void)store->ForEachContact([&](const StoredContact& c) {
      if (c.source == kSource) diffs.push_back("member " + c.contact.id + " stored as a contact");
    });
    std::map<std::string, EmailMember> members;
    (void)store->ForEachEmailMember([&](const StoredEmailMember& m) {
      if (m.source == kSource && !m.deleted_at) members[m.member.id] = m.member;
    });
    // A person in two lists is one member (same id): the latest change wins.
    std::map<std::string, sim::MailchimpMember> expected_members;
    for (const auto& m : sim.Members()) {
      if (sent_lists.count(m.list_id) == 0) continue;
      auto [it, added] = expected_members.emplace(m.id, m);
      if (!added && m.last_changed_ms > it->second.last_changed_ms) it->second = m;
    }
    for (const auto& [id, m] : expected_members) {
      auto it = members.find(id);
      if (it == members.end()) {
        diffs.push_back("member " + id + " missing");
        continue;
      }
      const EmailMember& stored = it->second;
      const TimeMs opted_in = !m.timestamp_opt.empty() ? ParseTimestampMs(m.timestamp_opt)
                                                       : ParseTimestampMs(m.timestamp_signup);
      if (stored.email != NormalizeEmail(m.email_address) || stored.first_name != m.first_name ||
          stored.last_name != m.last_name || stored.status != m.status ||
          stored.opted_in_at != opted_in ||
          stored.updated_at != std::optional<int64_t>(m.last_changed_ms)) {
        diffs.push_back("member " + id + " differs");
      }
    }
    if (members.size() != expected_members.size()) diffs.push_back("member counts differ");
    return diffs;
  }

  // Row counts and cursors: to compare a store before and after.
  std::string Fingerprint() {
    std::string out;
    for (auto [table, kind] : {std::pair{"email_members", RecordKind::kEmailMember},
                               std::pair{"email_campaigns", RecordKind::kEmailCampaign},
                               std::pair{"email_events", RecordKind::kEmailEvent}}) {
      auto n = store->CountRows(kind, kSource, true);
      out += std::string(table) + "=" + (n.ok() ? std::to_string(*n) : "?") + ";";
    }
    auto states = store->ListStreamStates();
    if (states.ok()) {
      for (const auto& s : *states) out += s.stream + ":" + s.cursor + ";";
    }
    return out;
  }

  TempDir dir;
  sim::MailchimpSim sim;
  std::unique_ptr<Store> store;
  ConnectorConfig config;
};

sim::MailchimpSpec SmallAccount() {
  sim::MailchimpSpec spec;
  spec.seed = 7;
  spec.lists = 2;
  spec.members_per_list = 60;
  spec.sent_campaigns = 6;
  spec.history_days = 120;
  return spec;
}

// Paging visible with small data: 25 per page.
sim::MailchimpSimOptions SmallPages() {
  sim::MailchimpSimOptions options;
  options.max_page = 25;
  return options;
}

void RequireAllOk(const std::vector<StreamSyncResult>& results) {
  REQUIRE(results.size() == 3);
  for (const auto& r : results) {
    INFO(r.Summary() << " " << r.status.ToString());
    REQUIRE(r.status.ok());
  }
}

TEST_CASE("a full mailchimp sync stores exactly the simulated campaigns, activity and members") {
  MailchimpFixture f(SmallAccount(), SmallPages());
  RequireAllOk(f.Sync());
  const auto diffs = f.Differences();
  INFO((diffs.empty() ? std::string() : diffs.front()));
  CHECK(diffs.empty());
  CHECK(f.Events().size() > 100);
  // Paged: more than one page per campaign's activity.
  CHECK(f.sim.Stats().requests > 20);
}

TEST_CASE("an incremental mailchimp sync after new activity adds exactly it") {
  MailchimpFixture f(SmallAccount(), SmallPages());
  RequireAllOk(f.Sync());
  const auto before = f.Events();

  auto added = f.sim.AddActivity(40);
  const std::string new_campaign = f.sim.SendCampaign();
  auto on_new = f.sim.AddActivity(5, new_campaign);
  RequireAllOk(f.Sync());
  const auto after = f.Events();
  CHECK(after.size() == before.size() + added.size() + on_new.size());
  for (const auto& a : added) {
    CHECK(after.count(a.campaign_id + ":" + a.email_id + ":" + a.action + ":" + a.timestamp) == 1);
  }
  const auto diffs = f.Differences();
  INFO((diffs.empty() ? std::string() : diffs.front()));
  CHECK(diffs.empty());
  // Every `since` sent was whole seconds with Z, the only form the API takes.
  for (const auto& since : f.sim.Stats().since_values) {
    CHECK(since.size() == 20);
    CHECK(since.back() == 'Z');
  }
  CHECK(!f.sim.Stats().since_values.empty());
}

TEST_CASE(
    "after a mailchimp sync the campaigns cursor reads as the latest send time and the "
    "per-campaign "
    "cursors as how many campaigns were read through when") {
  MailchimpFixture f(SmallAccount(), SmallPages());
  RequireAllOk(f.Sync());
  const ConnectorDescriptor& type = *BuiltinConnectors().Find("mailchimp");
  const int64_t now = NowMs();
  auto stored = [&](const std::string& stream) {
    auto cursor = f.store->GetCursor(kSource, stream);
    REQUIRE(cursor.ok());
    return *cursor;
  };
  int64_t latest_send = 0;
  size_t sent = 0;
  for (const auto& c : f.sim.Campaigns()) {
    latest_send = std::max(latest_send, c.send_time_ms);
    sent += c.send_time.empty() ? 0 : 1;
  }
  const CursorDescription campaigns =
      DescribeStoredCursor(type, f.config, "campaigns", stored("campaigns"), now);
  CHECK(campaigns.unreadable.ok());
  CHECK(campaigns.changes_through == latest_send);
  CHECK(campaigns.resumes.empty());
  // The listing re-reads the lookback (10m) before the latest send, and
  // at least the activity window (30 days).
  const int64_t from = std::min<int64_t>(latest_send - 600000, now - 30LL * 24 * 3600 * 1000);
  CHECK(NextReadText(campaigns, now) ==
        "changes from " + FormatIsoMs(from) + " to " + FormatIsoMs(now) + " (lookback 10m)");

  const CursorDescription activity =
      DescribeStoredCursor(type, f.config, "email_activity", stored("email_activity"), now);
  CHECK(activity.unreadable.ok());
  CHECK(activity.next_read == CursorDescription::NextRead::kPerPart);
  CHECK_THAT(activity.parts, Catch::StartsWith(std::to_string(sent) + " campaigns read, through "));
  CHECK(CursorStateText(activity, stored("email_activity")) == activity.parts);
  const CursorDescription members =
      DescribeStoredCursor(type, f.config, "members", stored("members"), now);
  CHECK_THAT(members.parts, Catch::StartsWith("2 lists read, through "));
}

TEST_CASE("activity on campaigns sent before email_activity_window is not looked for again") {
  MailchimpFixture f(SmallAccount());
  RequireAllOk(f.Sync());
  const auto before = f.Events();
  const auto campaigns = f.sim.Campaigns();
  // The oldest campaign went out about four months ago.
  f.sim.AddActivity(4, campaigns.front().id);
  RequireAllOk(f.Sync());
  CHECK(f.Events().size() == before.size());

  // A wider email_activity_window re-polls it, and the reported counters of
  // the campaigns it re-lists catch up too.
  f.config.options.Set(kEmailActivityWindowOption, std::chrono::hours(24 * 365));
  RequireAllOk(f.Sync());
  CHECK(f.Events().size() == before.size() + 4);
  const auto diffs = f.Differences();
  INFO((diffs.empty() ? std::string() : diffs.front()));
  CHECK(diffs.empty());
}

TEST_CASE("a wrong mailchimp key fails clearly with the store unchanged and the key unshown") {
  MailchimpFixture f(SmallAccount());
  RequireAllOk(f.Sync());
  const std::string fingerprint = f.Fingerprint();
  const std::string wrong = "ffffffffffffffffffffffffffffffff-us19";
  f.config.auth["api_key"] = wrong;
  auto results = f.Sync();
  REQUIRE(!results.empty());
  for (const auto& r : results) {
    if (r.status.ok()) continue;
    INFO(r.status.ToString());
    CHECK(r.status.code() == StatusCode::kUnauthenticated);
    CHECK(r.status.message().find("HTTP 401") != std::string::npos);
    CHECK(r.status.message().find("API Key Invalid") != std::string::npos);
    CHECK(r.status.message().find("wrong datacenter") != std::string::npos);
    CHECK(r.status.message().find(wrong) == std::string::npos);
    CHECK(r.status.message().find(kKey) == std::string::npos);
  }
  CHECK(!results.front().status.ok());
  CHECK(f.Fingerprint() == fingerprint);
}

TEST_CASE("a problem+json 403 is a permission failure naming its title and detail") {
  MailchimpFixture f(SmallAccount());
  f.sim.InjectFault(sim::MailchimpFaultKind::kForbidden, 100);
  auto results = f.Sync();
  REQUIRE(!results.empty());
  CHECK(results.front().status.code() == StatusCode::kPermissionDenied);
  CHECK(results.front().status.message().find("Forbidden: You don't have permission") !=
        std::string::npos);
  CHECK(f.Fingerprint().find("email_campaigns=0;") != std::string::npos);
}

TEST_CASE("429s and the bare 403 mailchimp throttles with are retried until the sync converges") {
  MailchimpFixture f(SmallAccount(), SmallPages());
  f.sim.InjectFault(sim::MailchimpFaultKind::kTooManyRequests, 3);
  f.sim.InjectFault(sim::MailchimpFaultKind::kBlocked403, 3, "/3.0/reports/");
  f.sim.InjectFault(sim::MailchimpFaultKind::kServerError, 1, "/3.0/lists/");
  RequireAllOk(f.Sync());
  const auto stats = f.sim.Stats();
  CHECK(stats.by_status.at(429) == 3);
  CHECK(stats.by_status.at(403) == 3);
  const auto diffs = f.Differences();
  INFO((diffs.empty() ? std::string() : diffs.front()));
  CHECK(diffs.empty());
}

TEST_CASE("a sync stopped in the middle of a campaign's activity resumes there without gaps") {
  MailchimpFixture f(SmallAccount(), SmallPages());
  f.config.max_retries = 0;
  // The third activity page is the third page of the first campaign.
  f.sim.InjectFault(sim::MailchimpFaultKind::kServerError, 1, "/3.0/reports/", 2);
  auto first = f.Sync();
  REQUIRE(first.size() == 3);
  CHECK(first[0].status.ok());
  CHECK(first[1].status.code() == StatusCode::kUnavailable);
  auto cursor = f.store->GetCursor(kSource, "email_activity");
  REQUIRE(cursor.ok());
  CHECK(cursor->find("\"current\"") != std::string::npos);
  CHECK(cursor->find("\"offset\":50") != std::string::npos);

  RequireAllOk(f.Sync());
  const auto diffs = f.Differences();
  INFO((diffs.empty() ? std::string() : diffs.front()));
  CHECK(diffs.empty());
}

TEST_CASE("member emails can be a CRM's contact emails so both sources meet by address") {
  sim::MailchimpSpec spec = SmallAccount();
  spec.emails = {"  Ana.Lee101@Example.com ", "ben.novak103@acme.io"};
  MailchimpFixture f(spec);
  RequireAllOk(f.Sync());
  std::set<std::string> emails;
  (void)f.store->ForEachEmailMember(
      [&](const StoredEmailMember& m) { emails.insert(m.member.email); });
  CHECK(emails.count("ana.lee101@example.com") == 1);
  CHECK(emails.count("ben.novak103@acme.io") == 1);
}

TEST_CASE("a mailchimp key without a data-center suffix and no base_url is refused") {
  ConnectorConfig config;
  config.name = "mail";
  config.type = "mailchimp";
  config.auth["api_key"] = "0123456789abcdef";
  HttpClient http(HttpClient::Options{}, nullptr, nullptr);
  const ConnectorDescriptor* d = BuiltinConnectors().Find("mailchimp");
  REQUIRE(d != nullptr);
  auto connector = d->create(config, http);
  REQUIRE(!connector.ok());
  CHECK(connector.status().code() == StatusCode::kInvalidArgument);
  CHECK(connector.status().message().find("0123456789abcdef") == std::string::npos);
  config.auth["api_key"] = "0123456789abcdef-us19";
  CHECK(d->create(config, http).ok());
}

// The same account behind a hostile server (tests/support/hostile_http_server.h).
struct HostileMailchimp {
  HostileMailchimp() : f(SmallAccount(), SmallPages()), server(f.sim.base_url()) {
    f.config.base_url = server.base_url() + "/3.0";
  }
  const StreamSyncResult& Of(const std::vector<StreamSyncResult>& results,
                             const std::string& stream) {
    for (const auto& r : results) {
      if (r.stream == stream) return r;
    }
    FAIL("no result for " << stream);
    throw std::logic_error("unreachable");
  }
  MailchimpFixture f;
  HostileHttpServer server;
};

TEST_CASE("an email activity page nested 150,000 deep fails that stream and the rest syncs") {
  HostileMailchimp h;
  h.server.Serve("/3.0/reports/*", hostile::DeeplyNested(150000));
  auto results = h.f.Sync();
  REQUIRE(results.size() == 3);
  CHECK(h.Of(results, "campaigns").status.ok());
  CHECK(h.Of(results, "members").status.ok());
  const Status& s = h.Of(results, "email_activity").status;
  CHECK(s.code() == StatusCode::kDataLoss);
  CHECK_THAT(s.message(), Catch::Matches("mailchimp\\[mail\\]: email_activity: GET "
                                         "/3.0/reports/[^/]+/email-activity: JSON nested deeper "
                                         "than 128 levels at offset 137"));
  CHECK(h.f.Events().empty());
}

TEST_CASE("a campaign listing whose total_items never ends is bounded by max_pages_per_run") {
  HostileMailchimp h;
  h.f.config.max_pages_per_run = 5;
  h.server.Serve("/3.0/campaigns",
                 hostile::Json(200, R"({"campaigns":[{"id":"loop1","type":"regular",)"
                                    R"("send_time":"2026-01-05T10:00:00+00:00"}],)"
                                    R"("total_items":1000000000000})"));
  auto results = h.f.Sync();
  REQUIRE(results.size() == 3);
  // The stream whose pages are committed ends cleanly, to resume next time.
  const StreamSyncResult& campaigns = h.Of(results, "campaigns");
  CHECK(campaigns.status.ok());
  CHECK(campaigns.page_limit_reached);
  CHECK(campaigns.pages == 5);
  // The listing inside the per-campaign streams never reaches a cursor: it
  // stops with an error instead.
  for (const char* stream : {"email_activity", "members"}) {
    CHECK(h.Of(results, stream).status.message() ==
          "mailchimp[mail]: " + std::string(stream) +
              ": campaign listing: more than 5 pages (max_pages_per_run); the API does not stop "
              "paging");
  }
  CHECK(h.server.RequestsTo("/3.0/campaigns") == 5 + 6 + 6);
}

}  // namespace
}  // namespace salesaudit::testing
