// HttpClient: one libcurl easy handle (keep-alive, gzip, timeouts, TLS
// verification always on) that sends one request at a time. It does not retry
// or sleep except to wait for the connector's RequestBudget: retry policy is
// the sync engine's. libcurl stays inside http_client.cc.
//
// Ownership: the sync engine creates one per connector run.
// Threading: one thread at a time per instance; distinct instances are
// independent. The cancel flag may be set from any thread; a running transfer
// notices within 50 ms. The transfer's own timeouts are libcurl's, in real
// time; the clock stamps answers (HttpResponse::received_at) and times the
// budget waits.
//
//   HttpClient http(HttpClient::Options{.timeout = 30s}, &budget, &cancel_flag, clock);
//   Result<HttpResponse> r = http.Send({.method = "GET", .url = base + "/crm/v3/owners"});
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/status.h"
#include "core/text_util.h"  // UrlEncode, for the callers that build queries

namespace salesaudit {

struct HttpRequest {
  std::string method = "GET";
  std::string url;  // absolute
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // Which budget bucket the request draws from besides the default one
  // ("" = default only), e.g. "search" for HubSpot's per-second search limit.
  std::string budget_bucket;
};

struct HttpResponse {
  long status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased; last value wins
  std::string body;
  // When the answer arrived, by the client's clock: a Retry-After date is
  // read against it.
  std::chrono::system_clock::time_point received_at;
  // Header value or "" when absent; `name` lower case.
  const std::string& Header(const std::string& name) const;
  // A header that holds a whole number of at most `max_digits` digits (spaces
  // around it allowed), as vendors state limits; nullopt when absent or not
  // that.
  std::optional<int64_t> HeaderDigits(const std::string& name, size_t max_digits = 9) const;
};

// What a vendor's answer says of its request limit (Pipedrive's
// x-ratelimit-* headers): at most `limit` requests per `per` for this
// caller, `remaining` of them left in the window that ends `reset` from now.
// Requests of other apps of the same account count too, so only the vendor
// knows `remaining`.
struct VendorRateLimit {
  int limit = 0;  // 0: not said
  std::chrono::milliseconds per{0};
  std::optional<int> remaining;
  std::chrono::milliseconds reset{0};
};

// Rolling-window request limits that keep a connector under its vendor's limits so that it
// does not hit 429 in the first place. Shared by all runs of one connector; its windows are
// counted on `clock`, which must outlive it. Where the vendor states its limit in its
// answers, the default bucket follows it, less a reserve left to the account's other
// apps: the configured limit stays the ceiling, and a window the vendor says is used up
// holds every request until it resets.
// Threading: safe to use from any thread.
class RequestBudget {
 public:
  struct Bucket {
    int requests = 0;  // 0: unlimited
    std::chrono::milliseconds per{0};
  };
  explicit RequestBudget(const Clock& clock = Clock::Default());
  // Where a vendor states its limit, the default bucket follows it (less the
  // reserve) under a `kCeiling` bucket, which the operator configured, and
  // up or down from a `kStartingPoint`, the connector type's default, which
  // only holds until the first answer says better.
  enum class VendorLimits { kCeiling, kStartingPoint };
  // "" is the default bucket.
  void SetBucket(const std::string& name, Bucket bucket,
                 VendorLimits vendor = VendorLimits::kCeiling);
  // The share of a vendor's stated limit left unused, for other apps of the
  // same account (0 until set): at least one request of the window when above
  // 0. A window kept from running out also spares the wait for a reset the
  // vendor states in whole seconds.
  void SetVendorReserve(double share);

  // Takes one token from the default bucket and, if `bucket` is non-empty and
  // configured, one from it; waits while either is empty. Returns false if
  // `cancel` became true while waiting.
  bool Acquire(const std::string& bucket, const std::atomic<bool>* cancel);

  // The request that last acquired from `bucket` has its answer: it counts
  // from now on. The vendor counts a request when it arrives, which network
  // delay can put later than the send; counting from the answer keeps a
  // rolling window within the limit however the delays vary. `said`, when
  // the answer stated the vendor's limit, fits the default bucket to it.
  void Release(const std::string& bucket, const VendorRateLimit* said = nullptr);

