#include "audit/funnel.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdio>

#include "core/time_util.h"

namespace salesaudit {
namespace {

std::optional<double> Ratio(int64_t numerator, int64_t denominator) {
  if (denominator == 0) return std::nullopt;
  return static_cast<double>(numerator) / static_cast<double>(denominator);
}

std::string Percent(const std::optional<double>& rate) {
  if (!rate) return "-";
  char buf[32];
  snprintf(buf, sizeof buf, "%.1f%%", *rate * 100.0);
  return buf;
}

}  // namespace

void CountFunnelStages(const Contact& c, FunnelCounts& counts) {
  // Reaching a later stage implies every earlier one.
  const bool won = c.customer_at.has_value();
  const bool sql = won || c.sql_at.has_value();
  const bool contacted = sql || c.contacted_at.has_value();
  const bool mql = contacted || c.mql_at.has_value();
  ++counts.leads;
  counts.mql += mql;
  counts.contacted += contacted;
  counts.sql += sql;
  counts.won += won;
}

FunnelRates FunnelRatesFrom(const FunnelCounts& n) {
  return FunnelRates{Ratio(n.mql, n.leads), Ratio(n.contacted, n.mql), Ratio(n.sql, n.contacted),
                     Ratio(n.won, n.sql), Ratio(n.won, n.leads)};
}

Result<Funnel> ComputeFunnel(Store& store, const AuditWindow& window) {
  Funnel funnel;
  funnel.window = window;
  Status s = store.ForEachContact([&](const StoredContact& row) {
    if (row.deleted_at || !row.contact.created_at) return;
    if (!window.Contains(*row.contact.created_at)) return;
    CountFunnelStages(row.contact, funnel.counts);
  });
  if (!s.ok()) return s.WithContext("audit: funnel");
  funnel.rates = FunnelRatesFrom(funnel.counts);
  return funnel;
}

std::string FormatFunnelText(const Funnel& f) {
  std::string out = "Funnel of contacts created ";
  if (!f.window.from && !f.window.to) {
    out += "at any time\n";
  } else {
    out += (f.window.from ? "from " + FormatIsoMs(*f.window.from) : std::string("before")) +
           (f.window.to ? (f.window.from ? " to " : " ") + FormatIsoMs(*f.window.to)
                        : std::string(" on")) +
           "\n";
  }
  char line[160];
  snprintf(line, sizeof line, "%-10s %10s %18s\n", "stage", "count", "from previous");
  out += line;
  struct Row {
    const char* name;
    int64_t count;
    std::optional<double> rate;
  };
  const Row rows[] = {
      {"lead", f.counts.leads, std::nullopt},
      {"mql", f.counts.mql, f.rates.lead_to_mql},
      {"contacted", f.counts.contacted, f.rates.mql_to_contacted},
      {"sql", f.counts.sql, f.rates.contacted_to_sql},
      {"won", f.counts.won, f.rates.sql_to_won},
  };
  for (const Row& r : rows) {
    snprintf(line, sizeof line, "%-10s %10lld %18s\n", r.name, static_cast<long long>(r.count),
             r.name == rows[0].name ? "" : Percent(r.rate).c_str());
    out += line;
  }
  out += "lead to won: " + Percent(f.rates.lead_to_won) + "\n";
  return out;
}

std::string FormatFunnelJson(const Funnel& f, int64_t generated_at_ms) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  auto time_or_null = [&](const TimeMs& t) {
    if (t) {
      w.String(FormatIsoMs(*t).c_str());
    } else {
      w.Null();
    }
  };
  auto rate = [&](const char* key, const std::optional<double>& r) {
    w.Key(key);
    if (r) {
      w.Double(*r);
    } else {
      w.Null();
    }
  };
  w.StartObject();
  w.Key("schema_version");
  w.Int(1);
  w.Key("generated_at");
  w.String(FormatIsoMs(generated_at_ms).c_str());
  w.Key("window");
  w.StartObject();
  w.Key("from");
  time_or_null(f.window.from);
  w.Key("to");
  time_or_null(f.window.to);
  w.EndObject();
  w.Key("funnel");
  w.StartObject();
  w.Key("leads");
  w.Int64(f.counts.leads);
  w.Key("mql");
  w.Int64(f.counts.mql);
  w.Key("contacted");
  w.Int64(f.counts.contacted);
  w.Key("sql");
  w.Int64(f.counts.sql);
  w.Key("won");
  w.Int64(f.counts.won);
  w.Key("rates");
  w.StartObject();
  rate("lead_to_mql", f.rates.lead_to_mql);
  rate("mql_to_contacted", f.rates.mql_to_contacted);
  rate("contacted_to_sql", f.rates.contacted_to_sql);
  rate("sql_to_won", f.rates.sql_to_won);
  rate("lead_to_won", f.rates.lead_to_won);
  w.EndObject();
  w.EndObject();
  w.EndObject();
  return buf.GetString();
}

}  // namespace salesaudit
