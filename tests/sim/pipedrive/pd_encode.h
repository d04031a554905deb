// How the simulator writes Pipedrive's wire formats (docs/vendors/pipedrive.md):
// the three time formats, the v2 cursor, the answer envelopes and each
// record as v1 or v2 serves it. Pure functions; thread-safe.
#pragma once

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "tests/sim/pipedrive/pd_company.h"

namespace salesaudit::sim {

using PdWriter = rapidjson::Writer<rapidjson::StringBuffer>;

// "2024-01-04T10:44:11Z": API v2's RFC 3339, whole seconds.
std::string Rfc3339(int64_t ms);
// "2024-01-04 10:44:11": API v1's UTC time.
std::string V1Time(int64_t ms);
// "2024-01-04T10:44:11.000Z": the leads endpoints' ISO 8601 time.
std::string LeadTime(int64_t ms);
// The epoch milliseconds of an RFC 3339 time ("2024-01-04T10:44:11Z",
// "...+02:00", fractions allowed); nullopt for anything else, the v1 form
// included.
std::optional<int64_t> ParseRfc3339(std::string_view text);

// Where a v2 page starts: the sort key of the first record of the next page.
struct PdCursor {
  std::string field;      // id, update_time, add_time, order_nr or due_date
  std::string direction;  // asc or desc
  int64_t value = 0;      // the field's value (times in ms, due dates as days)
  int64_t id = 0;
};
// Opaque base64url text, as Pipedrive's look: base64 of a small JSON object.
std::string EncodeCursor(const PdCursor& cursor);
std::optional<PdCursor> DecodeCursor(std::string_view text);

// {"success":false,"error":..,"error_info":..,"data":null,"additional_data":null}
std::string ErrorEnvelope(std::string_view error, std::string_view error_info);

// What a record's answer may add to it.
struct PdRenderOptions {
  // v2 `include_option_labels=true`: enum values as {id, label}.
  bool option_labels = false;
  // v2 `custom_fields=k1,k2`: only these keys in `custom_fields` (empty = all).
  std::vector<std::string> custom_field_keys;
};

void WritePersonV2(PdWriter& w, const PdPerson& p, const Company& company,
                   const PdRenderOptions& options);
void WriteDealV2(PdWriter& w, const PdDeal& d);
void WriteActivityV2(PdWriter& w, const PdActivity& a);
void WriteStageV2(PdWriter& w, const PdStage& s);
void WritePipelineV2(PdWriter& w, const PdPipeline& p);
void WriteUserV1(PdWriter& w, const PdUser& u);
void WriteLeadV1(PdWriter& w, const PdLead& l);
void WritePersonFieldV1(PdWriter& w, const PdPersonField& f, int64_t update_ms);

}  // namespace salesaudit::sim
