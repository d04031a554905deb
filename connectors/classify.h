// Turns an HTTP response into a Status the sync engine can act on: ok,
// retryable (kRateLimited with the server's wait, kUnavailable) or not
// (kUnauthenticated, kPermissionDenied, kPermanent). Shared by connectors so
// that every vendor's failures read the same way. Pure functions; thread-safe.
//
//   Result<HttpResponse> r = http.Send(request);
//   if (!r.ok()) return r.status().WithContext("contacts");
//   if (Status s = ClassifyHttpResponse(request, *r, "contacts"); !s.ok()) return s;
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"
#include "net/http_client.h"

namespace salesaudit {

// Ok for 2xx. Otherwise 401 -> kUnauthenticated, 402 and 403 -> kPermissionDenied,
// 429 -> kRateLimited (retry_after from RetryAfterFromHeaders, a date read against
// the response's received_at), 408 and 5xx ->
// kUnavailable, other statuses -> kPermanent. The message is
// "<context>: <METHOD> <path>: HTTP <status>", then ": <vendor text>" when the
// body is JSON with "message" (HubSpot), "title"/"detail" (problem+json,
// Mailchimp), "error"/"error_description" (OAuth 2.0) or "error"/"error_info"
// (Pipedrive) or is an array of
// {errorCode, message} (Salesforce: the first three, "CODE: message"), cut
// to 200 characters. Never contains the query string or a
// request header value. Connectors whose vendor signals throttling another
// way (a 403 with a limit code) check for it before calling this.
Status ClassifyHttpResponse(const HttpRequest& request, const HttpResponse& response,
                            std::string_view context);

// The vendor's code for the error a response carries: `errorCode` of the
// first element of a JSON array body (Salesforce), else `errorCode` or
// `error` (OAuth 2.0) of an object body; "" when there is none.
std::string VendorErrorCode(const HttpResponse& response);

// The wait a 429 response asks for: `Retry-After` (delta seconds or an
// HTTP-date, relative to `now`), else HubSpot's window length
// (X-HubSpot-RateLimit-Interval-Milliseconds) when X-HubSpot-RateLimit-Remaining
// is "0", else Pipedrive's x-ratelimit-reset (seconds) when x-ratelimit-remaining
// is "0". nullopt when the response does not say; the engine then backs off.
std::optional<std::chrono::milliseconds> RetryAfterFromHeaders(
    const HttpResponse& response, std::chrono::system_clock::time_point now);

// Parses a Retry-After value: non-negative delta seconds (any number of
// digits; past 2^31 s it counts as 2^31 s, RFC 9111 1.2.2), or an IMF-fixdate
// ("Sun, 06 Nov 1994 08:49:37 GMT"); a date in the past gives 0.
std::optional<std::chrono::milliseconds> ParseRetryAfter(std::string_view value,
                                                         std::chrono::system_clock::time_point now);

}  // namespace salesaudit
