// A strict parser of Prometheus' text exposition format 0.0.4, for tests:
// what it accepts, Prometheus ingests as meant. Beyond the format's grammar
// (https://prometheus.io/docs/instrumenting/exposition_formats/) it checks
// the rules a scraper relies on: HELP and TYPE at most once per family and
// before its samples; a family's lines in one group; no series twice;
// counters named `*_total` with non-negative values; histograms with
// ordered `le` buckets ending in +Inf, non-decreasing counts, `_count` equal
// to the +Inf bucket and a `_sum`; summaries with `_sum` and `_count`.
// Pure functions; thread-safe.
//
//   auto parsed = ParsePrometheusText(registry.RenderText());
//   REQUIRE(parsed.ok());  // else parsed.status().message() names the line
//   CHECK(parsed->Value("salesaudit_syncs_total", {{"result", "ok"}}) == 3);
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace salesaudit {

struct PrometheusSample {
  std::string name;  // as written: `x_bucket` for a histogram `x`
  std::vector<std::pair<std::string, std::string>> labels;  // in order, unescaped
  double value = 0;
  std::optional<int64_t> timestamp_ms;
  int line = 0;  // 1-based
  // The label's value, or nullopt when the sample does not have it.
  std::optional<std::string> Label(std::string_view label_name) const;
};

struct PrometheusFamily {
  std::string name;
  std::string type = "untyped";     // counter gauge histogram summary untyped
  std::optional<std::string> help;  // unescaped
  std::vector<PrometheusSample> samples;
};

struct PrometheusExposition {
  std::vector<PrometheusFamily> families;  // in the order they appear

  const PrometheusFamily* Find(std::string_view family_name) const;
  // The value of the sample named `sample_name` whose labels are exactly
  // `labels`; nullopt when there is none.
  std::optional<double> Value(std::string_view sample_name,
                              const std::map<std::string, std::string>& labels = {}) const;
};

// Parses a whole exposition. Errors are kInvalidArgument with a message
// "line N: what is wrong".
Result<PrometheusExposition> ParsePrometheusText(std::string_view text);

}  // namespace salesaudit
