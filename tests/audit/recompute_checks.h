// The checks an outside verifier makes of a snapshot document against its
// recomputation (recompute.h): numbers null exactly when expected and
// otherwise close, counts, rates, statistics and money per currency. Catch2
// assertions; call from a test case.
#pragma once

#include <rapidjson/document.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tests/audit/recompute.h"

namespace salesaudit::verifier {

// object[key], failing the test when it is missing.
const rapidjson::Value& At(const rapidjson::Value& object, const char* key);
// The row of `array` whose "channel" is `name`, failing the test when none is.
const rapidjson::Value& Channel(const rapidjson::Value& array, const std::string& name);
// `value` is null exactly when `expected` is, else a finite number near it.
void CheckNumber(const rapidjson::Value& value, std::optional<double> expected);
// The one number docs/audit.md states for money: the sum when every amount
// shares one known currency (0 for none), else null.
std::optional<double> Stated(const ByCurrency& money);
std::optional<double> AverageWonDeal(const Expected& e);
// `key` is Stated(expected) and `key`_by_currency lists every part.
void CheckMoney(const rapidjson::Value& object, const char* key, const ByCurrency& expected);
void CheckCounts(const rapidjson::Value& row, const Counts& c);
void CheckRates(const rapidjson::Value& rates, const Counts& c);
void CheckStats(const rapidjson::Value& value, const std::vector<double>& days);
// Every number in the document is finite (NaN or infinity would also have
// failed the parse).
void CheckAllFinite(const rapidjson::Value& value);
// An ISO time of the document in epoch ms.
int64_t Ms(const rapidjson::Value& iso);

}  // namespace salesaudit::verifier
