// Effective stage dates in the audit (audit/stage_evidence.h): evidence a
// contact's own dates already say changes nothing, a won deal makes a
// customer, stage events move dates to the earliest evidence, and the
// forecast reads the same dates.
#include "audit/stage_evidence.h"

#include <catch2/catch.hpp>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "audit/snapshot.h"
#include "tests/audit/example_store.h"

namespace salesaudit {
namespace {

using testing::C;
using testing::Compute;
using testing::Day;
using testing::MakeContact;

const AuditWindow kWindow{Day(0), Day(28)};

AuditSettings Settings() {
  AuditSettings s;
  s.min_sample = 1;
  return s;
}

// A contact created on `created` with no stage dates of its own.
Contact Lead(const char* id, double created) {
  return MakeContact(C{id, created, {}, {}, {}, {}, "PAID_SEARCH", "o1", ""});
}

Deal DealOf(const char* id, double created, std::optional<double> won_on,
            std::vector<std::string> contacts) {
  Deal d;
  d.id = id;
  d.amount = 100;
  d.currency = "EUR";
  d.owner_id = "o1";
  d.created_at = Day(created);
  d.is_won = d.is_closed = won_on.has_value();
  d.closed_at = Day(won_on);
  d.updated_at = Day(won_on.value_or(created));
  d.contact_ids = std::move(contacts);
  return d;
}

class TestStore {
 public:
  TestStore() {
    auto opened = Store::Open(dir_.File("audit.db"));
    REQUIRE(opened.ok());
    store_ = std::move(opened).value();
  }
  void Commit(Page page, const char* stream = "all") {
    page.stream = stream;
    page.cursor = "1";
    REQUIRE(store_->CommitPage("crm", page).ok());
  }
  Store& store() { return *store_; }

