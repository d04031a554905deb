#include "audit/html_charts.h"

#include <rapidjson/document.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <iterator>
#include <optional>
#include <string_view>
#include <vector>

#include "audit/labels.h"
#include "core/json_reader.h"
#include "core/text_util.h"

namespace salesaudit::html {
namespace {

struct StageInfo {
  const char* key;
  const char* label;
  const char* rate_key;  // rate (and days) from the previous stage, or nullptr
  const char* of;        // what the rate is a share of
  const char* label_from;
  const char* label_to;
};

constexpr StageInfo kStages[] = {
    {"leads", "Leads", nullptr, "", "", ""},
    {"mql", "Marketing-qualified", "lead_to_mql", "of leads", "Lead", "MQL"},
    {"contacted", "Contacted", "mql_to_contacted", "of MQLs", "MQL", "contacted"},
    {"sql", "Sales-qualified", "contacted_to_sql", "of contacted", "Contacted", "SQL"},
    {"won", "Won leads", "sql_to_won", "of SQLs", "SQL", "won"},
};

// Axis label for a period start: "Mar 2" for weeks, "Mar 2026" for months.
std::string PeriodLabel(const std::string& date, bool monthly) {
  static const char* const kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  if (date.size() != 10) return date;
  const int month = std::atoi(date.substr(5, 2).c_str());
  if (month < 1 || month > 12) return date;
  if (monthly) return std::string(kMonths[month - 1]) + " " + date.substr(0, 4);
  return std::string(kMonths[month - 1]) + " " + std::to_string(std::atoi(date.substr(8).c_str()));
}

// A round step for `ticks` axis intervals covering `max`.
double NiceStep(double max, int ticks) {
  if (max <= 0) return 1;
  const double raw = max / ticks;
  const double p = std::pow(10.0, std::floor(std::log10(raw)));
  const double f = raw / p;
  const double nice = f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10;
  return std::max(1.0, nice * p);
}

// A period of the series the window cuts (complete: false); one that does
// not say is taken as complete.
bool IsPartialPeriod(const Json& period) {
  return GetMember(&period, "complete") != nullptr && !GetBool(&period, "complete").value_or(false);
}

}  // namespace

std::string RenderFunnel(const Json* funnel) {
  const char* kTitle = "Funnel";
  const char* kLede =
      "Contacts created in the window, counted at every stage they reached; each rate is the "
      "share of the stage before.";
  if (funnel == nullptr) return Section("funnel", kTitle, kLede, MissingSection("funnel"));
  const Json* rates = GetMember(funnel, "rates");
  double max = 0;
  for (const StageInfo& s : kStages) max = std::max(max, GetDouble(funnel, s.key).value_or(0));

  constexpr double kWidth = 1060, kRow = 58, kBarH = 40, kBarLeft = 200, kBarMax = 560;
  constexpr double kCenter = kBarLeft + kBarMax / 2;
  const double height = kRow * 5 + 4;
  std::string svg = "<svg class=\"chart funnel\" viewBox=\"0 0 " + C(kWidth) + " " + C(height) +
                    "\" role=\"img\" aria-label=\"Funnel from leads to won\">\n";
  for (size_t i = 0; i < std::size(kStages); ++i) {
    const StageInfo& s = kStages[i];
    const double top = 2 + kRow * static_cast<double>(i);
    const double mid = top + kBarH / 2;
    const double count = GetDouble(funnel, s.key).value_or(0);
    double w = max > 0 ? kBarMax * count / max : 0;
    if (count > 0) w = std::max(w, 3.0);
    svg += "<text class=\"stage\" x=\"0\" y=\"" + C(mid + 5) + "\">" + s.label + "</text>\n";
    svg += "<rect class=\"track\" x=\"" + C(kBarLeft) + "\" y=\"" + C(top) + "\" width=\"" +
           C(kBarMax) + "\" height=\"" + C(kBarH) + "\" rx=\"4\"/>\n";
    svg += "<rect class=\"bar\" x=\"" + C(kCenter - w / 2) + "\" y=\"" + C(top) + "\" width=\"" +
           C(w) + "\" height=\"" + C(kBarH) + "\" rx=\"4\"/>\n";
    svg += SvgMetric(
        std::string("funnel.") + s.key, GetMember(funnel, s.key), Unit::kCount, "count",
        "x=\"" + C(kBarLeft + kBarMax + 110) + "\" y=\"" + C(mid + 7) + "\" text-anchor=\"end\"");
    svg += "\n";
    if (s.rate_key != nullptr) {
      svg += SvgMetric(std::string("funnel.rates.") + s.rate_key, GetMember(rates, s.rate_key),
                       Unit::kRate, "rate",
                       "x=\"" + C(kBarLeft + kBarMax + 140) + "\" y=\"" + C(mid + 6) + "\"");
      svg += "<text class=\"of\" x=\"" + C(kBarLeft + kBarMax + 215) + "\" y=\"" + C(mid + 6) +
             "\">" + s.of + "</text>\n";
    }
  }
  svg += "</svg>\n";
  std::string foot =
      "<p class=\"foot\">Lead to won: " +
      Metric("funnel.rates.lead_to_won", GetMember(rates, "lead_to_won"), Unit::kRate) +
      " of leads became customers.</p>\n";
  return Section("funnel", kTitle, kLede, svg + foot);
}

std::string RenderLeadVolume(const Json& root) {
  const char* kTitle = "Lead volume";
  const Json* volume = GetMember(&root, "lead_volume");
  const std::string period = PeriodWord(root);
  const std::string lede = "New leads per " + period + ". Hatched bars are partial " + period +
                           "s at the window's edges; they are left out of the average.";
  if (volume == nullptr) return Section("lead-volume", kTitle, lede, MissingSection("lead_volume"));
  std::string body = "<div class=\"inline-stats\">";
  body += "<span>Average per complete " + period + ": " +
          Metric("lead_volume.average", GetMember(volume, "average"), Unit::kCount) + "</span>";
  for (const char* trend_key : {"trend", "trend_per_period"}) {
    const Json* trend = GetMember(volume, trend_key);
    if (trend == nullptr) continue;
    body += "<span>Trend: " + Metric(std::string("lead_volume.") + trend_key, trend, Unit::kCount) +
            " leads per " + period + ", each " + period + "</span>";
  }
  body += "</div>\n";
  // The chart's key: the average's line, and the hatching when a period is partial.
  const Json* series = GetArray(volume, "series");
  std::string key;
  if (GetDouble(volume, "average")) {
    key +=
        "<span><svg width=\"28\" height=\"10\" aria-hidden=\"true\"><line class=\"avg\" "
        "x1=\"0\" y1=\"5\" x2=\"28\" y2=\"5\"/></svg>average per complete " +
        period + "</span>";
  }
  if (series != nullptr && std::any_of(series->Begin(), series->End(), IsPartialPeriod)) {
    key +=
        "<span><svg width=\"14\" height=\"10\" aria-hidden=\"true\"><rect class=\"partial\" "
        "width=\"14\" height=\"10\"/></svg>partial " +
        period + "</span>";
  }
  if (!key.empty()) body += "<div class=\"legend\">" + key + "</div>\n";

  if (series == nullptr || series->Empty()) {
    return Section("lead-volume", kTitle, lede,
                   body + "<p class=\"na\">n/a: no periods in the series.</p>\n");
  }
  const bool monthly = period == "month";
  const size_t n = series->Size();
  double max = GetDouble(volume, "average").value_or(0);
  size_t label_chars = 1;  // the longest value label
  for (const Json& p : series->GetArray()) {
    max = std::max(max, GetDouble(&p, "leads").value_or(0));
    label_chars = std::max(label_chars, Show(GetMember(&p, "leads"), Unit::kCount).text.size());
  }
  const double step = NiceStep(max, 4);
  const double top_value = std::max(step, std::ceil(max / step) * step);

  // Value labels go above their bars, level when the longest fits a bar's
  // slot, else upright; upright labels a line apart at least, so with many
  // periods only every `value_every`-th is shown (the others stay in the
  // DOM, hidden, and each bar's tooltip has its number). Widths are upper
  // bounds: 11 px digits are at most 0.65 em wide in the fonts the page
  // names. The top margin holds the tallest label above a full-height bar.
  constexpr double kWidth = 1060, kHeight = 300, kLeft = 56, kRight = 12, kBottom = 40;
  constexpr double kValueCharW = 7.2, kValueLine = 14, kLevelTop = 22;
  const double plot_w = kWidth - kLeft - kRight;
  const double slot = plot_w / static_cast<double>(n);
  const double label_w = kValueCharW * static_cast<double>(label_chars);
  const bool level = slot >= label_w + 4;
  const size_t value_every = level ? 1 : static_cast<size_t>(std::ceil(kValueLine / slot));
  const double top = level ? kLevelTop : std::max(kLevelTop, label_w + 8);
  const double plot_h = kHeight - top - kBottom;
  const double bar_w = std::min(64.0, slot * 0.72);
  auto y_of = [&](double v) { return top + plot_h * (1 - v / top_value); };

  std::string svg = "<svg class=\"chart volume\" viewBox=\"0 0 " + C(kWidth) + " " + C(kHeight) +
                    "\" role=\"img\" aria-label=\"Leads per " + period + "\">\n";
  svg +=
      "<defs><pattern id=\"hatch\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" "
      "patternTransform=\"rotate(45)\"><rect class=\"hatch-bg\" width=\"6\" height=\"6\"/>"
      "<line class=\"hatch-line\" x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\"/></pattern></defs>\n";
  for (double v = 0; v <= top_value + step / 2; v += step) {
    svg += "<line class=\"grid\" x1=\"" + C(kLeft) + "\" x2=\"" + C(kWidth - kRight) + "\" y1=\"" +
           C(y_of(v)) + "\" y2=\"" + C(y_of(v)) + "\"/>";
    svg += "<text class=\"axis\" x=\"" + C(kLeft - 8) + "\" y=\"" + C(y_of(v) + 4) +
           "\" text-anchor=\"end\">" + FormatNumber(v, Unit::kCount) + "</text>\n";
  }
  // The average is a line under the labels; the legend above the chart
  // names it, so no label of its own can collide with a bar's.
  const std::optional<double> average = GetDouble(volume, "average");
  if (average) {
    svg += "<line class=\"avg\" x1=\"" + C(kLeft) + "\" x2=\"" + C(kWidth - kRight) + "\" y1=\"" +
           C(y_of(*average)) + "\" y2=\"" + C(y_of(*average)) + "\"/>\n";
  }
  const size_t max_labels = std::max<size_t>(1, static_cast<size_t>(plot_w / 72));
  const size_t label_every = (n + max_labels - 1) / max_labels;
  for (size_t i = 0; i < n; ++i) {
    const Json& p = (*series)[static_cast<rapidjson::SizeType>(i)];
    const std::string start = Text(GetMember(&p, "start"));
    const std::string date = DateOf(GetMember(&p, "start"));
    const Json* leads = GetMember(&p, "leads");
    const bool partial = IsPartialPeriod(p);
    const double value = GetDouble(&p, "leads").value_or(0);
    const double x = kLeft + slot * static_cast<double>(i) + (slot - bar_w) / 2;
    const double cx = x + bar_w / 2;
    const double h = std::max(value > 0 ? 1.0 : 0.0, plot_h * value / top_value);
    svg += "<g class=\"period" + std::string(partial ? " partial" : "") +
           "\"><rect class=\"bar\" x=\"" + C(x) + "\" y=\"" + C(top + plot_h - h) + "\" width=\"" +
           C(bar_w) + "\" height=\"" + C(h) + "\"><title>" +
           HtmlEscape(date.empty() ? start : date) + ": " +
           HtmlEscape(Show(leads, Unit::kCount).text) + " leads" + (partial ? " (partial)" : "") +
           "</title></rect>";
    const std::string key = "lead_volume.series[" + start + "].leads";
    if (level) {
      svg += SvgMetric(
          key, leads, Unit::kCount, "value",
          "x=\"" + C(cx) + "\" y=\"" + C(top + plot_h - h - 5) + "\" text-anchor=\"middle\"");
    } else {
      const double ly = top + plot_h - h - 4;
      svg += SvgMetric(key, leads, Unit::kCount, i % value_every == 0 ? "value" : "value hidden",
                       "x=\"" + C(cx + 3.5) + "\" y=\"" + C(ly) + "\" transform=\"rotate(-90 " +
                           C(cx + 3.5) + " " + C(ly) + ")\"");
    }
    if (i % label_every == 0) {
      svg += "<text class=\"axis\" x=\"" + C(cx) + "\" y=\"" + C(kHeight - kBottom + 18) +
             "\" text-anchor=\"middle\">" +
             HtmlEscape(date.empty() ? start : PeriodLabel(date, monthly)) + "</text>";
    }
    svg += "</g>\n";
  }
  svg += "</svg>\n";
  return Section("lead-volume", kTitle, lede, body + svg);
}

std::string RenderCycleTime(const Json& root) {
  const char* kTitle = "Time to customer";
  const char* kLede =
      "Days from lead created to won, over the customers won from the window's leads. The bar "
      "runs to the 90th percentile, its dark part to the median; the tick marks the mean.";
  const Json* cycle = GetMember(&root, "cycle_time_days");
  if (cycle == nullptr)
    return Section("cycle-time", kTitle, kLede, MissingSection("cycle_time_days"));
  struct Row {
    std::string label;
    std::string raw;  // the stored channel value, for the tooltip
    std::string key;
    const Json* stats;
  };
  std::vector<Row> channel_rows;
  channel_rows.push_back({"All channels", "", "cycle_time_days.all", GetMember(cycle, "all")});
  if (const Json* by = GetMember(cycle, "by_channel"); by != nullptr && by->IsObject()) {
    for (const auto& m : by->GetObject()) {
      const std::string raw(m.name.GetString(), m.name.GetStringLength());
      channel_rows.push_back(
          {Humanize(raw), raw, "cycle_time_days.by_channel[" + raw + "]", &m.value});
    }
  }
  // Days between consecutive stages, when the snapshot has them.
  std::vector<Row> stage_rows;
  const Json* between = GetMember(cycle, "between_stages");
  for (const StageInfo& s : kStages) {
    if (s.rate_key == nullptr) continue;
    const Json* stats = GetMember(between, s.rate_key);
    if (stats == nullptr || !stats->IsObject()) continue;
    stage_rows.push_back({std::string(s.label_from) + " to " + s.label_to, "",
                          std::string("cycle_time_days.between_stages.") + s.rate_key, stats});
  }
  // One scale for both tables so that their bars compare.
  double max = 0;
  for (const std::vector<Row>* rows : {&channel_rows, &stage_rows}) {
    for (const Row& r : *rows) {
      for (const char* k : {"mean", "median", "p90"}) {
        max = std::max(max, GetDouble(r.stats, k).value_or(0));
      }
    }
  }
  constexpr double kBarW = 260, kBarH = 12;
  auto table = [&](const std::vector<Row>& rows, std::string_view first_column,
                   std::string_view count_column, bool first_is_total) {
    std::string t = "<table>\n<thead><tr><th>" + std::string(first_column) + "</th><th>" +
                    std::string(count_column) +
                    "</th><th>Mean</th><th>Median</th><th>90th pct</th>"
                    "<th class=\"dist\">Distribution</th></tr></thead>\n<tbody>\n";
    for (size_t i = 0; i < rows.size(); ++i) {
      const Row& r = rows[i];
      t += std::string("<tr") + (i == 0 && first_is_total ? " class=\"total\"" : "") + "><td" +
           (r.raw.empty() ? "" : " title=\"" + HtmlEscape(r.raw) + "\"") + ">" +
           HtmlEscape(r.label) + "</td>";
      t += "<td>" + Metric(r.key + ".count", GetMember(r.stats, "count"), Unit::kCount) + "</td>";
      for (const char* k : {"mean", "median", "p90"}) {
        t += "<td>" + Metric(r.key + "." + k, GetMember(r.stats, k), Unit::kDays) + "</td>";
      }
      auto scale = [&](const char* k) {
        return max > 0 ? kBarW * GetDouble(r.stats, k).value_or(0) / max : 0;
      };
      t += "<td class=\"dist\"><svg width=\"" + C(kBarW + 4) + "\" height=\"" + C(kBarH + 4) +
           "\" aria-hidden=\"true\"><rect class=\"range\" x=\"2\" y=\"2\" width=\"" +
           C(scale("p90")) + "\" height=\"" + C(kBarH) +
           "\" rx=\"2\"/><rect class=\"bar\" x=\"2\" y=\"2\" width=\"" + C(scale("median")) +
           "\" height=\"" + C(kBarH) + "\" rx=\"2\"/>";
      if (GetDouble(r.stats, "mean")) {
        t += "<line class=\"mean\" x1=\"" + C(2 + scale("mean")) + "\" x2=\"" +
             C(2 + scale("mean")) + "\" y1=\"0\" y2=\"" + C(kBarH + 4) + "\"/>";
      }
      t += "</svg></td></tr>\n";
    }
    return t + "</tbody>\n</table>\n";
  };
  std::string body = table(channel_rows, "Channel", std::string(QuantityName("funnel.won")), true);
  if (!stage_rows.empty()) {
    body += "<h3>Days between stages</h3>\n" + table(stage_rows, "Stages", "Contacts", false);
  }
  return Section("cycle-time", kTitle, kLede, body);
}

std::string RenderCapacity(const Json& root) {
  const char* kTitle = "Team capacity";
  const std::string period = PeriodWord(root);
  const std::string lede = "Leads the team can work per " + period +
                           " against the leads that come in per complete " + period + ".";
  const Json* capacity = GetMember(&root, "capacity");
  if (capacity == nullptr) return Section("capacity", kTitle, lede, MissingSection("capacity"));
  const std::optional<double> shortfall = GetDouble(capacity, "shortfall_per_period");
  const std::optional<double> surplus = GetDouble(capacity, "surplus_per_period");
  const std::optional<double> to_hire = GetDouble(capacity, "reps_to_hire");
  const bool short_of_leads = shortfall && *shortfall > 0;
  const bool short_of_reps = (surplus && *surplus > 0) || (to_hire && *to_hire > 0);

  std::string verdict;
  if (short_of_leads) {
    verdict = "<p class=\"verdict bad\">Not enough incoming leads to keep the team busy.</p>\n";
  } else if (short_of_reps) {
    verdict = "<p class=\"verdict warn\">More leads come in than the team can work.</p>\n";
  } else if (shortfall && surplus) {
    verdict = "<p class=\"verdict\">Incoming leads match the team's capacity.</p>\n";
  }

  struct Known {
    const char* key;
    const char* label;
    const char* css;
  };
  const Known known[] = {
      {"reps", "Reps", ""},
      {"leads_per_rep_per_period", "Leads per rep", ""},
      {"capacity_per_period", "Capacity", ""},
      {"incoming_per_period", "Incoming", ""},
      {"shortfall_per_period", "Shortfall", short_of_leads ? "bad" : ""},
      {"surplus_per_period", "Surplus", surplus && *surplus > 0 ? "warn" : ""},
      {"reps_needed", "Reps needed", ""},
      {"reps_to_hire", "Reps to hire", to_hire && *to_hire > 0 ? "warn" : ""},
  };
  std::string cards = "<div class=\"cards\">\n";
  for (const Known& k : known) {
    std::string label = k.label;
    if (std::string_view(k.key).find("per_period") != std::string_view::npos) {
      label += " per " + period;
    }
    // Where the rep count comes from: "configured" or "active owners".
    const std::string note = std::string_view(k.key) == "reps"
                                 ? HtmlEscape(Humanize(GetText(capacity, "reps_source")))
                                 : "";
    cards += Stat(
        label,
        Metric(std::string("capacity.") + k.key, GetMember(capacity, k.key), UnitForKey(k.key)),
        k.css, note == "(none)" ? "" : note);
    cards += "\n";
  }
  // Whatever else the snapshot adds (a revenue target, leads needed for it).
  for (const auto& m : capacity->GetObject()) {
    const std::string key(m.name.GetString(), m.name.GetStringLength());
    if (!(m.value.IsNumber() || m.value.IsNull())) continue;
    if (std::any_of(std::begin(known), std::end(known),
                    [&](const Known& k) { return key == k.key; })) {
      continue;
    }
    const Unit unit = UnitForKey(key);
    std::string value = Metric("capacity." + key, &m.value, unit);
    // Money states its unit beside it: revenue_target_currency.
    if (unit == Unit::kMoney)
      value += CurrencySuffix(GetMember(capacity, key + "_currency"), &m.value);
    cards += Stat(HtmlEscape(Humanize(key)), value) + "\n";
  }
  cards += "</div>\n";

  // Capacity against incoming as two bars; the gap between them in colour.
  std::string svg;
  const std::optional<double> cap = GetDouble(capacity, "capacity_per_period");
  const std::optional<double> incoming = GetDouble(capacity, "incoming_per_period");
  if (cap && incoming && std::max(*cap, *incoming) > 0) {
    constexpr double kWidth = 1060, kLeft = 110, kBarW = 860, kBarH = 22;
    const double max = std::max(*cap, *incoming);
    const double cw = kBarW * *cap / max;
    const double iw = kBarW * *incoming / max;
    svg = "<svg class=\"chart capacity\" viewBox=\"0 0 " + C(kWidth) +
          " 70\" role=\"img\" aria-label=\"Capacity against incoming leads\">\n";
    svg += "<text class=\"stage\" x=\"0\" y=\"20\">Capacity</text><rect class=\"cap\" x=\"" +
           C(kLeft) + "\" y=\"4\" width=\"" + C(cw) + "\" height=\"" + C(kBarH) + "\" rx=\"3\"/>\n";
    svg += "<text class=\"stage\" x=\"0\" y=\"56\">Incoming</text><rect class=\"bar\" x=\"" +
           C(kLeft) + "\" y=\"40\" width=\"" + C(iw) + "\" height=\"" + C(kBarH) +
           "\" rx=\"3\"/>\n";
    if (*incoming < *cap) {
      svg += "<rect class=\"gap-bad\" x=\"" + C(kLeft + iw) + "\" y=\"40\" width=\"" + C(cw - iw) +
             "\" height=\"" + C(kBarH) + "\" rx=\"3\"/>";
      svg += "<text class=\"gap-label bad\" x=\"" + C(kLeft + cw + 8) +
             "\" y=\"56\">shortfall</text>\n";
    } else if (*incoming > *cap) {
      svg += "<rect class=\"gap-warn\" x=\"" + C(kLeft + cw) + "\" y=\"4\" width=\"" + C(iw - cw) +
             "\" height=\"" + C(kBarH) + "\" rx=\"3\"/>";
      svg += "<text class=\"gap-label warn\" x=\"" + C(kLeft + iw + 8) +
             "\" y=\"20\">surplus</text>\n";
    }
    svg += "</svg>\n";
  }
  return Section("capacity", kTitle, lede, verdict + cards + svg);
}

}  // namespace salesaudit::html
