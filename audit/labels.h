// One name per quantity the audit reports, with what it counts, for every
// place that shows it (text, the HTML report, alert notifications). Three
// numbers look alike and differ: the leads of the window that became
// customers ("won leads"), everyone who is a customer by the window's end
// ("customer base"), and deals closed won ("won deals"); each keeps its own
// name everywhere, so a manager never sees two numbers under one word.
//
//   const QuantityLabel* label = FindQuantityLabel("funnel.won");
//   // label->name == "Won leads"
#pragma once

#include <string>
#include <string_view>

namespace salesaudit {

struct QuantityLabel {
  std::string_view path;  // snapshot path; array elements as []: "channels[].won"
  std::string_view name;
  std::string_view meaning;  // a short phrase, shown beside or under the number
};

// The label of a snapshot path; nullptr for a path without one.
const QuantityLabel* FindQuantityLabel(std::string_view path);

// The name of `path`'s label; `path` itself when it has none.
std::string_view QuantityName(std::string_view path);

// A name as written inside a sentence or a text table: its first letter in
// lower case ("Won leads" -> "won leads"; acronyms after it stay).
std::string InlineName(std::string_view name);

}  // namespace salesaudit
