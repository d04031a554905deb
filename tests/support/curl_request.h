// One HTTP request over a fresh libcurl connection, for tests that talk to a
// simulator as any client would. Threading: one call per thread at a time.
#pragma once

#include <curl/curl.h>

#include <map>
#include <string>
#include <vector>

namespace salesaudit::testing {

struct CurlReply {
  CURLcode code = CURLE_OK;                    // the transfer's result
  long status = 0;                             // 0 when no answer came
  std::map<std::string, std::string> headers;  // names lower-cased; the last value wins
  std::string body;
};

// GET `url` with `headers` ("Name: value"), or POST `post_body` when it is
// given.
CurlReply CurlRequest(const std::string& url, const std::vector<std::string>& headers,
                      const std::string* post_body = nullptr);

}  // namespace salesaudit::testing
