// The building blocks of the HTML report's sections (audit/html_report.h):
// tolerant reads of the snapshot JSON, numbers as the page shows them, and
// the markup every section shares (a number with its data-metric, a section,
// a stat card, a badge). Included only by audit/html_*.cc. Pure functions;
// thread-safe.
#pragma once

// Declarations only: the html_*.cc files that walk the snapshot include rapidjson/document.h.
#include <rapidjson/fwd.h>

#include <string>
#include <string_view>

namespace salesaudit::html {

using Json = rapidjson::Value;

// How a number is shown. Rates are fractions in the JSON and percents here.
// kPoints: a difference of two rates, in percentage points.
enum class Unit { kCount, kRate, kMoney, kRatio, kDays, kPoints };

inline constexpr std::string_view kNotAvailable = "n/a";
inline constexpr std::string_view kNull = "–";

// A string value as text; numbers (ids some sources send as numbers) and
// booleans too; "" for anything else or nullptr. Lookups go through
// core/json_reader.h, whose pointer forms chain over missing objects.
std::string Text(const Json* v);
std::string GetText(const Json* object, std::string_view key);

// "PAID_SEARCH" and "contacts_without_owner" read as "Paid search" and
// "Contacts without owner"; anything mixed-case is a name and kept as given.
std::string Humanize(std::string_view raw);

// `value` with `decimals` places and thousands separators; a typographic
// minus for negatives.
std::string Fixed(double value, int decimals);

std::string FormatNumber(double v, Unit unit);

// An SVG coordinate.
std::string C(double v);

// The unit a generic section's key implies (capacity, customers, data quality).
Unit UnitForKey(std::string_view key);

// A value as shown, with the class that styles it and its raw form.
struct Shown {
  std::string text;
  std::string css;  // "na" for missing or null
  std::string raw;  // empty unless a number
};

Shown Show(const Json* v, Unit unit);

// `<span data-metric=...>` holding one number of the snapshot.
std::string Metric(const std::string& key, const Json* v, Unit unit, std::string_view css = "");

// The currency after an amount: " USD"; for an amount (not 0) whose unit the
// snapshot could not name, " ?" with a title saying why; "" otherwise.
std::string CurrencySuffix(const Json* currency, const Json* amount);

// A money figure `field` of `object` with its currency ("12,500 USD"). A
// figure the snapshot leaves null because its deals are in several
// currencies lists its parts from `field`_by_currency ("12,500 USD + 3,000
// EUR + 200 unknown"): never one number over mixed units.
std::string MoneyMetric(const std::string& key, const Json* object, std::string_view field,
                        const Json* currency, std::string_view css = "");

// The same number as an SVG <text> of class `css`; `attrs` positions it.
std::string SvgMetric(const std::string& key, const Json* v, Unit unit, std::string_view css,
                      const std::string& attrs);

// "2026-03-02" from an ISO-8601 string or epoch milliseconds; "" otherwise.
std::string DateOf(const Json* v);

// "2026-04-01 09:00 UTC".
std::string DateTimeOf(const Json* v);

// A <section> with its title and lede; each table in `body` gets its own
// horizontal scroll container, so on a phone a wide table scrolls by itself
// and the page never scrolls sideways.
std::string Section(std::string_view id, std::string_view title, std::string_view lede,
                    const std::string& body);

// The body of a section whose `key` the snapshot lacks.
std::string MissingSection(std::string_view key);

std::string Badge(std::string_view text, std::string_view css, const std::string& title = "");

// A stat card: a label over one big number.
std::string Stat(std::string_view label, const std::string& value_html, std::string_view css = "",
                 const std::string& note = "");

// "week" or "month", as the snapshot names its period (HTML-escaped).
std::string PeriodWord(const Json& root);

}  // namespace salesaudit::html
