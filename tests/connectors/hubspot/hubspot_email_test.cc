// The HubSpot connector's marketing email streams end to end: real HTTP
// against the simulator's email endpoints, a real SQLite file, the sync
// engine as `salesaudit sync` runs it.
#include "connectors/hubspot/hubspot_email.h"

#include <rapidjson/document.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <map>
#include <set>
#include <tuple>

#include "connectors/shared_options.h"
#include "core/time_util.h"
#include "tests/connectors/hubspot/hubspot_fixture.h"

namespace salesaudit::testing {
namespace {

constexpr char kEventsPath[] = "/email/public/v1/events";

sim::PortalSpec EmailPortalSpec() {
  sim::PortalSpec spec;
  spec.seed = 11;
  spec.contacts = 300;
  spec.deals = 20;
  spec.owners = 3;
  spec.history_days = 60;
  spec.email_campaigns = 3;
  spec.events_per_campaign = 200;
  return spec;
}

// A fixture that syncs only the email streams.
struct EmailFixture : HubSpotFixture {
  explicit EmailFixture(sim::SimOptions options = sim::SimOptions::WithoutRateLimits())
      : HubSpotFixture(EmailPortalSpec(), options) {
    config.streams = {"email_campaigns", "email_events"};
  }
};

using EventRow = std::tuple<std::string, std::string, std::string, int64_t, std::string, bool>;

// The stored key of a HubSpot event: "<created, 13 digits zero-padded>:<id>".
std::string StoredEventKey(const std::string& id, int64_t created) {
  char padded[24];
  std::snprintf(padded, sizeof padded, "%013lld", static_cast<long long>(created));
  return std::string(padded) + ":" + id;
}

// The same from the simulator's own "<id>:<created>" key (AddEmailEvents).
std::string StoredEventKey(const std::string& sim_key) {
  const size_t colon = sim_key.rfind(':');
  REQUIRE(colon != std::string::npos);
  return StoredEventKey(sim_key.substr(0, colon), std::stoll(sim_key.substr(colon + 1)));
}

// The simulator's events as the store should hold them, mapped here
// independently of the connector: key StoredEventKey -> (campaign, email,
// type, occurred_at, url, machine).
std::map<std::string, EventRow> ExpectedEvents(const sim::HubSpotSim& sim) {
  static const std::map<std::string, std::string> kTypes = {
      {"SENT", "sent"},   {"DELIVERED", "delivered"}, {"OPEN", "open"},
      {"CLICK", "click"}, {"BOUNCE", "bounce"},       {"SPAMREPORT", "spam"}};
  std::map<std::string, EventRow> out;
  for (const sim::SimEmailEvent& e : sim.EmailEvents()) {
    std::string type;
    if (auto it = kTypes.find(e.type); it != kTypes.end()) type = it->second;
    if (e.type == "STATUSCHANGE" && e.portal_subscription_status == "UNSUBSCRIBED") {
      type = "unsubscribe";
    }
    if (type.empty()) continue;
    out[StoredEventKey(e.id, e.created)] = EventRow{std::to_string(e.campaign_id),
                                                    NormalizeEmail(e.recipient),
                                                    type,
                                                    e.created,
                                                    type == "click" ? e.url : "",
                                                    e.filtered};
  }
  return out;
}

std::map<std::string, EventRow> StoredEvents(Store& store) {
  std::map<std::string, EventRow> out;
  REQUIRE(store
              .ForEachEmailEvent([&](const StoredEmailEvent& s) {
                const EmailEvent& e = s.event;
                out[e.id] = EventRow{e.campaign_id, e.email,  e.type, e.occurred_at.value_or(-1),
                                     e.url,         e.machine};
              })
              .ok());
  return out;
}

// Every difference between the stored events and the expected ones.
std::vector<std::string> EventDifferences(const std::map<std::string, EventRow>& stored,
                                          const std::map<std::string, EventRow>& expected) {
  std::vector<std::string> diffs;
  for (const auto& [key, row] : expected) {
    auto it = stored.find(key);
    if (it == stored.end()) {
      diffs.push_back("event " + key + " missing");
    } else if (it->second != row) {
      diffs.push_back("event " + key + " differs");
    }
  }
  for (const auto& [key, row] : stored) {
    if (expected.count(key) == 0) diffs.push_back("event " + key + " not in the portal");
  }
  return diffs;
}

std::vector<std::string> CampaignDifferences(Store& store, const sim::HubSpotSim& sim) {
  std::map<std::string, EmailCampaign> stored;
  REQUIRE(store
              .ForEachEmailCampaign(
                  [&](const StoredEmailCampaign& s) { stored[s.campaign.id] = s.campaign; })
              .ok());
  std::vector<std::string> diffs;
  const auto portal = sim.EmailCampaigns();
  if (stored.size() != portal.size()) diffs.push_back("campaign counts differ");
  // HubSpot's counters, recounted from the portal's events: every event,
  // repeats and filtered ones included; no unique counts.
  std::map<int64_t, EmailCampaignCounters> counted;
  for (const sim::SimEmailEvent& e : sim.EmailEvents()) {
    EmailCampaignCounters& n = counted[e.campaign_id];
    auto bump = [](std::optional<int64_t>& counter) { counter = counter.value_or(0) + 1; };
    if (e.type == "SENT") bump(n.sent);
    if (e.type == "DELIVERED") bump(n.delivered);
    if (e.type == "OPEN") bump(n.opens);
    if (e.type == "CLICK") bump(n.clicks);
    if (e.type == "BOUNCE") bump(n.bounces);
    if (e.type == "SPAMREPORT") bump(n.spam_reports);
    if (e.type == "STATUSCHANGE" && e.portal_subscription_status == "UNSUBSCRIBED") {
      bump(n.unsubscribes);
    }
  }
  for (const sim::SimEmailCampaign& p : portal) {
    auto it = stored.find(std::to_string(p.id));
    if (it == stored.end()) {
      diffs.push_back("campaign " + std::to_string(p.id) + " missing");
      continue;
    }
    const EmailCampaign& c = it->second;
    const bool sent_ok = p.sent_at_ms != 0 ? c.sent_at == p.sent_at_ms : !c.sent_at.has_value();
    if (c.name != p.name || c.subject != p.subject || c.kind != p.type || !sent_ok) {
      diffs.push_back("campaign " + c.id + " differs");
    }
    const EmailCampaignCounters& want = counted[p.id];
    const EmailCampaignCounters& got = c.reported;
    auto same = [](const std::optional<int64_t>& reported, const std::optional<int64_t>& events) {
      return reported == events.value_or(0);
    };
    if (!same(got.sent, want.sent) || !same(got.delivered, want.delivered) ||
        !same(got.opens, want.opens) || !same(got.clicks, want.clicks) ||
        !same(got.bounces, want.bounces) || !same(got.unsubscribes, want.unsubscribes) ||
        !same(got.spam_reports, want.spam_reports) || got.unique_opens || got.unique_clicks) {
      diffs.push_back("campaign " + c.id + " reported counters differ");
    }
  }
  return diffs;
}

std::string Describe(const std::vector<std::string>& diffs) {
  std::string out = std::to_string(diffs.size()) + " differences";
  for (size_t i = 0; i < diffs.size() && i < 15; ++i) out += "\n  " + diffs[i];
  return out;
}

void RequireAllOk(const std::vector<StreamSyncResult>& results) {
  REQUIRE(results.size() == 2);
  for (const auto& r : results) {
    INFO(r.Summary());
    REQUIRE(r.status.ok());
  }
}

TEST_CASE("A full email sync stores exactly the simulator's campaigns and events", "[hubspot]") {
  sim::SimOptions options = sim::SimOptions::WithoutRateLimits();
  options.email_events_page_size = 100;
  EmailFixture f(options);
  const int64_t before = NowMs();
  RequireAllOk(f.Sync());
  const int64_t after = NowMs();

  auto campaign_diffs = CampaignDifferences(*f.store, f.sim);
  INFO(Describe(campaign_diffs));
  CHECK(campaign_diffs.empty());
  const auto expected = ExpectedEvents(f.sim);
  REQUIRE(expected.size() > 300);
  // A portal holds no event from the future: a sync ending at its start
  // reads every one.
  for (const sim::SimEmailEvent& e : f.sim.EmailEvents()) CHECK(e.created <= before);
  auto diffs = EventDifferences(StoredEvents(*f.store), expected);
  INFO(Describe(diffs));
  CHECK(diffs.empty());
  // Some events share an id and differ only in `created`: both are kept.
  std::set<std::string> ids;
  for (const auto& [key, row] : expected) ids.insert(key.substr(key.find(':') + 1));
  CHECK(ids.size() < expected.size());

  // The events cursor ends at the run's start, never beyond it.
  auto cursor = f.store->GetCursor("crm", "email_events");
  REQUIRE(cursor.ok());
  rapidjson::Document doc;
  doc.Parse(cursor->c_str());
  REQUIRE(doc.IsObject());
  REQUIRE(doc.HasMember("since"));
  CHECK(doc["since"].GetInt64() >= before);
  CHECK(doc["since"].GetInt64() <= after);
  CHECK_FALSE(doc.HasMember("offset"));
}

TEST_CASE("The first email sync reaches back email_history and no further", "[hubspot]") {
  EmailFixture f;
  constexpr int64_t kHistoryMs = 20LL * 24 * 3600 * 1000;
  f.config.options.Set(kEmailHistoryOption, std::chrono::milliseconds(kHistoryMs));
  const int64_t before = NowMs();
  RequireAllOk(f.Sync());
  const int64_t after = NowMs();

  const auto expected = ExpectedEvents(f.sim);
  const auto stored = StoredEvents(*f.store);
  size_t recent = 0;
  for (const auto& [key, row] : expected) {
    const int64_t created = std::get<3>(row);
    // The run started between `before` and `after`: events clear of that
    // edge are in or out for certain.
    if (created >= after - kHistoryMs) {
      ++recent;
      CHECK(stored.count(key) == 1);
    } else if (created < before - kHistoryMs) {
      CHECK(stored.count(key) == 0);
    }
  }
  CHECK(recent > 0);
  CHECK(recent < expected.size());  // the portal has older events, left out
}

TEST_CASE("Filtered opens and clicks are stored as machine events", "[hubspot]") {
  EmailFixture f;
  RequireAllOk(f.Sync());
  int machine_opens = 0;
  int human_opens = 0;
  int machine_other = 0;
  REQUIRE(f.store
              ->ForEachEmailEvent([&](const StoredEmailEvent& s) {
                if (s.event.type == "open") (s.event.machine ? machine_opens : human_opens)++;
                if (s.event.type != "open" && s.event.type != "click" && s.event.machine) {
                  ++machine_other;
                }
              })
              .ok());
  int filtered_opens = 0;
  for (const auto& e : f.sim.EmailEvents()) filtered_opens += e.type == "OPEN" && e.filtered;
  CHECK(filtered_opens > 0);
  CHECK(machine_opens == filtered_opens);
  CHECK(human_opens > 0);
  CHECK(machine_other == 0);
}

TEST_CASE("An incremental email sync adds exactly the new events in one short window",
          "[hubspot]") {
  EmailFixture f;
  RequireAllOk(f.Sync());
  const size_t before = StoredEvents(*f.store).size();
  const auto added = f.sim.AddEmailEvents(40);
  REQUIRE(added.size() == 40);
  f.sim.ResetStats();
  RequireAllOk(f.Sync());

  const auto stored = StoredEvents(*f.store);
  CHECK(stored.size() == before + added.size());
  for (const auto& key : added) CHECK(stored.count(StoredEventKey(key)) == 1);
  auto diffs = EventDifferences(stored, ExpectedEvents(f.sim));
  INFO(Describe(diffs));
  CHECK(diffs.empty());
  // Only the time since the last run is read, not the year again.
  CHECK(f.sim.Stats().by_path[kEventsPath] == 1);
}

// Campaign detail requests (GET /email/public/v1/campaigns/{id}) since the
// last ResetStats.
int64_t DetailRequests(const sim::HubSpotSim& sim) {
  const std::string prefix = "/email/public/v1/campaigns/";
  int64_t n = 0;
  for (const auto& [path, count] : sim.Stats().by_path) {
    if (path.rfind(prefix, 0) == 0 && path != prefix + "by-id") n += count;
  }
  return n;
}

TEST_CASE("Later syncs read the details of campaigns sent within email_activity_window only",
          "[hubspot]") {
  EmailFixture f;
  RequireAllOk(f.Sync());
  const auto campaigns = f.sim.EmailCampaigns();
  CHECK(DetailRequests(f.sim) == static_cast<int64_t>(campaigns.size()));

  constexpr int64_t kWindowMs = 25LL * 24 * 3600 * 1000;
  f.config.options.Set(kEmailActivityWindowOption, std::chrono::milliseconds(kWindowMs));
  const int64_t now = NowMs();
  int64_t recent = 0;
  for (const auto& c : campaigns) recent += c.sent_at_ms == 0 || c.sent_at_ms >= now - kWindowMs;
  REQUIRE(recent > 0);
  REQUIRE(recent < static_cast<int64_t>(campaigns.size()));
  f.sim.ResetStats();
  RequireAllOk(f.Sync());
  CHECK(DetailRequests(f.sim) == recent);
  // What was not read again is still stored, unchanged.
  auto diffs = CampaignDifferences(*f.store, f.sim);
  INFO(Describe(diffs));
  CHECK(diffs.empty());

  // A cursor from before the campaigns stream kept one reads every detail.
  REQUIRE(
      f.store->CommitPage("crm", Page{.stream = "email_campaigns", .cursor = "{\"v\":1}"}).ok());
  f.sim.ResetStats();
  RequireAllOk(f.Sync());
  CHECK(DetailRequests(f.sim) == static_cast<int64_t>(campaigns.size()));
}

TEST_CASE("Email event syncs that fail mid-window resume at the failed page", "[hubspot]") {
  sim::SimOptions options = sim::SimOptions::WithoutRateLimits();
  options.email_events_page_size = 25;

  // How many pages a sync that never fails reads.
  int64_t clean_pages = 0;
  {
    EmailFixture clean(options);
    RequireAllOk(clean.Sync());
    clean_pages = clean.sim.Stats().by_path[kEventsPath];
  }
  REQUIRE(clean_pages > 10);

  EmailFixture f(options);
  f.config.max_retries = 0;
  int runs = 0;
  int failed_mid_window = 0;
  for (;; ++runs) {
    REQUIRE(runs < 100);
    // Three API pages get through, then every request fails: the reader
    // hands them over as one Page (it merges up to five), which is
    // committed before the failure ends the run.
    f.sim.ClearFaults();
    f.sim.InjectFault({sim::FaultKind::kServerError, kEventsPath, 1000, 0, 3});
    auto results = f.Sync();
    REQUIRE(results.size() == 2);
    REQUIRE(results[0].status.ok());
    if (results[1].status.ok()) break;
    CHECK(results[1].pages == 1);
    auto cursor = f.store->GetCursor("crm", "email_events");
    REQUIRE(cursor.ok());
    rapidjson::Document doc;
    doc.Parse(cursor->c_str());
    REQUIRE(doc.IsObject());
    if (doc.HasMember("offset") && doc["offset"].GetStringLength() > 0) ++failed_mid_window;
  }
  CHECK(runs > 2);
  CHECK(failed_mid_window > 0);

  auto diffs = EventDifferences(StoredEvents(*f.store), ExpectedEvents(f.sim));
  INFO(Describe(diffs));
  CHECK(diffs.empty());
  // Each restart repeats only the page that failed: the pages read
  // successfully add up to a clean sync's (give or take a page where a
  // restart's lookback moved a window boundary).
  const int64_t served = f.sim.Stats().by_path.at(kEventsPath) - runs;
  CHECK(served <= clean_pages + 3);
}

TEST_CASE("An events request failing after merged pages is retried once they are committed",
          "[hubspot]") {
  sim::SimOptions options = sim::SimOptions::WithoutRateLimits();
  options.email_events_page_size = 25;
  EmailFixture f(options);
  f.config.max_retries = 2;
  f.config.retry_backoff = std::chrono::milliseconds(1);
  f.config.retry_backoff_max = std::chrono::milliseconds(5);
  // The fourth events request fails once: the reader hands over the three
  // pages before it as one Page, then fails; the engine's retry sends the
  // fourth request again and the sync goes on from there.
  f.sim.InjectFault({sim::FaultKind::kServerError, kEventsPath, 1, 0, 3});
  auto results = f.Sync();
  RequireAllOk(results);
  REQUIRE(results.size() == 2);
  CHECK(results[1].retries == 1);
  const int64_t requests = f.sim.Stats().by_path[kEventsPath];
  REQUIRE(requests > 10);
  // The first three API pages, then the rest (all but them and the failed
  // request) in Pages of up to five.
  const int64_t rest = requests - 3 - 1;
  CHECK(results[1].pages == 1 + (rest + 4) / 5);
  auto diffs = EventDifferences(StoredEvents(*f.store), ExpectedEvents(f.sim));
  INFO(Describe(diffs));
  CHECK(diffs.empty());
}

TEST_CASE("Email events map types, recipients and filtering as the audit needs them", "[hubspot]") {
  auto map = [](const char* json) {
    rapidjson::Document doc;
    doc.Parse(json);
    std::vector<ValueIssue> issues;
    return hubspot::MapEmailEvent(doc, issues);
  };
  auto click =
      map(R"({"id":"a1","created":1706810460123,"type":"CLICK","recipient":" Ana@Example.COM ",)"
          R"("emailCampaignId":1092,"url":"https://x.example/p","filteredEvent":true})");
  REQUIRE(click);
  CHECK(click->id == "1706810460123:a1");
  CHECK(click->type == "click");
  CHECK(click->email == " Ana@Example.COM ");  // as sent: the store normalises emails
  CHECK(click->campaign_id == "1092");
  CHECK(click->url == "https://x.example/p");
  CHECK(click->occurred_at == 1706810460123);
  CHECK(click->machine);

  auto unsubscribe = map(R"({"id":"b","created":5,"type":"STATUSCHANGE","recipient":"a@b.c",)"
                         R"("subscriptions":[{"id":7,"status":"UNSUBSCRIBED"}]})");
  REQUIRE(unsubscribe);
  CHECK(unsubscribe->id == "0000000000005:b");
  CHECK(unsubscribe->type == "unsubscribe");
  CHECK_FALSE(unsubscribe->machine);

  CHECK_FALSE(map(R"({"id":"c","created":5,"type":"STATUSCHANGE","recipient":"a@b.c",)"
                  R"("portalSubscriptionStatus":"SUBSCRIBED"})"));
  CHECK_FALSE(map(R"({"id":"d","created":5,"type":"PROCESSED","recipient":"a@b.c"})"));
  CHECK_FALSE(map(R"({"id":"e","created":5,"type":"DEFERRED","recipient":"a@b.c"})"));
  CHECK(map(R"({"id":"f","created":5,"type":"SPAMREPORT","recipient":"a@b.c"})")->type == "spam");
  CHECK_FALSE(map(R"({"created":5,"type":"OPEN","recipient":"a@b.c"})"));
}

}  // namespace
}  // namespace salesaudit::testing
