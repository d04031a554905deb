// Status and Result<T>: expected failures as values (docs/architecture.md "Errors are values").
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace salesaudit {

enum class StatusCode {
  kOk,
  kInvalidArgument,  // bad input from the user (config, CLI)
  kNotFound,
  kUnauthenticated,   // 401: wrong or expired credentials; permanent for this run
  kPermissionDenied,  // 403 that is not throttling: missing scopes; permanent
  kRateLimited,       // 429 or vendor throttling; retryable, maybe with retry_after
  kQuotaExhausted,    // a daily (or longer) quota is used up: stop until it resets
  kUnavailable,       // 5xx, timeout, connection or truncated body; retryable
  kDataLoss,          // a response we cannot parse or map; permanent
  kPermanent,         // other 4xx the vendor will answer the same way again
  kCancelled,         // shutdown requested
  kInternal,
};

const char* StatusCodeName(StatusCode code);

// Outcome of an operation: ok, or a code with a message that names where it
// happened ("hubspot[crm]: contacts: GET /crm/v3/objects/contacts: HTTP 503").
// Cheap to copy; no threading concerns.
class [[nodiscard]] Status {
 public:
  Status() = default;
  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string m) {
    return {StatusCode::kInvalidArgument, std::move(m)};
  }
  static Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
  static Status Unauthenticated(std::string m) {
    return {StatusCode::kUnauthenticated, std::move(m)};
  }
  static Status PermissionDenied(std::string m) {
    return {StatusCode::kPermissionDenied, std::move(m)};
  }
  static Status RateLimited(std::string m, std::optional<std::chrono::milliseconds> retry_after) {
    Status s{StatusCode::kRateLimited, std::move(m)};
    s.retry_after_ = retry_after;
    return s;
  }
  static Status QuotaExhausted(std::string m) {
    return {StatusCode::kQuotaExhausted, std::move(m)};
  }
  static Status Unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
  static Status DataLoss(std::string m) { return {StatusCode::kDataLoss, std::move(m)}; }
  static Status Permanent(std::string m) { return {StatusCode::kPermanent, std::move(m)}; }
  static Status Cancelled(std::string m) { return {StatusCode::kCancelled, std::move(m)}; }
  static Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // Server-provided wait before retrying (Retry-After or rate-limit headers).
  std::optional<std::chrono::milliseconds> retry_after() const { return retry_after_; }
  // True for failures that may succeed when the same request is sent again.
  bool retryable() const {
    return code_ == StatusCode::kRateLimited || code_ == StatusCode::kUnavailable;
  }
  // Returns this status with "context: " prepended to the message.
  Status WithContext(const std::string& context) const {
    Status s = *this;
    s.message_ = context + ": " + message_;
    return s;
  }
  // "unavailable: <message>", or "ok".
  std::string ToString() const;

 private:
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
  std::optional<std::chrono::milliseconds> retry_after_;
};

// A value or the Status explaining why there is none.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}         // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {}  // REQUIRES: !status.ok()
  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOkStatus;
    return ok() ? kOkStatus : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace salesaudit
