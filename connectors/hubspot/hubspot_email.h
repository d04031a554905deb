// The HubSpot connector's marketing email streams (docs/vendors/hubspot.md
// "Marketing email events"):
//
// `email_campaigns` lists every campaign each run (GET
// /email/public/v1/campaigns/by-id) and reads the detail of those that may
// have changed: new, updated (lastUpdatedTime), unsent, or sent within
// `email_activity_window` (their counters still move).
//
// `email_events` reads the legacy events API in time windows of epoch-ms
// bounds, paging inside a window by `offset` while `hasMore`. The cursor
// holds the window in progress and the offset of its next page, so a run
// stopped mid-window resumes at that page. Windows never reach past the run's
// start. The first run starts `email_history` before it; later
// runs re-read the connector's `lookback` (events reach the API late) and the
// store's key, "<created>:<id>", absorbs the overlap.
//
// Threading: readers are used by one thread, like every StreamReader.
#pragma once

// Declarations only: the .cc files that walk a document include rapidjson/document.h.
#include <rapidjson/fwd.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "connectors/connector.h"
#include "connectors/hubspot/hubspot_api.h"

namespace salesaudit::hubspot {

// The width of one events window (Airbyte's choice; docs/vendors/hubspot.md
// "Marketing email events").
inline constexpr std::chrono::milliseconds kEmailEventsWindow = std::chrono::hours(24 * 30);

bool IsEmailStream(const std::string& stream);

// The stored cursor of `stream` in words, for a run starting at `now_ms`
// (ConnectorDescriptor::describe_cursor). REQUIRES: IsEmailStream(stream).
CursorDescription DescribeEmailCursor(const ConnectorConfig& config, const std::string& stream,
                                      const std::string& cursor, int64_t now_ms);

// A reader of `run.stream` over `api`, which must outlive it.
// REQUIRES: IsEmailStream(run.stream).
Result<std::unique_ptr<StreamReader>> OpenEmailStream(HubSpotApi& api, const StreamRun& run);

// One element of `events` as a canonical event; nullopt for types the
// store does not keep (PROCESSED, DEFERRED, DROPPED, a resubscribe...) and
// for events without an id or created time. Those, and members of another
// JSON type than expected (read as unknown), are added to `issues`.
std::optional<EmailEvent> MapEmailEvent(const rapidjson::Value& event,
                                        std::vector<ValueIssue>& issues);

// A campaign detail (GET /email/public/v1/campaigns/{id}); members of another
// JSON type than expected are unknown and added to `issues`. A detail without
// an id maps to a campaign with an empty id, which CheckPage drops.
EmailCampaign MapEmailCampaign(const rapidjson::Value& detail, std::vector<ValueIssue>& issues);

}  // namespace salesaudit::hubspot
