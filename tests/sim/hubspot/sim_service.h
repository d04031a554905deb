// SimService: the HubSpot API behaviour behind the simulator's sockets.
// Routes one parsed HTTP request to its endpoint and answers with HubSpot's
// status codes, headers and JSON bodies; applies injected faults, the bearer
// token check and the two rate limiters; counts requests. Its clock is the
// portal's: the one it is given (the real one by default) plus
// SimOptions::clock_offset_ms; the rate-limit windows and token lifetimes
// count on the given clock's steady time.
//
// Owned by HubSpotSim. Thread-safe: one mutex guards the portal, options,
// faults, limiter windows and stats; Handle is called from the server's
// threads concurrently with the test-facing mutators.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "tests/sim/common/sim_http.h"
#include "tests/sim/hubspot/hubspot_sim.h"
#include "tests/sim/hubspot/sim_portal.h"

namespace salesaudit::sim {

struct ApiRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // path with query string
  std::string authorization;
  std::string body;
};

// What the server writes back; the server carries out the `delay` and
// `truncate` of injected faults, as it alone can wait without holding the
// portal lock or cut a body short on the wire.
using ApiResponse = SimHttpResponse;

class SimService {
 public:
  SimService(SimOptions options, const Clock& clock);

  ApiResponse Handle(const ApiRequest& request);

  // Runs `f(portal, options)` under the mutex, for HubSpotSim's mutators and
  // snapshot copies.
  template <typename F>
  auto WithPortal(F&& f) {
    std::lock_guard<std::mutex> lock(mu_);
    return f(portal_, static_cast<const SimOptions&>(options_));
  }

  void InjectFault(const Fault& fault);
  void ClearFaults();
  void SetToken(const std::string& token);
  void RevokeAccessTokens();
  void SetOptions(const SimOptions& options);
  SimStats Stats() const;
  void ResetStats();

 private:
  // A request's query parameters, percent-decoded. A repeated name
  // (`properties=a&properties=b`, as generated clients send lists) is one
  // comma-joined value, as HubSpot reads both forms alike.
  struct Query {
    std::map<std::string, std::string> params;
    const std::string* Get(const std::string& key) const {
      auto it = params.find(key);
      return it == params.end() ? nullptr : &it->second;
    }
    // A boolean parameter such as `archived`: set only by "true".
    bool IsTrue(const std::string& key) const {
      const std::string* value = Get(key);
      return value != nullptr && *value == "true";
    }
  };

  // `oauth`: the request carried an issued OAuth access token, which has no
  // daily limit.
  ApiResponse Route(const std::string& method, const std::string& path, const Query& query,
                    const std::string& body, int64_t now_ms, bool oauth);
  // `limit` and `after` of a list request, or the 400 that refuses them.
  std::optional<ApiResponse> ReadPaging(const Query& query, int default_limit, int max_limit,
                                        int* limit, int64_t* start_id);
  ApiResponse ListObjects(ObjectType type, const Query& query);
  // GET /crm/v4/objects/{type}/{id}/associations/{to_type}: one record's
  // associated ids, paged by `after`, where a list's `associations=` leaves
  // off.
  ApiResponse ListRecordAssociations(ObjectType type, const std::string& id,
                                     const std::string& to_type, const Query& query);
  ApiResponse SearchObjects(ObjectType type, const std::string& body, int64_t now_ms);
  // Deal->contact batch read, v3 (`to[].id`, at most one page, no cursor)
  // or v4 (`to[].toObjectId`, per-input `after` paging); 207 with one error
  // per deal that has no associations to return.
  ApiResponse ReadAssociations(const std::string& body, int64_t now_ms, bool v4);
  ApiResponse ListOwners(const Query& query);
  // GET /crm/v3/properties/{type}[/{name}]: `rest` is what follows
  // /crm/v3/properties/.
  ApiResponse Properties(const std::string& rest);
  // GET /email/public/v1/<rest>: campaigns/by-id, campaigns/{id}, events.
  ApiResponse Email(const std::string& rest, const Query& query);
  ApiResponse Pipelines();
  // POST /oauth/v1/token (form-encoded refresh_token grant).
  ApiResponse IssueToken(const std::string& body, SteadyTime now);
  // The 401 to answer for this Authorization header, or nullopt when it
  // carries the static token or an unexpired issued one (then `*oauth` says
  // which).
  std::optional<ApiResponse> CheckAuthorization(const std::string& authorization, SteadyTime now,
                                                bool* oauth);

  // Consumes the first queued fault matching `path`. Returns the response
  // that replaces the real one (429, 5xx), or nullopt after marking `answer`
  // slow or truncated (or when no fault matches).
  std::optional<ApiResponse> ApplyFault(const std::string& path, SteadyTime now,
                                        ApiResponse& answer);
  // Records this request in the ten-secondly window; false when over limit.
  bool AdmitTenSecondly(SteadyTime now);
  bool AdmitSearch(SteadyTime now);
  // Counts this request against the portal day of `now_ms`; false when the
  // day's allowance is spent.
  bool AdmitDaily(int64_t now_ms);
  // The X-HubSpot-RateLimit-* headers; `exhausted` reports none remaining in
  // the ten-secondly window; `daily` adds the two daily ones.
  void AddRateLimitHeaders(ApiResponse& response, SteadyTime now, bool exhausted, bool daily);

  ApiResponse Error(int status, const std::string& category, const std::string& message);
  ApiResponse RateLimited(const std::string& policy, const std::string& message);
  // The 403 MISSING_SCOPES answer naming the scopes `path` needs.
  ApiResponse MissingScopes(const std::string& path);
  std::string CorrelationId();

  const Clock& clock_;
  mutable std::mutex mu_;
  SimOptions options_;
  Portal portal_;
  std::deque<Fault> faults_;
  int server_errors_sent_ = 0;  // alternates the 502 HTML and 503 JSON forms
  std::deque<SteadyTime> ten_secondly_window_;
  std::deque<SteadyTime> search_window_;
  int64_t daily_day_ = -1;  // the portal day (ms since epoch / 86,400,000) counted
  int64_t daily_used_ = 0;
  SimStats stats_;
  std::mt19937_64 ids_{std::random_device{}()};
  std::map<std::string, SteadyTime> access_tokens_;  // issued token -> expiry
};

}  // namespace salesaudit::sim
