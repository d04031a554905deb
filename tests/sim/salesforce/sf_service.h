// SfService: the Salesforce API behaviour behind the simulator's sockets.
// Routes one parsed HTTP request: the token endpoint (refresh-token grant,
// rotation), the bearer check against live sessions, the daily allocation and
// its Sforce-Limit-Info header, the versions list, query and queryAll with
// their batches and query locators (bound to the session, idle expiry, the
// per-user cap), injected faults; counts requests. Times come from the clock
// it is given.
//
// Owned by SalesforceSim. Thread-safe: one mutex guards the org, sessions,
// locators, faults and stats; Handle runs on the server's threads alongside
// the test-facing mutators (WithOrg).
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
#include "tests/sim/salesforce/salesforce_sim.h"
#include "tests/sim/salesforce/sf_org.h"

namespace salesaudit::sim {

struct SfRequest {
  std::string method;
  std::string target;  // path with query string
  std::string authorization;
  std::string query_options;  // the Sforce-Query-Options header
  std::string body;
};

using SfResponse = SimHttpResponse;

// The most records one query batch carries, and the least a batchSize may
// ask for (docs/vendors/salesforce.md "Query").
inline constexpr int kMaxBatchSize = 2000;
inline constexpr int kMinBatchSize = 200;

class SfService {
 public:
  SfService(const OrgSpec& spec, SalesforceSimOptions options, const Clock& clock);

  // `base_url` is the simulator's own, for instance_url and the identity URL.
  SfResponse Handle(const SfRequest& request, const std::string& base_url);

  // Runs `f(org, now_ms, commit_lag_ms)` under the mutex.
  template <typename F>
  auto WithOrg(F&& f) {
    std::lock_guard<std::mutex> lock(mu_);
    return f(org_, clock_.NowMs(), options_.commit_lag_ms);
  }

  void ExpireSessions();
  void AddFault(const SfFault& fault);
  void ClearFaults();
  SfSimStats Stats() const;
  void ResetStats();
  int64_t api_usage() const;

 private:
  struct Session {
    std::string refresh_token;  // the one that opened it
    int64_t expires_at_ms = 0;
  };
  struct Locator {
    std::string access_token;  // the session that opened it
    std::string api_version;
    std::vector<std::string> rows;  // rendered records, in result order
    int batch_size = kMaxBatchSize;
    int64_t last_used_ms = 0;
    uint64_t opened = 0;  // open order, for the per-user cap
  };

  SfResponse Route(const SfRequest& request, const std::string& path,
                   const std::map<std::string, std::string>& params, const std::string& base_url,
                   int64_t now_ms);
  SfResponse IssueToken(const std::string& body, const std::string& base_url, int64_t now_ms);
  // GET .../query or .../queryAll with `q`.
  SfResponse OpenQuery(const std::string& version, bool all, const std::string* soql,
                       const std::string& access_token, const std::string& query_options,
                       int64_t now_ms);
  // GET .../query/<locator>-<offset> (or queryAll/...).
  SfResponse NextBatch(const std::string& locator_and_offset, const std::string& access_token,
                       int64_t now_ms);
  // A batch of `locator` from `offset`; drops the locator after its last.
  SfResponse Batch(const std::string& id, Locator& locator, size_t offset, int64_t now_ms);
  std::string RenderRecord(const SfRecord& record, const std::vector<const FieldDef*>& fields,
                           const std::string& object, const std::string& version) const;
  // Drops locators idle too long or of dead sessions.
  void ExpireLocators(int64_t now_ms);
  void EndSession(const std::string& access_token);
  std::optional<SfResponse> ApplyFault(const std::string& path, SfResponse& answer);
  std::string RandomToken(size_t n);

  const Clock& clock_;
  mutable std::mutex mu_;
  SalesforceSimOptions options_;
  Org org_;
  std::string refresh_token_;                // the one currently valid
  std::map<std::string, Session> sessions_;  // access token -> session
  std::map<std::string, Locator> locators_;  // locator id -> cursor
  uint64_t locators_opened_ = 0;
  std::deque<SfFault> faults_;
  int server_errors_sent_ = 0;  // alternates the JSON 500 and HTML 503 forms
  int64_t api_usage_ = 0;
  SfSimStats stats_;
  std::mt19937_64 rng_;
};

}  // namespace salesaudit::sim
