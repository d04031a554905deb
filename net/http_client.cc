#include "net/http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <mutex>
#include <string_view>

#include "core/metrics.h"
#include "core/text_util.h"

namespace salesaudit {
namespace {

// How often a running transfer checks the cancel flag. libcurl's own progress
// callback can go a whole second between calls on an idle connection, so the
// transfer is driven through a multi handle polled in short slices instead.
constexpr std::chrono::milliseconds kCancelPollSlice(50);
const std::string kDefaultBucket;  // "" names the default bucket
// Real API URLs are under 4 KiB; servers commonly refuse past 8-16 KiB and
// curl past 8 MB. Anything longer carries a runaway paging token.
constexpr size_t kMaxUrlBytes = 64 * 1024;

void InitCurlOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// A method is an HTTP token; anything else would let a caller smuggle bytes
// into the request line.
bool IsHttpToken(const std::string& s) {
  if (s.empty()) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
  });
}

// Where a transfer's decoded body goes. A compressed body can decode to a
// thousand times its size, so the limit applies after decoding.
struct BodySink {
  HttpResponse* response;
  size_t limit;
  bool too_large = false;
};

size_t OnBody(char* data, size_t size, size_t count, void* user) {
  auto* sink = static_cast<BodySink*>(user);
  const size_t n = size * count;
  std::string& body = sink->response->body;
  if (body.empty()) {
    // One allocation for the length the headers state (up to the limit):
    // growing by doubling copies a 300 KB page five times, in fresh pages.
    const std::string& length = sink->response->Header("content-length");
    size_t stated = 0;
    auto [end, ec] = std::from_chars(length.data(), length.data() + length.size(), stated);
    if (ec == std::errc() && end == length.data() + length.size()) {
      body.reserve(std::min(stated, sink->limit));
    }
  }
  if (n > sink->limit - body.size()) {
    sink->too_large = true;
    return 0;  // any other count aborts the transfer with CURLE_WRITE_ERROR
  }
  body.append(data, n);
  return n;
}

size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  auto* response = static_cast<HttpResponse*>(user);
  std::string_view line(data, size * count);
  // A new status line starts a new header block: interim 1xx responses
  // (100 Continue) must not leak their headers into the final response.
  if (line.substr(0, 5) == "HTTP/") {
    response->headers.clear();
    return line.size();
  }
  size_t colon = line.find(':');
  if (colon != std::string_view::npos) {
    response->headers[Lower(TrimSpace(line.substr(0, colon)))] =
        std::string(TrimSpace(line.substr(colon + 1)));
  }
  return line.size();
}

struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using HeaderList = std::unique_ptr<curl_slist, SlistDeleter>;

// curl's messages name hosts and ports, not queries, but a query carrying an
// API key must never reach a log even if some error text quotes the URL.
std::string RedactQuery(std::string message, const std::string& url) {
  size_t q = url.find('?');
  if (q == std::string::npos || q + 1 >= url.size()) return message;
  const std::string query = url.substr(q + 1);
  for (size_t at = message.find(query); at != std::string::npos; at = message.find(query, at)) {
    message.replace(at, query.size(), "<query>");
  }
  return message;
}

}  // namespace

const std::string& HttpResponse::Header(const std::string& name) const {
  static const std::string kEmpty;
  auto it = headers.find(name);
  return it == headers.end() ? kEmpty : it->second;
}

std::optional<int64_t> HttpResponse::HeaderDigits(const std::string& name,
                                                  size_t max_digits) const {
  return ParseDigits(TrimSpace(Header(name)), max_digits);
}

RequestBudget::RequestBudget(const Clock& clock) : clock_(clock), waiter_(clock) {}

void RequestBudget::SetBucket(const std::string& name, Bucket bucket, VendorLimits vendor) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    State& state = buckets_[name];
    state.configured = state.limit = bucket;
    state.vendor = vendor;
    state.sent.clear();
    state.held_until = SteadyTime{};
  }
  waiter_.Notify();
}

void RequestBudget::SetVendorReserve(double share) {
  std::lock_guard<std::mutex> lock(mu_);
  vendor_reserve_ = std::clamp(share, 0.0, 1.0);
}

