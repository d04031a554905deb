// The audit snapshot (docs/audit.md) on small hand-computed stores: every
// section's numbers and the window rules.
#include "audit/snapshot.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "audit/html_report.h"
#include "tests/audit/example_store.h"

namespace salesaudit {
namespace {

using testing::C;
using testing::Channel;
using testing::Compute;
using testing::Day;
using testing::ExampleSettings;
using testing::ExampleStore;
using testing::kDay;
using testing::kJan1;
using testing::kNow;
using testing::kWindow;
using testing::MakeContact;
using testing::MakeOwner;

TEST_CASE("The funnel counts the live cohort with skipped stages implied", "[audit][snapshot]") {
  ExampleStore db;
  const Snapshot s = Compute(db.store(), ExampleSettings(), kWindow);
  // Effective dates: c5 is at sql by its open deals, c3 won by d2 without a
  // customer date of its own (example_store.cc).
  CHECK(s.counts.leads == 9);
  CHECK(s.counts.mql == 8);
  CHECK(s.counts.contacted == 7);
  CHECK(s.counts.sql == 6);
  CHECK(s.counts.won == 4);
  CHECK(*s.rates.lead_to_mql == Approx(8.0 / 9));
  CHECK(*s.rates.mql_to_contacted == Approx(7.0 / 8));
  CHECK(*s.rates.contacted_to_sql == Approx(6.0 / 7));
  CHECK(*s.rates.sql_to_won == Approx(4.0 / 6));
  CHECK(*s.rates.lead_to_won == Approx(4.0 / 9));
}

TEST_CASE("Channels carry their funnel, attributed revenue, spend and return on spend",
          "[audit][snapshot]") {
  ExampleStore db;
  const Snapshot s = Compute(db.store(), ExampleSettings(), kWindow);
  struct Row {
    const char* channel;
    FunnelCounts counts;
    int64_t won_deals;
    double revenue;
    double spend;
    std::optional<double> ros;
    std::optional<bool> below;
  };
  const Row rows[] = {
      {"PAID_SEARCH", {5, 5, 5, 4, 2}, 2, 1500, 500, 3.0, false},  // c5 at sql by its deals
      {"REFERRALS", {2, 2, 2, 2, 2}, 2, 300, 300, 1.0, true},      // c3 won by d2
      {"PR", {1, 1, 0, 0, 0}, 0, 0, 0, {}, {}},
      {kNoChannel, {1, 0, 0, 0, 0}, 0, 0, 0, {}, {}},
      {"PAID_SOCIAL", {0, 0, 0, 0, 0}, 1, 50, 0, {}, {}},  // revenue from an older lead
      {"podcast", {0, 0, 0, 0, 0}, 0, 0, 100, 0.0, true},  // spend without leads
  };
  CHECK(s.channels.size() == std::size(rows));
  for (const Row& r : rows) {
    INFO(r.channel);
    const ChannelRow& c = Channel(s, r.channel);
    CHECK(c.counts.leads == r.counts.leads);
    CHECK(c.counts.mql == r.counts.mql);
    CHECK(c.counts.contacted == r.counts.contacted);
    CHECK(c.counts.sql == r.counts.sql);
    CHECK(c.counts.won == r.counts.won);
    CHECK(c.won_deals == r.won_deals);
    REQUIRE(c.revenue_stated.amount);
    CHECK(*c.revenue_stated.amount == Approx(r.revenue));
    CHECK(c.revenue_stated.currency == "EUR");  // channels without deals too
    CHECK(c.spend == Approx(r.spend));
    CHECK(c.return_on_spend.has_value() == r.ros.has_value());
    if (r.ros) CHECK(*c.return_on_spend == Approx(*r.ros));
    CHECK(c.below_target == r.below);
  }
  CHECK(s.channels.front().channel == "PAID_SEARCH");  // most leads first
  CHECK_FALSE(Channel(s, kNoChannel).rates.mql_to_contacted.has_value());
  CHECK(*Channel(s, "PAID_SEARCH").rates.lead_to_won == Approx(0.4));
}

TEST_CASE("Channels whose MQLs reach SQL at under half the overall rate stall, given enough MQLs",
          "[audit][snapshot]") {
  ExampleStore db;
  struct Case {
    int64_t min_sample;
    std::vector<std::string> stalling;
  };
  const Case cases[] = {{1, {"PR"}}, {2, {}}};
  for (const Case& c : cases) {
    INFO("min_sample " << c.min_sample);
    AuditSettings settings = ExampleSettings();
    settings.min_sample = c.min_sample;
    const Snapshot s = Compute(db.store(), settings, kWindow);
    CHECK(*s.lead_quality.overall_mql_to_sql == Approx(6.0 / 8));
    CHECK(s.lead_quality.stalling_channels == c.stalling);
    CHECK(*Channel(s, "REFERRALS").mql_to_sql == Approx(1.0));
    CHECK_FALSE(Channel(s, "REFERRALS").mql_stalls);
  }
}

TEST_CASE("Lead volume covers partial periods and averages and trends the complete ones",
          "[audit][snapshot]") {
  ExampleStore db;
  const Snapshot s = Compute(db.store(), ExampleSettings(), kWindow);
  const LeadVolume& lv = s.lead_volume;
  struct Period {
    int64_t start;
    int64_t leads;
    bool complete;
  };
  const Period expected[] = {{Day(0).value(), 1, false},
                             {Day(7).value(), 3, true},
                             {Day(14).value(), 4, true},
                             {Day(21).value(), 1, false}};
  REQUIRE(lv.series.size() == std::size(expected));
  int64_t total = 0;
  for (size_t i = 0; i < lv.series.size(); ++i) {
    INFO("period " << i);
    CHECK(lv.series[i].start_ms == expected[i].start);
    CHECK(lv.series[i].end_ms == expected[i].start + 7 * kDay);
    CHECK(lv.series[i].leads == expected[i].leads);
    CHECK(lv.series[i].complete == expected[i].complete);
    total += lv.series[i].leads;
  }
  CHECK(total == s.counts.leads);
  CHECK(lv.complete_periods == 2);
  CHECK(*lv.average == Approx(3.5));
  CHECK(*lv.trend == Approx(1.0));
}

TEST_CASE("Monthly lead volume buckets by calendar month and a falling series trends down",
          "[audit][snapshot]") {
  testing::TempDir dir;
  auto store = Store::Open(dir.File("m.db"));
  REQUIRE(store.ok());
  Page p;
  p.stream = "contacts";
  p.cursor = "1";
  // Jan 20 (partial January), 3 in February, 1 in March, 1 in April (partial).
  const double days[] = {19, 31, 40, 58, 60, 91};
  int n = 0;
  for (double d : days) {
    p.contacts.push_back(MakeContact({("m" + std::to_string(n++)).c_str(), d}));
  }
  REQUIRE((*store)->CommitPage("crm", p).ok());
  AuditSettings settings;
  settings.period = AuditPeriod::kMonth;
  settings.leads_per_rep_per_week = 7;
  const Snapshot s = Compute(**store, settings, AuditWindow{Day(15), Day(95)}, Day(200).value());
  const LeadVolume& lv = s.lead_volume;
  REQUIRE(lv.series.size() == 4);
  CHECK(lv.series[0].start_ms == kJan1);
  CHECK(lv.series[1].start_ms == Day(31).value());  // February 1
  CHECK(lv.series[2].start_ms == Day(60).value());  // March 1 (2024 is a leap year)
  CHECK(lv.series[3].start_ms == Day(91).value());  // April 1
  CHECK(lv.series[0].leads == 1);
  CHECK(lv.series[1].leads == 3);
  CHECK(lv.series[2].leads == 1);
  CHECK(lv.series[3].leads == 1);
  CHECK_FALSE(lv.series[0].complete);
  CHECK(lv.series[1].complete);
  CHECK(lv.series[2].complete);
  CHECK_FALSE(lv.series[3].complete);
  CHECK(*lv.average == Approx(2.0));
  CHECK(*lv.trend == Approx(-2.0));
  CHECK(s.capacity.leads_per_rep_per_period == Approx(7 * 365.2425 / 12 / 7));
}

TEST_CASE("Cycle times give mean, median and p90 overall, by channel and between stages",
          "[audit][snapshot]") {
  ExampleStore db;
  const Snapshot s = Compute(db.store(), ExampleSettings(), kWindow);
  struct Case {
    const char* name;
    DurationStats actual;
    int64_t count;
    std::optional<double> mean, median, p90;
  };
  // Effective dates (example_store.cc): c1 and c4 were won by deals closed
  // before they were created (a negative cycle, left out), c3 by d2 on day 20.
  const Case cases[] = {
      {"all: 11, 12 days", s.cycle_times.all, 2, 11.5, 11.5, 11.9},
      {"PAID_SEARCH: 12", Channel(s, "PAID_SEARCH").cycle, 1, 12.0, 12.0, 12.0},
      {"REFERRALS: 11", Channel(s, "REFERRALS").cycle, 1, 11.0, 11.0, 11.0},
      {"PR: none won", Channel(s, "PR").cycle, 0, {}, {}, {}},
      {"lead to mql", s.cycle_times.lead_to_mql, 5, 1.0, 1.0, 1.0},
      {"mql to contacted, the backwards pair left out", s.cycle_times.mql_to_contacted, 2, 1.0, 1.0,
       1.0},
      {"contacted to sql: c3, at sql by d2", s.cycle_times.contacted_to_sql, 1, 9.0, 9.0, 9.0},
      {"sql to won: the deals that date both", s.cycle_times.sql_to_won, 4, 0.0, 0.0, 0.0},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    CHECK(c.actual.count == c.count);
    CHECK(c.actual.mean.has_value() == c.mean.has_value());
    if (c.mean) {
      CHECK(*c.actual.mean == Approx(*c.mean));
      CHECK(*c.actual.median == Approx(*c.median));
      CHECK(*c.actual.p90 == Approx(*c.p90));
    }
  }
}

TEST_CASE("Capacity compares reps' capacity with the incoming leads per period",
          "[audit][snapshot]") {
  ExampleStore db;
  struct Case {
    const char* name;
    std::optional<int64_t> reps;
    double per_week;
    std::optional<double> revenue_target;
    int64_t expect_reps;
    double capacity, shortfall, surplus;
    int64_t needed, hire;
  };
  // Incoming is 3.5 leads per week; active owners are Ann (in two CRMs), Bob and Dee.
  const Case cases[] = {
      {"active owners, too many leads", {}, 1, {}, 3, 3, 0, 0.5, 4, 1},
      {"configured reps, too few leads", 2, 5, 8200, 2, 10, 6.5, 0, 1, 0},
      {"exactly enough", 1, 3.5, {}, 1, 3.5, 0, 0, 1, 0},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    AuditSettings settings = ExampleSettings();
    settings.reps = c.reps;
    settings.leads_per_rep_per_week = c.per_week;
    settings.revenue_target = c.revenue_target;
    const Capacity cap = Compute(db.store(), settings, kWindow).capacity;
    CHECK(cap.reps == c.expect_reps);
    CHECK(cap.reps_configured == c.reps.has_value());
    CHECK(cap.capacity_per_period == Approx(c.capacity));
    CHECK(*cap.incoming_per_period == Approx(3.5));
    CHECK(*cap.shortfall_per_period == Approx(c.shortfall));
    CHECK(*cap.surplus_per_period == Approx(c.surplus));
    CHECK(*cap.reps_needed == c.needed);
    CHECK(*cap.reps_to_hire == c.hire);
    CHECK(cap.leads_needed_for_revenue_target.has_value() == c.revenue_target.has_value());
    // 8200 / (average won deal 410 x lead-to-won 4/9) = 45 leads.
    if (c.revenue_target) CHECK(*cap.leads_needed_for_revenue_target == Approx(45.0));
  }
}

TEST_CASE("Capacity without a complete period has no incoming rate and no verdict",
          "[audit][snapshot]") {
  ExampleStore db;
  const Snapshot s = Compute(db.store(), ExampleSettings(), AuditWindow{Day(3), Day(6)});
  CHECK(s.lead_volume.series.size() == 1);
  CHECK_FALSE(s.lead_volume.average.has_value());
  CHECK_FALSE(s.lead_volume.trend.has_value());
  CHECK_FALSE(s.capacity.incoming_per_period.has_value());
  CHECK_FALSE(s.capacity.shortfall_per_period.has_value());
  CHECK_FALSE(s.capacity.reps_needed.has_value());
}

TEST_CASE("Reps show their funnel, cycle and revenue against the team median",
          "[audit][snapshot]") {
  ExampleStore db;
  const Snapshot s = Compute(db.store(), ExampleSettings(), kWindow);
  struct Row {
    const char* source;
    const char* id;
    int64_t leads, contacted, sql, won;
    std::optional<double> contact_rate, sql_rate, win_rate, median_cycle;
    double revenue;
  };
  // The inactive Cid has no activity and is left out; the active Dee is listed.
  const Row rows[] = {
      {"crm", "o1", 4, 4, 3, 2, 1.0, 0.75, 2.0 / 3, 12.0, 1500},
      {"crm", "o2", 4, 3, 3, 2, 0.75, 1.0, 2.0 / 3, 11.0, 300},
      {"crm", "o4", 0, 0, 0, 0, {}, {}, {}, {}, 0},
      {"crm2", "o1", 0, 0, 0, 0, {}, {}, {}, {}, 0},
  };
  REQUIRE(s.reps.size() == std::size(rows));
  for (size_t i = 0; i < s.reps.size(); ++i) {
    const Row& r = rows[i];
    const RepRow& rep = s.reps[i];
    INFO(r.source << ":" << r.id);
    CHECK(rep.source == r.source);
    CHECK(rep.owner_id == r.id);
    CHECK(rep.counts.leads == r.leads);
    CHECK(rep.counts.contacted == r.contacted);
    CHECK(rep.counts.sql == r.sql);
    CHECK(rep.counts.won == r.won);
    CHECK(rep.contact_rate.has_value() == r.contact_rate.has_value());
    if (r.contact_rate) {
      CHECK(*rep.contact_rate == Approx(*r.contact_rate));
      CHECK(*rep.sql_rate == Approx(*r.sql_rate));
      CHECK(*rep.win_rate == Approx(*r.win_rate));
      CHECK(*rep.median_cycle_days == Approx(*r.median_cycle));
    }
    REQUIRE(rep.revenue_stated.amount);
    CHECK(*rep.revenue_stated.amount == Approx(r.revenue));
  }
  CHECK(s.reps[0].name == "Ann");
  CHECK(*s.team.leads == Approx(2.0));  // 0, 0, 4, 4
  CHECK(*s.team.contact_rate == Approx(0.875));
  CHECK(*s.team.win_rate == Approx(2.0 / 3));
  CHECK(*s.team.revenue == Approx(150.0));  // 0, 0, 300, 1500
  CHECK(s.team.revenue_currency == "EUR");
  CHECK(s.unowned.leads == 1);
}

TEST_CASE("Data quality counts each problem with a few example ids", "[audit][snapshot]") {
  ExampleStore db;
  const DataQuality dq = Compute(db.store(), ExampleSettings(), kWindow).data_quality;
  struct Case {
    const char* name;
    const QualityIssue& issue;
    int64_t count;
    std::vector<std::string> examples;
  };
  const Case cases[] = {
      {"without owner", dq.contacts_without_owner, 1, {"crm:c6"}},
      {"without channel", dq.contacts_without_channel, 1, {"crm:c6"}},
      {"without email", dq.contacts_without_email, 1, {"crm:c6"}},
      {"without created date", dq.contacts_without_created_date, 1, {"crm:c13"}},
      {"duplicates within a source", dq.duplicate_emails_within_source, 1, {"dup@x.com"}},
      {"duplicates across sources", dq.duplicate_emails_across_sources, 1, {"c1@x.com"}},
      {"stage dates out of order", dq.stage_dates_out_of_order, 1, {"crm:c7"}},
      {"won deals without amount", dq.won_deals_without_amount, 1, {"crm:d5"}},
      {"won deals without close date", dq.won_deals_without_close_date, 1, {"crm:d9"}},
      {"won deals without contacts", dq.won_deals_without_contacts, 1, {"crm:d6"}},
      {"stale open deals", dq.stale_open_deals, 1, {"crm:d7"}},
      {"spend channels not in store", dq.spend_channels_not_in_store, 1, {"podcast"}},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    CHECK(c.issue.count == c.count);
    CHECK(c.issue.examples == c.examples);
  }
  CHECK(dq.duplicate_contacts_within_source == 2);
  CHECK(dq.duplicate_contacts_across_sources == 2);
}

TEST_CASE("Data-quality examples link to the record's page only where its connector has one",
          "[audit][snapshot]") {
  ExampleStore db;
  AuditSettings settings = ExampleSettings();
  settings.record_urls = {{"crm",
                           {{RecordKind::kContact, "https://crm.example/c/"},
                            {RecordKind::kDeal, "https://crm.example/d/"}}}};
  const Snapshot s = Compute(db.store(), settings, kWindow);
  const DataQuality& dq = s.data_quality;
  using Urls = std::map<std::string, std::string>;
  CHECK(dq.contacts_without_owner.example_urls == Urls{{"crm:c6", "https://crm.example/c/c6"}});
  CHECK(dq.stage_dates_out_of_order.example_urls == Urls{{"crm:c7", "https://crm.example/c/c7"}});
  CHECK(dq.won_deals_without_amount.example_urls == Urls{{"crm:d5", "https://crm.example/d/d5"}});
  CHECK(dq.stale_open_deals.example_urls == Urls{{"crm:d7", "https://crm.example/d/d7"}});
  // Addresses and channel names are no records.
  CHECK(dq.duplicate_emails_within_source.example_urls.empty());
  CHECK(dq.spend_channels_not_in_store.example_urls.empty());

  auto json = SnapshotJson(s);
  REQUIRE(json.ok());
  CHECK_THAT(*json, Catch::Contains("\"contacts_without_owner\":{\"count\":1,\"examples\":"
                                    "[\"crm:c6\"],\"example_urls\":{\"crm:c6\":"
                                    "\"https://crm.example/c/c6\"}}"));
  auto html = RenderHtmlReport(*json);
  REQUIRE(html.ok());
  CHECK_THAT(*html, Catch::Contains("<a href=\"https://crm.example/d/d5\" rel=\"noreferrer\"") &&
                        Catch::Contains("<code>dup@x.com</code>"));

  // Another connector's pages do not link this one's records.
  settings.record_urls = {{"crm2", {{RecordKind::kContact, "https://crm.example/c/"}}}};
  const Snapshot other = Compute(db.store(), settings, kWindow);
  CHECK(other.data_quality.contacts_without_owner.example_urls.empty());
  auto plain = SnapshotJson(other);
  REQUIRE(plain.ok());
  CHECK_THAT(*plain, !Catch::Contains("example_urls"));
}

TEST_CASE("Channels differing only by case or spaces are reported as groups with their contacts",
          "[audit][snapshot]") {
  testing::TempDir dir;
  auto store = Store::Open(dir.File("variants.db"));
  REQUIRE(store.ok());
  Page p;
  p.stream = "contacts";
  p.cursor = "1";
  int next = 0;
  auto add = [&](const char* channel, int count, std::optional<double> created = 3.0) {
    for (int i = 0; i < count; ++i) {
      C c{nullptr, created};
      const std::string id = "v" + std::to_string(next++);
      c.id = id.c_str();
      c.channel = channel;
      p.contacts.push_back(MakeContact(c));
    }
  };
  add("PAID_SOCIAL", 3);
  add("paid_social ", 1, 300.0);  // outside the window: the whole store counts
  add("Paid_Social", 2, std::nullopt);
  add("Paid Social", 1);
  add("paid  social", 1);
  add("podcast", 2);
  REQUIRE((*store)->CommitPage("crm", p).ok());
  const Snapshot s = Compute(**store, AuditSettings{}, kWindow);
  const DataQuality& dq = s.data_quality;
  CHECK(dq.channel_variants.count == 2);
  CHECK(dq.channel_variant_contacts == 8);
  CHECK(dq.channel_variants.examples ==
        std::vector<std::string>{"'Paid Social' 1, 'paid  social' 1",
                                 "'PAID_SOCIAL' 3, 'Paid_Social' 2, 'paid_social ' 1"});

  auto json = SnapshotJson(s);
  REQUIRE(json.ok());
  CHECK_THAT(*json, Catch::Contains("\"channel_variants\":{\"count\":2,\"contacts\":8,"
                                    "\"examples\":[\"'Paid Social' 1, 'paid  social' 1\","));
  CHECK_THAT(SnapshotText(s), Catch::Contains("channels differing only by case or spaces") &&
                                  Catch::Contains("'PAID_SOCIAL' 3, 'Paid_Social' 2"));
  auto html = RenderHtmlReport(*json);
  REQUIRE(html.ok());
  CHECK_THAT(*html, Catch::Contains("data_quality.channel_variants.count") &&
                        Catch::Contains("&#39;PAID_SOCIAL&#39; 3, &#39;Paid_Social&#39; 2"));
}

TEST_CASE("Examples stop at five while the count goes on", "[audit][snapshot]") {
  testing::TempDir dir;
  auto store = Store::Open(dir.File("q.db"));
  REQUIRE(store.ok());
  Page p;
  p.stream = "contacts";
  p.cursor = "1";
  p.owners = {MakeOwner("o1", "Ann", "ann@x.com", true)};
  for (int i = 0; i < 8; ++i) {
    p.contacts.push_back(MakeContact({("n" + std::to_string(i)).c_str(), 3.0 + i}));
  }
  p.contacts.push_back(MakeContact({"owned", 3, {}, {}, {}, {}, "X", "o1", "a@x.com"}));
  REQUIRE((*store)->CommitPage("crm", p).ok());
  const DataQuality dq = Compute(**store, AuditSettings{}, kWindow).data_quality;
  CHECK(dq.contacts_without_owner.count == 8);
  CHECK(dq.contacts_without_owner.examples ==
        std::vector<std::string>{"crm:n0", "crm:n1", "crm:n2", "crm:n3", "crm:n4"});
}

TEST_CASE("Customers count contacts with won deals, repeats and the referral share of new leads",
          "[audit][snapshot]") {
  ExampleStore db;
  const Snapshot s = Compute(db.store(), ExampleSettings(), kWindow);
  // c1 (d1, d4), c2 (d2), c3 (d2), c4 (customer date, d3, d5), c9 (d11).
  CHECK(s.customers.customers == 5);
  CHECK(s.customers.repeat_customers == 2);
  CHECK(*s.customers.repeat_rate == Approx(0.4));
  CHECK(s.customers.referral_leads == 2);
  CHECK(*s.customers.referral_share == Approx(2.0 / 9));
  CHECK(s.revenue.won_deals == 6);
  CHECK(s.revenue.deals_with_amount == 5);
  CHECK(*s.revenue.total_stated.amount == Approx(2050));
  CHECK(s.revenue.total_stated.currency == "EUR");
  CHECK(*s.revenue.unattributed_stated.amount == Approx(200));
  CHECK(*s.revenue.average_won_deal == Approx(410));
  CHECK(s.revenue.currencies == std::vector<std::string>{"EUR"});
}

TEST_CASE("An open window runs from the earliest lead to now", "[audit][snapshot]") {
  ExampleStore db;
  const Snapshot s = Compute(db.store(), ExampleSettings(), AuditWindow{});
  CHECK(*s.window.from == Day(0).value());  // crm2's x1
  CHECK(*s.window.to == kNow);
  // Every live dated contact: c1-c10, c12 and x1 (c11 is deleted, c13 undated).
  CHECK(s.counts.leads == 12);
  int64_t total = 0;
  for (const PeriodLeads& p : s.lead_volume.series) total += p.leads;
  CHECK(total == 12);
  CHECK_FALSE(s.lead_volume.series.back().complete);  // the week of "now"
}

TEST_CASE("An empty store gives zero counts and null rates, never NaN", "[audit][snapshot]") {
  testing::TempDir dir;
  auto store = Store::Open(dir.File("empty.db"));
  REQUIRE(store.ok());
  const Snapshot s = Compute(**store, AuditSettings{}, AuditWindow{});
  CHECK(s.counts.leads == 0);
  CHECK_FALSE(s.rates.lead_to_mql.has_value());
  CHECK(s.lead_volume.series.empty());
  CHECK_FALSE(s.cycle_times.all.median.has_value());
  CHECK_FALSE(s.customers.repeat_rate.has_value());
  CHECK_FALSE(s.customers.referral_share.has_value());
  CHECK_FALSE(s.revenue.average_won_deal.has_value());
  auto json = SnapshotJson(s);
  REQUIRE(json.ok());
  CHECK_THAT(*json, Catch::Contains("\"lead_to_won\":null"));
  CHECK_THAT(*json, !Catch::Contains("NaN"));
}

TEST_CASE("A spend month that is not YYYY-MM is an invalid argument", "[audit][snapshot]") {
  testing::TempDir dir;
  auto store = Store::Open(dir.File("s.db"));
  REQUIRE(store.ok());
  for (const char* month : {"2024-13", "2024-1", "24-01-01", "abcd-ef"}) {
    INFO(month);
    AuditSettings settings;
    settings.spend = {{"PR", month, 10}};
    auto s = ComputeSnapshot(**store, settings, AuditWindow{}, kNow);
    REQUIRE_FALSE(s.ok());
    CHECK(s.status().code() == StatusCode::kInvalidArgument);
  }
}

}  // namespace
}  // namespace salesaudit
