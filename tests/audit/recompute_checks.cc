#include "tests/audit/recompute_checks.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <stdexcept>

#include "core/time_util.h"

namespace salesaudit::verifier {

const rapidjson::Value& At(const rapidjson::Value& object, const char* key) {
  INFO("key " << key);
  REQUIRE(object.IsObject());
  REQUIRE(object.HasMember(key));
  return object[key];
}

const rapidjson::Value& Channel(const rapidjson::Value& array, const std::string& name) {
  REQUIRE(array.IsArray());
  for (const rapidjson::Value& row : array.GetArray()) {
    if (At(row, "channel").GetString() == name) return row;
  }
  FAIL("no channel row " << name);
  throw std::logic_error("unreachable");
}

void CheckNumber(const rapidjson::Value& value, std::optional<double> expected) {
  if (!expected) {
    CHECK(value.IsNull());
    return;
  }
  REQUIRE(value.IsNumber());
  CHECK(std::isfinite(value.GetDouble()));
  CHECK(value.GetDouble() == Approx(*expected).margin(1e-9));
}

std::optional<double> Stated(const ByCurrency& money) {
  if (money.empty()) return 0.0;
  if (money.size() == 1 && money.begin()->first != "unknown") return money.begin()->second;
  return std::nullopt;
}

std::optional<double> AverageWonDeal(const Expected& e) {
  const std::optional<double> total = Stated(e.total);
  return total ? Ratio(*total, e.deals_with_amount) : std::nullopt;
}

void CheckMoney(const rapidjson::Value& object, const char* key, const ByCurrency& expected) {
  CheckNumber(At(object, key), Stated(expected));
  const std::string parts_key = std::string(key) + "_by_currency";
  const rapidjson::Value& parts = At(object, parts_key.c_str());
  REQUIRE(parts.IsObject());
  CHECK(parts.MemberCount() == expected.size());
  for (const auto& [code, amount] : expected) CheckNumber(At(parts, code.c_str()), amount);
}

void CheckCounts(const rapidjson::Value& row, const Counts& c) {
  CHECK(At(row, "leads").GetInt64() == c.leads);
  CHECK(At(row, "mql").GetInt64() == c.mql);
  CHECK(At(row, "contacted").GetInt64() == c.contacted);
  CHECK(At(row, "sql").GetInt64() == c.sql);
  CHECK(At(row, "won").GetInt64() == c.won);
}

void CheckRates(const rapidjson::Value& rates, const Counts& c) {
  CheckNumber(At(rates, "lead_to_mql"), Ratio(c.mql, c.leads));
  CheckNumber(At(rates, "mql_to_contacted"), Ratio(c.contacted, c.mql));
  CheckNumber(At(rates, "contacted_to_sql"), Ratio(c.sql, c.contacted));
  CheckNumber(At(rates, "sql_to_won"), Ratio(c.won, c.sql));
  CheckNumber(At(rates, "lead_to_won"), Ratio(c.won, c.leads));
}

void CheckStats(const rapidjson::Value& value, const std::vector<double>& days) {
  const Stats stats = StatsOf(days);
  CHECK(At(value, "count").GetInt64() == stats.count);
  CheckNumber(At(value, "mean"), stats.mean);
  CheckNumber(At(value, "median"), stats.median);
  CheckNumber(At(value, "p90"), stats.p90);
}

void CheckAllFinite(const rapidjson::Value& value) {
  if (value.IsNumber()) {
    CHECK(std::isfinite(value.GetDouble()));
  } else if (value.IsArray()) {
    for (const rapidjson::Value& item : value.GetArray()) CheckAllFinite(item);
  } else if (value.IsObject()) {
    for (const auto& member : value.GetObject()) CheckAllFinite(member.value);
  }
}

int64_t Ms(const rapidjson::Value& iso) {
  REQUIRE(iso.IsString());
  const std::optional<int64_t> ms = ParseTimestampMs(iso.GetString());
  REQUIRE(ms.has_value());
  return *ms;
}

}  // namespace salesaudit::verifier