bool RequestBudget::Acquire(const std::string& bucket, const std::atomic<bool>* cancel) {
  while (true) {
    uint64_t ticket = 0;
    SteadyTime until;
    {
      std::lock_guard<std::mutex> lock(mu_);
      const SteadyTime now = clock_.SteadyNow();
      std::vector<State*> limited;
      auto wait = SteadyTime::duration::zero();
      for (const std::string* name : {&kDefaultBucket, &bucket}) {
        if (name == &bucket && bucket.empty()) continue;
        auto it = buckets_.find(*name);
        if (it == buckets_.end()) continue;
        State& s = it->second;
        if (now < s.held_until) wait = std::max(wait, s.held_until - now);
        if (s.limit.requests <= 0 || s.limit.per.count() <= 0) continue;  // unlimited
        // A log of the sends within the last `per`: vendors count over a
        // rolling window, where a token bucket would allow twice the limit.
        while (!s.sent.empty() && now - s.sent.front() >= s.limit.per) s.sent.pop_front();
        if (static_cast<int>(s.sent.size()) >= s.limit.requests) {
          wait = std::max(wait, s.sent.front() + s.limit.per - now);
        }
        limited.push_back(&s);
      }
      if (wait <= SteadyTime::duration::zero()) {
        for (State* s : limited) s->sent.push_back(now);
        return true;
      }
      if (cancel != nullptr && cancel->load()) return false;
      // Taken under mu_: a Release or SetBucket from now on ends the wait.
      ticket = waiter_.Ticket();
      until = now + wait;
    }
    if (waiter_.WaitUntil(ticket, until, cancel) == ClockWaiter::Woken::kCancelled) return false;
  }
}

void RequestBudget::Release(const std::string& bucket, const VendorRateLimit* said) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    const SteadyTime now = clock_.SteadyNow();
    for (const std::string* name : {&kDefaultBucket, &bucket}) {
      if (name == &bucket && bucket.empty()) continue;
      auto it = buckets_.find(*name);
      if (it == buckets_.end()) continue;
      // `now` is later than every entry, so the log stays in order.
      if (!it->second.sent.empty()) it->second.sent.back() = now;
      if (said != nullptr && name == &kDefaultBucket) Fit(it->second, *said, now);
    }
  }
  waiter_.Notify();
}

void RequestBudget::Fit(State& state, const VendorRateLimit& said, SteadyTime now) const {
  if (said.remaining && *said.remaining <= 0 && said.reset.count() > 0) {
    state.held_until = std::max(state.held_until, now + said.reset);
  }
  if (said.limit <= 0 || said.per.count() <= 0) return;
  const Bucket& ceiling = state.configured;
  if (ceiling.requests <= 0 || ceiling.per.count() <= 0) return;  // ours is off
  // Less a hair: a product that rounds to just above a whole number is it.
  const auto reserved = static_cast<int>(std::ceil(said.limit * vendor_reserve_ - 1e-9));
  const int usable = std::max(1, said.limit - reserved);
  if (state.vendor == VendorLimits::kStartingPoint) {
    state.limit = Bucket{usable, said.per};
    return;
  }
  // The configured limit over the vendor's window, rounded down.
  const int64_t ours = std::max<int64_t>(
      1, static_cast<int64_t>(ceiling.requests) * said.per.count() / ceiling.per.count());
  state.limit = ours <= usable ? ceiling : Bucket{usable, said.per};
}

RequestBudget::Bucket RequestBudget::DefaultLimit() {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = buckets_.find(kDefaultBucket);
  return it == buckets_.end() ? Bucket{} : it->second.limit;
}

struct HttpClient::Impl {
  explicit Impl(const Clock& c) : clock(c) {}

  const Clock& clock;
  Options options;
  RequestBudget* budget = nullptr;
  const std::atomic<bool>* cancel = nullptr;
  // The multi handle owns the connection cache, so connections stay open
  // between requests of this client (keep-alive).
  CURLM* multi = nullptr;
  CURL* easy = nullptr;
  char error[CURL_ERROR_SIZE] = {};

