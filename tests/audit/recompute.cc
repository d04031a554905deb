#include "tests/audit/recompute.h"

#include <sqlite3.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <iterator>
#include <set>
#include <utility>

#include "core/time_util.h"
#include "tests/audit/random_store.h"

namespace salesaudit::verifier {
namespace {

struct Cell {
  bool null = true;
  int64_t i = 0;
  double d = 0;
  std::string s;
};
using Row = std::vector<Cell>;

// Runs `sql` with ?1, ?2, ?3 bound to the window's from, to and now.
std::vector<Row> Query(sqlite3* db, const std::string& sql, const std::vector<int64_t>& params) {
  sqlite3_stmt* stmt = nullptr;
  const int prepared = sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr);
  INFO(sql << ": " << sqlite3_errmsg(db));
  REQUIRE(prepared == SQLITE_OK);
  for (int k = 0; k < sqlite3_bind_parameter_count(stmt); ++k) {
    sqlite3_bind_int64(stmt, k + 1, params.at(k));
  }
  std::vector<Row> rows;
  int rc = SQLITE_ROW;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    Row row(sqlite3_column_count(stmt));
    for (int col = 0; col < static_cast<int>(row.size()); ++col) {
      Cell& cell = row[col];
      cell.null = sqlite3_column_type(stmt, col) == SQLITE_NULL;
      if (cell.null) continue;
      cell.i = sqlite3_column_int64(stmt, col);
      cell.d = sqlite3_column_double(stmt, col);
      cell.s = reinterpret_cast<const char*>(sqlite3_column_text(stmt, col));
    }
    rows.push_back(std::move(row));
  }
  sqlite3_finalize(stmt);
  REQUIRE(rc == SQLITE_DONE);
  return rows;
}

int64_t QueryInt(sqlite3* db, const std::string& sql, const std::vector<int64_t>& params) {
  const std::vector<Row> rows = Query(db, sql, params);
  REQUIRE(rows.size() == 1);
  return rows[0][0].i;
}

TimeMs Opt(const Cell& cell) { return cell.null ? TimeMs{} : TimeMs{cell.i}; }

// The contacts with their effective stage dates (README "The store"), read
// from v_contact_funnel as a BI tool would, its ISO-8601 text times turned
// back into epoch ms: mql_at .. customer_at are the effective dates, own_*
// the contact's own columns.
constexpr char kFunnelContacts[] =
    "(SELECT c.source, c.id, c.email, c.owner_id, f.channel, c.created_at, c.deleted_at,"
    " CAST(round((julianday(f.mql_at) - 2440587.5) * 86400000.0) AS INTEGER) AS mql_at,"
    " CAST(round((julianday(f.contacted_at) - 2440587.5) * 86400000.0) AS INTEGER)"
    "   AS contacted_at,"
    " CAST(round((julianday(f.sql_at) - 2440587.5) * 86400000.0) AS INTEGER) AS sql_at,"
    " CAST(round((julianday(f.won_at) - 2440587.5) * 86400000.0) AS INTEGER) AS customer_at,"
    " c.mql_at AS own_mql_at, c.contacted_at AS own_contacted_at, c.sql_at AS own_sql_at,"
    " c.customer_at AS own_customer_at"
    " FROM contacts c JOIN v_contact_funnel f ON f.source = c.source AND f.id = c.id)";
// The cohort (docs/contracts.md "Funnel semantics"): live contacts created in [?1, ?2).
const std::string kCohort = std::string(" FROM ") + kFunnelContacts +
                            " WHERE deleted_at IS NULL AND created_at >= ?1 AND created_at < ?2";
constexpr char kChannel[] = "COALESCE(NULLIF(channel, ''), '(none)')";
// A contact counts at a stage when it has that stage's timestamp or a later one.
constexpr char kStageSums[] =
    "COUNT(*),"
    " COALESCE(SUM(mql_at IS NOT NULL OR contacted_at IS NOT NULL OR sql_at IS NOT NULL"
    "   OR customer_at IS NOT NULL), 0),"
    " COALESCE(SUM(contacted_at IS NOT NULL OR sql_at IS NOT NULL OR customer_at IS NOT NULL), 0),"
    " COALESCE(SUM(sql_at IS NOT NULL OR customer_at IS NOT NULL), 0),"
    " COALESCE(SUM(customer_at IS NOT NULL), 0)";
// Live won deals closed in [?1, ?2).
constexpr char kWonInWindow[] =
    "d.deleted_at IS NULL AND d.is_won = 1 AND d.closed_at >= ?1 AND d.closed_at < ?2";

Counts CountsOf(const Row& row, size_t first) {
  return {row[first].i, row[first + 1].i, row[first + 2].i, row[first + 3].i, row[first + 4].i};
}

