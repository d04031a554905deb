// Text helpers of the HubSpot simulator's request parsing, shared by the
// endpoint families in sim_service.cc and sim_crm_objects.cc.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace salesaudit::sim {

// `s` with `+` as space and each valid %XX escape decoded; invalid escapes
// are kept as written.
std::string PercentDecode(std::string_view s);

// Non-empty pieces of `text` between `sep` characters.
std::vector<std::string> Split(const std::string& text, char sep);

}  // namespace salesaudit::sim