  bool Cancelled() const { return cancel != nullptr && cancel->load(); }

  // Resets the handle and sets what every use of it sets: the URL, the
  // protocols, the timeouts. Reset clears the previous request's options but
  // keeps the connection cache, DNS cache and TLS sessions.
  Status Prepare(const std::string& url, const std::string& where) {
    curl_easy_reset(easy);
    error[0] = '\0';
    curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, error);
    // A URL curl refuses would otherwise leave the previous one unset and
    // fail later as "No URL set", hiding why.
    if (CURLcode rc = curl_easy_setopt(easy, CURLOPT_URL, url.c_str()); rc != CURLE_OK) {
      return Status::Permanent(where + ": unusable URL (" + curl_easy_strerror(rc) + ")");
    }
    curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    // The whole transfer, connect to last byte: a body dripped slowly is cut too.
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(options.timeout.count()));
    curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(options.connect_timeout.count()));
    return Status::Ok();
  }

  struct Performed {
    CURLcode result = CURLE_OK;
    CURLMcode multi_error = CURLM_OK;
    bool cancelled = false;
  };

  // Runs what Prepare and the caller set up through the multi handle,
  // looking at the cancel flag every kCancelPollSlice, then removes the
  // handle: that aborts a transfer still running and closes its connection.
  Performed Perform() {
    Performed performed;
    performed.multi_error = curl_multi_add_handle(multi, easy);
    if (performed.multi_error != CURLM_OK) return performed;
    bool done = false;
    while (true) {
      int running = 0;
      performed.multi_error = curl_multi_perform(multi, &running);
      if (performed.multi_error != CURLM_OK) break;
      int left = 0;
      while (CURLMsg* msg = curl_multi_info_read(multi, &left)) {
        if (msg->msg == CURLMSG_DONE && msg->easy_handle == easy) {
          performed.result = msg->data.result;
          done = true;
        }
      }
      if (done) break;
      if (Cancelled()) {
        performed.cancelled = true;
        break;
      }
      performed.multi_error =
          curl_multi_poll(multi, nullptr, 0, static_cast<int>(kCancelPollSlice.count()), nullptr);
      if (performed.multi_error != CURLM_OK) break;
    }
    curl_multi_remove_handle(multi, easy);
    return performed;
  }
};

namespace {

struct ApiMetrics {
  CounterFamily& requests = GlobalMetrics().Counter(
      "salesaudit_api_requests_total",
      "Requests to vendor APIs by HTTP status code (\"error\": no response).",
      {"connector", "code"});
  CounterFamily& throttled = GlobalMetrics().Counter(
      "salesaudit_api_throttled_total", "Vendor API answers 429 Too Many Requests.", {"connector"});
  CounterFamily& budget_wait = GlobalMetrics().Counter(
      "salesaudit_rate_limit_wait_seconds_total",
      "Time requests waited for the connector's own request budget.", {"connector"});
};

ApiMetrics& Metrics() { return MetricFamilies<ApiMetrics>(); }

}  // namespace

void ExportApiSeries(const std::string& connector) {
  Metrics().throttled.WithLabels({connector});
  Metrics().budget_wait.WithLabels({connector});
}

HttpClient::HttpClient(Options options, RequestBudget* budget, const std::atomic<bool>* cancel,
                       const Clock& clock)
    : impl_(std::make_unique<Impl>(clock)) {
  InitCurlOnce();
  impl_->options = std::move(options);
  impl_->budget = budget;
  impl_->cancel = cancel;
  impl_->multi = curl_multi_init();
  impl_->easy = curl_easy_init();
  // The connector's series exist from its first client on, at 0: a rate()
  // over them needs no first event.
  if (!impl_->options.connector.empty()) {
    Metrics().throttled.WithLabels({impl_->options.connector});
    Metrics().budget_wait.WithLabels({impl_->options.connector});
  }
}

HttpClient::~HttpClient() {
  if (impl_->easy != nullptr) curl_easy_cleanup(impl_->easy);
  if (impl_->multi != nullptr) curl_multi_cleanup(impl_->multi);
}

const Clock& HttpClient::clock() const { return impl_->clock; }

