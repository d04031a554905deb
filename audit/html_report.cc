#include "audit/html_report.h"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>
#include <string_view>
#include <vector>

#include "audit/labels.h"
#include "core/json_limits.h"
#include "core/text_util.h"
#include "core/time_util.h"

namespace salesaudit {
namespace {

using Json = rapidjson::Value;

// How a number is shown. Rates are fractions in the JSON and percents here.
// kPoints: a difference of two rates, in percentage points.
enum class Unit { kCount, kRate, kMoney, kRatio, kDays, kPoints };

// Below this return on spend a channel is flagged when the snapshot carries
// neither a per-channel flag nor a target (the issue's 2:1 default).
constexpr double kDefaultReturnOnSpendTarget = 2.0;

constexpr std::string_view kNotAvailable = "n/a";
constexpr std::string_view kNull = "–";

// JSON access: every lookup tolerates a missing or mistyped value.

const Json* Get(const Json* object, std::string_view key) {
  if (object == nullptr || !object->IsObject()) return nullptr;
  const Json name(rapidjson::StringRef(key.data(), static_cast<rapidjson::SizeType>(key.size())));
  auto it = object->FindMember(name);
  return it == object->MemberEnd() ? nullptr : &it->value;
}

const Json* GetArray(const Json* object, std::string_view key) {
  const Json* v = Get(object, key);
  return v != nullptr && v->IsArray() ? v : nullptr;
}

std::optional<double> GetNumber(const Json* object, std::string_view key) {
  const Json* v = Get(object, key);
  if (v == nullptr || !v->IsNumber()) return std::nullopt;
  return v->GetDouble();
}

// A string value as text; numbers (ids some sources send as numbers) too.
std::string Text(const Json* v) {
  if (v == nullptr) return "";
  if (v->IsString()) return std::string(v->GetString(), v->GetStringLength());
  if (v->IsInt64()) return std::to_string(v->GetInt64());
  if (v->IsNumber()) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.15g", v->GetDouble());
    return buf;
  }
  if (v->IsBool()) return v->GetBool() ? "true" : "false";
  return "";
}

std::string GetText(const Json* object, std::string_view key) { return Text(Get(object, key)); }

bool GetBool(const Json* object, std::string_view key) {
  const Json* v = Get(object, key);
  return v != nullptr && v->IsBool() && v->GetBool();
}

// "PAID_SEARCH" and "contacts_without_owner" read as "Paid search" and
// "Contacts without owner"; anything mixed-case is a name and kept as given.
std::string Humanize(std::string_view raw) {
  if (raw.empty()) return "(none)";
  bool all_upper = true;
  bool all_lower = true;
  for (char c : raw) {
    const bool digit_or_sep = (c >= '0' && c <= '9') || c == '_';
    if (!digit_or_sep && !(c >= 'A' && c <= 'Z')) all_upper = false;
    if (!digit_or_sep && !(c >= 'a' && c <= 'z')) all_lower = false;
  }
  if (!all_upper && !all_lower) return std::string(raw);
  std::string out;
  for (char c : raw) {
    if (c == '_') {
      out += ' ';
    } else {
      out += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    }
  }
  if (out[0] >= 'a' && out[0] <= 'z') out[0] = static_cast<char>(out[0] - 'a' + 'A');
  return out;
}

// `value` with `decimals` places and thousands separators; a typographic
// minus for negatives.
std::string Fixed(double value, int decimals) {
  // Half away from zero, as people round (printf would print 38.25 as 38.2).
  const double scale = std::pow(10.0, decimals);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, std::round(std::fabs(value) * scale) / scale);
  std::string digits = buf;
  const size_t dot = digits.find('.');
  std::string integer = digits.substr(0, dot);
  const std::string fraction = dot == std::string::npos ? "" : digits.substr(dot);
  std::string grouped;
  for (size_t i = 0; i < integer.size(); ++i) {
    if (i > 0 && (integer.size() - i) % 3 == 0) grouped += ',';
    grouped += integer[i];
  }
  const bool negative = value < 0 && std::stod(digits) != 0;
  return (negative ? "−" : "") + grouped + fraction;
}

bool IsWhole(double v) { return std::fabs(v - std::round(v)) < 1e-9; }

std::string FormatNumber(double v, Unit unit) {
  switch (unit) {
    case Unit::kCount:
      return Fixed(v, IsWhole(v) ? 0 : 1);
    case Unit::kRate:
      return Fixed(v * 100, 1) + "%";
    case Unit::kMoney:
      return Fixed(v, IsWhole(v) || std::fabs(v) >= 1000 ? 0 : 2);
    case Unit::kRatio:
      return Fixed(v, 2) + "×";
    case Unit::kDays:
      return Fixed(v, 1);
    case Unit::kPoints:
      return (v > 0 && Fixed(v * 100, 1) != "0.0" ? "+" : "") + Fixed(v * 100, 1) + " pts";
  }
  return Fixed(v, 1);
}

// The raw JSON number for data-value, as the snapshot wrote it.
std::string RawNumber(const Json& v) {
  if (v.IsInt64()) return std::to_string(v.GetInt64());
  if (v.IsUint64()) return std::to_string(v.GetUint64());
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.15g", v.GetDouble());
  return buf;
}

