// One HubSpot connector's session with its portal: the config, the HTTP
// client, the field mapping and the access token (a private app's, or one
// traded for the OAuth refresh token and renewed before it expires). Every
// stream reader of the connector sends its requests through Call.
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
#include "connectors/hubspot/hubspot_mapping.h"
#include "core/status.h"
#include "net/http_client.h"

namespace salesaudit::hubspot {

inline constexpr char kDefaultBaseUrl[] = "https://api.hubapi.com";

// One JSON answer, parsed in place: the strings of `doc` point into `body`,
// so the two go together (each on the heap, so moving the answer moves
// neither).
struct HubSpotAnswer {
  std::unique_ptr<std::string> body;
  std::unique_ptr<rapidjson::Document> doc;
};

class HubSpotApi {
 public:
  // `config` and `http` must outlive the session.
  HubSpotApi(const ConnectorConfig& config, HttpClient& http);

  // "hubspot[<name>]: <stream>", the prefix of the stream's messages.
  std::string Context(const std::string& stream) const;

  // Sends an authorised request and parses a JSON answer; every failure is
  // classified and names the stream, method, path and status. A paging token
  // that is not a string fails the answer (CheckPagingTokens).
  Result<HubSpotAnswer> Call(const std::string& stream, HttpRequest request,
                             long* http_status = nullptr);

  const ConnectorConfig& config;
  HttpClient& http;
  FieldMap fields;
  std::string base_url;  // without a trailing slash
  // Set once the v4 associations API answered 404 (an API that only has v3).
  bool associations_v3 = false;

 private:
  bool UsesOAuth() const;
  Result<HttpResponse> SendAuthorized(HttpRequest request);
  Status EnsureAccessToken(const std::string& stream, bool force);

  std::string access_token_;
  int64_t access_expires_at_ms_ = 0;
  // X-HubSpot-RateLimit-Daily and -Daily-Remaining (a private app's; OAuth
  // apps' answers state none).
  DailyAllowance daily_;
};

// The portal's request limit as an answer states it
// (ConnectorDescriptor::read_rate_limit): X-HubSpot-RateLimit-Max per
// -Interval-Milliseconds with -Remaining, else -Secondly per second with
// -Secondly-Remaining; nullopt when neither is stated (search answers).
std::optional<VendorRateLimit> ReadRateLimit(const HttpResponse& response);

// The `paging.next.after` token of a list response, or "" on the last page.
std::string NextAfter(const rapidjson::Value& doc);

// NextAfter for a token that will be sent back and kept in the cursor:
// refused when oversized. A token that cycles is caught by the sync engine,
// which sees the cursor repeat.
Result<std::string> FollowedAfter(const rapidjson::Value& doc, const std::string& where);

}  // namespace salesaudit::hubspot
