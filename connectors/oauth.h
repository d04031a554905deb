// The refresh-token grant of OAuth 2.0 (RFC 6749 section 6) as the vendors
// with OAuth apps answer it (HubSpot, Salesforce): one POST of a form to the
// token endpoint, classified like every other answer, with the tokens it
// hands out registered as secrets before any text can quote them.
//
// Threading: a free function; the caller's HttpClient decides.
#pragma once

// Declarations only: the .cc files that walk a document include rapidjson/document.h.
#include <rapidjson/fwd.h>

#include <memory>
#include <string>

#include "core/status.h"
#include "net/http_client.h"

namespace salesaudit {

struct OAuthTokenAnswer {
  // The whole answer, for the vendor's own fields (expires_in, instance_url,
  // issued_at).
  std::unique_ptr<rapidjson::Document> doc;
  std::string access_token;
  std::string refresh_token;  // "" unless the vendor handed out a new one
};

// POSTs `form` (application/x-www-form-urlencoded) to `token_url`. A grant
// the endpoint refuses (400 or 401, RFC 6749 5.2, or any other status that
// is not retryable) is kUnauthenticated and says to authorise the app again;
// retryable failures stay retryable; an answer without an access token is
// kUnauthenticated. Messages start "<connector>: <stream>: oauth token
// refresh". The tokens are kept in the process's secrets under
// "<connector>: oauth access token" and "<connector>: oauth refresh token",
// one slot each however often they are renewed.
Result<OAuthTokenAnswer> RequestOAuthToken(HttpClient& http, const std::string& token_url,
                                           const std::string& form, const std::string& connector,
                                           const std::string& stream);

}  // namespace salesaudit
