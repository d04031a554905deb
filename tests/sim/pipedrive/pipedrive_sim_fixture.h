// What the Pipedrive simulator's tests share: a generated company served on
// an ephemeral port and a client's requests against it over real HTTP.
// Threading: one test thread.
#pragma once

#include <curl/curl.h>
#include <rapidjson/document.h>

#include <catch2/catch.hpp>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "tests/sim/pipedrive/pipedrive_sim.h"
#include "tests/support/curl_request.h"

namespace salesaudit::sim::testing {

struct Reply {
  long status = 0;                             // a failed transfer: its negated CURLcode
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
};

inline Reply Http(const std::string& url, const std::vector<std::string>& headers) {
  salesaudit::testing::CurlReply r = salesaudit::testing::CurlRequest(url, headers);
  Reply reply{r.status, std::move(r.headers), std::move(r.body)};
  if (r.code != CURLE_OK) reply.status = -static_cast<long>(r.code);
  return reply;
}

inline rapidjson::Document Json(const std::string& body) {
  rapidjson::Document doc;
  doc.Parse(body.c_str());
  REQUIRE_FALSE(doc.HasParseError());
  return doc;
}

inline std::string Encode(const std::string& text) {
  char* escaped = curl_easy_escape(nullptr, text.c_str(), static_cast<int>(text.size()));
  std::string out(escaped);
  curl_free(escaped);
  return out;
}

// A small company: fast to generate, every kind of record present.
inline PdCompanySpec SmallCompany() {
  PdCompanySpec spec;
  spec.seed = 7;
  spec.persons = 300;
  spec.deals = 120;
  spec.leads = 90;
  spec.activities = 150;
  return spec;
}

// Unit tests that are not about limits leave the window unenforced.
inline PipedriveSimOptions Unlimited() {
  PipedriveSimOptions options;
  options.enforce_rate_limit = false;
  return options;
}

struct Fixture {
  explicit Fixture(PdCompanySpec spec = SmallCompany(), PipedriveSimOptions options = Unlimited(),
                   const Clock& clock = Clock::Default())
      : sim(spec, options, clock) {
    REQUIRE(sim.Start() != 0);
    url = sim.base_url();
  }

  // GET with the token in the x-api-token header.
  Reply Get(const std::string& path_and_query) {
    return Http(url + path_and_query, {"x-api-token: " + sim.api_token()});
  }

  // Pages a v2 list to its end by next_cursor; returns the ids in order.
  std::vector<int64_t> V2Ids(const std::string& path, const std::string& query,
                             int* pages = nullptr) {
    std::vector<int64_t> ids;
    std::string cursor;
    for (int page = 1;; ++page) {
      std::string target = path + "?" + query;
      if (!cursor.empty()) target += "&cursor=" + Encode(cursor);
      Reply r = Get(target);
      REQUIRE(r.status == 200);
      rapidjson::Document doc = Json(r.body);
      REQUIRE(doc["success"].GetBool());
      for (const auto& rec : doc["data"].GetArray()) ids.push_back(rec["id"].GetInt64());
      const rapidjson::Value& next = doc["additional_data"]["next_cursor"];
      if (pages != nullptr) *pages = page;
      if (next.IsNull()) break;
      cursor = next.GetString();
    }
    return ids;
  }

  PipedriveSim sim;
  std::string url;
};

// The `error` of Pipedrive's failure envelope, after checking its shape.
inline std::string EnvelopeError(const Reply& reply) {
  rapidjson::Document doc = Json(reply.body);
  REQUIRE(doc.IsObject());
  CHECK(doc["success"].IsFalse());
  CHECK(doc["error_info"].IsString());
  return doc["error"].GetString();
}

}  // namespace salesaudit::sim::testing