 private:
  testing::TempDir dir_;
  std::unique_ptr<Store> store_;
};

std::string JsonOf(Store& store) {
  auto json = SnapshotJson(Compute(store, Settings(), kWindow));
  REQUIRE(json.ok());
  return *json;
}

TEST_CASE("Evidence that contacts' own dates already say leaves every figure unchanged",
          "[audit][stage_evidence]") {
  // A HubSpot-like store: every stage dated on the contact, its deals opened
  // at or after the contact's sql date, won ones closed at or after its
  // customer date. Linked or not, and with stage events no earlier than the
  // contacts' own dates, the snapshot is the same.
  const C contacts[] = {
      {"c1", 1, 2, 3, 4, 9, "PAID_SEARCH", "o1", "c1@x.com"},
      {"c2", 2, 3, {}, 5, 12, "REFERRALS", "o1", "c2@x.com"},
      {"c3", 3, 4, 5, 6, {}, "PAID_SEARCH", "o1", "c3@x.com"},
      {"c4", 4, {}, {}, {}, {}, "PAID_SEARCH", "o1", "c4@x.com"},
  };
  auto page = [&](bool linked) {
    Page p;
    for (const C& c : contacts) p.contacts.push_back(MakeContact(c));
    p.deals = {DealOf("d1", 4, 9, {"c1"}), DealOf("d2", 6, 14, {"c2"}),
               DealOf("d3", 7, std::nullopt, {"c3"}), DealOf("d4", 5, 20, {"c1", "c2"})};
    if (!linked) {
      for (Deal& d : p.deals) d.contact_ids = std::vector<std::string>{};
    }
    return p;
  };
  TestStore linked;
  linked.Commit(page(true));
  TestStore unlinked;
  unlinked.Commit(page(false));
  const Snapshot with_links = Compute(linked.store(), Settings(), kWindow);
  const Snapshot own_dates = Compute(unlinked.store(), Settings(), kWindow);
  CHECK(with_links.counts.mql == own_dates.counts.mql);
  CHECK(with_links.counts.contacted == own_dates.counts.contacted);
  CHECK(with_links.counts.sql == own_dates.counts.sql);
  CHECK(with_links.counts.won == own_dates.counts.won);
  CHECK(own_dates.counts.won == 2);
  for (const auto& [name, a, b] :
       {std::tuple{"all", with_links.cycle_times.all, own_dates.cycle_times.all},
        std::tuple{"lead to mql", with_links.cycle_times.lead_to_mql,
                   own_dates.cycle_times.lead_to_mql},
        std::tuple{"mql to contacted", with_links.cycle_times.mql_to_contacted,
                   own_dates.cycle_times.mql_to_contacted},
        std::tuple{"contacted to sql", with_links.cycle_times.contacted_to_sql,
                   own_dates.cycle_times.contacted_to_sql},
        std::tuple{"sql to won", with_links.cycle_times.sql_to_won,
                   own_dates.cycle_times.sql_to_won}}) {
    INFO(name);
    CHECK(a.count == b.count);
    CHECK(a.mean == b.mean);
    CHECK(a.p90 == b.p90);
  }

  const std::string before = JsonOf(linked.store());
  Page history;
  history.stage_events = {{"c1", FunnelStage::kMql, *Day(2), "h1"},
                          {"c1", FunnelStage::kWon, *Day(15), "h2"},
                          {"c2", FunnelStage::kSql, *Day(5), "h3"},
                          {"c3", FunnelStage::kContacted, *Day(8), "h4"}};
  linked.Commit(history, "history");
  CHECK(JsonOf(linked.store()) == before);
}

TEST_CASE(
    "A contact linked to a won deal is won at its close and at sql from its creation, "
    "without dates of its own",
    "[audit][stage_evidence]") {
  TestStore db;
  Page page;
  page.contacts = {Lead("won", 1), Lead("open", 2), Lead("plain", 3)};
  page.deals = {DealOf("d1", 3, 10, {"won"}), DealOf("d2", 5, std::nullopt, {"open"})};
  db.Commit(page);
  const Snapshot s = Compute(db.store(), Settings(), kWindow);
  CHECK(s.counts.leads == 3);
  CHECK(s.counts.mql == 2);
  CHECK(s.counts.contacted == 2);
  CHECK(s.counts.sql == 2);
  CHECK(s.counts.won == 1);
  REQUIRE(s.cycle_times.all.count == 1);
  CHECK(*s.cycle_times.all.mean == Approx(9.0));
  REQUIRE(s.cycle_times.sql_to_won.count == 1);
  CHECK(*s.cycle_times.sql_to_won.mean == Approx(7.0));
  CHECK(s.customers.customers == 1);
}

TEST_CASE(
    "Stage events move a contact's dates to the earliest evidence, and a deleted one no "
    "longer does",
    "[audit][stage_evidence]") {
  TestStore db;
  Page page;
  page.contacts = {MakeContact(C{"c1", 1, 5, {}, 9, {}, "PAID_SEARCH", "o1", "c1@x.com"})};
  db.Commit(page);
  Page history;
  history.stage_events = {{"c1", FunnelStage::kMql, *Day(3), "h1"},
                          {"c1", FunnelStage::kMql, *Day(7), "h2"},  // later than its own: no say
                          {"c1", FunnelStage::kContacted, *Day(4), "h3"},
                          {"c1", FunnelStage::kWon, *Day(12), "h4"}};
  db.Commit(history, "history");
  Snapshot s = Compute(db.store(), Settings(), kWindow);
  CHECK(s.counts.won == 1);
  REQUIRE(s.cycle_times.lead_to_mql.count == 1);
  CHECK(*s.cycle_times.lead_to_mql.mean == Approx(2.0));  // day 1 to day 3
  CHECK(*s.cycle_times.mql_to_contacted.mean == Approx(1.0));
  CHECK(*s.cycle_times.contacted_to_sql.mean == Approx(5.0));
  CHECK(*s.cycle_times.all.mean == Approx(11.0));
  CHECK(s.data_quality.stage_dates_out_of_order.count == 0);

  // The record that said won is deleted in its stream: c1 is won no more.
  Page gone;
  gone.deletions = {Deletion{RecordKind::kContact, "h4", *Day(20)}};
  db.Commit(gone, "history");
  s = Compute(db.store(), Settings(), kWindow);
  CHECK(s.counts.won == 0);
  CHECK(s.counts.sql == 1);
}

TEST_CASE("A contact without a channel of its own is counted under its earliest evidence's channel",
          "[audit][stage_evidence]") {
  TestStore db;
  Page page;
  Contact bare = Lead("bare", 1);
  bare.channel.clear();
  Contact unnamed = Lead("unnamed", 2);
  unnamed.channel.clear();
  page.contacts = {bare, unnamed, Lead("own", 3)};
  db.Commit(page);
  Page leads;
  leads.stage_events = {{"bare", FunnelStage::kMql, *Day(4), "l1", "Web forms"},
                        {"bare", FunnelStage::kMql, *Day(3), "l2", "Prospector"},
                        {"unnamed", FunnelStage::kMql, *Day(3), "l3", ""},
                        {"own", FunnelStage::kMql, *Day(3), "l4", "Import"}};
  db.Commit(leads, "leads");
  const Snapshot s = Compute(db.store(), Settings(), kWindow);
  std::map<std::string, int64_t> leads_by_channel;
  for (const ChannelRow& row : s.channels) leads_by_channel[row.channel] = row.counts.leads;
  CHECK(leads_by_channel ==
        std::map<std::string, int64_t>{{"Prospector", 1}, {"PAID_SEARCH", 1}, {kNoChannel, 1}});
  CHECK(s.counts.mql == 3);
}

TEST_CASE("The forecast reads the effective dates", "[audit][stage_evidence]") {
  TestStore db;
  Page page;
  for (int i = 0; i < 10; ++i) {
    const std::string id = "c" + std::to_string(i);
    page.contacts.push_back(Lead(id.c_str(), 1 + i));
  }
  page.deals = {DealOf("d1", 2, 6, {"c0"}), DealOf("d2", 3, 8, {"c1"})};
  db.Commit(page);
  ForecastRequest request{.leads = 100, .history = {}, .now_ms = *Day(200)};
  auto forecast = ComputeForecast(db.store(), request, ForecastOptions{});
  REQUIRE(forecast.ok());
  CHECK(forecast->basis.cohort_leads == 10);
  CHECK(forecast->basis.cohort_won == 2);  // by their won deals alone
}

TEST_CASE("FoldStageEvidence keeps each stage's earliest date, own or evidence",
          "[audit][stage_evidence]") {
  Contact c;
  c.mql_at = 50;
  c.sql_at = 10;
  FoldStageEvidence(StageDates{.mql_at = 40, .contacted_at = 45, .sql_at = 20, .won_at = {}}, c);
  CHECK(c.mql_at == 40);
  CHECK(c.contacted_at == 45);
  CHECK(c.sql_at == 10);
  CHECK_FALSE(c.customer_at.has_value());
  FoldStageEvidence(StageDates{.won_at = 70}, c);
  CHECK(c.customer_at == 70);
}

}  // namespace
}  // namespace salesaudit
