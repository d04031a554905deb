// PdService: the Pipedrive API behaviour behind the simulator's sockets.
// Takes one parsed HTTP request through what Pipedrive's front does (injected
// faults, the token check, the token's 2-second request window, the
// company's daily token budget), routes it to the read endpoints of
// pd_lists.h, and puts the rate-limit headers on the answer; counts requests.
// Times come from the clock it is given.
//
// Owned by PipedriveSim. Thread-safe: one mutex guards the company, the
// windows, the budget, faults and stats; Handle runs on the server's threads
// alongside the test-facing mutators (WithCompany).
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "core/clock.h"
#include "tests/sim/common/sim_http.h"
#include "tests/sim/common/sim_text.h"
#include "tests/sim/pipedrive/pd_company.h"
#include "tests/sim/pipedrive/pipedrive_sim.h"

namespace salesaudit::sim {

struct PdRequest {
  std::string method;
  std::string target;     // path with query string
  std::string api_token;  // the x-api-token header
};

// The documented token cost of a route ("GET /api/v2/persons"), or its
// override in `overrides`; 0 for routes that do not exist.
int64_t TokenCost(const std::string& route, const std::map<std::string, int64_t>& overrides);

class PdService {
 public:
  PdService(const PdCompanySpec& spec, PipedriveSimOptions options, const Clock& clock);

  SimHttpResponse Handle(const PdRequest& request);

  // Runs `f(company, now_ms)` under the mutex.
  template <typename F>
  auto WithCompany(F&& f) {
    std::lock_guard<std::mutex> lock(mu_);
    return f(company_, clock_.NowMs());
  }

  const std::string& api_token() const { return options_.api_token; }
  void AddFault(const PdFault& fault);
  void ClearFaults();
  PdSimStats Stats() const;
  void ResetStats();

 private:
  // A token's requests in the rolling window, and the end of its penalty.
  struct Window {
    std::deque<int64_t> requests_ms;
    int64_t blocked_until_ms = 0;
  };

  // The answer of the API proper, once the request is let through.
  SimHttpResponse Route(const std::string& method, const std::string& path,
                        const FormFields& params, int64_t now_ms, std::string& route);
  // An injected answer, or nullopt with `answer` given the fault's delay or
  // truncation; `bare` when the answer must carry no rate-limit headers.
  std::optional<SimHttpResponse> ApplyFault(const std::string& path, SimHttpResponse& answer,
                                            bool& bare);
  // Counts the request in the window; false when the window (or its
  // penalty) refuses it.
  bool Admit(Window& window, int64_t now_ms);
  void AddRateLimitHeaders(SimHttpResponse& r, const Window& window, int64_t now_ms) const;
  void AddBudgetHeaders(SimHttpResponse& r) const;
  // Moves the budget to the clock's UTC day.
  void RollBudgetDay(int64_t now_ms);

  const Clock& clock_;
  mutable std::mutex mu_;
  PipedriveSimOptions options_;
  Company company_;
  Window window_;  // the company token's
  std::deque<PdFault> faults_;
  int64_t budget_day_ = 0;
  int64_t tokens_spent_ = 0;
  PdSimStats stats_;
};

}  // namespace salesaudit::sim
