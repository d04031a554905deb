#include "audit/money.h"

#include <cmath>

#include "audit/number_text.h"
#include "core/json_writer.h"
#include "core/text_util.h"

namespace salesaudit {
namespace {

std::string CurrencyKey(const std::string& code) { return code.empty() ? kUnknownCurrency : code; }

}  // namespace

std::optional<double> CurrencySettings::RateOf(const std::string& code) const {
  if (report_in.empty() || code.empty()) return std::nullopt;
  if (code == report_in) return 1.0;
  auto it = rates.find(code);
  if (it == rates.end()) return std::nullopt;
  return it->second;
}

std::string NormalizeCurrency(std::string_view raw) {
  std::string code(TrimSpace(raw));
  for (char& c : code) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return code;
}

void MoneyByCurrency::Add(const std::string& currency, double amount) {
  Part& part = parts_[currency];
  part.amount += amount;
  ++part.count;
}

MoneyByCurrency MoneyByCurrency::Scaled(double factor) const {
  MoneyByCurrency out = *this;
  for (auto& [code, part] : out.parts_) part.amount *= factor;
  return out;
}

MoneyByCurrency MoneyByCurrency::Averages() const {
  MoneyByCurrency out = *this;
  for (auto& [code, part] : out.parts_) part.amount /= static_cast<double>(part.count);
  return out;
}

int64_t MoneyByCurrency::count() const {
  int64_t n = 0;
  for (const auto& [code, part] : parts_) n += part.count;
  return n;
}

MoneyTotal TotalOf(const MoneyByCurrency& money, const CurrencySettings& settings,
                   const std::optional<std::string>& empty_unit) {
  MoneyTotal total;
  if (money.empty()) {
    total.amount = 0.0;
    if (!settings.report_in.empty()) {
      total.currency = settings.report_in;
    } else {
      total.currency = empty_unit;
    }
    return total;
  }
  if (settings.report_in.empty()) {
    const auto& [code, part] = *money.parts().begin();
    if (money.parts().size() == 1 && !code.empty()) {
      total.amount = part.amount;
      total.currency = code;
    }
    return total;
  }
  double sum = 0;
  for (const auto& [code, part] : money.parts()) {
    const std::optional<double> rate = settings.RateOf(code);
    if (!rate) {
      total.missing_rates.push_back(code);
      continue;
    }
    sum += part.amount * *rate;
    total.converted = total.converted || code != settings.report_in;
  }
  if (total.missing_rates.empty() && std::isfinite(sum)) {
    total.amount = sum;
    total.currency = settings.report_in;
  } else {
    total.converted = false;
  }
  return total;
}

std::optional<double> MoneyRatio(const MoneyTotal& numerator, double denominator) {
  if (!numerator.amount || denominator == 0) return std::nullopt;
  const double ratio = *numerator.amount / denominator;
  if (!std::isfinite(ratio)) return std::nullopt;
  return ratio;
}

void WriteMoneyJson(JsonWriter& w, const std::string& key, const MoneyByCurrency& money,
                    const MoneyTotal& total) {
  w.Key(key);
  w.OptionalDouble(total.amount);
  w.Key(key + "_by_currency");
  w.StartObject();
  for (const auto& [code, part] : money.parts()) {
    w.Key(CurrencyKey(code));
    w.Double(part.amount);
  }
  w.EndObject();
}

void WriteMoneyUnitJson(JsonWriter& w, const MoneyTotal& total) {
  w.Key("currency");
  w.OptionalString(total.currency);
  w.Key("converted");
  w.Bool(total.converted);
}

std::map<std::string, double> RatesUsed(const MoneyByCurrency& money,
                                        const CurrencySettings& settings) {
  std::map<std::string, double> used;
  for (const auto& [code, part] : money.parts()) {
    if (code == settings.report_in) continue;
    if (const std::optional<double> rate = settings.RateOf(code)) used.emplace(code, *rate);
  }
  return used;
}

void WriteRatesJson(JsonWriter& w, const std::string& key,
                    const std::map<std::string, double>& rates) {
  w.Key(key);
  w.StartObject();
  for (const auto& [code, rate] : rates) {
    w.Key(code);
    w.Double(rate);
  }
  w.EndObject();
}

std::string AmountText(const std::optional<double>& amount,
                       const std::optional<std::string>& currency) {
  if (!amount) return "-";
  if (currency) return FixedText(*amount, 2) + " " + *currency;
  // Zero is zero in any unit; another amount without one is marked unknown.
  return *amount == 0 ? FixedText(*amount, 2) : FixedText(*amount, 2) + " ?";
}

std::string MoneyText(const MoneyByCurrency& money, const MoneyTotal& total) {
  if (total.amount) return AmountText(total.amount, total.currency);
  // The known currencies in code order, the amounts without one last.
  std::string out;
  for (const auto& [code, part] : money.parts()) {
    if (!code.empty()) out += (out.empty() ? "" : " + ") + FixedText(part.amount, 2) + " " + code;
  }
  if (auto unknown = money.parts().find(""); unknown != money.parts().end()) {
    out +=
        (out.empty() ? "" : " + ") + FixedText(unknown->second.amount, 2) + " " + kUnknownCurrency;
  }
  return out;
}

}  // namespace salesaudit
