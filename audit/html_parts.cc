#include "audit/html_parts.h"

#include <rapidjson/document.h>

#include <cmath>
#include <cstdio>
#include <optional>

#include "core/json_reader.h"
#include "core/text_util.h"
#include "core/time_util.h"

namespace salesaudit::html {
namespace {

bool IsWhole(double v) { return std::fabs(v - std::round(v)) < 1e-9; }

// The raw JSON number for data-value, as the snapshot wrote it.
std::string RawNumber(const Json& v) {
  if (v.IsInt64()) return std::to_string(v.GetInt64());
  if (v.IsUint64()) return std::to_string(v.GetUint64());
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.15g", v.GetDouble());
  return buf;
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

}  // namespace

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

std::string GetText(const Json* object, std::string_view key) {
  return Text(GetMember(object, key));
}

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

std::string C(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

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

Shown Show(const Json* v, Unit unit) {
  if (v == nullptr || !(v->IsNull() || v->IsNumber()))
    return {std::string(kNotAvailable), "na", ""};
  if (v->IsNull()) return {std::string(kNull), "na", ""};
  return {FormatNumber(v->GetDouble(), unit), "", RawNumber(*v)};
}

std::string Metric(const std::string& key, const Json* v, Unit unit, std::string_view css) {
  const Shown s = Show(v, unit);
  std::string classes = "m";
  if (!s.css.empty()) classes += " " + s.css;
  if (!css.empty()) classes += " " + std::string(css);
  std::string out = "<span class=\"" + classes + "\" data-metric=\"" + HtmlEscape(key) + "\"";
  if (!s.raw.empty()) out += " data-value=\"" + s.raw + "\"";
  return out + ">" + HtmlEscape(s.text) + "</span>";
}

std::string CurrencySuffix(const Json* currency, const Json* amount) {
  if (currency != nullptr && currency->IsString()) {
    return " <span class=\"cur\">" + HtmlEscape(Text(currency)) + "</span>";
  }
  if (amount == nullptr || !amount->IsNumber() || amount->GetDouble() == 0) return "";
  return " <span class=\"cur na\" title=\"currency unknown: the revenue it goes with is in "
         "several currencies\">?</span>";
}

std::string MoneyMetric(const std::string& key, const Json* object, std::string_view field,
                        const Json* currency, std::string_view css) {
  const Json* amount = GetMember(object, field);
  const Json* parts = GetMember(object, std::string(field) + "_by_currency");
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

std::string DateOf(const Json* v) {
  if (v == nullptr) return "";
  std::optional<int64_t> ms;
  if (v->IsString()) ms = ParseTimestampMs(v->GetString());
  if (v->IsInt64()) ms = v->GetInt64();
  if (!ms) return "";
  return FormatIsoMs(*ms).substr(0, 10);
}

std::string DateTimeOf(const Json* v) {
  std::optional<int64_t> ms;
  if (v != nullptr && v->IsString()) ms = ParseTimestampMs(v->GetString());
  if (v != nullptr && v->IsInt64()) ms = v->GetInt64();
  if (!ms) return v != nullptr && v->IsString() ? v->GetString() : "";
  const std::string iso = FormatIsoMs(*ms);
  return iso.substr(0, 10) + " " + iso.substr(11, 5) + " UTC";
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

std::string Badge(std::string_view text, std::string_view css, const std::string& title) {
  std::string out = "<span class=\"badge " + std::string(css) + "\"";
  if (!title.empty()) out += " title=\"" + HtmlEscape(title) + "\"";
  return out + ">" + std::string(text) + "</span>";
}

std::string Stat(std::string_view label, const std::string& value_html, std::string_view css,
                 const std::string& note) {
  std::string out = "<div class=\"stat " + std::string(css) + "\"><div class=\"label\">" +
                    std::string(label) + "</div><div class=\"value\">" + value_html + "</div>";
  if (!note.empty()) out += "<div class=\"note\">" + note + "</div>";
  return out + "</div>";
}

std::string PeriodWord(const Json& root) {
  std::string period = GetText(GetMember(&root, "lead_volume"), "period");
  if (period.empty()) period = GetText(GetMember(&root, "window"), "period");
  return period.empty() ? "period" : HtmlEscape(period);
}

}  // namespace salesaudit::html
