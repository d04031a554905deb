#include "audit/labels.h"

#include <algorithm>
#include <cctype>
#include <iterator>

namespace salesaudit {
namespace {

constexpr std::string_view kWonLeads = "Won leads";
constexpr std::string_view kWonLeadsMeaning = "leads of the window that became customers";

constexpr QuantityLabel kLabels[] = {
    {"funnel.leads", "Leads", "contacts created in the window"},
    {"funnel.won", kWonLeads, kWonLeadsMeaning},
    {"channels[].won", kWonLeads, kWonLeadsMeaning},
    {"reps[].won", kWonLeads, kWonLeadsMeaning},
    {"funnel.rates.lead_to_won", "Lead to won", "won leads / leads"},
    {"customers.customers", "Customer base",
     "contacts who are customers by the window's end, whenever they were won"},
    {"customers.repeat_customers", "Repeat customers",
     "of the customer base, those with two or more won deals"},
    {"revenue.won_deals", "Won deals", "deals closed won in the window"},
    {"revenue.total", "Revenue won", "amounts of the won deals"},
};

}  // namespace

const QuantityLabel* FindQuantityLabel(std::string_view path) {
  const auto* found = std::find_if(std::begin(kLabels), std::end(kLabels),
                                   [&](const QuantityLabel& l) { return l.path == path; });
  return found == std::end(kLabels) ? nullptr : found;
}

std::string_view QuantityName(std::string_view path) {
  const QuantityLabel* label = FindQuantityLabel(path);
  return label != nullptr ? label->name : path;
}

std::string InlineName(std::string_view name) {
  std::string out(name);
  if (!out.empty()) out[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(out[0])));
  return out;
}

}  // namespace salesaudit