// docs/audit.md "Percentiles": linear interpolation between closest ranks,
// position p x (n - 1) in the sorted values.
double Percentile(const std::vector<double>& sorted, double p) {
  const double position = p * static_cast<double>(sorted.size() - 1);
  const size_t below = static_cast<size_t>(std::floor(position));
  const size_t above = static_cast<size_t>(std::ceil(position));
  return sorted[below] + (position - static_cast<double>(below)) * (sorted[above] - sorted[below]);
}

// "source:id" of each row's first two cells.
Issue IssueOf(const std::vector<Row>& rows) {
  Issue issue;
  issue.count = static_cast<int64_t>(rows.size());
  for (size_t k = 0; k < rows.size() && k < 5; ++k) {
    issue.examples.push_back(rows[k][0].s + ":" + rows[k][1].s);
  }
  return issue;
}

}  // namespace

std::optional<double> Ratio(double numerator, double denominator) {
  if (denominator == 0) return std::nullopt;
  return numerator / denominator;
}

Stats StatsOf(std::vector<double> values) {
  Stats stats;
  stats.count = static_cast<int64_t>(values.size());
  if (values.empty()) return stats;
  std::sort(values.begin(), values.end());
  double sum = 0;
  for (double v : values) sum += v;
  stats.mean = sum / static_cast<double>(values.size());
  stats.median = Percentile(values, 0.5);
  stats.p90 = Percentile(values, 0.9);
  return stats;
}