  // The default bucket's limit now: the configured one, or the vendor's
  // where that is lower (for tests and the metrics).
  Bucket DefaultLimit();

 private:
  struct State {
    Bucket configured;            // as SetBucket set it
    VendorLimits vendor = VendorLimits::kCeiling;  // what `configured` is to a stated limit
    Bucket limit;                 // in force: `configured`, or as the vendor said
    std::deque<SteadyTime> sent;  // within the last `per`
    SteadyTime held_until{};      // the vendor said its window is used up until then
  };
  // Fits `state` to what the vendor said, at `now`.
  void Fit(State& state, const VendorRateLimit& said, SteadyTime now) const;
  const Clock& clock_;
  std::mutex mu_;  // guards buckets_ and vendor_reserve_
  std::map<std::string, State> buckets_;
  double vendor_reserve_ = 0;
  ClockWaiter waiter_;  // notified when limits change or a request counts from later
};

class HttpClient {
 public:
  struct Options {
    // Bounds the whole transfer, connection to last body byte.
    std::chrono::milliseconds timeout = std::chrono::seconds(60);
    std::chrono::milliseconds connect_timeout = std::chrono::seconds(10);
    std::string user_agent = "salesaudit/0.1";
    // The largest body accepted, counted after gzip/deflate decoding; a
    // larger one aborts the transfer (kPermanent).
    size_t max_response_bytes = 16 * 1024 * 1024;
    // The connector whose API this client calls: requests are counted in
    // salesaudit_api_requests_total{connector,code} (code "error" for no
    // response), 429s in salesaudit_api_throttled_total and waits for the
    // request budget in salesaudit_rate_limit_wait_seconds_total. Empty: not
    // counted (alert delivery).
    std::string connector;
    // Reads the vendor's statement of its request limit from an answer, for
    // the budget (ConnectorDescriptor::read_rate_limit); unset: not read.
    std::function<std::optional<VendorRateLimit>(const HttpResponse&)> read_rate_limit;
  };

  // `budget` and `cancel` may be null; they and `clock` must outlive the client.
  HttpClient(Options options, RequestBudget* budget, const std::atomic<bool>* cancel,
             const Clock& clock = Clock::Default());
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends the request and returns the response whatever its HTTP status.
  // Transport failures are values: kUnavailable for connect errors, timeouts
  // and truncated bodies, kCancelled when `cancel` turned true, kPermanent
  // for a body over max_response_bytes or a URL over 64 KiB (never sent),
  // kInternal for misuse. Messages name the method and URL path (never the query string's
  // secrets or any header value).
  Result<HttpResponse> Send(const HttpRequest& request);

  // Opens a connection to `url`'s server as Send would (resolving the host,
  // connecting and, for https, the TLS handshake with the certificate
  // verified), then closes it without sending a request. kUnavailable when
  // any step fails, naming it (never the URL's path or query), kCancelled
  // when `cancel` turned true. Not counted in requests_sent().
  Status Connect(const std::string& url);

  // Requests sent by this client (for metrics and tests).
  int64_t requests_sent() const { return requests_sent_; }
  // Requests the server answered with a status line, whatever followed: none
  // of many sent tells an unreachable host from a failing one.
  int64_t answers_received() const { return answers_received_; }
  // The clock the client reads: connectors take the time from it too.
  const Clock& clock() const;

 private:
  Result<HttpResponse> Transfer(const HttpRequest& request);  // Send, before the metrics

  struct Impl;
  std::unique_ptr<Impl> impl_;
  int64_t requests_sent_ = 0;
  int64_t answers_received_ = 0;
};

// Exports the connector's request counters that have no status code
// (salesaudit_api_throttled_total, salesaudit_rate_limit_wait_seconds_total)
// at 0, so that a rate over them exists before the first 429 or wait.
void ExportApiSeries(const std::string& connector);

// The path part of an absolute URL, without query string: for error messages.
std::string UrlPath(const std::string& url);

}  // namespace salesaudit
