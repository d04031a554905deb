#include "connectors/classify.h"

#include <rapidjson/document.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <vector>

#include "core/json_reader.h"
#include "core/secret_registry.h"
#include "core/text_util.h"

namespace salesaudit {
namespace {

constexpr size_t kMaxVendorText = 200;
// Error documents are a few hundred bytes; a larger body is not read for
// its message at all.
constexpr size_t kMaxErrorDocument = 64 * 1024;

// RFC 9111 1.2.2: a delta-seconds too large to represent counts as 2^31.
constexpr int64_t kMaxDeltaSeconds = int64_t{1} << 31;

// Digits only, any number of them, saturating at kMaxDeltaSeconds.
std::optional<int64_t> ParseDeltaSeconds(std::string_view s) {
  if (s.empty()) return std::nullopt;
  int64_t value = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    value = std::min(kMaxDeltaSeconds, value * 10 + (c - '0'));
  }
  return value;
}

// "Sun, 06 Nov 1994 08:49:37 GMT" (RFC 9110 IMF-fixdate, the only form
// senders may generate). In seconds: the system clock's nanoseconds end in
// 2262, and a server may name any year up to 9999.
std::optional<std::chrono::sys_seconds> ParseImfFixdate(std::string_view s) {
  static constexpr std::array<std::string_view, 12> kMonths = {
      "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  if (s.size() != 29 || s.substr(3, 2) != ", " || s.substr(25) != " GMT") return std::nullopt;
  if (s[7] != ' ' || s[11] != ' ' || s[16] != ' ' || s[19] != ':' || s[22] != ':') {
    return std::nullopt;
  }
  auto month_it = std::find(kMonths.begin(), kMonths.end(), s.substr(8, 3));
  auto day = ParseDigits(s.substr(5, 2), 2);
  auto year = ParseDigits(s.substr(12, 4), 4);
  auto hour = ParseDigits(s.substr(17, 2), 2);
  auto minute = ParseDigits(s.substr(20, 2), 2);
  auto second = ParseDigits(s.substr(23, 2), 2);
  if (month_it == kMonths.end() || !day || !year || !hour || !minute || !second) {
    return std::nullopt;
  }
  const std::chrono::year_month_day date{
      std::chrono::year(static_cast<int>(*year)),
      std::chrono::month(static_cast<unsigned>(month_it - kMonths.begin() + 1)),
      std::chrono::day(static_cast<unsigned>(*day))};
  if (!date.ok() || *hour > 23 || *minute > 59 || *second > 60) return std::nullopt;
  return std::chrono::sys_days(date) + std::chrono::hours(*hour) + std::chrono::minutes(*minute) +
         std::chrono::seconds(*second);
}

// Values of this request that could come back in an error body besides the
// process's secrets: header values (the Authorization token, with and
// without its scheme word) and the query.
void AddRequestSecrets(const HttpRequest& request, SecretRegistry* secrets) {
  auto add = [secrets](std::string_view value) {
    // Very short values ("1", "json") are not secrets and would shred the text.
    if (value.size() >= 6) secrets->Add(value);
  };
  for (const auto& header : request.headers) {
    const std::string_view value = TrimSpace(header.second);
    add(value);
    size_t space = value.rfind(' ');
    if (space != std::string_view::npos) add(value.substr(space + 1));
  }
  size_t q = request.url.find('?');
  if (q != std::string::npos) {
    std::string_view query = std::string_view(request.url).substr(q + 1);
    add(query);
    while (!query.empty()) {
      size_t amp = query.find('&');
      std::string_view param = query.substr(0, amp);
      size_t eq = param.find('=');
      if (eq != std::string_view::npos) add(param.substr(eq + 1));
      query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    }
  }
}

// One line of at most kMaxVendorText bytes, cut on a UTF-8 boundary, with
// every secret redacted before the cut can leave part of one.
std::string CleanVendorText(std::string text, const HttpRequest& request) {
  SecretRegistry request_secrets;
  AddRequestSecrets(request, &request_secrets);
  text = ProcessSecrets().Redact(request_secrets.Redact(text));
  for (char& c : text) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  }
  if (text.size() > kMaxVendorText) {
    size_t cut = kMaxVendorText;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
    text.resize(cut);
    text += "...";
  }
  return text;
}

// The error document of a response, when it is JSON of a known error shape
// and small enough to read; false otherwise.
bool ReadErrorDocument(const HttpResponse& response, rapidjson::Document* doc) {
  std::string_view body = response.body;
  size_t first = body.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos || (body[first] != '{' && body[first] != '[')) return false;
  if (body.size() > kMaxErrorDocument) return false;
  return ParseJson(body, doc).ok() && (doc->IsObject() || doc->IsArray());
}

// The errors a Salesforce body lists ([{message, errorCode, fields}]), at
// most this many in a message.
constexpr size_t kMaxErrorsNamed = 3;

