#include "audit/record_links.h"

#include <string_view>

#include "core/text_util.h"

namespace salesaudit {
namespace {

struct LinkedCheck {
  QualityIssue DataQuality::*issue;
  RecordKind kind;
};

// The checks whose examples are all one kind of record. implausible_dates
// mixes contacts and deals under the same "<source>:<id>" form, so which
// page an example has cannot be told and it is not linked.
constexpr LinkedCheck kLinkedChecks[] = {
    {&DataQuality::contacts_without_owner, RecordKind::kContact},
    {&DataQuality::contacts_without_channel, RecordKind::kContact},
    {&DataQuality::contacts_without_email, RecordKind::kContact},
    {&DataQuality::contacts_without_created_date, RecordKind::kContact},
    {&DataQuality::stage_dates_out_of_order, RecordKind::kContact},
    {&DataQuality::contacts_before_window, RecordKind::kContact},
    {&DataQuality::won_deals_without_amount, RecordKind::kDeal},
    {&DataQuality::won_deals_without_currency, RecordKind::kDeal},
    {&DataQuality::won_deals_without_rate, RecordKind::kDeal},
    {&DataQuality::won_deals_without_close_date, RecordKind::kDeal},
    {&DataQuality::won_deals_without_contacts, RecordKind::kDeal},
    {&DataQuality::stale_open_deals, RecordKind::kDeal},
    {&DataQuality::implausible_amounts, RecordKind::kDeal},
};

}  // namespace

void LinkQualityExamples(const RecordUrls& urls, DataQuality& quality) {
  if (urls.empty()) return;
  for (const LinkedCheck& check : kLinkedChecks) {
    QualityIssue& issue = quality.*check.issue;
    for (const std::string& example : issue.examples) {
      // Connector names cannot hold ':' (config names are [A-Za-z0-9_.-]);
      // ids can, so the first ':' ends the source.
      const size_t colon = example.find(':');
      if (colon == std::string::npos) continue;
      const auto source = urls.find(example.substr(0, colon));
      if (source == urls.end()) continue;
      const auto prefix = source->second.find(check.kind);
      if (prefix == source->second.end()) continue;
      issue.example_urls[example] =
          prefix->second + UrlEncode(std::string_view(example).substr(colon + 1));
    }
  }
}

}  // namespace salesaudit
