// Links from data-quality examples to the records' pages in the CRM (issue 12
// finding 6): a manager cleaning the data opens the record from the report
// instead of searching for its id. Examples are "<source>:<id>"; a check's
// examples are linked when they all name one kind of record (contacts, deals)
// and the source's connector has a page for that kind (RecordUrls in
// audit/snapshot.h, filled by the daemon from the config and the connector's descriptor).
//
//   RecordUrls urls = {{"crm", {{RecordKind::kContact,
//   "https://app.hubspot.com/contacts/42/record/0-1/"}}}}; LinkQualityExamples(urls,
//   snapshot.data_quality);
//   // data_quality.contacts_without_owner.example_urls["crm:7"] ends in "/record/0-1/7"
//
// Pure function; thread-safe.
#pragma once

#include "audit/snapshot.h"

namespace salesaudit {

// Sets example_urls of the checks whose examples are contacts or deals, for
// the examples whose source has a page for that kind. Examples of other
// checks (addresses, channels, mixed kinds) are left without a URL.
void LinkQualityExamples(const RecordUrls& urls, DataQuality& quality);

}  // namespace salesaudit