Expected Recompute(sqlite3* db, const AuditSettings& settings, int64_t from, int64_t to,
                   int64_t now) {
  const std::vector<int64_t> p = {from, to, now};
  const std::string& cohort = kCohort;
  Expected e;

  // Funnel, overall and per channel.
  e.funnel = CountsOf(Query(db, std::string("SELECT ") + kStageSums + cohort, p).at(0), 0);
  for (const Row& row : Query(
           db, std::string("SELECT ") + kChannel + ", " + kStageSums + cohort + " GROUP BY 1", p)) {
    e.by_channel[row[0].s] = CountsOf(row, 1);
  }

  // Cohort rows for volume, cycle times and stage order.
  const std::vector<Row> contacts =
      Query(db,
            std::string("SELECT source, id, ") + kChannel +
                ", created_at, mql_at, contacted_at, sql_at, customer_at, own_mql_at,"
                " own_contacted_at, own_sql_at, own_customer_at" +
                cohort + " ORDER BY source, id",
            p);

  // Lead volume: every period overlapping [from, to).
  for (int64_t start = PeriodStart(settings.period, from); start < to;
       start = NextPeriod(settings.period, start)) {
    Period period{start, NextPeriod(settings.period, start), 0, false};
    period.complete = start >= from && period.end <= to && period.end <= now;
    for (const Row& c : contacts) {
      period.leads += c[3].i >= period.start && c[3].i < period.end;
    }
    e.series.push_back(period);
  }
  std::vector<std::pair<double, double>> points;  // position, leads
  for (size_t k = 0; k < e.series.size(); ++k) {
    if (e.series[k].complete) {
      points.emplace_back(static_cast<double>(k), static_cast<double>(e.series[k].leads));
    }
  }
  e.complete_periods = static_cast<int64_t>(points.size());
  if (!points.empty()) {
    double mx = 0;
    double my = 0;
    for (auto [x, y] : points) mx += x, my += y;
    mx /= static_cast<double>(points.size());
    my /= static_cast<double>(points.size());
    e.average = my;
    if (points.size() >= 2) {
      double sxy = 0;
      double sxx = 0;
      for (auto [x, y] : points) sxy += (x - mx) * (y - my), sxx += (x - mx) * (x - mx);
      e.trend = sxy / sxx;
    }
  }

  // Cycle times and stage order.
  const char* const kBetween[] = {"lead_to_mql", "mql_to_contacted", "contacted_to_sql",
                                  "sql_to_won"};
  std::vector<Row> out_of_order;
  for (const Row& c : contacts) {
    const TimeMs stamps[] = {Opt(c[3]), Opt(c[4]), Opt(c[5]), Opt(c[6]), Opt(c[7])};
    if (stamps[4] && *stamps[4] >= *stamps[0]) {
      const double days = static_cast<double>(*stamps[4] - *stamps[0]) / kDay;
      e.cycle_all.push_back(days);
      e.cycle_by_channel[c[2].s].push_back(days);
    }
    for (int s = 0; s < 4; ++s) {
      if (stamps[s] && stamps[s + 1] && *stamps[s + 1] >= *stamps[s]) {
        e.between_stages[kBetween[s]].push_back(static_cast<double>(*stamps[s + 1] - *stamps[s]) /
                                                kDay);
      }
    }
    // Out of order is a check of the contact's own dates.
    std::optional<int64_t> latest;
    bool backwards = false;
    for (const TimeMs& t : {stamps[0], Opt(c[8]), Opt(c[9]), Opt(c[10]), Opt(c[11])}) {
      if (!t) continue;
      if (latest && *t < *latest) backwards = true;
      latest = std::max(latest.value_or(*t), *t);
    }
    if (backwards) out_of_order.push_back(c);
  }
  e.quality["stage_dates_out_of_order"] = IssueOf(out_of_order);

  // Won deals closed in the window, each with its live contacts, earliest
  // created first (contacts without created_at last, then by id).
  std::map<std::string, ChannelExpect> rows;
  for (const auto& [channel, counts] : e.by_channel) rows[channel].counts = counts;
  const std::vector<Row> won = Query(
      db,
      std::string("SELECT d.source, d.id, d.amount, UPPER(TRIM(COALESCE(d.currency, ''))), c.id,"
                  " c.created_at,"
                  " COALESCE(NULLIF(f.channel, ''), '(none)')"
                  " FROM deals d"
                  " LEFT JOIN deal_contacts dc ON dc.source = d.source AND dc.deal_id = d.id"
                  " LEFT JOIN contacts c ON c.source = dc.source AND c.id = dc.contact_id"
                  "   AND c.deleted_at IS NULL"
                  " LEFT JOIN v_contact_funnel f ON f.source = c.source AND f.id = c.id WHERE ") +
          kWonInWindow +
          " ORDER BY d.source, d.id, c.id IS NULL, c.created_at IS NULL, c.created_at, c.id",
      p);
  std::set<std::string> currencies;
  std::vector<Row> without_amount;
  std::vector<Row> without_contacts;
  std::vector<Row> without_currency;
  for (size_t k = 0; k < won.size();) {
    size_t next = k;
    int64_t undated = 0;
    bool dated = false;
    while (next < won.size() && won[next][0].s == won[k][0].s && won[next][1].s == won[k][1].s) {
      undated += !won[next][4].null && won[next][5].null;
      dated = dated || !won[next][5].null;
      ++next;
    }
    const Row& deal = won[k];  // the earliest live contact, if any
    // Money is added only within a currency; a deal without an amount adds none.
    const std::string currency = deal[3].s.empty() ? "unknown" : deal[3].s;
    auto add = [&](ByCurrency& into) {
      if (!deal[2].null) into[currency] += deal[2].d;
    };
    ++e.won_deals;
    add(e.total);
    e.deals_with_amount += !deal[2].null;
    currencies.insert(deal[3].s);
    if (deal[2].null) without_amount.push_back(deal);
    if (!deal[2].null && deal[3].s.empty()) without_currency.push_back(deal);
    if (deal[4].null) {
      add(e.unattributed);
      without_contacts.push_back(deal);
    } else {
      ChannelExpect& row = rows[deal[6].s];
      ++row.won_deals;
      add(row.revenue);
      e.deals_with_dated_and_undated_contacts += undated > 0 && dated;
      e.deals_with_several_undated_contacts_only += undated > 1 && !dated;
    }
    k = next;
  }
  e.currencies.assign(currencies.begin(), currencies.end());
  e.quality["won_deals_without_amount"] = IssueOf(without_amount);
  e.quality["won_deals_without_currency"] = IssueOf(without_currency);
  e.quality["won_deals_without_contacts"] = IssueOf(without_contacts);

  // Spend: a month's whole amount when the month overlaps the window.
  std::set<std::string> live_channels;
  for (const Row& row : Query(db,
                              "SELECT DISTINCT channel FROM v_contact_funnel"
                              " WHERE deleted_at IS NULL AND channel IS NOT NULL",
                              p)) {
    live_channels.insert(row[0].s);
  }
  std::set<std::string> spend_not_in_store;
  for (const ChannelSpend& spend : settings.spend) {
    const int64_t month =
        Date(std::stoi(spend.month.substr(0, 4)), std::stoi(spend.month.substr(5, 2)), 1);
    if (month < to && NextPeriod(AuditPeriod::kMonth, month) > from) {
      rows[spend.channel].spend += spend.amount;
    }
    if (!live_channels.count(spend.channel)) spend_not_in_store.insert(spend.channel);
  }
  e.quality["spend_channels_not_in_store"] = {
      static_cast<int64_t>(spend_not_in_store.size()),
      {spend_not_in_store.begin(), spend_not_in_store.end()}};
  for (auto& [channel, row] : rows) {
    row.channel = channel;
    if (row.counts.leads > 0 || row.won_deals > 0 || row.spend > 0) e.channels.push_back(row);
  }
  std::stable_sort(e.channels.begin(), e.channels.end(),
                   [](const ChannelExpect& a, const ChannelExpect& b) {
                     return a.counts.leads > b.counts.leads;
                   });

  // Capacity inputs.
  e.reps = settings.reps ? *settings.reps
                         : QueryInt(db,
                                    "SELECT (SELECT COUNT(DISTINCT lower(trim(email))) FROM owners"
                                    "  WHERE active = 1 AND COALESCE(trim(email), '') <> '')"
                                    " + (SELECT COUNT(*) FROM owners"
                                    "  WHERE active = 1 AND COALESCE(trim(email), '') = '')",
                                    p);
  e.leads_per_rep_per_period = settings.period == AuditPeriod::kWeek
                                   ? settings.leads_per_rep_per_week
                                   : settings.leads_per_rep_per_week * 365.2425 / 12 / 7;

  // Data quality.
  e.quality["contacts_without_owner"] =
      IssueOf(Query(db,
                    "SELECT source, id" + cohort +
                        " AND COALESCE(owner_id, '') = '' AND source IN (SELECT source FROM owners"
                        "  UNION SELECT source FROM contacts WHERE COALESCE(owner_id, '') <> '')"
                        " ORDER BY source, id",
                    p));
  e.quality["contacts_without_channel"] =
      IssueOf(Query(db,
                    "SELECT source, id" + cohort +
                        " AND COALESCE(channel, '') = '' AND source IN"
                        "  (SELECT source FROM v_contact_funnel WHERE COALESCE(channel, '') <> '')"
                        " ORDER BY source, id",
                    p));
  e.quality["contacts_without_email"] = IssueOf(Query(
      db, "SELECT source, id" + cohort + " AND COALESCE(email, '') = '' ORDER BY source, id", p));
  e.quality["contacts_without_created_date"] =
      IssueOf(Query(db,
                    "SELECT source, id FROM contacts WHERE deleted_at IS NULL"
                    " AND created_at IS NULL ORDER BY source, id",
                    p));
  e.quality["won_deals_without_close_date"] =
      IssueOf(Query(db,
                    "SELECT source, id FROM deals WHERE deleted_at IS NULL AND is_won = 1"
                    " AND closed_at IS NULL ORDER BY source, id",
                    p));
  e.quality["stale_open_deals"] = IssueOf(
      Query(db,
            "SELECT source, id FROM deals WHERE deleted_at IS NULL AND is_closed = 0 AND is_won = 0"
            " AND COALESCE(updated_at, created_at) < ?3 - " +
                std::to_string(settings.stale_deal_age_ms) + " ORDER BY source, id",
            p));
  const char kDuplicates[] =
      " FROM contacts WHERE deleted_at IS NULL AND COALESCE(email, '') <> ''"
      " GROUP BY %s HAVING %s AND SUM(created_at >= ?1 AND created_at < ?2) >= 1";
  auto duplicates = [&](const char* group, const char* having) {
    char sql[512];
    std::snprintf(sql, sizeof sql, kDuplicates, group, having);
    return Query(db, std::string("SELECT email, COUNT(*)") + sql + " ORDER BY email", p);
  };
  for (const Row& row : duplicates("source, email", "COUNT(*) >= 2")) {
    ++e.quality["duplicate_emails_within_source"].count;
    e.duplicate_contacts_within_source += row[1].i;
  }
  for (const Row& row : duplicates("email", "COUNT(DISTINCT source) >= 2")) {
    Issue& issue = e.quality["duplicate_emails_across_sources"];
    ++issue.count;
    if (issue.examples.size() < 5) issue.examples.push_back(row[0].s);
    e.duplicate_contacts_across_sources += row[1].i;
  }

  // Customers: the installed base at the window end.
  // Live won deals closed before the window end, per associated contact.
  const std::string won_before_to =
      "(SELECT dc.source, dc.contact_id, COUNT(*) AS n FROM deal_contacts dc JOIN deals d"
      " ON d.source = dc.source AND d.id = dc.deal_id"
      " WHERE d.deleted_at IS NULL AND d.is_won = 1 AND d.closed_at < ?2"
      " GROUP BY dc.source, dc.contact_id)";
  e.customers = QueryInt(db,
                         std::string("SELECT COUNT(*) FROM ") + kFunnelContacts + " c LEFT JOIN " +
                             won_before_to +
                             " w ON w.source = c.source AND w.contact_id = c.id"
                             " WHERE c.deleted_at IS NULL AND (c.customer_at < ?2 OR w.n >= 1)",
                         p);
  e.repeat_customers = QueryInt(db,
                                "SELECT COUNT(*) FROM contacts c JOIN " + won_before_to +
                                    " w ON w.source = c.source AND w.contact_id = c.id"
                                    " WHERE c.deleted_at IS NULL AND w.n >= 2",
                                p);
  e.referral_leads =
      QueryInt(db, "SELECT COUNT(*)" + cohort + " AND upper(channel) = 'REFERRALS'", p);
  return e;
}

}  // namespace salesaudit::verifier
