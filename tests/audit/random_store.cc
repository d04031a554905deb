#include "tests/audit/random_store.h"

#include <sqlite3.h>

#include <catch2/catch.hpp>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace salesaudit::verifier {
namespace {

// Calendar year and month of days since 1970-01-01, the inverse of DaysFromCivil.
void CivilFromDays(int64_t z, int64_t& y, int64_t& m) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  m = mp + (mp < 10 ? 3 : -9);
  y = yoe + era * 400 + (m <= 2);
}

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

const int64_t kT0 = Date(2024, 1, 1);  // a Monday

// Channels a CRM contact may carry; "" is none. WEBINAR is only ever on leads
// created before the window, so it earns revenue without window leads.
const char* const kChannels[] = {
    "PAID_SEARCH",     "ORGANIC_SEARCH", "REFERRALS", "Referrals", "PR",
    "EMAIL_MARKETING", "SOCIAL_MEDIA",   "podcast",   "",          "WEBINAR"};

class Rng {
 public:
  explicit Rng(uint64_t seed) : engine_(seed) {}
  // Uniform in [0, n).
  int64_t Below(int64_t n) { return static_cast<int64_t>(engine_() % static_cast<uint64_t>(n)); }
  bool Chance(double p) { return static_cast<double>(engine_() % 1000000) < p * 1000000; }

 private:
  std::mt19937_64 engine_;
};

}  // namespace

// The start of the ISO week (Monday 00:00 UTC) or calendar month holding t.
int64_t PeriodStart(AuditPeriod period, int64_t t) {
  const int64_t days = FloorDiv(t, kDay);
  if (period == AuditPeriod::kWeek) {
    const int64_t weekday = ((days + 3) % 7 + 7) % 7;  // 1970-01-01 was a Thursday
    return (days - weekday) * kDay;
  }
  int64_t y = 0;
  int64_t m = 0;
  CivilFromDays(days, y, m);
  return Date(y, m, 1);
}

int64_t NextPeriod(AuditPeriod period, int64_t start) {
  if (period == AuditPeriod::kWeek) return start + 7 * kDay;
  return PeriodStart(period, start + 32 * kDay);
}

AuditSettings RandomStoreSettings() {
  AuditSettings s;
  s.leads_per_rep_per_week = 7.3;
  s.revenue_target = 250000;
  s.spend = {
      {"PAID_SEARCH", "2023-12", 4000},  // before the window
      {"PAID_SEARCH", "2024-01", 5000},  // overlaps the window's start
      {"PAID_SEARCH", "2024-03", 5500},
      {"PAID_SEARCH", "2024-04", 6000},  // overlaps the window's end
      {"PAID_SEARCH", "2024-05", 7000},  // after the window
      {"PR", "2024-02", 3000},
      {"podcast", "2024-02", 1200},
      {"podcast", "2024-04", 800},
      {"Podcast", "2024-02", 999},  // a spelling no contact carries
      {"SOCIAL_MEDIA", "2024-03", 2500},
      {"EMAIL_MARKETING", "2024-06", 400},  // only after the window
      {"WEBINAR", "2024-02", 1500},
      {"TRADE_SHOWS", "2023-11", 2000},  // no contact carries it, spent before the window
      {"AFFILIATE", "2024-02", 700},     // only a deleted contact carries it
  };
  return s;
}

