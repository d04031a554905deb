// Small text helpers shared by the parts that render or read text. Pure
// functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace salesaudit {

// `s` without leading and trailing ASCII whitespace.
std::string_view TrimSpace(std::string_view s);

// `s` safe inside HTML text and attribute values: & < > " ' escaped.
std::string HtmlEscape(std::string_view s);

}  // namespace salesaudit
