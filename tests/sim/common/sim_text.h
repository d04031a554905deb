// Text helpers of the simulators: lower-casing, splitting lists, and the
// decoding of query strings and form bodies. Both vendors' servers read a
// query string, and HubSpot its OAuth token body, as
// application/x-www-form-urlencoded: `+` is a space, %XX an escaped byte, a
// name without `=` has the value "", and a later name replaces an earlier one.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace salesaudit::sim {

// `s` with ASCII letters lower-cased.
std::string Lower(std::string_view s);

// `s` with `+` as space and each valid %XX escape decoded; invalid escapes
// are kept as written.
std::string PercentDecode(std::string_view s);

// Non-empty pieces of `text` between `sep` characters.
std::vector<std::string> Split(std::string_view text, char sep);

// A query string (without the `?`) or a form body: each `name=value` pair
// between `&`s, both decoded; empty pairs are skipped.
using FormFields = std::map<std::string, std::string>;
FormFields ParseForm(std::string_view text);

}  // namespace salesaudit::sim
