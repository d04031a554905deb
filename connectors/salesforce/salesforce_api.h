// One Salesforce connector's session with its org: the OAuth 2.0
// refresh-token flow, SOQL queries and their batches, the API usage the org
// reports, and the vendor's error shapes (docs/vendors/salesforce.md).
//
// Sessions: the token endpoint names no lifetime (issued_at only), so a
// session is renewed when a call meets INVALID_SESSION_ID and before the
// configured `session_lifetime` runs out. A renewed session cannot continue
// a query the old one opened: More() then says the locator is lost and the
// reader queries again from its last committed position.
//
// Rotated refresh tokens: an org that rotates them answers each exchange
// with a new one and invalidates the old. The new one is kept in a file of
// its own in the store's directory (mode 0600, replaced atomically), tied to
// the configured token, so a restart uses it and an admin who sets a new
// token in the config is not overruled by the file.
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
#include <vector>

#include "config/config.h"
#include "connectors/daily_allowance.h"
#include "core/status.h"
#include "net/http_client.h"

namespace salesaudit::salesforce {

inline constexpr char kDefaultLoginUrl[] = "https://login.salesforce.com";
// The REST API version queried; v61.0 is what tap-salesforce uses and what
// every org since Summer '24 serves.
inline constexpr char kApiVersion[] = "v61.0";
// Records per query batch: the REST maximum.
inline constexpr int kBatchSize = 2000;

// The org's session timeout (Setup > Session Settings; 2 hours unless
// changed): sessions are renewed a little before it.
inline const OptionSpec kSessionLifetimeOption{
    "session_lifetime", OptionType::kPositiveDuration, std::chrono::hours(2),
    "The org's session timeout (Setup, Session Settings): the connector renews its session "
    "before it ends."};

// One batch of a SOQL query's result.
struct QueryBatch {
  // The answer's body, parsed in place: the strings of `doc` point into it.
  std::unique_ptr<std::string> body;
  std::unique_ptr<rapidjson::Document> doc;  // the answer; `records` is an array
  const rapidjson::Value* records = nullptr;
  std::string next_records_url;  // "" when done
};

class SalesforceApi {
 public:
  // `config` and `http` must outlive the session.
  SalesforceApi(const ConnectorConfig& config, HttpClient& http);

  // "salesforce[<name>]: <stream>", the prefix of the stream's messages.
  std::string Context(const std::string& stream) const;

  // Runs `soql` through `query` (live rows) or `queryAll` (deleted and
  // merged rows too) and returns its first batch.
  Result<QueryBatch> Query(const std::string& stream, const std::string& soql, bool all);
  // The batch at `next_records_url`; nullopt when the query's locator is
  // gone (its session ended or it expired): query again.
  Result<std::optional<QueryBatch>> More(const std::string& stream,
                                         const std::string& next_records_url);

  // Texts the connector wants in the next page's warnings (a rotated
  // refresh token that could not be kept); taken by the caller.
  std::vector<std::string> TakeWarnings();

  const ConnectorConfig& config;
  HttpClient& http;

 private:
  Result<HttpResponse> Get(const std::string& stream, const std::string& path_and_query);
  Status EnsureSession(const std::string& stream, bool force);
  void KeepRotatedRefreshToken(const std::string& token);
  void ReadApiUsage(const HttpResponse& response);
  // Takes the body of `response` into the batch.
  Result<QueryBatch> ReadBatch(const std::string& context, const HttpRequest& request,
                               HttpResponse& response);

  std::string login_url_;
  std::string instance_url_;  // from the token answer unless base_url is set
  std::string refresh_token_;
  std::string access_token_;
  int64_t session_renew_at_ms_ = 0;
  // What the org's Sforce-Limit-Info said last: requests used in the last
  // 24 hours and the org's allowance.
  DailyAllowance daily_;
  std::vector<std::string> warnings_;
};

// The path of the file that keeps a connector's rotated refresh token.
std::string RefreshTokenPath(const ConnectorConfig& config);

}  // namespace salesaudit::salesforce
