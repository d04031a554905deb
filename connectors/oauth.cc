#include "connectors/oauth.h"

#include <rapidjson/document.h>

#include "connectors/classify.h"
#include "core/json_reader.h"
#include "core/secret_registry.h"

namespace salesaudit {

Result<OAuthTokenAnswer> RequestOAuthToken(HttpClient& http, const std::string& token_url,
                                           const std::string& form, const std::string& connector,
                                           const std::string& stream) {
  HttpRequest request{.method = "POST", .url = token_url};
  request.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  request.headers.emplace_back("Accept", "application/json");
  request.body = form;
  const std::string where = connector + ": " + stream + ": oauth token refresh";
  auto response = http.Send(request);
  if (!response.ok()) return response.status().WithContext(where);
  Status status = ClassifyHttpResponse(request, *response, where);
  if (!status.ok() && status.retryable()) return status;
  if (!status.ok()) {
    // A refused grant never heals by retrying: only a new authorisation does.
    const bool refused = response->status == 400 || response->status == 401;
    return Status::Unauthenticated(
        status.message() + (refused ? " (the vendor refused the connector's credentials: "
                                      "authorise the app again and put the new refresh token "
                                      "in auth.refresh_token)"
                                    : ""));
  }
  OAuthTokenAnswer answer;
  answer.doc = std::make_unique<rapidjson::Document>();
  if (Status s = ParseJson(response->body, answer.doc.get()); !s.ok()) {
    return s.WithContext(where);
  }
  const rapidjson::Value& doc = *answer.doc;
  answer.access_token = doc.IsObject() ? GetStringOrEmpty(doc, "access_token") : "";
  if (answer.access_token.empty()) {
    return Status::Unauthenticated(where + ": response without an access_token");
  }
  ProcessSecrets().Replace(connector + ": oauth access token", answer.access_token);
  answer.refresh_token = GetStringOrEmpty(doc, "refresh_token");
  if (!answer.refresh_token.empty()) {
    ProcessSecrets().Replace(connector + ": oauth refresh token", answer.refresh_token);
  }
  return answer;
}

}  // namespace salesaudit
