// Money in several currencies (issue 12, docs/audit.md "Money and
// currencies"): deal amounts are summed apart per currency and stated as one
// number only where they share one currency, or where a reporting currency
// with rates the admin gives converts them. Deals without a currency stay
// apart under "unknown" and are never folded into a currency.
//
//   MoneyByCurrency revenue;
//   revenue.Add(NormalizeCurrency(deal.currency), *deal.amount);
//   const MoneyTotal total = TotalOf(revenue, settings.currency, std::nullopt);
//   // total.amount is nullopt when USD and EUR were added without rates.
//   WriteMoneyJson(w, "revenue", revenue, total);
//
// Plain values and pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/json_writer.h"

namespace salesaudit {

// The reporting currency and its rates (config audit.currency), as plain data.
struct CurrencySettings {
  // An ISO 4217 code; empty: no reporting currency, nothing is converted.
  std::string report_in;
  // Code -> how many report_in units one unit of the code is worth.
  std::map<std::string, double> rates;

  // The rate from `code` into report_in: 1 for report_in itself; nullopt
  // without a reporting currency, for an unknown currency ("") and for a
  // code without a rate.
  std::optional<double> RateOf(const std::string& code) const;
};

// A deal's currency as the audit keys it: trimmed and upper-cased ("usd " is
// "USD"); "" stands for a deal without a currency.
std::string NormalizeCurrency(std::string_view raw);

// The key of the amounts without a currency in a *_by_currency object, and
// how text and the report name them.
inline constexpr char kUnknownCurrency[] = "unknown";

// Amounts summed per currency, each with how many amounts it holds. Plain value.
class MoneyByCurrency {
 public:
  struct Part {
    double amount = 0;
    int64_t count = 0;
  };

  // Adds one amount in `currency` (NormalizeCurrency's form; "" unknown).
  void Add(const std::string& currency, double amount);
  // Each part scaled by `factor` (the counts kept): an expectation of it.
  MoneyByCurrency Scaled(double factor) const;
  // Each part's mean amount (its amount over its count), counts kept.
  MoneyByCurrency Averages() const;

  // By currency code; "" holds the amounts without a currency.
  const std::map<std::string, Part>& parts() const { return parts_; }
  bool empty() const { return parts_.empty(); }
  int64_t count() const;

 private:
  std::map<std::string, Part> parts_;
};

// A MoneyByCurrency stated as one number, or why it cannot be.
struct MoneyTotal {
  // nullopt when the parts are in several currencies without a reporting
  // currency, or a part cannot be converted (no rate, or no currency).
  std::optional<double> amount;
  // The unit of `amount` (and of the figures derived from it); nullopt with
  // amount, and for an empty sum that has no unit to borrow.
  std::optional<std::string> currency;
  bool converted = false;  // a part in another currency was converted with a rate
  // Parts that kept the amount from being converted: codes without a rate,
  // "" for amounts without a currency.
  std::vector<std::string> missing_rates;
};

// `money` as one number: with a reporting currency, every part converted
// into it (nullopt where a part has no rate); without one, the sum of a
// single known currency. An empty sum is 0 in `empty_unit` (the snapshot's
// unit, so that a channel without deals still names one), or in report_in.
MoneyTotal TotalOf(const MoneyByCurrency& money, const CurrencySettings& settings,
                   const std::optional<std::string>& empty_unit);

// `numerator / denominator` when both totals are stated in the same unit and
// the quotient is finite: an average or a return, never over mixed units.
std::optional<double> MoneyRatio(const MoneyTotal& numerator, double denominator);

// Writes the members `key` (total.amount, or null) and `key`_by_currency
// ({code: amount}, "unknown" for amounts without a currency) into the JSON
// object `w` is inside.
void WriteMoneyJson(JsonWriter& w, const std::string& key, const MoneyByCurrency& money,
                    const MoneyTotal& total);

// Writes the members "currency" (the unit of the object's money, or null) and
// "converted".
void WriteMoneyUnitJson(JsonWriter& w, const MoneyTotal& total);

// The rates converting `money` into settings.report_in: {code: rate} for
// each of its currencies other than report_in that has a rate.
std::map<std::string, double> RatesUsed(const MoneyByCurrency& money,
                                        const CurrencySettings& settings);

// Writes the member `key`: {code: rate}.
void WriteRatesJson(JsonWriter& w, const std::string& key,
                    const std::map<std::string, double>& rates);

// For text: "12500.00 USD"; a total without a unit lists its parts, the
// amounts without a currency last ("3000.00 EUR + 12500.00 USD + 200.00
// unknown"); an empty sum without a unit is "0.00".
std::string MoneyText(const MoneyByCurrency& money, const MoneyTotal& total);

// One amount for text: "12500.00 USD", "-" for nullopt; without a currency
// "0.00" for zero and " ?" after any other amount (its unit is not known).
std::string AmountText(const std::optional<double>& amount,
                       const std::optional<std::string>& currency);

}  // namespace salesaudit
