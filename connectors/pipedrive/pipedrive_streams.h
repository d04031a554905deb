// The Pipedrive streams (docs/vendors/pipedrive.md "Streams").
//
// persons, deals and activities are read from API v2 in windows of
// update_time: from the previous window's end, less the `lookback`, up to the
// run's start (whole seconds: updated_until excludes its second), sorted by
// update_time and paged with v2's cursors. The stream's cursor keeps the
// window and the update_time of the last record committed, so a restart asks
// again from that second: records sharing it are read again, never lost.
// Persons are also scanned whole by id every `deletion_scan_every`: the
// stored ones the scan does not find are deleted (API v2 lists no deleted
// persons). users and leads are v1 lists read whole on every run (offset paging; the
// cursor keeps the offset while a pass is under way).
//
// Threading: a reader is used by one thread, for one run.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "connectors/connector.h"
#include "connectors/pipedrive/pipedrive_api.h"
#include "connectors/pipedrive/pipedrive_mapping.h"

namespace salesaudit::pipedrive {

// API v2 lists no deleted persons: a scan of them all by id finds the
// stored ones that are gone. It reads every person, so it is not done on
// every run.
inline const OptionSpec kDeletionScanEveryOption{
    "deletion_scan_every", OptionType::kDuration, std::chrono::hours(24),
    "How often the persons stream also reads every person by id, to find deleted ones (API v2 "
    "lists none); 0s = every sync."};

// What the streams of one connector instance share.
struct CompanyState {
  CompanyState(const ConnectorConfig& config, HttpClient& http);
  PipedriveApi api;
  Mapping mapping;
  // Whether the person fields `fields:` names were resolved in this run.
  bool person_fields_resolved = false;
};

// The stream names, in sync order, with the records each yields.
std::vector<StreamSpec> PipedriveStreams();

// A stream's stored cursor in words, for a run starting at `now_ms`
// (ConnectorDescriptor::describe_cursor).
CursorDescription DescribePipedriveCursor(const ConnectorConfig& config, const std::string& stream,
                                          const std::string& cursor, int64_t now_ms);

Result<std::unique_ptr<StreamReader>> OpenPipedriveStream(CompanyState& company,
                                                          const StreamRun& run);

}  // namespace salesaudit::pipedrive
