// The HTML report's sections drawn as inline SVG charts: the funnel, lead
// volume per period, time to customer, and team capacity against incoming
// leads. Each takes the snapshot JSON (or its `funnel` object) and returns
// one <section>; a section the snapshot lacks says so. Included only by
// audit/html_report.cc. Pure functions; thread-safe.
#pragma once

#include <string>

#include "audit/html_parts.h"

namespace salesaudit::html {

std::string RenderFunnel(const Json* funnel);
std::string RenderLeadVolume(const Json& root);
std::string RenderCycleTime(const Json& root);
std::string RenderCapacity(const Json& root);

}  // namespace salesaudit::html