Result<HttpResponse> HttpClient::Send(const HttpRequest& request) {
  Result<HttpResponse> response = Transfer(request);
  const std::string& connector = impl_->options.connector;
  if (connector.empty()) return response;
  if (response.ok()) {
    Metrics().requests.WithLabels({connector, std::to_string(response->status)}).Increment();
    if (response->status == 429) Metrics().throttled.WithLabels({connector}).Increment();
  } else if (response.status().code() == StatusCode::kUnavailable) {
    Metrics().requests.WithLabels({connector, "error"}).Increment();
  }
  return response;
}

Result<HttpResponse> HttpClient::Transfer(const HttpRequest& request) {
  const std::string where = request.method + " " + UrlPath(request.url);
  if (impl_->easy == nullptr || impl_->multi == nullptr) {
    return Status::Internal(where + ": libcurl could not be initialised");
  }
  if (!IsHttpToken(request.method)) return Status::Internal(where + ": invalid HTTP method");
  if (request.url.empty()) return Status::Internal(where + ": empty URL");
  if (request.url.size() > kMaxUrlBytes) {
    return Status::Permanent(where + ": URL of " + std::to_string(request.url.size()) +
                             " bytes is over the " + std::to_string(kMaxUrlBytes) +
                             "-byte limit; not sent");
  }
  if (impl_->Cancelled()) return Status::Cancelled(where + ": cancelled");
  if (impl_->budget != nullptr) {
    const SteadyTime waiting_since = impl_->clock.SteadyNow();
    if (!impl_->budget->Acquire(request.budget_bucket, impl_->cancel)) {
      return Status::Cancelled(where + ": cancelled while waiting for the request budget");
    }
    // Below a millisecond it only took the budget, it did not wait for it.
    const std::chrono::duration<double> waited = impl_->clock.SteadyNow() - waiting_since;
    if (!impl_->options.connector.empty() && waited >= std::chrono::milliseconds(1)) {
      Metrics().budget_wait.WithLabels({impl_->options.connector}).Increment(waited.count());
    }
  }

  CURL* easy = impl_->easy;
  if (Status s = impl_->Prepare(request.url, where); !s.ok()) return s;
  HttpResponse response;
  HeaderList headers;
  auto add_header = [&headers](const std::string& line) {
    curl_slist* head = curl_slist_append(headers.get(), line.c_str());
    if (head != nullptr && headers == nullptr) headers.reset(head);
    return head != nullptr;
  };
  bool headers_ok = true;
  for (const auto& [name, value] : request.headers) headers_ok &= add_header(name + ": " + value);
  // Without this, curl waits up to a second for "100 Continue" before sending
  // larger POST bodies, which most APIs never send.
  headers_ok &= add_header("Expect:");
  if (!headers_ok) return Status::Internal(where + ": out of memory building headers");

  curl_easy_setopt(easy, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1));
  curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
  // gzip and deflate decode in zlib's fixed 32 KiB window; zstd and brotli
  // may ask for windows of 100+ MiB before the body limit can act.
  curl_easy_setopt(easy, CURLOPT_ACCEPT_ENCODING, "gzip, deflate");
  curl_easy_setopt(easy, CURLOPT_USERAGENT, impl_->options.user_agent.c_str());
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, &OnHeader);
  curl_easy_setopt(easy, CURLOPT_HEADERDATA, &response);
  BodySink body{.response = &response, .limit = impl_->options.max_response_bytes};
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &OnBody);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, &body);
  const bool head = request.method == "HEAD";
  if (request.method == "GET") {
    curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L);
  } else if (head) {
    curl_easy_setopt(easy, CURLOPT_NOBODY, 1L);
  } else {
    if (request.method != "POST") {
      curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    }
    if (!request.body.empty() || request.method == "POST" || request.method == "PUT" ||
        request.method == "PATCH") {
      curl_easy_setopt(easy, CURLOPT_POSTFIELDS, request.body.data());
      curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(request.body.size()));
    }
  }

  ++requests_sent_;
  const Impl::Performed performed = impl_->Perform();
  const CURLcode result = performed.result;
  long answered = 0;
  curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &answered);
  if (answered > 0) ++answers_received_;
  if (impl_->budget != nullptr) {
    std::optional<VendorRateLimit> said;
    if (result == CURLE_OK && impl_->options.read_rate_limit) {
      said = impl_->options.read_rate_limit(response);
    }
    impl_->budget->Release(request.budget_bucket, said ? &*said : nullptr);
  }

  if (performed.cancelled) return Status::Cancelled(where + ": cancelled");
  if (performed.multi_error != CURLM_OK) {
    return Status::Internal(where + ": " + curl_multi_strerror(performed.multi_error));
  }
  if (body.too_large) {
    return Status::Permanent(where + ": response body over the " +
                             std::to_string(impl_->options.max_response_bytes) +
                             "-byte limit (max_response_size); not read");
  }
  if (result != CURLE_OK) {
    std::string detail = impl_->error[0] != '\0' ? impl_->error : curl_easy_strerror(result);
    detail = RedactQuery(std::move(detail), request.url);
    switch (result) {
      case CURLE_OPERATION_TIMEDOUT:
        return Status::Unavailable(where + ": timed out (" + detail + ")");
      case CURLE_PARTIAL_FILE:
        return Status::Unavailable(where + ": truncated body (" + detail + ")");
      case CURLE_URL_MALFORMAT:
      case CURLE_UNSUPPORTED_PROTOCOL:
      case CURLE_BAD_FUNCTION_ARGUMENT:
        return Status::Internal(where + ": " + detail);
      default:
        // Connect, send and receive failures, empty replies, bad encodings and
        // TLS handshake failures may all clear up on the next attempt.
        return Status::Unavailable(where + ": " + detail);
    }
  }

  long status = 0;
  curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
  response.status = status;
  response.received_at =
      std::chrono::system_clock::time_point(std::chrono::milliseconds(impl_->clock.NowMs()));
  // curl already fails a short body with CURLE_PARTIAL_FILE; this guards the
  // contract itself for identity-encoded bodies whatever curl decides.
  const std::string& length = response.Header("content-length");
  const std::string& encoding = response.Header("content-encoding");
  if (!head && status != 204 && status != 304 && !length.empty() &&
      (encoding.empty() || encoding == "identity")) {
    size_t expected = 0;
    auto [end, ec] = std::from_chars(length.data(), length.data() + length.size(), expected);
    if (ec == std::errc() && end == length.data() + length.size() &&
        expected != response.body.size()) {
      return Status::Unavailable(where + ": truncated body (got " +
                                 std::to_string(response.body.size()) + " of " + length +
                                 " bytes)");
    }
  }
  return response;
}

