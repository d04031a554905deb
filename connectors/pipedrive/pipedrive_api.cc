#include "connectors/pipedrive/pipedrive_api.h"

#include <rapidjson/document.h>


#include "connectors/classify.h"
#include "core/json_reader.h"
#include "core/secret_registry.h"
#include "core/text_util.h"
#include "core/time_util.h"

namespace salesaudit::pipedrive {
namespace {

// Pipedrive counts requests per token over a rolling 2-second window
// (docs/vendors/pipedrive.md "Rate limits").
constexpr std::chrono::milliseconds kRateWindow{2000};

std::string WithoutTrailingSlashes(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

}  // namespace

std::optional<VendorRateLimit> ReadRateLimit(const HttpResponse& response) {
  const std::optional<int64_t> limit = response.HeaderDigits("x-ratelimit-limit");
  const std::optional<int64_t> remaining = response.HeaderDigits("x-ratelimit-remaining");
  const std::optional<int64_t> reset = response.HeaderDigits("x-ratelimit-reset");
  if (!limit && !remaining) return std::nullopt;
  VendorRateLimit said;
  // At most 9 digits each (HeaderDigits): they fit an int.
  if (limit) {
    said.limit = static_cast<int>(*limit);
    said.per = kRateWindow;
  }
  if (remaining) said.remaining = static_cast<int>(*remaining);
  // A window that resets "in 0 s" ends within the second.
  if (reset) said.reset = std::max(std::chrono::milliseconds(*reset * 1000), kRateWindow / 4);
  return said;
}

int64_t FloorToSecond(int64_t epoch_ms) { return epoch_ms - ((epoch_ms % 1000) + 1000) % 1000; }

std::string Rfc3339Seconds(int64_t epoch_ms) {
  std::string text = FormatIsoMs(FloorToSecond(epoch_ms));  // 2024-01-04T10:44:11.000Z
  return text.substr(0, text.size() - 5) + "Z";
}

PipedriveApi::PipedriveApi(const ConnectorConfig& c, HttpClient& h)
    : config(c),
      http(h),
      base_url_(WithoutTrailingSlashes(c.base_url)),
      daily_(c, DailyAllowance::Unit::kTokens, "the company's daily API token budget") {
  if (base_url_.empty()) base_url_ = kDefaultBaseUrl;
  if (auto token = config.auth.find("api_token"); token != config.auth.end()) {
    api_token_ = token->second;
  }
  // A vendor may quote a credential back in an error: it is redacted from
  // every text that leaves.
  for (const auto& entry : config.auth) ProcessSecrets().Add(entry.second);
}

std::string PipedriveApi::Context(const std::string& stream) const {
  return "pipedrive[" + config.name + "]: " + stream;
}

Result<Answer> PipedriveApi::GetList(const std::string& stream, const std::string& path_and_query) {
  const std::string context = Context(stream);
  HttpRequest request{.url = base_url_ + path_and_query};
  request.headers.emplace_back("Accept", "application/json");
  request.headers.emplace_back("x-api-token", api_token_);
  if (Status s = daily_.Check(context); !s.ok()) return s;
  auto response = http.Send(request);
  if (!response.ok()) return response.status().WithContext(context);
  // Sent with any answer, a 429 included.
  const std::optional<int64_t> budget = response->HeaderDigits("x-daily-ratelimit-token-limit");
  const std::optional<int64_t> left = response->HeaderDigits("x-daily-ratelimit-token-remaining");
  if (budget && left) daily_.Update(*budget - *left, *budget);
  if (Status s = ClassifyHttpResponse(request, *response, context); !s.ok()) {
    // The company's daily token budget answers 429 too, while the 2-second
    // window still has room: waiting seconds does not lift it.
    if (response->status == 429 && !response->Header("x-daily-ratelimit-token-remaining").empty() &&
        response->HeaderDigits("x-ratelimit-remaining") != 0) {
      return Status::QuotaExhausted(s.message() +
                                    " (the company's daily API token budget is used up: "
                                    "syncing resumes when it resets at the start of the day)");
    }
    return s;
  }
  const std::string where = context + ": GET " + UrlPath(request.url);
  if (TrimSpace(response->body) == "null") {
    return Status::Unavailable(where + ": answered 200 with a null body; asked again");
  }
  Answer answer;
  answer.doc = std::make_unique<rapidjson::Document>();
  if (Status s = ParseJson(response->body, answer.doc.get()); !s.ok()) return s.WithContext(where);
  const rapidjson::Value& doc = *answer.doc;
  if (!doc.IsObject() || GetBool(doc, "success") != true) {
    return Status::DataLoss(where + ": answer is not a successful Pipedrive envelope");
  }
  const rapidjson::Value* data = GetMember(doc, "data");
  if (data != nullptr && !data->IsNull() && !data->IsArray()) {
    return Status::DataLoss(where + ": `data` is not a list");
  }
  answer.data = data != nullptr && data->IsArray() ? data : nullptr;
  answer.additional_data = GetObject(doc, "additional_data");
  return answer;
}

}  // namespace salesaudit::pipedrive