std::string VendorText(const HttpResponse& response) {
  rapidjson::Document doc;
  if (!ReadErrorDocument(response, &doc)) return "";
  if (doc.IsArray()) {
    std::vector<std::string> errors;
    for (const auto& error : doc.GetArray()) {
      if (errors.size() == kMaxErrorsNamed || !error.IsObject()) break;
      const std::string code = GetStringOrEmpty(error, "errorCode");
      const std::string message = GetStringOrEmpty(error, "message");
      errors.push_back(code.empty() || message.empty() ? code + message : code + ": " + message);
    }
    return Join(errors, "; ");
  }
  std::string message = GetStringOrEmpty(doc, "message");
  if (!message.empty()) return message;
  // OAuth 2.0 token endpoints (RFC 6749 5.2); Pipedrive's envelope says
  // error_info instead of error_description.
  const std::string error = GetStringOrEmpty(doc, "error");
  std::string description = GetStringOrEmpty(doc, "error_description");
  if (description.empty()) description = GetStringOrEmpty(doc, "error_info");
  if (!error.empty()) return description.empty() ? error : error + ": " + description;
  std::string title = GetStringOrEmpty(doc, "title");
  std::string detail = GetStringOrEmpty(doc, "detail");
  if (!title.empty() && !detail.empty()) return title + ": " + detail;
  return title.empty() ? detail : title;
}

}  // namespace

std::optional<std::chrono::milliseconds> ParseRetryAfter(
    std::string_view value, std::chrono::system_clock::time_point now) {
  value = TrimSpace(value);
  if (auto seconds = ParseDeltaSeconds(value)) return std::chrono::seconds(*seconds);
  auto date = ParseImfFixdate(value);
  if (!date) return std::nullopt;
  // Milliseconds reach far past year 9999 without overflow.
  const auto now_ms = std::chrono::floor<std::chrono::milliseconds>(now);
  const std::chrono::sys_time<std::chrono::milliseconds> at = *date;
  if (at <= now_ms) return std::chrono::milliseconds(0);
  return at - now_ms;
}

std::optional<std::chrono::milliseconds> RetryAfterFromHeaders(
    const HttpResponse& response, std::chrono::system_clock::time_point now) {
  const std::string& retry_after = response.Header("retry-after");
  if (!retry_after.empty()) {
    if (auto wait = ParseRetryAfter(retry_after, now)) return wait;
  }
  // HubSpot often omits Retry-After but says its rolling window is spent and
  // how long the window is (docs/vendors/hubspot.md "Rate limits").
  if (response.HeaderDigits("x-hubspot-ratelimit-remaining") == 0) {
    if (auto interval = response.HeaderDigits("x-hubspot-ratelimit-interval-milliseconds", 10)) {
      return std::chrono::milliseconds(*interval);
    }
  }
  // Pipedrive says when its window resets, in seconds
  // (docs/vendors/pipedrive.md "Rate limits").
  if (response.HeaderDigits("x-ratelimit-remaining") == 0) {
    if (auto reset = response.HeaderDigits("x-ratelimit-reset", 6)) {
      return std::chrono::seconds(*reset);
    }
  }
  return std::nullopt;
}

std::string VendorErrorCode(const HttpResponse& response) {
  rapidjson::Document doc;
  if (!ReadErrorDocument(response, &doc)) return "";
  if (doc.IsArray()) {
    return doc.Empty() || !doc[0].IsObject() ? "" : GetStringOrEmpty(doc[0], "errorCode");
  }
  std::string code = GetStringOrEmpty(doc, "errorCode");
  return code.empty() ? GetStringOrEmpty(doc, "error") : code;
}

Status ClassifyHttpResponse(const HttpRequest& request, const HttpResponse& response,
                            std::string_view context) {
  const long status = response.status;
  if (status >= 200 && status < 300) return Status::Ok();
  std::string message;
  if (!context.empty()) message.append(context).append(": ");
  message += request.method + " " + UrlPath(request.url) + ": HTTP " + std::to_string(status);
  std::string vendor = VendorText(response);
  if (!vendor.empty()) message += ": " + CleanVendorText(std::move(vendor), request);

  if (status == 401) return Status::Unauthenticated(std::move(message));
  // 402: the account is closed or unpaid (Pipedrive); no request succeeds
  // until someone pays, so the connector stops as for a refusal.
  if (status == 402 || status == 403) return Status::PermissionDenied(std::move(message));
  if (status == 429) {
    return Status::RateLimited(std::move(message),
                               RetryAfterFromHeaders(response, response.received_at));
  }
  if (status == 408 || (status >= 500 && status < 600)) {
    return Status::Unavailable(std::move(message));
  }
  return Status::Permanent(std::move(message));
}

}  // namespace salesaudit