Status HttpClient::Connect(const std::string& url) {
  const std::string where = "connect";
  if (impl_->easy == nullptr || impl_->multi == nullptr) {
    return Status::Internal(where + ": libcurl could not be initialised");
  }
  if (Status s = impl_->Prepare(url, where); !s.ok()) return s;
  // Resolves, connects and, for https, completes the TLS handshake with the
  // certificate verified; then stops before the request.
  curl_easy_setopt(impl_->easy, CURLOPT_CONNECT_ONLY, 1L);
  const Impl::Performed performed = impl_->Perform();
  if (performed.cancelled) return Status::Cancelled(where + ": cancelled");
  if (performed.multi_error != CURLM_OK) {
    return Status::Internal(where + ": " + curl_multi_strerror(performed.multi_error));
  }
  if (performed.result == CURLE_OK) return Status::Ok();
  const std::string detail =
      impl_->error[0] != '\0' ? impl_->error : curl_easy_strerror(performed.result);
  return Status::Unavailable(where + ": " + RedactQuery(detail, url));
}

std::string UrlPath(const std::string& url) {
  size_t start = 0;
  size_t scheme = url.find("://");
  if (scheme != std::string::npos) {
    start = url.find_first_of("/?#", scheme + 3);
    if (start == std::string::npos) return "/";
  }
  size_t end = url.find_first_of("?#", start);
  std::string path = url.substr(start, end == std::string::npos ? std::string::npos : end - start);
  return path.empty() ? "/" : path;
}

}  // namespace salesaudit
