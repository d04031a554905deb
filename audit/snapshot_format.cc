// SnapshotJson and SnapshotText: the two renderings of a Snapshot.

#include <initializer_list>
#include <set>
#include <string>
#include <vector>

#include "audit/labels.h"
#include "audit/number_text.h"
#include "audit/snapshot.h"
#include "core/json_writer.h"
#include "core/text_table.h"
#include "core/text_util.h"
#include "core/time_util.h"

namespace salesaudit {
namespace {

// A quantity's one name (audit/labels.h) as the text output writes labels
// ("won leads").
std::string TextName(std::string_view path) { return InlineName(QuantityName(path)); }

// "  won leads: leads of the window that became customers" for each path.
std::string TextLegend(std::initializer_list<std::string_view> paths) {
  std::string out;
  for (std::string_view path : paths) {
    if (const QuantityLabel* label = FindQuantityLabel(path)) {
      out += "  " + TextName(path) + ": " + std::string(label->meaning) + "\n";
    }
  }
  return out;
}

void Duration(JsonWriter& w, const DurationStats& s) {
  w.StartObject();
  w.Key("count");
  w.Int64(s.count);
  w.Key("mean");
  w.OptionalDouble(s.mean);
  w.Key("median");
  w.OptionalDouble(s.median);
  w.Key("p90");
  w.OptionalDouble(s.p90);
  w.EndObject();
}

// {count, [<also_key>: also,] examples}: `also` counts what the counted
// things spread over (contacts sharing duplicate emails, addresses of
// unmatched events).
void Issue(JsonWriter& w, const char* key, const QualityIssue& issue,
           const char* also_key = nullptr, int64_t also = 0) {
  w.Key(key);
  w.StartObject();
  w.Key("count");
  w.Int64(issue.count);
  if (also_key != nullptr) {
    w.Key(also_key);
    w.Int64(also);
  }
  w.Key("examples");
  w.StartArray();
  for (const std::string& e : issue.examples) w.String(e);
  w.EndArray();
  if (!issue.example_urls.empty()) {
    w.Key("example_urls");
    w.StartObject();
    for (const auto& [example, url] : issue.example_urls) {
      w.Key(example);
      w.String(url);
    }
    w.EndObject();
  }
  w.EndObject();
}

// `currency`: for money, the unit of the median and the difference.
void VsTeam(JsonWriter& w, const char* key, const std::optional<double>& value,
            const std::optional<double>& median,
            const std::optional<std::string>* currency = nullptr) {
  w.Key(key);
  w.StartObject();
  w.Key("team_median");
  w.OptionalDouble(median);
  w.Key("difference");
  w.OptionalDouble(value && median ? std::optional<double>(*value - *median) : std::nullopt);
  if (currency != nullptr) {
    w.Key("currency");
    w.OptionalString(*currency);
  }
  w.EndObject();
}

std::optional<double> AsDouble(int64_t v) { return static_cast<double>(v); }

// A rep's source, owner_id and name, as funnel.by_owner and reps name them.
void WriteRepIdentity(JsonWriter& w, const RepRow& r) {
  w.Key("source");
  w.String(r.source);
  w.Key("owner_id");
  w.String(r.owner_id);
  w.Key("name");
  w.String(r.name);
}

void WriteFunnel(JsonWriter& w, const Snapshot& s) {
  w.Key("funnel");
  w.StartObject();
  WriteFunnelCountsJson(w, s.counts);
  WriteFunnelRatesJson(w, s.rates);
  w.Key("by_channel");
  w.StartArray();
  for (const ChannelRow& c : s.channels) {
    w.StartObject();
    w.Key("channel");
    w.String(c.channel);
    WriteFunnelCountsJson(w, c.counts);
    WriteFunnelRatesJson(w, c.rates);
    w.EndObject();
  }
  w.EndArray();
  w.Key("by_owner");
  w.StartArray();
  for (const RepRow& r : s.reps) {
    w.StartObject();
    WriteRepIdentity(w, r);
    WriteFunnelCountsJson(w, r.counts);
    WriteFunnelRatesJson(w, FunnelRatesFrom(r.counts));
    w.EndObject();
  }
  if (s.unowned.leads > 0) {
    w.StartObject();
    w.Key("source");
    w.Null();
    w.Key("owner_id");
    w.Null();
    w.Key("name");
    w.String("(no owner)");
    WriteFunnelCountsJson(w, s.unowned);
    WriteFunnelRatesJson(w, FunnelRatesFrom(s.unowned));
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
}

void WriteLeadVolume(JsonWriter& w, const LeadVolume& lv) {
  w.Key("lead_volume");
  w.StartObject();
  w.Key("period");
  w.String(AuditPeriodName(lv.period));
  w.Key("average");
  w.OptionalDouble(lv.average);
  w.Key("trend");
  w.OptionalDouble(lv.trend);
  w.Key("complete_periods");
  w.Int64(lv.complete_periods);
  w.Key("series");
  w.StartArray();
  for (const PeriodLeads& p : lv.series) {
    w.StartObject();
    w.Key("start");
    w.String(FormatIsoMs(p.start_ms));
    w.Key("end");
    w.String(FormatIsoMs(p.end_ms));
    w.Key("leads");
    w.Int64(p.leads);
    w.Key("complete");
    w.Bool(p.complete);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
}

void WriteCycleTimes(JsonWriter& w, const Snapshot& s) {
  const CycleTimes& ct = s.cycle_times;
  w.Key("cycle_time_days");
  w.StartObject();
  w.Key("all");
  Duration(w, ct.all);
  w.Key("by_channel");
  w.StartObject();
  for (const ChannelRow& c : s.channels) {
    w.String(c.channel);
    Duration(w, c.cycle);
  }
  w.EndObject();
  w.Key("between_stages");
  w.StartObject();
  w.Key("lead_to_mql");
  Duration(w, ct.lead_to_mql);
  w.Key("mql_to_contacted");
  Duration(w, ct.mql_to_contacted);
  w.Key("contacted_to_sql");
  Duration(w, ct.contacted_to_sql);
  w.Key("sql_to_won");
  Duration(w, ct.sql_to_won);
  w.EndObject();
  w.EndObject();
}

void WriteChannels(JsonWriter& w, const Snapshot& s) {
  w.Key("channels");
  w.StartArray();
  for (const ChannelRow& c : s.channels) {
    w.StartObject();
    w.Key("channel");
    w.String(c.channel);
    WriteFunnelCountsJson(w, c.counts);
    w.Key("lead_to_won");
    w.OptionalDouble(c.rates.lead_to_won);
    WriteFunnelRatesJson(w, c.rates);
    w.Key("mql_to_sql");
    w.OptionalDouble(c.mql_to_sql);
    w.Key("mql_stalls");
    w.Bool(c.mql_stalls);
    w.Key("won_deals");
    w.Int64(c.won_deals);
    WriteMoneyJson(w, "revenue", c.revenue, c.revenue_stated);
    WriteMoneyUnitJson(w, c.revenue_stated);
    w.Key("spend");
    w.Double(c.spend);
    w.Key("return_on_spend");
    w.OptionalDouble(c.return_on_spend);
    w.Key("below_target");
    if (c.below_target) {
      w.Bool(*c.below_target);
    } else {
      w.Null();
    }
    w.EndObject();
  }
  w.EndArray();
  w.Key("lead_quality");
  w.StartObject();
  w.Key("overall_mql_to_sql");
  w.OptionalDouble(s.lead_quality.overall_mql_to_sql);
  w.Key("min_mqls");
  w.Int64(s.lead_quality.min_mqls);
  w.Key("stalling_channels");
  w.StartArray();
  for (const std::string& c : s.lead_quality.stalling_channels) w.String(c);
  w.EndArray();
  w.EndObject();
}

void WriteCapacity(JsonWriter& w, const Capacity& c) {
  w.Key("capacity");
  w.StartObject();
  w.Key("reps");
  w.Int64(c.reps);
  w.Key("reps_source");
  w.String(c.reps_configured ? "configured" : "active_owners");
  w.Key("leads_per_rep_per_period");
  w.Double(c.leads_per_rep_per_period);
  w.Key("capacity_per_period");
  w.Double(c.capacity_per_period);
  w.Key("incoming_per_period");
  w.OptionalDouble(c.incoming_per_period);
  w.Key("shortfall_per_period");
  w.OptionalDouble(c.shortfall_per_period);
  w.Key("surplus_per_period");
  w.OptionalDouble(c.surplus_per_period);
  w.Key("reps_needed");
  w.OptionalInt64(c.reps_needed);
  w.Key("reps_to_hire");
  w.OptionalInt64(c.reps_to_hire);
  if (c.revenue_target) {
    w.Key("revenue_target");
    w.Double(*c.revenue_target);
    w.Key("revenue_target_currency");
    w.OptionalString(c.revenue_target_currency);
    w.Key("leads_needed_for_revenue_target");
    w.OptionalDouble(c.leads_needed_for_revenue_target);
  }
  w.EndObject();
}

void WriteReps(JsonWriter& w, const Snapshot& s) {
  const TeamMedians& t = s.team;
  w.Key("reps");
  w.StartArray();
  for (const RepRow& r : s.reps) {
    w.StartObject();
    WriteRepIdentity(w, r);
    w.Key("active");
    w.Bool(r.active);
    w.Key("leads");
    w.Int64(r.counts.leads);
    w.Key("contacted");
    w.Int64(r.counts.contacted);
    w.Key("sql");
    w.Int64(r.counts.sql);
    w.Key("won");
    w.Int64(r.counts.won);
    w.Key("contact_rate");
    w.OptionalDouble(r.contact_rate);
    w.Key("sql_rate");
    w.OptionalDouble(r.sql_rate);
    w.Key("win_rate");
    w.OptionalDouble(r.win_rate);
    w.Key("median_cycle_days");
    w.OptionalDouble(r.median_cycle_days);
    w.Key("won_deals");
    w.Int64(r.won_deals);
    WriteMoneyJson(w, "revenue", r.revenue, r.revenue_stated);
    WriteMoneyUnitJson(w, r.revenue_stated);
    w.Key("vs_team");
    w.StartObject();
    VsTeam(w, "leads", AsDouble(r.counts.leads), t.leads);
    VsTeam(w, "contacted", AsDouble(r.counts.contacted), t.contacted);
    VsTeam(w, "sql", AsDouble(r.counts.sql), t.sql);
    VsTeam(w, "won", AsDouble(r.counts.won), t.won);
    VsTeam(w, "contact_rate", r.contact_rate, t.contact_rate);
    VsTeam(w, "sql_rate", r.sql_rate, t.sql_rate);
    VsTeam(w, "win_rate", r.win_rate, t.win_rate);
    VsTeam(w, "median_cycle_days", r.median_cycle_days, t.median_cycle_days);
    VsTeam(w, "revenue", r.revenue_stated.amount, t.revenue, &t.revenue_currency);
    w.EndObject();
    w.EndObject();
  }
  w.EndArray();
}

// Every data-quality check once: its JSON key, its label in text, and for
// some a count of what the counted things spread over (contacts sharing
// duplicate emails, addresses of unmatched events).
struct QualityCheck {
  const char* key;
  const char* label;
  QualityIssue DataQuality::*issue;
  const char* also_key = nullptr;
  int64_t DataQuality::*also = nullptr;
};

const QualityCheck kQualityChecks[] = {
    {"contacts_without_owner", "contacts without owner", &DataQuality::contacts_without_owner},
    {"contacts_without_channel", "contacts without channel",
     &DataQuality::contacts_without_channel},
    {"contacts_without_email", "contacts without email", &DataQuality::contacts_without_email},
    {"contacts_without_created_date", "contacts without created date",
     &DataQuality::contacts_without_created_date},
    {"duplicate_emails_within_source", "duplicate emails within a source",
     &DataQuality::duplicate_emails_within_source, "contacts",
     &DataQuality::duplicate_contacts_within_source},
    {"duplicate_emails_across_sources", "duplicate emails across sources",
     &DataQuality::duplicate_emails_across_sources, "contacts",
     &DataQuality::duplicate_contacts_across_sources},
    {"stage_dates_out_of_order", "stage dates out of order",
     &DataQuality::stage_dates_out_of_order},
    {"won_deals_without_amount", "won deals without amount",
     &DataQuality::won_deals_without_amount},
    {"won_deals_without_currency", "won deals without currency",
     &DataQuality::won_deals_without_currency},
    {"won_deals_without_rate", "won deals in a currency without a rate",
     &DataQuality::won_deals_without_rate},
    {"won_deals_without_close_date", "won deals without close date",
     &DataQuality::won_deals_without_close_date},
    {"won_deals_without_contacts", "won deals without contacts",
     &DataQuality::won_deals_without_contacts},
    {"stale_open_deals", "stale open deals", &DataQuality::stale_open_deals},
    {"spend_channels_not_in_store", "spend channels not in store",
     &DataQuality::spend_channels_not_in_store},
    {"email_events_unmatched", "email events to no CRM contact",
     &DataQuality::email_events_unmatched, "recipients", &DataQuality::email_recipients_unmatched},
    {"email_members_not_in_crm", "email audience not in the CRM",
     &DataQuality::email_members_not_in_crm},
    {"channel_variants", "channels differing only by case or spaces",
     &DataQuality::channel_variants, "contacts", &DataQuality::channel_variant_contacts},
    {"values_rejected", "source values repaired or dropped", &DataQuality::values_rejected},
    {"implausible_dates", "records with implausible dates", &DataQuality::implausible_dates},
    {"implausible_amounts", "deals with implausible amounts", &DataQuality::implausible_amounts},
    {"contacts_before_window", "contacts before the earliest period",
     &DataQuality::contacts_before_window},
};

void WriteDataQuality(JsonWriter& w, const DataQuality& dq) {
  w.Key("data_quality");
  w.StartObject();
  for (const QualityCheck& c : kQualityChecks) {
    Issue(w, c.key, dq.*c.issue, c.also_key, c.also != nullptr ? dq.*c.also : 0);
  }
  w.EndObject();
}

void WriteCustomers(JsonWriter& w, const Customers& c) {
  w.Key("customers");
  w.StartObject();
  w.Key("customers");
  w.Int64(c.customers);
  w.Key("repeat_customers");
  w.Int64(c.repeat_customers);
  w.Key("repeat_rate");
  w.OptionalDouble(c.repeat_rate);
  w.Key("referral_leads");
  w.Int64(c.referral_leads);
  w.Key("referral_share");
  w.OptionalDouble(c.referral_share);
  w.Key("referral_channels");
  w.StartArray();
  for (const std::string& r : c.referral_channels) w.String(r);
  w.EndArray();
  w.EndObject();
}

void WriteRevenue(JsonWriter& w, const Revenue& r) {
  w.Key("revenue");
  w.StartObject();
  w.Key("won_deals");
  w.Int64(r.won_deals);
  w.Key("deals_with_amount");
  w.Int64(r.deals_with_amount);
  WriteMoneyJson(w, "total", r.total, r.total_stated);
  WriteMoneyUnitJson(w, r.total_stated);
  WriteMoneyJson(w, "unattributed", r.unattributed, r.unattributed_stated);
  WriteMoneyJson(w, "average_won_deal", r.total.Averages(),
                 MoneyTotal{.amount = r.average_won_deal});
  w.Key("report_in");
  w.OptionalString(r.currency.report_in.empty() ? std::nullopt
                                                : std::optional<std::string>(r.currency.report_in));
  WriteRatesJson(w, "rates_used", RatesUsed(r.total, r.currency));
  w.Key("currencies");
  w.StartArray();
  for (const std::string& c : r.currencies) w.String(c);
  w.EndArray();
  w.Key("return_on_spend_target");
  w.Double(r.return_on_spend_target);
  w.EndObject();
}

// A table of figures: names in the first column (and in `text_columns`)
// left-aligned, numbers right-aligned, under `header`.
TextTable FigureTable(std::vector<std::string> header, std::set<size_t> text_columns = {}) {
  TextTable table;
  for (size_t i = 1; i < header.size(); ++i) {
    if (!text_columns.count(i)) table.RightAlign(i);
  }
  table.Add(std::move(header));
  return table;
}

std::string Int(int64_t v) { return std::to_string(v); }
std::string Day(int64_t ms) { return FormatIsoMs(ms).substr(0, 10); }

std::string Heading(const std::string& title) { return "\n" + title + "\n"; }

// What the money figures' units mean: converted at which rates, or why a
// total is split by currency.
std::string CurrencyNote(const Revenue& r) {
  if (r.total_stated.converted) {
    std::string rates;
    for (const auto& [code, rate] : RatesUsed(r.total, r.currency)) {
      rates += " " + code + " " + FixedText(rate, 4);
    }
    return "amounts converted to " + r.currency.report_in + " at the configured rates:" + rates +
           "\n";
  }
  if (!r.total_stated.amount) {
    return "revenue is in several currencies (or without one): totals are listed per currency "
           "and return on spend is left out where they mix; set audit.currency to convert\n";
  }
  return "";
}

void DurationRow(TextTable& t, const std::string& name, const DurationStats& d) {
  t.Add({name, Int(d.count), FixedText(d.mean, 1), FixedText(d.median, 1), FixedText(d.p90, 1)});
}

}  // namespace

Result<std::string> SnapshotJson(const Snapshot& s) {
  JsonWriter w;
  w.StartObject();
  w.Key("schema_version");
  w.Int(1);
  w.Key("generated_at");
  w.String(FormatIsoMs(s.generated_at));
  w.Key("window");
  w.StartObject();
  w.Key("from");
  w.String(FormatIsoMs(*s.window.from));
  w.Key("to");
  w.String(FormatIsoMs(*s.window.to));
  w.Key("period");
  w.String(AuditPeriodName(s.period));
  w.EndObject();
  WriteFunnel(w, s);
  WriteLeadVolume(w, s.lead_volume);
  WriteCycleTimes(w, s);
  WriteChannels(w, s);
  WriteEmailAuditJson(s.email, w);
  WriteCapacity(w, s.capacity);
  WriteReps(w, s);
  WriteDataQuality(w, s.data_quality);
  WriteCustomers(w, s.customers);
  WriteRevenue(w, s.revenue);
  w.Key("forecast");
  if (s.forecast) {
    WriteForecastJson(w, *s.forecast);
  } else {
    w.Null();
  }
  w.EndObject();
  // JSON has no inf or NaN; written as null they would pass for unknown.
  if (const std::optional<std::string>& path = w.NonFinitePath()) {
    return Status::Internal("audit: snapshot field " + *path +
                            " is not a finite number (JSON has no infinity or NaN); the snapshot "
                            "is refused");
  }
  return w.TakeString();
}

std::string SnapshotText(const Snapshot& s) {
  std::string out = "Sales audit of contacts created " + Day(*s.window.from) + " to " +
                    Day(*s.window.to) + " (end exclusive), generated " +
                    FormatIsoMs(s.generated_at) + "\n";

  out += Heading("Funnel");
  TextTable funnel = FigureTable({"stage", "count", "from previous"});
  funnel.Add({"lead", Int(s.counts.leads), ""});
  funnel.Add({"mql", Int(s.counts.mql), PercentText(s.rates.lead_to_mql)});
  funnel.Add({"contacted", Int(s.counts.contacted), PercentText(s.rates.mql_to_contacted)});
  funnel.Add({"sql", Int(s.counts.sql), PercentText(s.rates.contacted_to_sql)});
  funnel.Add({TextName("funnel.won"), Int(s.counts.won), PercentText(s.rates.sql_to_won)});
  funnel.Add({"lead to won", "", PercentText(s.rates.lead_to_won)});
  out += funnel.Render();
  out += TextLegend({"funnel.leads", "funnel.won"});

  const LeadVolume& lv = s.lead_volume;
  out += Heading(std::string("Lead volume per ") + AuditPeriodName(lv.period) + ": average " +
                 FixedText(lv.average, 1) + " over " + Int(lv.complete_periods) +
                 " complete periods, trend " + FixedText(lv.trend, 2) + " per period");
  TextTable volume = FigureTable({"period start", "leads", "complete"});
  for (const PeriodLeads& p : lv.series) {
    volume.Add({Day(p.start_ms), Int(p.leads), p.complete ? "yes" : "no"});
  }
  out += volume.Render();

  out += Heading("Channels (revenue: won deals closed in the window, by first contact's channel)");
  TextTable channels =
      FigureTable({"channel", "leads", "mql", "contacted", "sql", TextName("channels[].won"),
                   "lead>won", "mql>sql", "revenue", "spend", "ROS", ""},
                  {11});
  for (const ChannelRow& c : s.channels) {
    std::string flags;
    if (c.below_target.value_or(false)) flags += "below target";
    if (c.mql_stalls) flags += std::string(flags.empty() ? "" : ", ") + "MQLs stall";
    channels.Add({c.channel, Int(c.counts.leads), Int(c.counts.mql), Int(c.counts.contacted),
                  Int(c.counts.sql), Int(c.counts.won), PercentText(c.rates.lead_to_won),
                  PercentText(c.mql_to_sql), MoneyText(c.revenue, c.revenue_stated),
                  AmountText(c.spend, c.revenue_stated.currency), FixedText(c.return_on_spend, 2),
                  flags});
  }
  out += channels.Render();
  out += CurrencyNote(s.revenue);
  out += "overall mql>sql " + PercentText(s.lead_quality.overall_mql_to_sql) +
         "; return on spend target " + FixedText(s.revenue.return_on_spend_target, 2) + "\n";

  out += Heading("Cycle time (days)");
  TextTable cycle = FigureTable({"", "count", "mean", "median", "p90"});
  DurationRow(cycle, "lead to customer", s.cycle_times.all);
  for (const ChannelRow& c : s.channels) DurationRow(cycle, "  " + c.channel, c.cycle);
  DurationRow(cycle, "lead to mql", s.cycle_times.lead_to_mql);
  DurationRow(cycle, "mql to contacted", s.cycle_times.mql_to_contacted);
  DurationRow(cycle, "contacted to sql", s.cycle_times.contacted_to_sql);
  DurationRow(cycle, "sql to won", s.cycle_times.sql_to_won);
  out += cycle.Render();

  out += Heading("Email and content");
  out += FormatEmailAuditText(s.email);

  const Capacity& c = s.capacity;
  out += Heading("Capacity per " + std::string(AuditPeriodName(s.period)));
  TextTable capacity = FigureTable({"", "value"});
  capacity.Add({std::string("reps (") + (c.reps_configured ? "configured" : "active owners") + ")",
                Int(c.reps)});
  capacity.Add({"leads per rep", FixedText(c.leads_per_rep_per_period, 1)});
  capacity.Add({"capacity", FixedText(c.capacity_per_period, 1)});
  capacity.Add({"incoming", FixedText(c.incoming_per_period, 1)});
  capacity.Add({"shortfall", FixedText(c.shortfall_per_period, 1)});
  capacity.Add({"surplus", FixedText(c.surplus_per_period, 1)});
  capacity.Add({"reps needed", c.reps_needed ? Int(*c.reps_needed) : "-"});
  capacity.Add({"reps to hire", c.reps_to_hire ? Int(*c.reps_to_hire) : "-"});
  if (c.revenue_target) {
    capacity.Add({"revenue target", AmountText(c.revenue_target, c.revenue_target_currency)});
    capacity.Add({"leads needed for it", FixedText(c.leads_needed_for_revenue_target, 1)});
  }
  out += capacity.Render();

  out += Heading("Reps (team median in the last row)");
  TextTable reps = FigureTable({"rep", "leads", "contacted", "sql", TextName("reps[].won"),
                                "contact", "sql rate", "win", "median days", "revenue"});
  for (const RepRow& r : s.reps) {
    reps.Add({(r.name.empty() ? r.owner_id : r.name) + " (" + r.source + ")", Int(r.counts.leads),
              Int(r.counts.contacted), Int(r.counts.sql), Int(r.counts.won),
              PercentText(r.contact_rate), PercentText(r.sql_rate), PercentText(r.win_rate),
              FixedText(r.median_cycle_days, 1), MoneyText(r.revenue, r.revenue_stated)});
  }
  const TeamMedians& t = s.team;
  reps.Add({"team median", FixedText(t.leads, 1), FixedText(t.contacted, 1), FixedText(t.sql, 1),
            FixedText(t.won, 1), PercentText(t.contact_rate), PercentText(t.sql_rate),
            PercentText(t.win_rate), FixedText(t.median_cycle_days, 1),
            AmountText(t.revenue, t.revenue_currency)});
  out += reps.Render();

  out += Heading("Data quality");
  const DataQuality& dq = s.data_quality;
  TextTable quality = FigureTable({"check", "count", "examples"}, {2});
  auto issue = [&](const char* name, const QualityIssue& i) {
    std::string examples;
    for (const std::string& e : i.examples) examples += (examples.empty() ? "" : " ") + e;
    quality.Add({name, Int(i.count), examples});
  };
  for (const QualityCheck& c : kQualityChecks) issue(c.label, dq.*c.issue);
  out += quality.Render();

  out += Heading("Customers and revenue");
  const Customers& cu = s.customers;
  const Revenue& rv = s.revenue;
  TextTable customers = FigureTable({"", "value"});
  customers.Add({TextName("customers.customers"), Int(cu.customers)});
  customers.Add({TextName("customers.repeat_customers"), Int(cu.repeat_customers)});
  customers.Add({"repeat rate", PercentText(cu.repeat_rate)});
  customers.Add({"referral share of new leads", PercentText(cu.referral_share)});
  customers.Add({TextName("revenue.won_deals"), Int(rv.won_deals)});
  customers.Add({TextName("revenue.total"), MoneyText(rv.total, rv.total_stated)});
  customers.Add({"average won deal",
                 MoneyText(rv.total.Averages(), MoneyTotal{.amount = rv.average_won_deal,
                                                           .currency = rv.total_stated.currency})});
  customers.Add({"revenue without a contact", MoneyText(rv.unattributed, rv.unattributed_stated)});
  std::string currencies;
  for (const std::string& cur : rv.currencies) {
    currencies += (currencies.empty() ? "" : ",") + (cur.empty() ? kUnknownCurrency : cur);
  }
  customers.Add({"currencies", currencies.empty() ? "-" : currencies});
  out += customers.Render();
  out += TextLegend({"customers.customers", "customers.repeat_customers", "revenue.won_deals"});

  out += Heading(std::string("Forecast: what one ") + AuditPeriodName(s.period) +
                 "'s leads are expected to bring");
  out += s.forecast ? ForecastText(*s.forecast) : "n/a: no complete period in the window\n";
  return out;
}

}  // namespace salesaudit
