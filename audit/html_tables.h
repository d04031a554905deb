// The HTML report's sections of tables and stat cards: channels with return
// on spend, email campaigns and flows, content, reps against the team median,
// data quality with example records, customers and the forecast. Each takes
// the snapshot JSON and returns one <section>; a section the snapshot lacks
// says so. Included only by audit/html_report.cc. Pure functions; thread-safe.
#pragma once

#include <string>

#include "audit/html_parts.h"

namespace salesaudit::html {

std::string RenderChannels(const Json& root);
std::string RenderEmail(const Json& root);
std::string RenderContent(const Json& root);
std::string RenderReps(const Json& root);
std::string RenderDataQuality(const Json& root);
std::string RenderCustomers(const Json& root);
std::string RenderForecast(const Json& root);

}  // namespace salesaudit::html
