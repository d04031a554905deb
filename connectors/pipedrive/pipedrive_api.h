// One Pipedrive connector's calls to its company (docs/vendors/pipedrive.md):
// the api token in the x-api-token header (never in a URL, which servers and
// proxies log), v1 and v2 envelopes, the rate-limit headers the request
// budget follows, and the vendor's error shapes.
//
// Threading: owned by one connector instance and used by the one thread that
// runs its streams.
#pragma once

// Declarations only: the .cc files that walk a document include rapidjson/document.h.
#include <rapidjson/fwd.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "config/config.h"
#include "connectors/daily_allowance.h"
#include "core/status.h"
#include "net/http_client.h"

namespace salesaudit::pipedrive {

inline constexpr char kDefaultBaseUrl[] = "https://api.pipedrive.com";
// Records per page: the most both API versions give.
inline constexpr int kPageSize = 500;

// One answer's envelope: {success, data, additional_data}.
struct Answer {
  std::unique_ptr<rapidjson::Document> doc;
  // The records: an array, or nullptr when `data` is null (an empty list,
  // as v1 says it).
  const rapidjson::Value* data = nullptr;
  const rapidjson::Value* additional_data = nullptr;  // nullptr when absent or null
};

class PipedriveApi {
 public:
  // `config` and `http` must outlive it.
  PipedriveApi(const ConnectorConfig& config, HttpClient& http);

  // "pipedrive[<name>]: <stream>", the prefix of the stream's messages.
  std::string Context(const std::string& stream) const;

  // GETs `path_and_query` (from /v1/ or /api/v2/) and reads its envelope.
  // A 200 whose body is `null` is kUnavailable (Pipedrive answers so now and
  // then and the same request then works); `success: false` or `data` not a
  // list is kDataLoss.
  Result<Answer> GetList(const std::string& stream, const std::string& path_and_query);

  const ConnectorConfig& config;
  HttpClient& http;

 private:
  std::string base_url_;
  std::string api_token_;  // "" when the config has none (the loader refuses that)
  // The company's daily token budget, from x-daily-ratelimit-token-* (sent
  // when the company has one).
  DailyAllowance daily_;
};

// What an answer's x-ratelimit-limit, -remaining and -reset headers say of
// the token's 2-second window (ConnectorDescriptor::read_rate_limit);
// nullopt when they say nothing readable.
std::optional<VendorRateLimit> ReadRateLimit(const HttpResponse& response);

// `epoch_ms` rounded down to its second (before 1970 too).
int64_t FloorToSecond(int64_t epoch_ms);

// RFC 3339 in whole seconds ("2024-01-04T10:44:11Z"), as v2's updated_since
// and updated_until take it: `epoch_ms` rounded down to its second.
std::string Rfc3339Seconds(int64_t epoch_ms);

}  // namespace salesaudit::pipedrive