// An SVG coordinate.
std::string C(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

// The unit a generic section's key implies (capacity, customers, data quality).
Unit UnitForKey(std::string_view key) {
  auto ends_with = [&](std::string_view s) {
    return key.size() >= s.size() && key.substr(key.size() - s.size()) == s;
  };
  auto contains = [&](std::string_view s) { return key.find(s) != std::string_view::npos; };
  if (contains("return_on_spend")) return Unit::kRatio;
  if (ends_with("rate") || ends_with("share")) return Unit::kRate;
  if (key.substr(0, 5) == "leads" || contains("_leads")) return Unit::kCount;
  if (contains("revenue") || contains("amount") || contains("spend") || contains("deal_value")) {
    return Unit::kMoney;
  }
  if (contains("days")) return Unit::kDays;
  return Unit::kCount;
}

// A value as shown, with the class that styles it and its raw form.
struct Shown {
  std::string text;
  std::string css;  // "na" for missing or null
  std::string raw;  // empty unless a number
};

Shown Show(const Json* v, Unit unit) {
  if (v == nullptr || !(v->IsNull() || v->IsNumber()))
    return {std::string(kNotAvailable), "na", ""};
  if (v->IsNull()) return {std::string(kNull), "na", ""};
  return {FormatNumber(v->GetDouble(), unit), "", RawNumber(*v)};
}

// `<span data-metric=...>` holding one number of the snapshot.
std::string Metric(const std::string& key, const Json* v, Unit unit, std::string_view css = "") {
  const Shown s = Show(v, unit);
  std::string classes = "m";
  if (!s.css.empty()) classes += " " + s.css;
  if (!css.empty()) classes += " " + std::string(css);
  std::string out = "<span class=\"" + classes + "\" data-metric=\"" + HtmlEscape(key) + "\"";
  if (!s.raw.empty()) out += " data-value=\"" + s.raw + "\"";
  return out + ">" + HtmlEscape(s.text) + "</span>";
}

// The currency after an amount: " USD"; for an amount (not 0) whose unit the
// snapshot could not name, " ?" with a title saying why; "" otherwise.
std::string CurrencySuffix(const Json* currency, const Json* amount) {
  if (currency != nullptr && currency->IsString()) {
    return " <span class=\"cur\">" + HtmlEscape(Text(currency)) + "</span>";
  }
  if (amount == nullptr || !amount->IsNumber() || amount->GetDouble() == 0) return "";
  return " <span class=\"cur na\" title=\"currency unknown: the revenue it goes with is in "
         "several currencies\">?</span>";
}

// A money figure `field` of `object` with its currency ("12,500 USD"). A
// figure the snapshot leaves null because its deals are in several
// currencies lists its parts from `field`_by_currency ("12,500 USD + 3,000
// EUR + 200 unknown"): never one number over mixed units.
std::string MoneyMetric(const std::string& key, const Json* object, std::string_view field,
                        const Json* currency, std::string_view css = "") {
  const Json* amount = Get(object, field);
  const Json* parts = Get(object, std::string(field) + "_by_currency");
  if (amount != nullptr && amount->IsNull() && parts != nullptr && parts->IsObject() &&
      !parts->ObjectEmpty()) {
    std::string out;
    for (const auto& m : parts->GetObject()) {
      const std::string code(m.name.GetString(), m.name.GetStringLength());
      out += (out.empty() ? "" : " + ") +
             Metric(key + "_by_currency[" + code + "]", &m.value, Unit::kMoney) +
             " <span class=\"cur\">" + HtmlEscape(code) + "</span>";
    }
    return "<span class=\"mixed\" title=\"in several currencies: no total without "
           "audit.currency rates\">" +
           out + "</span>";
  }
  return Metric(key, amount, Unit::kMoney, css) + CurrencySuffix(currency, amount);
}

// The same number as an SVG <text> of class `css`; `attrs` positions it.
std::string SvgMetric(const std::string& key, const Json* v, Unit unit, std::string_view css,
                      const std::string& attrs) {
  const Shown s = Show(v, unit);
  std::string classes(css);
  if (!s.css.empty()) classes += " " + s.css;
  std::string out =
      "<text class=\"" + classes + "\" " + attrs + " data-metric=\"" + HtmlEscape(key) + "\"";
  if (!s.raw.empty()) out += " data-value=\"" + s.raw + "\"";
  return out + ">" + HtmlEscape(s.text) + "</text>";
}

std::optional<double> Median(std::vector<double> values) {
  if (values.empty()) return std::nullopt;
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

// "2026-03-02" from an ISO-8601 string or epoch milliseconds; "" otherwise.
std::string DateOf(const Json* v) {
  if (v == nullptr) return "";
  std::optional<int64_t> ms;
  if (v->IsString()) ms = ParseTimestampMs(v->GetString());
  if (v->IsInt64()) ms = v->GetInt64();
  if (!ms) return "";
  return FormatIsoMs(*ms).substr(0, 10);
}

// "2026-04-01 09:00 UTC".
std::string DateTimeOf(const Json* v) {
  std::optional<int64_t> ms;
  if (v != nullptr && v->IsString()) ms = ParseTimestampMs(v->GetString());
  if (v != nullptr && v->IsInt64()) ms = v->GetInt64();
  if (!ms) return v != nullptr && v->IsString() ? v->GetString() : "";
  const std::string iso = FormatIsoMs(*ms);
  return iso.substr(0, 10) + " " + iso.substr(11, 5) + " UTC";
}

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

// `html` with each table inside its own horizontal scroll container: on a
// phone a wide table scrolls by itself and the page never scrolls sideways.
// The report's tables are never nested.
std::string WithScrollableTables(const std::string& html) {
  std::string out;
  size_t from = 0;
  for (size_t open = html.find("<table"); open != std::string::npos;
       open = html.find("<table", from)) {
    const size_t close = html.find("</table>", open);
    if (close == std::string::npos) break;
    const size_t end = close + std::string_view("</table>").size();
    out += html.substr(from, open - from) + "<div class=\"scroll\">" +
           html.substr(open, end - open) + "</div>";
    from = end;
  }
  return out + html.substr(from);
}

std::string Section(std::string_view id, std::string_view title, std::string_view lede,
                    const std::string& body) {
  std::string out =
      "<section id=\"" + std::string(id) + "\">\n<h2>" + std::string(title) + "</h2>\n";
  if (!lede.empty()) out += "<p class=\"lede\">" + std::string(lede) + "</p>\n";
  return out + WithScrollableTables(body) + "</section>\n";
}

std::string MissingSection(std::string_view key) {
  return "<p class=\"missing na\" data-missing=\"" + std::string(key) +
         "\">n/a: this snapshot has no <code>" + std::string(key) + "</code> data.</p>\n";
}

std::string Badge(std::string_view text, std::string_view css, const std::string& title = "") {
  std::string out = "<span class=\"badge " + std::string(css) + "\"";
  if (!title.empty()) out += " title=\"" + HtmlEscape(title) + "\"";
  return out + ">" + std::string(text) + "</span>";
}

// A stat card: a label over one big number.
std::string Stat(std::string_view label, const std::string& value_html, std::string_view css = "",
                 const std::string& note = "") {
  std::string out = "<div class=\"stat " + std::string(css) + "\"><div class=\"label\">" +
                    std::string(label) + "</div><div class=\"value\">" + value_html + "</div>";
  if (!note.empty()) out += "<div class=\"note\">" + note + "</div>";
  return out + "</div>";
}

std::string PeriodWord(const Json& root) {
  std::string period = GetText(Get(&root, "lead_volume"), "period");
  if (period.empty()) period = GetText(Get(&root, "window"), "period");
  return period.empty() ? "period" : HtmlEscape(period);
}

std::string RenderHeader(const Json& root) {
  const Json* window = Get(&root, "window");
  std::string from = DateOf(Get(window, "from"));
  std::string to = DateOf(Get(window, "to"));
  std::string span;
  if (window == nullptr) {
    span = "Window n/a";
  } else {
    span = (from.empty() ? "From the first record" : "From " + from) +
           (to.empty() ? " to now" : " to " + to + " (exclusive)");
  }
  std::string out = "<header>\n<div class=\"eyebrow\">salesaudit</div>\n<h1>Sales audit</h1>\n";
  out += "<p class=\"meta\">" + HtmlEscape(span) + " · by " + PeriodWord(root);
  const std::string generated = DateTimeOf(Get(&root, "generated_at"));
  out += " · generated " + (generated.empty() ? std::string(kNotAvailable) : HtmlEscape(generated));
  const std::string schema = GetText(&root, "schema_version");
  if (!schema.empty()) out += " · schema " + HtmlEscape(schema);
  out += "</p>\n";

  // Headline figures repeat numbers of the sections below; they carry
  // data-summary so that each data-metric stays unique.
  auto card = [](std::string_view label, const std::string& path, const Json* v, Unit unit,
                 const std::string& note, std::string_view css = "") {
    const Shown s = Show(v, unit);
    std::string value = "<span class=\"m " + s.css + "\" data-summary=\"" + path + "\">" +
                        HtmlEscape(s.text) + "</span>";
    return Stat(label, value, css, note);
  };
  const Json* funnel = Get(&root, "funnel");
  const Json* volume = Get(&root, "lead_volume");
  const Json* cycle_all = Get(Get(&root, "cycle_time_days"), "all");
  const Json* capacity = Get(&root, "capacity");
  out += "<div class=\"cards\">\n";
  out += card("Leads", "funnel.leads", Get(funnel, "leads"), Unit::kCount, "created in the window");
  const QuantityLabel& won = *FindQuantityLabel("funnel.won");
  out += card(won.name, "funnel.won", Get(funnel, "won"), Unit::kCount, std::string(won.meaning));
  out += card("Lead to customer", "funnel.rates.lead_to_won",
              Get(Get(funnel, "rates"), "lead_to_won"), Unit::kRate, "of leads became customers");
  out += card("Leads per " + PeriodWord(root), "lead_volume.average", Get(volume, "average"),
              Unit::kCount, "average over complete periods");
  out += card("Days to customer", "cycle_time_days.all.median", Get(cycle_all, "median"),
              Unit::kDays, "median, lead created to won");
  const std::optional<double> shortfall = GetNumber(capacity, "shortfall_per_period");
  const std::optional<double> surplus = GetNumber(capacity, "surplus_per_period");
  if (shortfall && *shortfall > 0) {
    out += card("Lead shortfall", "capacity.shortfall_per_period",
                Get(capacity, "shortfall_per_period"), Unit::kCount,
                "per " + PeriodWord(root) + " below team capacity", "bad");
  } else if (surplus && *surplus > 0) {
    out += card("Lead surplus", "capacity.surplus_per_period", Get(capacity, "surplus_per_period"),
                Unit::kCount, "per " + PeriodWord(root) + " above team capacity", "warn");
  } else {
    out += card("Reps needed", "capacity.reps_needed", Get(capacity, "reps_needed"), Unit::kCount,
                "for the incoming leads");
  }
  out += "</div>\n</header>\n";
  return out;
}

// The dashboard's "Sync status": each connector's streams with rows, last
// success and last error, the latest snapshot, and the alerts that are
// pending or firing. Each row carries data-stream="<connector>/<stream>".
std::string RenderSyncStatus(const Json& status) {
  constexpr std::string_view kTitle = "Sync status";
  std::string t =
      "<table class=\"sync\">\n<thead><tr><th>Connector</th><th>Stream</th><th>Rows</th>"
      "<th>Last success</th><th>Last error</th></tr></thead>\n<tbody>\n";
  int failing = 0;
  if (const Json* connectors = GetArray(&status, "connectors")) {
    for (const Json& c : connectors->GetArray()) {
      const std::string name = GetText(&c, "name");
      const Json* streams = GetArray(&c, "streams");
      if (streams == nullptr) continue;
      for (const Json& s : streams->GetArray()) {
        const std::string stream = GetText(&s, "stream");
        const std::string error = GetText(&s, "last_error");
        const std::string success = DateTimeOf(Get(&s, "last_success_at"));
        failing += error.empty() ? 0 : 1;
        t += "<tr data-stream=\"" + HtmlEscape(name + "/" + stream) + "\"><th>" + HtmlEscape(name) +
             "</th><td class=\"label\">" + HtmlEscape(stream) + "</td><td>" +
             HtmlEscape(Show(Get(&s, "rows"), Unit::kCount).text) + "</td><td>" +
             (success.empty() ? std::string("never") : HtmlEscape(success)) + "</td><td>";
        if (!error.empty()) {
          t += Badge("failing", "bad", DateTimeOf(Get(&s, "last_error_at"))) + HtmlEscape(error);
        }
        t += "</td></tr>\n";
      }
    }
  }
  t += "</tbody></table>\n";
  std::string alerts_html;
  if (const Json* alerts = GetArray(Get(&status, "alerts"), "active")) {
    for (const Json& a : alerts->GetArray()) {
      const std::string state = GetText(&a, "phase");
      std::string what = GetText(&a, "rule");
      if (const std::string connector = GetText(&a, "connector"); !connector.empty()) {
        what += " (" + connector + ")";
      }
      alerts_html += "<li data-alert=\"" + HtmlEscape(what) + "\">" +
                     Badge(HtmlEscape(state), state == "firing" ? "bad" : "warn") +
                     HtmlEscape(what) + " " + HtmlEscape(GetText(&a, "summary")) + "</li>\n";
    }
  }
  const Json* snapshot = Get(&status, "snapshot");
  std::string lede = failing == 0 ? "Every stream's last run succeeded."
                                  : std::to_string(failing) + " stream(s) failing.";
  lede += snapshot != nullptr && snapshot->IsObject()
              ? " Latest snapshot #" + HtmlEscape(GetText(snapshot, "id")) + " at " +
                    HtmlEscape(DateTimeOf(Get(snapshot, "computed_at"))) + "."
              : " No snapshot yet.";
  std::string body = t;
  body += alerts_html.empty() ? "<p class=\"alerts none\">No alert is pending or firing.</p>\n"
                              : "<ul class=\"alerts\">\n" + alerts_html + "</ul>\n";
  return Section("sync-status", kTitle, lede, body);
}

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

std::string RenderFunnel(const Json* funnel) {
  const char* kTitle = "Funnel";
  const char* kLede =
      "Contacts created in the window, counted at every stage they reached; each rate is the "
      "share of the stage before.";
  if (funnel == nullptr) return Section("funnel", kTitle, kLede, MissingSection("funnel"));
  const Json* rates = Get(funnel, "rates");
  double max = 0;
  for (const StageInfo& s : kStages) max = std::max(max, GetNumber(funnel, s.key).value_or(0));

  constexpr double kWidth = 1060, kRow = 58, kBarH = 40, kBarLeft = 200, kBarMax = 560;
  constexpr double kCenter = kBarLeft + kBarMax / 2;
  const double height = kRow * 5 + 4;
  std::string svg = "<svg class=\"chart funnel\" viewBox=\"0 0 " + C(kWidth) + " " + C(height) +
                    "\" role=\"img\" aria-label=\"Funnel from leads to won\">\n";
  for (size_t i = 0; i < std::size(kStages); ++i) {
    const StageInfo& s = kStages[i];
    const double top = 2 + kRow * static_cast<double>(i);
    const double mid = top + kBarH / 2;
    const double count = GetNumber(funnel, s.key).value_or(0);
    double w = max > 0 ? kBarMax * count / max : 0;
    if (count > 0) w = std::max(w, 3.0);
    svg += "<text class=\"stage\" x=\"0\" y=\"" + C(mid + 5) + "\">" + s.label + "</text>\n";
    svg += "<rect class=\"track\" x=\"" + C(kBarLeft) + "\" y=\"" + C(top) + "\" width=\"" +
           C(kBarMax) + "\" height=\"" + C(kBarH) + "\" rx=\"4\"/>\n";
    svg += "<rect class=\"bar\" x=\"" + C(kCenter - w / 2) + "\" y=\"" + C(top) + "\" width=\"" +
           C(w) + "\" height=\"" + C(kBarH) + "\" rx=\"4\"/>\n";
    svg += SvgMetric(
        std::string("funnel.") + s.key, Get(funnel, s.key), Unit::kCount, "count",
        "x=\"" + C(kBarLeft + kBarMax + 110) + "\" y=\"" + C(mid + 7) + "\" text-anchor=\"end\"");
    svg += "\n";
    if (s.rate_key != nullptr) {
      svg +=
          SvgMetric(std::string("funnel.rates.") + s.rate_key, Get(rates, s.rate_key), Unit::kRate,
                    "rate", "x=\"" + C(kBarLeft + kBarMax + 140) + "\" y=\"" + C(mid + 6) + "\"");
      svg += "<text class=\"of\" x=\"" + C(kBarLeft + kBarMax + 215) + "\" y=\"" + C(mid + 6) +
             "\">" + s.of + "</text>\n";
    }
  }
  svg += "</svg>\n";
  std::string foot = "<p class=\"foot\">Lead to won: " +
                     Metric("funnel.rates.lead_to_won", Get(rates, "lead_to_won"), Unit::kRate) +
                     " of leads became customers.</p>\n";
  return Section("funnel", kTitle, kLede, svg + foot);
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
  return Get(&period, "complete") != nullptr && !GetBool(&period, "complete");
}

std::string RenderLeadVolume(const Json& root) {
  const char* kTitle = "Lead volume";
  const Json* volume = Get(&root, "lead_volume");
  const std::string period = PeriodWord(root);
  const std::string lede = "New leads per " + period + ". Hatched bars are partial " + period +
                           "s at the window's edges; they are left out of the average.";
  if (volume == nullptr) return Section("lead-volume", kTitle, lede, MissingSection("lead_volume"));
  std::string body = "<div class=\"inline-stats\">";
  body += "<span>Average per complete " + period + ": " +
          Metric("lead_volume.average", Get(volume, "average"), Unit::kCount) + "</span>";
  for (const char* trend_key : {"trend", "trend_per_period"}) {
    const Json* trend = Get(volume, trend_key);
    if (trend == nullptr) continue;
    body += "<span>Trend: " + Metric(std::string("lead_volume.") + trend_key, trend, Unit::kCount) +
            " leads per " + period + ", each " + period + "</span>";
  }
  body += "</div>\n";
  // The chart's key: the average's line, and the hatching when a period is partial.
  const Json* series = GetArray(volume, "series");
  std::string key;
  if (GetNumber(volume, "average")) {
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
  double max = GetNumber(volume, "average").value_or(0);
  size_t label_chars = 1;  // the longest value label
  for (const Json& p : series->GetArray()) {
    max = std::max(max, GetNumber(&p, "leads").value_or(0));
    label_chars = std::max(label_chars, Show(Get(&p, "leads"), Unit::kCount).text.size());
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
  const std::optional<double> average = GetNumber(volume, "average");
  if (average) {
    svg += "<line class=\"avg\" x1=\"" + C(kLeft) + "\" x2=\"" + C(kWidth - kRight) + "\" y1=\"" +
           C(y_of(*average)) + "\" y2=\"" + C(y_of(*average)) + "\"/>\n";
  }
  const size_t max_labels = std::max<size_t>(1, static_cast<size_t>(plot_w / 72));
  const size_t label_every = (n + max_labels - 1) / max_labels;
  for (size_t i = 0; i < n; ++i) {
    const Json& p = (*series)[static_cast<rapidjson::SizeType>(i)];
    const std::string start = Text(Get(&p, "start"));
    const std::string date = DateOf(Get(&p, "start"));
    const Json* leads = Get(&p, "leads");
    const bool partial = IsPartialPeriod(p);
    const double value = GetNumber(&p, "leads").value_or(0);
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

std::string RenderChannels(const Json& root) {
  const char* kTitle = "Channels";
  const Json* channels = GetArray(&root, "channels");
  double target = kDefaultReturnOnSpendTarget;
  const Json* revenue = Get(&root, "revenue");
  if (std::optional<double> t = GetNumber(revenue, "return_on_spend_target")) target = *t;
  const std::string lede =
      "Conversion of each acquisition channel's leads, and the revenue won "
      "against the spend on it; channels whose MQLs stall are marked. Return on spend = revenue ÷ "
      "spend; "
      "channels under " +
      FormatNumber(target, Unit::kRatio) + " are marked.";
  if (channels == nullptr) return Section("channels", kTitle, lede, MissingSection("channels"));
  std::string t;
  if (revenue != nullptr) {
    const Json* unit = Get(revenue, "currency");
    t += "<div class=\"inline-stats\"><span>Revenue won: " +
         MoneyMetric("revenue.total", revenue, "total", unit) + "</span><span>Won deals: " +
         Metric("revenue.won_deals", Get(revenue, "won_deals"), Unit::kCount) +
         "</span><span>Average won deal: " +
         MoneyMetric("revenue.average_won_deal", revenue, "average_won_deal", unit) +
         "</span><span>Not attributed to a channel: " +
         MoneyMetric("revenue.unattributed", revenue, "unattributed", unit) + "</span></div>\n";
    if (GetBool(revenue, "converted")) {
      std::string rates;
      if (const Json* used = Get(revenue, "rates_used"); used != nullptr && used->IsObject()) {
        for (const auto& m : used->GetObject()) {
          rates += std::string(rates.empty() ? "" : ", ") + "1 " +
                   HtmlEscape(std::string(m.name.GetString(), m.name.GetStringLength())) + " = " +
                   HtmlEscape(Text(&m.value)) + " " + HtmlEscape(Text(unit));
        }
      }
      t += "<p class=\"foot\" data-converted>Amounts converted to " + HtmlEscape(Text(unit)) +
           " at the rates in the config: " + rates + ".</p>\n";
    }
  }
  t += "<table>\n<thead><tr><th>Channel</th><th>Leads</th><th>MQL</th><th>Contacted</th>"
       "<th>SQL</th><th>Won leads</th><th>Lead to won</th><th>Revenue</th><th>Spend</th>"
       "<th>Return on spend</th></tr></thead>\n<tbody>\n";
  for (const Json& c : channels->GetArray()) {
    const std::string raw = GetText(&c, "channel");
    const std::string key = "channels[" + raw + "]";
    const Json* ros = Get(&c, "return_on_spend");
    bool stalls = GetBool(&c, "mql_stalls");
    if (const Json* stalling = GetArray(Get(&root, "lead_quality"), "stalling_channels")) {
      for (const Json& s : stalling->GetArray()) stalls = stalls || Text(&s) == raw;
    }
    bool below = false;
    if (const Json* flag = Get(&c, "below_target"); flag != nullptr && flag->IsBool()) {
      below = flag->GetBool();
    } else if (ros != nullptr && ros->IsNumber()) {
      below = ros->GetDouble() < target;
    }
    t += std::string("<tr") + (below ? " class=\"flagged\"" : "") + "><td title=\"" +
         HtmlEscape(raw) + "\">" + HtmlEscape(Humanize(raw)) +
         (stalls ? " " + Badge("MQLs stall", "warn", "MQLs of this channel rarely become SQLs")
                 : std::string()) +
         "</td>";
    for (const char* k : {"leads", "mql", "contacted", "sql", "won"}) {
      t += "<td>" + Metric(key + "." + k, Get(&c, k), Unit::kCount) + "</td>";
    }
    t += "<td>" + Metric(key + ".lead_to_won", Get(&c, "lead_to_won"), Unit::kRate) + "</td>";
    t += "<td>" + MoneyMetric(key + ".revenue", &c, "revenue", Get(&c, "currency")) + "</td>";
    t += "<td>" + MoneyMetric(key + ".spend", &c, "spend", Get(&c, "currency")) + "</td>";
    t += "<td>" + std::string(below ? Badge("below target", "bad") + " " : "") +
         Metric(key + ".return_on_spend", ros, Unit::kRatio, below ? "bad" : "") + "</td></tr>\n";
  }
  t += "</tbody>\n</table>\n";
  if (channels->Empty()) t += "<p class=\"na\">No channels in the window.</p>\n";
  return Section("channels", kTitle, lede, t);
}

std::string RenderCycleTime(const Json& root) {
  const char* kTitle = "Time to customer";
  const char* kLede =
      "Days from lead created to won, over the customers won from the window's leads. The bar "
      "runs to the 90th percentile, its dark part to the median; the tick marks the mean.";
  const Json* cycle = Get(&root, "cycle_time_days");
  if (cycle == nullptr)
    return Section("cycle-time", kTitle, kLede, MissingSection("cycle_time_days"));
  struct Row {
    std::string label;
    std::string raw;  // the stored channel value, for the tooltip
    std::string key;
    const Json* stats;
  };
  std::vector<Row> channel_rows;
  channel_rows.push_back({"All channels", "", "cycle_time_days.all", Get(cycle, "all")});
  if (const Json* by = Get(cycle, "by_channel"); by != nullptr && by->IsObject()) {
    for (const auto& m : by->GetObject()) {
      const std::string raw(m.name.GetString(), m.name.GetStringLength());
      channel_rows.push_back(
          {Humanize(raw), raw, "cycle_time_days.by_channel[" + raw + "]", &m.value});
    }
  }
  // Days between consecutive stages, when the snapshot has them.
  std::vector<Row> stage_rows;
  const Json* between = Get(cycle, "between_stages");
  for (const StageInfo& s : kStages) {
    if (s.rate_key == nullptr) continue;
    const Json* stats = Get(between, s.rate_key);
    if (stats == nullptr || !stats->IsObject()) continue;
    stage_rows.push_back({std::string(s.label_from) + " to " + s.label_to, "",
                          std::string("cycle_time_days.between_stages.") + s.rate_key, stats});
  }
  // One scale for both tables so that their bars compare.
  double max = 0;
  for (const std::vector<Row>* rows : {&channel_rows, &stage_rows}) {
    for (const Row& r : *rows) {
      for (const char* k : {"mean", "median", "p90"}) {
        max = std::max(max, GetNumber(r.stats, k).value_or(0));
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
      t += "<td>" + Metric(r.key + ".count", Get(r.stats, "count"), Unit::kCount) + "</td>";
      for (const char* k : {"mean", "median", "p90"}) {
        t += "<td>" + Metric(r.key + "." + k, Get(r.stats, k), Unit::kDays) + "</td>";
      }
      auto scale = [&](const char* k) {
        return max > 0 ? kBarW * GetNumber(r.stats, k).value_or(0) / max : 0;
      };
      t += "<td class=\"dist\"><svg width=\"" + C(kBarW + 4) + "\" height=\"" + C(kBarH + 4) +
           "\" aria-hidden=\"true\"><rect class=\"range\" x=\"2\" y=\"2\" width=\"" +
           C(scale("p90")) + "\" height=\"" + C(kBarH) +
           "\" rx=\"2\"/><rect class=\"bar\" x=\"2\" y=\"2\" width=\"" + C(scale("median")) +
           "\" height=\"" + C(kBarH) + "\" rx=\"2\"/>";
      if (GetNumber(r.stats, "mean")) {
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

// "email.campaigns[mailchimp/a41f]": a campaign's data-metric prefix in
// `section`, by its position when it has no id.
std::string CampaignKey(std::string_view section, const Json& campaign, rapidjson::SizeType index) {
  const std::string id = GetText(&campaign, "id");
  return std::string(section) + ".campaigns[" +
         (id.empty() ? std::to_string(index) : GetText(&campaign, "source") + "/" + id) + "]";
}

std::string RenderEmail(const Json& root) {
  const char* kTitle = "Email campaigns";
  const char* kLede =
      "Unique human opens and clicks over delivered (machine opens excluded), and leads created "
      "after a click. Campaigns below the campaigns' median or the configured floors are marked.";
  const Json* email = Get(&root, "email");
  if (email == nullptr) return Section("email", kTitle, kLede, MissingSection("email"));
  std::string body;
  if (Get(email, "median_open_rate") != nullptr || Get(email, "median_click_rate") != nullptr) {
    body += "<div class=\"inline-stats\"><span>Median open rate: " +
            Metric("email.median_open_rate", Get(email, "median_open_rate"), Unit::kRate) +
            "</span><span>Median click rate: " +
            Metric("email.median_click_rate", Get(email, "median_click_rate"), Unit::kRate) +
            "</span></div>\n";
  }
  const Json* campaigns = GetArray(email, "campaigns");
  if (campaigns == nullptr)
    return Section("email", kTitle, kLede, body + MissingSection("email.campaigns"));
  std::string t =
      "<table>\n<thead><tr><th>Campaign</th><th>Sent</th><th>Delivered</th><th>Opened</th>"
      "<th>Clicked</th><th>Open rate</th><th>Click rate</th><th>Leads</th><th></th></tr></thead>\n"
      "<tbody>\n";
  rapidjson::SizeType index = 0;
  for (const Json& c : campaigns->GetArray()) {
    const std::string source = GetText(&c, "source");
    const std::string id = GetText(&c, "id");
    const std::string key = CampaignKey("email", c, index++);
    const bool under = GetBool(&c, "underperforming");
    bool open_low = false;
    bool click_low = false;
    std::string reasons;
    if (const Json* list = GetArray(&c, "underperforming_reasons")) {
      for (const Json& r : list->GetArray()) {
        const std::string reason = Text(&r);
        open_low = open_low || reason.rfind("open_rate", 0) == 0;
        click_low = click_low || reason.rfind("click_rate", 0) == 0;
        reasons += (reasons.empty() ? "" : "; ") + Humanize(reason);
      }
    }
    // Why, in words (snapshots from before the sentences have only tokens).
    std::string why;
    if (const Json* list = GetArray(&c, "underperforming_why")) {
      for (const Json& w : list->GetArray()) why += (why.empty() ? "" : "; ") + Text(&w);
    }
    if (!why.empty()) reasons = why;
    std::string name = GetText(&c, "name");
    if (name.empty()) name = id;
    std::string detail = source;
    const std::string kind = GetText(&c, "kind");
    if (!kind.empty()) detail += (detail.empty() ? "" : " · ") + kind;
    t += std::string("<tr") + (under ? " class=\"flagged\"" : "") + "><td><div class=\"name\">" +
         HtmlEscape(name) + "</div>" +
         (detail.empty() ? "" : "<div class=\"sub\">" + HtmlEscape(detail) + "</div>") +
         (under ? "<div class=\"sub why\">" + HtmlEscape(reasons) + "</div>" : "") + "</td>";
    for (const char* k : {"sent", "delivered", "opened", "clicked"}) {
      t += "<td>" + Metric(key + "." + k, Get(&c, k), Unit::kCount) + "</td>";
    }
    t += "<td>" +
         Metric(key + ".open_rate", Get(&c, "open_rate"), Unit::kRate, open_low ? "bad" : "") +
         "</td>";
    t += "<td>" +
         Metric(key + ".click_rate", Get(&c, "click_rate"), Unit::kRate, click_low ? "bad" : "") +
         "</td>";
    t += "<td>" + Metric(key + ".leads", Get(&c, "leads"), Unit::kCount) + "</td>";
    t += "<td>" + (under ? Badge("underperforming", "bad", reasons) : std::string()) +
         "</td></tr>\n";
  }
  t += "</tbody>\n</table>\n";
  if (campaigns->Empty()) t += "<p class=\"na\">No campaigns sent in the window.</p>\n";

  if (const Json* flows = GetArray(email, "flows"); flows != nullptr && !flows->Empty()) {
    t += "<h3>By flow</h3>\n<table>\n<thead><tr><th>Flow</th><th>Campaigns</th><th>Delivered</th>"
         "<th>Opened</th><th>Clicked</th><th>Open rate</th><th>Click rate</th><th>Leads</th></tr>"
         "</thead>\n<tbody>\n";
    for (const Json& f : flows->GetArray()) {
      const std::string kind = GetText(&f, "kind");
      const std::string key = "email.flows[" + kind + "]";
      t += "<tr><td>" + HtmlEscape(kind.empty() ? "(no kind)" : Humanize(kind)) + "</td>";
      for (const char* k : {"campaigns", "delivered", "opened", "clicked"}) {
        t += "<td>" + Metric(key + "." + k, Get(&f, k), Unit::kCount) + "</td>";
      }
      for (const char* k : {"open_rate", "click_rate"}) {
        t += "<td>" + Metric(key + "." + k, Get(&f, k), Unit::kRate) + "</td>";
      }
      t += "<td>" + Metric(key + ".leads", Get(&f, "leads"), Unit::kCount) + "</td></tr>\n";
    }
    t += "</tbody>\n</table>\n";
  }
  return Section("email", kTitle, kLede, body + t);
}

// The text output's Content table (FormatEmailAuditText), with its columns
// and definitions: per campaign, the cohort's contacts who clicked it within
// a stage against those who did not, and how many of each moved on.
std::string RenderContent(const Json& root) {
  const char* kTitle = "Content";
  const Json* content = Get(&root, "content");
  const Json* min_sample = Get(content, "min_sample");
  const std::string lede =
      "Conversion of contacts who clicked a campaign in the stage against those who did not: "
      "MQLs who clicked between MQL and contacted and went on to be contacted, SQLs who clicked "
      "between SQL and won and were won. Under the clicked group, the difference of the two "
      "rates in percentage points; groups under " +
      (min_sample != nullptr && min_sample->IsNumber()
           ? HtmlEscape(Show(min_sample, Unit::kCount).text)
           : std::string(kNotAvailable)) +
      " contacts make no claim.";
  const Json* campaigns = GetArray(content, "campaigns");
  if (campaigns == nullptr) return Section("content", kTitle, lede, MissingSection("content"));
  struct Stage {
    const char* key;
    const char* label;
    const char* clicked;  // the clicked group's member
  };
  constexpr Stage kContentStages[] = {
      {"mql_to_contacted", "MQL to contacted", "clicked_between_mql_and_contacted"},
      {"sql_to_won", "SQL to won", "clicked_between_sql_and_won"},
  };
  std::string t = "<table class=\"content\">\n<thead><tr><th rowspan=\"2\">Campaign</th>";
  for (const Stage& stage : kContentStages) {
    t += std::string("<th colspan=\"2\" class=\"group\">") + stage.label + "</th>";
  }
  t += "</tr>\n<tr><th>Clicked</th><th>Did not click</th><th>Clicked</th><th>Did not click</th>"
       "</tr></thead>\n<tbody>\n";
  rapidjson::SizeType index = 0;
  for (const Json& c : campaigns->GetArray()) {
    const std::string source = GetText(&c, "source");
    const std::string id = GetText(&c, "id");
    const std::string key = CampaignKey("content", c, index++);
    std::string name = GetText(&c, "name");
    if (name.empty()) name = id;
    t += "<tr><td><div class=\"name\">" + HtmlEscape(name) + "</div>" +
         (source.empty() ? "" : "<div class=\"sub\">" + HtmlEscape(source) + "</div>") + "</td>";
    for (const Stage& stage : kContentStages) {
      const Json* effect = Get(&c, stage.key);
      const std::string stage_key = key + "." + stage.key;
      // "45.0% of 40": the group's rate over its size.
      auto group = [&](const char* member) {
        const Json* g = Get(effect, member);
        const std::string group_key = stage_key + "." + member;
        return Metric(group_key + ".rate", Get(g, "rate"), Unit::kRate) +
               " <span class=\"sub\">of " +
               Metric(group_key + ".contacts", Get(g, "contacts"), Unit::kCount) + "</span>";
      };
      const std::string difference =
          GetBool(effect, "insufficient_sample")
              ? std::string("<span class=\"na\">too few</span>")
              : Metric(stage_key + ".lift", Get(effect, "lift"), Unit::kPoints);
      t += "<td>" + group(stage.clicked) + "<div class=\"vs\">" + difference + "</div></td>";
      t += "<td>" + group("did_not_click") + "</td>";
    }
    t += "</tr>\n";
  }
  t += "</tbody>\n</table>\n";
  if (campaigns->Empty()) t += "<p class=\"na\">No campaigns sent in the window.</p>\n";
  return Section("content", kTitle, lede, t);
}

struct RepColumn {
  const char* key;
  const char* label;
  Unit unit;
  bool compare;  // shown against the team median
  bool lower_is_better;
};

constexpr RepColumn kRepColumns[] = {
    {"leads", "Leads", Unit::kCount, false, false},
    {"contacted", "Contacted", Unit::kCount, false, false},
    {"sql", "SQL", Unit::kCount, false, false},
    {"won", "Won leads", Unit::kCount, false, false},
    {"contact_rate", "Contact rate", Unit::kRate, true, false},
    {"sql_rate", "SQL rate", Unit::kRate, true, false},
    {"win_rate", "Win rate", Unit::kRate, true, false},
    {"median_cycle_days", "Median days", Unit::kDays, true, true},
    {"revenue", "Revenue", Unit::kMoney, false, false},
};

// "+4.1 pp" against the team, red when the rep is on the worse side.
std::string VersusTeam(const RepColumn& col, std::optional<double> value,
                       std::optional<double> team) {
  if (!value || !team) return "";
  const double delta = *value - *team;
  const bool worse = col.lower_is_better ? delta > 1e-9 : delta < -1e-9;
  std::string text =
      col.unit == Unit::kRate ? Fixed(delta * 100, 1) + " pp" : Fixed(delta, 1) + " d";
  if (delta > 1e-9) text = "+" + text;
  return "<div class=\"vs" + std::string(worse ? " bad" : "") + "\">" + text + "</div>";
}

std::string RenderReps(const Json& root) {
  const char* kTitle = "Reps";
  const char* kLede =
      "Each owner's leads from the window and how far they got. Under each rate: the gap to the "
      "team median, in red where the rep is behind it.";
  const Json* reps = GetArray(&root, "reps");
  if (reps == nullptr) return Section("reps", kTitle, kLede, MissingSection("reps"));
  // The team medians the snapshot states (vs_team.<column>.team_median), or,
  // from a snapshot without them, the medians of the reps listed.
  std::vector<std::optional<double>> team;
  for (const RepColumn& col : kRepColumns) {
    // A median stated as null stays null: revenue in several currencies has none.
    const Json* stated = nullptr;
    std::vector<double> values;
    for (const Json& r : reps->GetArray()) {
      if (stated == nullptr) stated = Get(Get(Get(&r, "vs_team"), col.key), "team_median");
      if (std::optional<double> v = GetNumber(&r, col.key)) values.push_back(*v);
    }
    if (stated != nullptr) {
      team.push_back(stated->IsNumber() ? std::optional<double>(stated->GetDouble())
                                        : std::nullopt);
    } else {
      team.push_back(Median(values));
    }
  }
  std::string t = "<table>\n<thead><tr><th>Rep</th>";
  for (const RepColumn& col : kRepColumns) t += std::string("<th>") + col.label + "</th>";
  t += "</tr></thead>\n<tbody>\n";
  rapidjson::SizeType index = 0;
  for (const Json& r : reps->GetArray()) {
    const std::string source = GetText(&r, "source");
    const std::string owner = GetText(&r, "owner_id");
    const std::string key =
        "reps[" + (owner.empty() ? std::to_string(index) : source + "/" + owner) + "]";
    ++index;
    std::string name = GetText(&r, "name");
    if (name.empty()) name = owner.empty() ? "(no owner)" : owner;
    t += "<tr><td><div class=\"name\">" + HtmlEscape(name) + "</div>" +
         (source.empty() ? "" : "<div class=\"sub\">" + HtmlEscape(source) + "</div>") + "</td>";
    for (size_t i = 0; i < std::size(kRepColumns); ++i) {
      const RepColumn& col = kRepColumns[i];
      t += "<td>" + (col.unit == Unit::kMoney
                         ? MoneyMetric(key + "." + col.key, &r, col.key, Get(&r, "currency"))
                         : Metric(key + "." + col.key, Get(&r, col.key), col.unit));
      if (col.compare) t += VersusTeam(col, GetNumber(&r, col.key), team[i]);
      t += "</td>";
    }
    t += "</tr>\n";
  }
  if (!reps->Empty()) {
    // The medians go through the same formatting as the snapshot's values.
    t += "<tr class=\"total\"><td>Team median</td>";
    for (size_t i = 0; i < std::size(kRepColumns); ++i) {
      const RepColumn& col = kRepColumns[i];
      Json v;
      if (team[i]) v.SetDouble(*team[i]);
      t += "<td>" + Metric(std::string("reps.team_median.") + col.key, &v, col.unit);
      if (col.unit == Unit::kMoney) {
        // The median's unit, as the snapshot states it with the median.
        const Json* unit = nullptr;
        for (const Json& r : reps->GetArray()) {
          unit = Get(Get(Get(&r, "vs_team"), col.key), "currency");
          if (unit != nullptr) break;
        }
        t += CurrencySuffix(unit, &v);
      }
      t += "</td>";
    }
    t += "</tr>\n";
  }
  t += "</tbody>\n</table>\n";
  if (reps->Empty()) t += "<p class=\"na\">No owners with leads in the window.</p>\n";
  return Section("reps", kTitle, kLede, t);
}

std::string RenderCapacity(const Json& root) {
  const char* kTitle = "Team capacity";
  const std::string period = PeriodWord(root);
  const std::string lede = "Leads the team can work per " + period +
                           " against the leads that come in per complete " + period + ".";
  const Json* capacity = Get(&root, "capacity");
  if (capacity == nullptr) return Section("capacity", kTitle, lede, MissingSection("capacity"));
  const std::optional<double> shortfall = GetNumber(capacity, "shortfall_per_period");
  const std::optional<double> surplus = GetNumber(capacity, "surplus_per_period");
  const std::optional<double> to_hire = GetNumber(capacity, "reps_to_hire");
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
    cards += Stat(label,
                  Metric(std::string("capacity.") + k.key, Get(capacity, k.key), UnitForKey(k.key)),
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
    if (unit == Unit::kMoney) value += CurrencySuffix(Get(capacity, key + "_currency"), &m.value);
    cards += Stat(HtmlEscape(Humanize(key)), value) + "\n";
  }
  cards += "</div>\n";

  // Capacity against incoming as two bars; the gap between them in colour.
  std::string svg;
  const std::optional<double> cap = GetNumber(capacity, "capacity_per_period");
  const std::optional<double> incoming = GetNumber(capacity, "incoming_per_period");
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

// Example ids as shown: strings, numbers, or {source, id} objects.
std::string ExampleText(const Json& e) {
  if (e.IsObject()) {
    const std::string source = GetText(&e, "source");
    std::string id = GetText(&e, "id");
    if (id.empty()) id = GetText(&e, "email");
    return source.empty() ? id : source + "/" + id;
  }
  return Text(&e);
}

// An example id, as a link to the record's page in its CRM when the
// snapshot gives one. Only https URLs become links: a snapshot is data, and
// a javascript: or data: URL in it must not turn into something to click.
std::string ExampleHtml(const std::string& id, const std::string& url) {
  const std::string code = "<code>" + HtmlEscape(id) + "</code>";
  if (url.rfind("https://", 0) != 0) return code;
  return "<a href=\"" + HtmlEscape(url) + "\" rel=\"noreferrer\" target=\"_blank\">" + code +
         "</a>";
}

const Json* ExamplesOf(const Json& check) {
  for (const char* k : {"examples", "example_ids", "ids"}) {
    if (const Json* a = GetArray(&check, k)) return a;
  }
  return nullptr;
}

// One table row per check, found at any depth: {count, examples} objects and
// bare numbers. `path` is the JSON path below data_quality.
void CollectChecks(const Json& value, const std::string& path, const std::string& label, int depth,
                   std::string& rows) {
  constexpr size_t kMaxExamples = 5;
  if (value.IsNumber() || value.IsNull()) {
    rows += "<tr><td>" + HtmlEscape(label) + "</td><td>" +
            Metric("data_quality." + path, &value, UnitForKey(path),
                   value.IsNumber() && value.GetDouble() > 0 ? "warn" : "") +
            "</td><td></td></tr>\n";
    return;
  }
  if (!value.IsObject() || depth > 3) return;
  if (Get(&value, "count") != nullptr) {
    const Json* count = Get(&value, "count");
    std::string examples;
    if (const Json* list = ExamplesOf(value)) {
      const Json* urls = Get(&value, "example_urls");
      size_t shown = 0;
      for (const Json& e : list->GetArray()) {
        if (shown++ == kMaxExamples) break;
        const std::string id = ExampleText(e);
        examples += ExampleHtml(id, e.IsString() ? GetText(urls, id) : "") + " ";
      }
    }
    // Duplicates count emails with the contacts sharing them alongside;
    // unmatched email events, with the addresses they went to.
    for (const char* also : {"contacts", "recipients"}) {
      if (const Json* n = Get(&value, also)) {
        examples = "<span class=\"sub\">" +
                   Metric("data_quality." + path + "." + also, n, Unit::kCount) + " " + also +
                   "</span> " + examples;
      }
    }
    const bool issue = count->IsNumber() && count->GetDouble() > 0;
    rows += "<tr><td>" + HtmlEscape(label) + "</td><td>" +
            Metric("data_quality." + path + ".count", count, Unit::kCount, issue ? "warn" : "") +
            "</td><td class=\"examples\">" + examples + "</td></tr>\n";
    return;
  }
  for (const auto& m : value.GetObject()) {
    const std::string key(m.name.GetString(), m.name.GetStringLength());
    CollectChecks(m.value, path.empty() ? key : path + "." + key,
                  label.empty() ? Humanize(key) : label + ": " + Humanize(key), depth + 1, rows);
  }
}

std::string RenderDataQuality(const Json& root) {
  const char* kTitle = "Data quality";
  const char* kLede =
      "Records that make the numbers above less accurate, with a few example ids to start "
      "cleaning from.";
  const Json* quality = Get(&root, "data_quality");
  if (quality == nullptr || !quality->IsObject()) {
    return Section("data-quality", kTitle, kLede, MissingSection("data_quality"));
  }
  std::string rows;
  if (const Json* checks = GetArray(quality, "checks")) {
    for (const Json& c : checks->GetArray()) {
      std::string name = GetText(&c, "name");
      if (name.empty()) name = GetText(&c, "check");
      CollectChecks(c, name, Humanize(name), 1, rows);
    }
  } else {
    CollectChecks(*quality, "", "", 0, rows);
  }
  if (rows.empty()) {
    return Section("data-quality", kTitle, kLede, "<p class=\"na\">n/a: no checks reported.</p>\n");
  }
  return Section("data-quality", kTitle, kLede,
                 "<table class=\"checks\">\n<thead><tr><th>Check</th><th>Count</th>"
                 "<th class=\"examples\">Examples</th></tr></thead>\n<tbody>\n" +
                     rows + "</tbody>\n</table>\n");
}

void CollectFigures(const Json& value, const std::string& path, const std::string& label, int depth,
                    std::string& cards) {
  if (value.IsNumber() || value.IsNull()) {
    // A labelled quantity keeps its one name ("Customer base"), with what it counts.
    const QuantityLabel* known = FindQuantityLabel("customers." + path);
    cards += Stat(HtmlEscape(known != nullptr ? std::string(known->name) : label),
                  Metric("customers." + path, &value, UnitForKey(path)), "",
                  known != nullptr ? HtmlEscape(std::string(known->meaning)) : "") +
             "\n";
    return;
  }
  if (!value.IsObject() || depth > 2) return;
  for (const auto& m : value.GetObject()) {
    const std::string key(m.name.GetString(), m.name.GetStringLength());
    CollectFigures(m.value, path.empty() ? key : path + "." + key,
                   label.empty() ? Humanize(key) : label + ": " + Humanize(key), depth + 1, cards);
  }
}

std::string RenderCustomers(const Json& root) {
  const char* kTitle = "Customers";
  const char* kLede =
      "Repeat purchases by existing customers and word of mouth feed next year's pipeline.";
  const Json* customers = Get(&root, "customers");
  if (customers == nullptr || !customers->IsObject()) {
    return Section("customers", kTitle, kLede, MissingSection("customers"));
  }
  std::string cards;
  CollectFigures(*customers, "", "", 0, cards);
  if (cards.empty()) return Section("customers", kTitle, kLede, "<p class=\"na\">n/a</p>\n");
  return Section("customers", kTitle, kLede, "<div class=\"cards\">\n" + cards + "</div>\n");
}

std::string RenderForecast(const Json& root) {
  const char* kTitle = "Forecast";
  const std::string lede = "What one " + PeriodWord(root) +
                           "'s leads (the window's average) are expected to bring, from the "
                           "store's matured cohorts; the backtest says how often such intervals "
                           "held the actual won leads of past months.";
  const Json* forecast = Get(&root, "forecast");
  if (forecast == nullptr || !forecast->IsObject()) {
    return Section("forecast", kTitle, lede,
                   "<p class=\"na\">n/a: no complete period in the window.</p>\n");
  }
  const Json* interval = Get(forecast, "interval");
  const Json* backtest = Get(forecast, "backtest");
  const Json* level = Get(interval, "level");
  const std::string level_text =
      level != nullptr && level->IsNumber() ? FormatNumber(level->GetDouble(), Unit::kRate) : "";
  std::string cards;
  cards += Stat("Leads", Metric("forecast.leads", Get(forecast, "leads"), Unit::kCount), "",
                "one " + PeriodWord(root) + "'s average") +
           "\n";
  cards +=
      Stat("Expected won leads",
           Metric("forecast.expected_customers", Get(forecast, "expected_customers"), Unit::kCount),
           "", "of those leads, expected to become customers") +
      "\n";
  cards += Stat(HtmlEscape(level_text) + " interval",
                Metric("forecast.interval.low", Get(interval, "low"), Unit::kCount) + " to " +
                    Metric("forecast.interval.high", Get(interval, "high"), Unit::kCount),
                "", "won leads") +
           "\n";
  const std::string reason = GetText(backtest, "reason");
  cards += Stat("Intervals that held",
                Metric("forecast.backtest.coverage", Get(backtest, "coverage"), Unit::kRate), "",
                reason.empty() ? "of " +
                                     Metric("forecast.backtest.periods", Get(backtest, "periods"),
                                            Unit::kCount) +
                                     " past months"
                               : HtmlEscape(reason)) +
           "\n";
  cards += Stat("Expected revenue", MoneyMetric("forecast.expected_revenue", forecast,
                                                "expected_revenue", Get(forecast, "currency"))) +
           "\n";
  return Section("forecast", kTitle, lede, "<div class=\"cards\">\n" + cards + "</div>\n");
}

// Style: one accent colour for data; red and amber only for findings.

constexpr const char* kStyle = R"css(
:root{--ink:#1d2630;--muted:#66727f;--line:#e3e7ec;--soft:#f1f4f7;--bg:#f6f7f9;
--accent:#35608f;--accent-2:#9db6d3;--track:#eef2f6;--bad:#b42318;--bad-bg:#fdeceb;
--warn:#a15c07;--warn-bg:#fdf3e2}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--ink);
font:14px/1.5 "Inter","Segoe UI",system-ui,-apple-system,"Helvetica Neue",Arial,"DejaVu Sans",sans-serif}
main{max-width:1140px;margin:0 auto;padding:36px 28px 56px}
header{margin-bottom:22px}
.eyebrow{font-size:12px;letter-spacing:.12em;text-transform:uppercase;color:var(--muted);font-weight:600}
h1{font-size:30px;line-height:1.2;margin:2px 0 4px;font-weight:700;letter-spacing:-.01em}
.meta{color:var(--muted);margin:0 0 18px}
h2{font-size:18px;margin:0 0 2px;font-weight:650}
h3{font-size:14px;margin:22px 0 6px;font-weight:650}
section{background:#fff;border:1px solid var(--line);border-radius:12px;padding:22px 26px 24px;
margin:0 0 18px;break-inside:avoid}
.lede{color:var(--muted);margin:0 0 16px;max-width:80ch}
.foot{margin:10px 0 0;color:var(--muted)}
.foot .m{color:var(--ink);font-weight:650}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:12px}
.stat{background:#fff;border:1px solid var(--line);border-radius:10px;padding:12px 14px}
section .stat{background:var(--soft);border-color:transparent}
.stat .label{font-size:12px;color:var(--muted);font-weight:600}
.stat .value{font-size:24px;font-weight:650;line-height:1.3;font-variant-numeric:tabular-nums}
.stat .note{font-size:12px;color:var(--muted)}
.stat.bad{background:var(--bad-bg)}.stat.bad .value{color:var(--bad)}
.stat.warn{background:var(--warn-bg)}.stat.warn .value{color:var(--warn)}
.inline-stats{display:flex;flex-wrap:wrap;gap:4px 28px;margin:0 0 10px;color:var(--muted)}
.inline-stats .m{color:var(--ink);font-weight:650}
.cur{font-size:.8em;color:var(--muted);font-weight:600}
.scroll{overflow-x:auto;max-width:100%}
table{width:100%;border-collapse:collapse;font-variant-numeric:tabular-nums}
th{font-size:12px;color:var(--muted);font-weight:600;text-align:right;padding:6px 10px;
border-bottom:1px solid var(--line);white-space:nowrap;vertical-align:bottom}
td{text-align:right;padding:8px 10px;border-bottom:1px solid var(--soft);vertical-align:top;
white-space:nowrap}
th:first-child,td:first-child{text-align:left;padding-left:0;white-space:normal}
tr.total td{font-weight:650;border-top:1px solid var(--line)}
tbody tr:last-child td{border-bottom:0}
tr.flagged td:first-child{box-shadow:inset 3px 0 var(--bad);padding-left:10px}
td .sub{font-size:12px;color:var(--muted)}
td.examples .sub{margin-right:8px}
td .vs{font-size:11px;color:var(--muted)}
td .vs.bad{color:var(--bad)}
.m.bad{color:var(--bad);font-weight:650}
.m.warn{color:var(--warn);font-weight:650}
.na,.m.na{color:var(--muted)}
.badge{display:inline-block;font-size:11px;font-weight:600;padding:1px 8px;border-radius:10px;
margin-right:6px;vertical-align:1px}
.badge.bad{background:var(--bad-bg);color:var(--bad)}
.badge.warn{background:var(--warn-bg);color:var(--warn)}
.verdict{font-weight:600;margin:0 0 14px}
.verdict.bad{color:var(--bad)}.verdict.warn{color:var(--warn)}
th.dist,td.dist{text-align:left;padding-left:24px}
td.dist svg{display:block;margin-top:3px}
table.checks th:first-child{width:36%}
table.content th.group{text-align:center}
table.content tr+tr th:first-child{text-align:right;padding-left:10px}
td.examples a{color:var(--accent)}
th.examples,td.examples{text-align:left;white-space:normal;padding-left:24px}
code{font:12px/1.4 "DejaVu Sans Mono",Menlo,Consolas,monospace;background:var(--soft);
padding:1px 5px;border-radius:4px;margin-right:4px}
.chart{display:block;width:100%;height:auto;font-variant-numeric:tabular-nums}
.chart text{fill:var(--ink);font-size:13px}
.chart .stage{font-size:14px;font-weight:600}
.chart .count{font-size:20px;font-weight:700}
.chart .rate{font-size:15px;font-weight:650}
.chart .of,.chart .axis,.chart .avg-label{fill:var(--muted);font-size:12px}
.chart .value{font-size:11px;fill:var(--muted)}
.chart .value{paint-order:stroke;stroke:#fff;stroke-width:3px;stroke-linejoin:round}
.chart .value.hidden{visibility:hidden}
.chart text.na{fill:var(--muted)}
.chart .track{fill:var(--track)}
.chart .bar,td.dist .bar{fill:var(--accent)}
td.dist .range{fill:var(--accent-2)}
td.dist .mean{stroke:var(--ink);stroke-width:2}
.chart .grid{stroke:var(--line);stroke-width:1}
.chart .partial .bar,.legend .partial{fill:url(#hatch)}
.chart .hatch-bg{fill:#dfe7f1}.chart .hatch-line{stroke:var(--accent);stroke-width:2}
.chart .avg,.legend .avg{stroke:var(--ink);stroke-width:1.5;stroke-dasharray:5 4}
.legend{display:flex;flex-wrap:wrap;gap:4px 20px;font-size:12px;color:var(--muted);margin:0 0 6px}
.legend svg{vertical-align:-1px;margin-right:6px}
.chart .cap{fill:var(--accent-2)}
.chart .gap-bad{fill:var(--bad-bg);stroke:var(--bad);stroke-width:1.5;stroke-dasharray:4 3}
.chart .gap-label{font-size:12px;font-weight:600}
.chart .gap-label.bad{fill:var(--bad)}.chart .gap-label.warn{fill:var(--warn)}
.chart .gap-warn{fill:var(--warn-bg);stroke:var(--warn);stroke-width:1.5;stroke-dasharray:4 3}
table.sync td.label,table.sync td:last-child{text-align:left;white-space:normal}
ul.alerts{list-style:none;padding:0;margin:12px 0 0}ul.alerts li{margin:4px 0}
footer{color:var(--muted);font-size:12px;text-align:center;margin-top:24px}
@media (max-width:640px){main{padding:18px 10px 32px}section{padding:16px 14px 18px}
h1{font-size:24px}.cards{grid-template-columns:repeat(auto-fit,minmax(130px,1fr))}}
@media print{body{background:#fff}main{padding:0}section{border:0;padding:8px 0}
.scroll{overflow:visible}}
)css";

Status ParseObject(const std::string& text, std::string_view what, rapidjson::Document* doc) {
  if (Status s = CheckJsonNesting(text); !s.ok()) {
    return Status::InvalidArgument("html report: " + std::string(what) + ": " + s.message());
  }
  doc->Parse<rapidjson::kParseIterativeFlag>(text.c_str(), text.size());
  if (doc->HasParseError()) {
    return Status::InvalidArgument("html report: " + std::string(what) + " is not JSON: " +
                                   std::string(rapidjson::GetParseError_En(doc->GetParseError())) +
                                   " at offset " + std::to_string(doc->GetErrorOffset()));
  }
  if (!doc->IsObject()) {
    return Status::InvalidArgument("html report: " + std::string(what) + " is not a JSON object");
  }
  return Status::Ok();
}

}  // namespace

Result<std::string> RenderHtmlReport(const std::string& snapshot_json,
                                     const HtmlReportOptions& options) {
  rapidjson::Document doc;
  if (Status s = ParseObject(snapshot_json, "snapshot", &doc); !s.ok()) return s;
  rapidjson::Document status;
  if (!options.status_json.empty()) {
    if (Status s = ParseObject(options.status_json, "status", &status); !s.ok()) return s;
  }

  std::string html =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  if (options.refresh_seconds > 0) {
    html += "<meta http-equiv=\"refresh\" content=\"" + std::to_string(options.refresh_seconds) +
            "\">\n";
  }
  html += "<title>Sales audit</title>\n<style>";
  html += kStyle;
  html += "</style>\n</head>\n<body>\n<main>\n";
  html += RenderHeader(doc);
  if (!options.status_json.empty()) html += RenderSyncStatus(status);
  html += RenderFunnel(Get(&doc, "funnel"));
  html += RenderLeadVolume(doc);
  html += RenderChannels(doc);
  html += RenderCycleTime(doc);
  html += RenderEmail(doc);
  html += RenderContent(doc);
  html += RenderReps(doc);
  html += RenderCapacity(doc);
  html += RenderDataQuality(doc);
  html += RenderCustomers(doc);
  html += RenderForecast(doc);
  html += "<footer>salesaudit sales audit report · all figures from the snapshot of " +
          HtmlEscape(DateTimeOf(Get(&doc, "generated_at"))) + "</footer>\n";
  html += "</main>\n</body>\n</html>\n";
  return html;
}

}  // namespace salesaudit