namespace {

// Records exactly on the bounds of the windows below, of periods and of the
// stale-deal age, where a closed bound instead of a half-open one would show.
void AddEdges(Page& page) {
  struct Edge {
    const char* id;
    int64_t created;
    TimeMs customer;
  };
  const Edge edges[] = {
      {"edge-from", kWindowFrom, kWindowFrom + 3 * kDay},
      {"edge-to", kWindowTo, kWindowTo + 2 * kDay},
      {"edge-before-to", kWindowTo - 1, std::nullopt},
      {"edge-feb", Date(2024, 2, 1), Date(2024, 4, 1)},  // a customer exactly at a window end
      {"edge-apr", Date(2024, 4, 1), std::nullopt},
      {"edge-monday", Date(2024, 3, 11), Date(2024, 3, 18)},
      {"edge-deleted", Date(2024, 2, 5), std::nullopt},  // AFFILIATE; deleted below
  };
  for (const Edge& edge : edges) {
    Contact c;
    c.id = edge.id;
    c.email = std::string(edge.id) + "@x.com";
    c.channel = c.id == "edge-deleted" ? "AFFILIATE" : "PR";
    c.owner_id = "o1";
    c.created_at = edge.created;
    c.customer_at = edge.customer;
    c.updated_at = kNow - kDay;
    page.contacts.push_back(std::move(c));
  }
  struct EdgeDeal {
    const char* id;
    TimeMs closed;
    TimeMs updated;
    const char* contact;
  };
  const EdgeDeal deals[] = {
      {"edge-d-from", kWindowFrom, kWindowFrom, "edge-to"},
      {"edge-d-to", kWindowTo, kWindowTo, "edge-from"},
      {"edge-d-mar", Date(2024, 4, 1), Date(2024, 4, 1), "edge-apr"},
      {"edge-d-feb", Date(2024, 2, 1), Date(2024, 2, 1), "edge-apr"},
      {"edge-d-open-30d", std::nullopt, kNow - 30 * kDay, "edge-monday"},
      {"edge-d-open-30d+1", std::nullopt, kNow - 30 * kDay - 1, "edge-monday"},
  };
  for (const EdgeDeal& edge : deals) {
    Deal d;
    d.id = edge.id;
    d.amount = 1000;
    d.currency = "EUR";
    d.is_won = d.is_closed = edge.closed.has_value();
    d.closed_at = edge.closed;
    d.created_at = kT0 - 60 * kDay;
    d.updated_at = edge.updated;
    d.contact_ids = std::vector<std::string>{edge.contact};
    page.deals.push_back(std::move(d));
  }
}

// Stage evidence beside the contacts' own dates, as a CRM's status history
// gives it: for about a third of the contacts one to three stage events,
// some before the contact's own date of that stage, some after, some for
// stages it has no date of, some for contacts deleted afterwards (the store
// drops theirs); never won in the quiet week. A generator of its own, so the
// records above stay as they were.
Page StageHistory(const std::vector<std::string>& ids, const std::vector<Contact>& contacts,
                  const std::vector<bool>& quiet) {
  Rng rng(20261207);
  Page page;
  page.stream = "history";
  page.cursor = "1";
  for (size_t i = 0; i < ids.size(); ++i) {
    if (!rng.Chance(0.35)) continue;
    const int64_t base = contacts[i].created_at.value_or(kT0);
    const int64_t n = 1 + rng.Below(3);
    for (int64_t k = 0; k < n; ++k) {
      auto stage = static_cast<FunnelStage>(rng.Below(4));
      if (stage == FunnelStage::kWon && quiet[i]) stage = FunnelStage::kSql;
      const int64_t at = std::min(kNow, base - 5 * kDay + rng.Below(70 * kDay));
      page.stage_events.push_back(
          StageEvent{ids[i], stage, at, "h" + std::to_string(i) + "-" + std::to_string(k)});
    }
  }
  return page;
}

// Writes the seeded store: two CRMs ("crm" with channels, "crm2" without any),
// owners (some inactive, one person in both CRMs, one owner without email),
// contacts with skipped, equal and out-of-order stage dates, stage events
// (StageHistory) and won deals for contacts without a customer date (the
// effective dates the audit reads), contacts without created_at, duplicate emails within and across
// sources, deals won, lost and open (some without amount or close date, some without contacts), and
// deletions of both.
void WriteRandomStore(Store& store) {
  Rng rng(20240611);
  struct SourcePlan {
    const char* source;
    int contacts;
    int deals;
    std::vector<Owner> owners;
  };
  std::vector<SourcePlan> plans = {
      {"crm",
       2000,
       700,
       {{"o1", "ann@x.com", "Ann", true},
        {"o2", "bob@x.com", "Bob", true},
        {"o3", "cid@x.com", "Cid", true},
        {"o4", "dee@x.com", "Dee", true},
        {"o5", "eve@x.com", "Eve", false},
        {"o6", "fay@x.com", "Fay", false},
        {"o7", "", "Gus", true}}},
      {"crm2",
       1000,
       300,
       {{"p1", "Ann@X.com", "Ann", true},  // the same person as crm's o1
        {"p2", "hal@x.com", "Hal", true},
        {"p3", "ivy@x.com", "Ivy", false}}},
  };
  for (const SourcePlan& plan : plans) {
    const std::string src = plan.source;
    const bool has_channels = src == "crm";
    Page page;
    page.stream = "all";
    page.cursor = "1";
    page.owners = plan.owners;
    std::vector<std::string> ids;
    std::vector<bool> quiet;  // created in kQuietWeek: never won, by any evidence
    std::set<int64_t> shared_used;
    for (int i = 0; i < plan.contacts; ++i) {
      Contact c;
      char id[16];
      std::snprintf(id, sizeof id, "c%04d", i);
      c.id = id;
      ids.push_back(c.id);
      int64_t t = kT0 - 20 * kDay + rng.Below(160 * kDay);
      if (!rng.Chance(0.03)) c.created_at = t;
      if (has_channels) {
        c.channel = kChannels[rng.Below(std::size(kChannels))];
        while (c.channel == "WEBINAR" && (!c.created_at || *c.created_at >= kWindowFrom)) {
          c.channel = kChannels[rng.Below(std::size(kChannels) - 1)];
        }
      }
      if (!rng.Chance(0.08)) {
        c.owner_id = rng.Chance(0.02) ? "o9"  // not in the owners table
                                      : plan.owners[rng.Below(plan.owners.size())].id;
      }
      const int64_t e = rng.Below(100);
      if (e < 6) {
        c.email = "";
      } else if (e < 16) {  // a small per-source pool: duplicates within the source
        c.email = src + "-dup" + std::to_string(rng.Below(60)) + "@x.com";
      } else if (e < 22) {  // shared addresses, each at most once per source
        const int64_t k = rng.Below(150);
        c.email = shared_used.insert(k).second ? "shared" + std::to_string(k) + "@x.com"
                                               : src + "-" + c.id + "@x.com";
      } else {
        c.email = src + "-" + c.id + "@x.com";
      }
      // Stages: each reached with some chance, each timestamp sometimes
      // skipped although a later stage is reached.
      TimeMs* stages[] = {&c.mql_at, &c.contacted_at, &c.sql_at, &c.customer_at};
      const double reach[] = {0.62, 0.72, 0.58, 0.5};
      for (int s = 0; s < 4; ++s) {
        if (!rng.Chance(reach[s])) break;
        t += 1 + rng.Below(15 * kDay);
        if (t > kNow) break;
        if (s == 3 || !rng.Chance(0.15)) *stages[s] = t;
      }
      const int64_t oddity = rng.Below(100);
      if (oddity < 2 && c.customer_at && c.created_at) {  // customer before creation
        c.customer_at = *c.created_at - 1 - rng.Below(10 * kDay);
      } else if (oddity < 4 && c.mql_at && c.contacted_at) {  // contacted before mql
        std::swap(c.mql_at, c.contacted_at);
      } else if (oddity < 5 && c.created_at) {  // an instant customer: every stage at once
        c.mql_at = c.contacted_at = c.sql_at = c.customer_at = c.created_at;
      }
      quiet.push_back(c.created_at && *c.created_at >= kQuietWeek &&
                      *c.created_at < kQuietWeek + 7 * kDay);
      if (quiet.back()) c.customer_at = std::nullopt;
      c.updated_at = kNow - kDay;
      page.contacts.push_back(std::move(c));
    }
    for (int i = 0; i < plan.deals; ++i) {
      Deal d;
      char id[16];
      std::snprintf(id, sizeof id, "d%04d", i);
      d.id = id;
      if (!rng.Chance(0.1)) d.owner_id = plan.owners[rng.Below(plan.owners.size())].id;
      if (!rng.Chance(0.1)) d.amount = static_cast<double>(10000 + rng.Below(2000000)) / 100;
      const bool usd = rng.Chance(0.05);
      // Some deals carry no currency, some a lower-case code the audit normalises.
      d.currency = i % 41 == 0 ? "" : i % 43 == 0 ? "usd" : usd ? "USD" : "EUR";
      const int64_t state = rng.Below(100);
      const int64_t closed = kT0 - 30 * kDay + rng.Below(170 * kDay);
      d.created_at = closed - rng.Below(40 * kDay);
      if (state < 45) {
        d.is_won = d.is_closed = true;
        if (!rng.Chance(0.05)) d.closed_at = closed;
      } else if (state < 70) {
        d.is_closed = true;
        d.closed_at = closed;
      }
      d.updated_at = d.is_closed ? closed : kNow - rng.Below(90 * kDay);
      std::vector<std::string> links;
      if (!rng.Chance(0.1)) {
        const int64_t n = 1 + rng.Below(3);
        for (int64_t k = 0; k < n; ++k) {
          // A few key accounts buy again and again.
          const int64_t pick = rng.Chance(0.3) ? rng.Below(50) : rng.Below(plan.contacts);
          if (d.is_won && quiet[static_cast<size_t>(pick)]) continue;
          if (std::find(links.begin(), links.end(), ids[pick]) == links.end()) {
            links.push_back(ids[pick]);
          }
        }
      }
      d.contact_ids = links;
      page.deals.push_back(std::move(d));
    }
    if (src == "crm") AddEdges(page);
    REQUIRE(store.CommitPage(src, page).ok());
    REQUIRE(store.CommitPage(src, StageHistory(ids, page.contacts, quiet)).ok());

    Page deletions;
    deletions.stream = "all";
    deletions.cursor = "2";
    if (src == "crm") deletions.deletions.push_back({RecordKind::kContact, "edge-deleted", kNow});
    for (const std::string& id : ids) {
      if (rng.Chance(0.03)) deletions.deletions.push_back({RecordKind::kContact, id, kNow - kDay});
    }
    for (int i = 0; i < plan.deals; ++i) {
      if (rng.Chance(0.03)) {
        char id[16];
        std::snprintf(id, sizeof id, "d%04d", i);
        deletions.deletions.push_back({RecordKind::kDeal, id, kNow - kDay});
      }
    }
    REQUIRE(store.CommitPage(src, deletions).ok());
  }
}

}  // namespace

RandomStore::RandomStore() {
  const std::string path = dir_.File("recompute.db");
  auto opened = Store::Open(path);
  REQUIRE(opened.ok());
  store_ = std::move(opened).value();
  WriteRandomStore(*store_);
  REQUIRE(sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
}

RandomStore::~RandomStore() { sqlite3_close(db_); }

}  // namespace salesaudit::verifier
