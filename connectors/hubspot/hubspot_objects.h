// The HubSpot connector's CRM object streams: `contacts` and `deals` (with
// their contact associations) from the CRM v3 objects API, and `owners`.
//
// Contacts and deals: the first run (or `sync --full`) pages through the list
// endpoint; later runs read what changed through the search endpoint. Each run
// ends with a scan of the archived listing, because archiving does not touch
// the modified date (docs/vendors/hubspot.md "List and archived records").
// Owners are read whole every run.
//
// Threading: readers are used by one thread, like every StreamReader.
#pragma once

#include <memory>
#include <string>

#include "connectors/connector.h"
#include "connectors/hubspot/hubspot_api.h"

namespace salesaudit::hubspot {

bool IsObjectStream(const std::string& stream);

// The stored cursor of `stream` in words (ConnectorDescriptor::describe_cursor).
// REQUIRES: IsObjectStream(stream).
CursorDescription DescribeObjectCursor(const ConnectorConfig& config, const std::string& stream,
                                       const std::string& cursor);

// A reader of `run.stream` over `api`, which must outlive it.
// REQUIRES: IsObjectStream(run.stream).
Result<std::unique_ptr<StreamReader>> OpenObjectStream(HubSpotApi& api, const StreamRun& run);

}  // namespace salesaudit::hubspot
