// The Prometheus metrics registry (core/metrics.h) and the strict parser of
// the text format the tests check it with (tests/support/prometheus_text.h).
#include "core/metrics.h"

#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <functional>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/prometheus_text.h"

namespace salesaudit {
namespace {

// True if `misuse` aborts (run in a child process so the test survives).
bool Aborts(const std::function<void()>& misuse) {
  const pid_t pid = fork();
  if (pid == 0) {
    std::signal(SIGABRT, SIG_DFL);  // not Catch's handler, which reports a failure
    std::freopen("/dev/null", "w", stderr);
    misuse();
    _exit(0);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT;
}

TEST_CASE("Counters render with HELP, TYPE and escaped label values", "[core][metrics]") {
  MetricsRegistry registry;
  CounterFamily& requests = registry.Counter(
      "test_requests_total", "Requests by path.\nA \\ backslash.", {"path", "code"});
  CounterChild& odd = requests.WithLabels({"/a\"b\\c\nd", "200"});
  odd.Increment();
  odd.Increment(2);
  requests.WithLabels({"/x", "500"}).Increment();
  CHECK(registry.RenderText() ==
        "# HELP test_requests_total Requests by path.\\nA \\\\ backslash.\n"
        "# TYPE test_requests_total counter\n"
        "test_requests_total{path=\"/a\\\"b\\\\c\\nd\",code=\"200\"} 3\n"
        "test_requests_total{path=\"/x\",code=\"500\"} 1\n");
  auto parsed = ParsePrometheusText(registry.RenderText());
  REQUIRE(parsed.ok());
  CHECK(parsed->Value("test_requests_total", {{"path", "/a\"b\\c\nd"}, {"code", "200"}}) == 3);
  CHECK(parsed->Find("test_requests_total")->help == "Requests by path.\nA \\ backslash.");
}

TEST_CASE("A counter never goes down", "[core][metrics]") {
  MetricsRegistry registry;
  CounterChild& c = registry.Counter("test_things_total", "Things.").WithLabels({});
  c.Increment(5);
  c.Increment(-1);
  c.Increment(std::numeric_limits<double>::quiet_NaN());
  CHECK(c.value() == 5);
}

TEST_CASE("Families render sorted by name and unlabelled ones start at 0", "[core][metrics]") {
  MetricsRegistry registry;
  GaugeFamily& temperature = registry.Gauge("test_b_celsius", "Temperature.");
  registry.Counter("test_a_total", "Things.");
  registry.Gauge("test_c_items", "Items by kind.", {"kind"});
  temperature.WithLabels({}).Set(-2.5);
  temperature.WithLabels({}).Increment(0.5);
  temperature.WithLabels({}).Decrement(1);
  CHECK(registry.RenderText() ==
        "# HELP test_a_total Things.\n"
        "# TYPE test_a_total counter\n"
        "test_a_total 0\n"
        "# HELP test_b_celsius Temperature.\n"
        "# TYPE test_b_celsius gauge\n"
        "test_b_celsius -3\n"
        "# HELP test_c_items Items by kind.\n"
        "# TYPE test_c_items gauge\n");
}

TEST_CASE("Histograms count a value equal to a bound in that bound's bucket", "[core][metrics]") {
  MetricsRegistry registry;
  HistogramFamily& durations =
      registry.Histogram("test_duration_seconds", "Durations.", {"connector"}, {0.5, 1, 2.5});
  HistogramChild& crm = durations.WithLabels({"crm"});
  for (double v : {0.25, 0.5, 1.0, 3.0}) crm.Observe(v);
  CHECK(registry.RenderText() ==
        "# HELP test_duration_seconds Durations.\n"
        "# TYPE test_duration_seconds histogram\n"
        "test_duration_seconds_bucket{connector=\"crm\",le=\"0.5\"} 2\n"
        "test_duration_seconds_bucket{connector=\"crm\",le=\"1\"} 3\n"
        "test_duration_seconds_bucket{connector=\"crm\",le=\"2.5\"} 3\n"
        "test_duration_seconds_bucket{connector=\"crm\",le=\"+Inf\"} 4\n"
        "test_duration_seconds_sum{connector=\"crm\"} 4.75\n"
        "test_duration_seconds_count{connector=\"crm\"} 4\n");
  REQUIRE(ParsePrometheusText(registry.RenderText()).ok());

  // Just above a bound is in the next bucket; NaN only in +Inf.
  HistogramChild& h = registry.Histogram("test_size_bytes", "Sizes.", {}, {10, 20}).WithLabels({});
  h.Observe(std::nextafter(10.0, 11.0));
  h.Observe(std::numeric_limits<double>::quiet_NaN());
  CHECK(h.CumulativeCounts() == std::vector<uint64_t>{0, 1, 2});
}

TEST_CASE("Registering a family again returns the same one", "[core][metrics]") {
  MetricsRegistry registry;
  CounterFamily& first = registry.Counter("test_syncs_total", "Syncs.", {"connector"});
  CounterFamily& again = registry.Counter("test_syncs_total", "Other help.", {"connector"});
  CHECK(&first == &again);
  HistogramFamily& h = registry.Histogram("test_h_seconds", "H.", {}, {1, 2, 4});
  CHECK(&registry.Histogram("test_h_seconds", "H.", {},
                            {1, 2, 4, std::numeric_limits<double>::infinity()}) == &h);
}

TEST_CASE("Misusing the registry aborts with a message", "[core][metrics]") {
  MetricsRegistry registry;
  registry.Counter("test_syncs_total", "Syncs.", {"connector"});
  registry.Histogram("test_latency_seconds", "Latency.", {}, {1});
  CHECK(Aborts([&] { registry.Gauge("test_syncs_total", "Syncs.", {"connector"}); }));
  CHECK(Aborts([&] { registry.Counter("test_syncs_total", "Syncs.", {"stream"}); }));
  CHECK(Aborts([&] { registry.Counter("test_syncs_total", "Syncs.").WithLabels({"a", "b"}); }));
  CHECK(Aborts([&] { registry.Counter("test_syncs", "No _total."); }));
  CHECK(Aborts([&] { registry.Gauge("1test", "Bad name."); }));
  CHECK(Aborts([&] { registry.Gauge("test-gauge", "Bad name."); }));
  CHECK(Aborts([&] { registry.Gauge("test_gauge", ""); }));
  CHECK(Aborts([&] { registry.Gauge("test_gauge", "Bad label.", {"a:b"}); }));
  CHECK(Aborts([&] { registry.Gauge("test_gauge", "Reserved label.", {"__x"}); }));
  CHECK(Aborts([&] { registry.Gauge("test_gauge", "Twice.", {"a", "a"}); }));
  CHECK(Aborts([&] { registry.Histogram("test_h", "le.", {"le"}, {1}); }));
  CHECK(Aborts([&] { registry.Histogram("test_h", "Unsorted.", {}, {2, 1}); }));
  CHECK(Aborts([&] { registry.Histogram("test_h", "No buckets.", {}, {}); }));
  CHECK(Aborts([&] { registry.Histogram("test_latency_seconds", "Other.", {}, {2}); }));
  CHECK(Aborts([&] { registry.Gauge("test_latency_seconds_count", "Collides."); }));
  CHECK_FALSE(Aborts([&] { registry.Gauge("test_fine:ratio", "Fine.", {"_a1"}); }));
}

TEST_CASE("Increments from many threads add up exactly", "[core][metrics]") {
  MetricsRegistry registry;
  CounterFamily& counter = registry.Counter("test_events_total", "Events.", {"thread"});
  HistogramChild& histogram =
      registry.Histogram("test_values", "Values.", {}, {1, 10}).WithLabels({});
  CounterChild& shared = registry.Counter("test_shared_total", "Shared.").WithLabels({});
  constexpr int kThreads = 8;
  constexpr int kIncrements = 50000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      CounterChild& mine = counter.WithLabels({std::to_string(t % 2)});
      for (int i = 0; i < kIncrements; ++i) {
        mine.Increment();
        shared.Increment();
        histogram.Observe(i % 20);
      }
    });
  }
  // Rendering meanwhile always gives a valid exposition.
  for (int i = 0; i < 20; ++i) {
    auto parsed = ParsePrometheusText(registry.RenderText());
    REQUIRE(parsed.ok());
  }
  for (std::thread& t : threads) t.join();
  CHECK(shared.value() == kThreads * kIncrements);
  CHECK(counter.WithLabels({"0"}).value() == kThreads / 2 * kIncrements);
  CHECK(histogram.CumulativeCounts().back() == uint64_t{kThreads} * kIncrements);
  // Per thread: 0..19 repeated, so 2 of 20 values are <= 1 and 11 are <= 10.
  CHECK(histogram.CumulativeCounts()[0] == uint64_t{kThreads} * kIncrements / 10);
  CHECK(histogram.sum() == kThreads * (kIncrements / 20) * 190.0);
}

TEST_CASE("Collectors set values when the registry is rendered", "[core][metrics]") {
  MetricsRegistry registry;
  GaugeFamily& rows = registry.Gauge("test_rows", "Rows by table.", {"table"});
  int renders = 0;
  const int id = registry.AddCollector([&] {
    ++renders;
    rows.Clear();
    rows.WithLabels({"contacts"}).Set(renders * 10);
    // A collector may register families too.
    registry.Gauge("test_renders", "Renders.").WithLabels({}).Set(renders);
  });
  auto parsed = ParsePrometheusText(registry.RenderText());
  REQUIRE(parsed.ok());
  CHECK(parsed->Value("test_rows", {{"table", "contacts"}}) == 10);
  CHECK(parsed->Value("test_renders") == 1);
  registry.RemoveCollector(id);
  rows.Remove({"contacts"});
  parsed = ParsePrometheusText(registry.RenderText());
  REQUIRE(parsed.ok());
  CHECK(renders == 1);
  CHECK(parsed->Find("test_rows")->samples.empty());
}

TEST_CASE("Values are written the way Prometheus' Go client writes them", "[core][metrics]") {
  const double inf = std::numeric_limits<double>::infinity();
  const std::pair<double, const char*> cases[] = {
      {0, "0"},
      {1, "1"},
      {-1, "-1"},
      {0.25, "0.25"},
      {0.1, "0.1"},
      {100, "100"},
      {123456, "123456"},
      {1e6, "1e+06"},
      {1234567, "1.234567e+06"},
      {0.0001, "0.0001"},
      {0.00001, "1e-05"},
      {1.5e-7, "1.5e-07"},
      {1e21, "1e+21"},
      {1e100, "1e+100"},
      {-2.5e-5, "-2.5e-05"},
      {1.0 / 3, "0.3333333333333333"},
      {5e-324, "5e-324"},
      {std::numeric_limits<double>::max(), "1.7976931348623157e+308"},
      {1709647200.123, "1.709647200123e+09"},
      {inf, "+Inf"},
      {-inf, "-Inf"},
      {std::numeric_limits<double>::quiet_NaN(), "NaN"},
  };
  for (const auto& [value, text] : cases) {
    INFO(text);
    CHECK(FormatMetricValue(value) == text);
  }
  CHECK(ExponentialBuckets(0.5, 2, 4) == std::vector<double>{0.5, 1, 2, 4});
}

TEST_CASE("The strict parser reads a valid exposition", "[core][metrics][prometheus_text]") {
  const char* text =
      "# A comment that is neither HELP nor TYPE\n"
      "\n"
      "# HELP http_requests_total The total number of HTTP requests.\n"
      "# TYPE http_requests_total counter\n"
      "http_requests_total{method=\"post\",code=\"200\"} 1027 1395066363000\n"
      "http_requests_total{method=\"post\",code=\"400\",}    3 1395066363000\n"
      "# TYPE msdos_file_access_time_seconds gauge\n"
      "msdos_file_access_time_seconds{path=\"C:\\\\DIR\\\\FILE.TXT\",error=\"Cannot find "
      "file:\\n\\\"FILE.TXT\\\"\"} 1.458255915e9\n"
      "metric_without_timestamp_and_labels 12.47\n"
      "something_weird{problem=\"division by zero\"} +Inf -3982045\n"
      "# HELP http_request_duration_seconds A histogram of the request duration.\n"
      "# TYPE http_request_duration_seconds histogram\n"
      "http_request_duration_seconds_bucket{le=\"0.05\"} 24054\n"
      "http_request_duration_seconds_bucket{le=\"0.1\"} 33444\n"
      "http_request_duration_seconds_bucket{le=\"+Inf\"} 144320\n"
      "http_request_duration_seconds_sum 53423\n"
      "http_request_duration_seconds_count 144320\n"
      "# TYPE rpc_duration_seconds summary\n"
      "rpc_duration_seconds{quantile=\"0.5\"} 4773\n"
      "rpc_duration_seconds{quantile=\"0.99\"} NaN\n"
      "rpc_duration_seconds_sum 1.7560473e+07\n"
      "rpc_duration_seconds_count 2693\n";
  auto parsed = ParsePrometheusText(text);
  INFO(parsed.status().message());
  REQUIRE(parsed.ok());
  CHECK(parsed->families.size() == 6);
  const PrometheusFamily* requests = parsed->Find("http_requests_total");
  REQUIRE(requests != nullptr);
  CHECK(requests->type == "counter");
  CHECK(requests->samples.size() == 2);
  CHECK(requests->samples[0].timestamp_ms == 1395066363000);
  CHECK(parsed->Value("msdos_file_access_time_seconds",
                      {{"path", "C:\\DIR\\FILE.TXT"},
                       {"error", "Cannot find file:\n\"FILE.TXT\""}}) == 1.458255915e9);
  CHECK(parsed->Find("metric_without_timestamp_and_labels")->type == "untyped");
  CHECK(std::isinf(*parsed->Value("something_weird", {{"problem", "division by zero"}})));
  CHECK(parsed->Find("http_request_duration_seconds")->samples.size() == 5);
  CHECK(parsed->Find("rpc_duration_seconds")->samples.size() == 4);
  CHECK(ParsePrometheusText("").ok());
}

TEST_CASE("The strict parser rejects what Prometheus would misread",
          "[core][metrics][prometheus_text]") {
  struct Case {
    const char* what;
    const char* text;
    const char* error;  // the start of the message
  };
  const Case cases[] = {
      {"no final newline", "a 1\nb 2", "line 2: "},
      {"two HELP", "# HELP a x\n# HELP a y\na 1\n", "line 2: second HELP"},
      {"two TYPE", "# TYPE a gauge\n# TYPE a gauge\n", "line 2: second TYPE"},
      {"TYPE after samples", "a 1\n# TYPE a gauge\n", "line 2: TYPE for \"a\" after"},
      {"HELP after samples", "a 1\n# HELP a x\n", "line 2: HELP for \"a\" after"},
      {"unknown type", "# TYPE a meter\n", "line 1: TYPE: unknown type"},
      {"family split", "a{x=\"1\"} 1\nb 1\na{x=\"2\"} 1\n", "line 3: lines of \"a\""},
      {"histogram split", "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1\nb 1\nh_sum 1\n",
       "line 4: lines of \"h\""},
      {"bad metric name", "1a 1\n", "line 1: expected a metric name"},
      {"bad label name", "a{1x=\"1\"} 1\n", "line 1: labels: invalid label name"},
      {"reserved label", "a{__name__=\"a\"} 1\n", "line 1: labels: \"__name__\" is reserved"},
      {"label twice", "a{x=\"1\",x=\"2\"} 1\n", "line 1: labels: \"x\" given twice"},
      {"unquoted label value", "a{x=1} 1\n", "line 1: labels: the value of x must be quoted"},
      {"bad escape", "a{x=\"\\t\"} 1\n", "line 1: labels: invalid escape"},
      {"unterminated value", "a{x=\"1} 1\n", "line 1: labels: unterminated"},
      {"missing brace", "a{x=\"1\" 1\n", "line 1: labels: expected ',' or '}'"},
      {"bad HELP escape", "# HELP a x\\ty\n", "line 1: HELP: invalid escape"},
      {"bad value", "a 1,5\n", "line 1: invalid value"},
      {"hex value", "a 0x10\n", "line 1: invalid value"},
      {"missing value", "a\n", "line 1: expected a blank, then the value"},
      {"bad timestamp", "a 1 12.5\n", "line 1: invalid timestamp"},
      {"text after timestamp", "a 1 12 x\n", "line 1: unexpected text"},
      {"same series twice", "a{x=\"1\",y=\"2\"} 1\na{y=\"2\",x=\"1\"} 2\n",
       "line 2: the series of \"a\" appears twice"},
      {"counter not *_total", "# TYPE requests counter\nrequests 1\n",
       "line 1: counter \"requests\" is not named *_total"},
      {"negative counter", "# TYPE a_total counter\na_total -1\n", "line 2: counter \"a_total\""},
      {"histogram without +Inf", "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_sum 1\nh_count 1\n",
       "line 2: histogram \"h\" has no le=\"+Inf\" bucket"},
      {"histogram counts decrease",
       "# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n",
       "line 3: histogram bucket counts must not decrease"},
      {"histogram le out of order",
       "# TYPE h histogram\nh_bucket{le=\"2\"} 1\nh_bucket{le=\"1\"} 1\n"
       "h_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n",
       "line 3: histogram buckets are not in increasing le order"},
      {"histogram _count differs",
       "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 1\n",
       "line 4: _count differs from the +Inf bucket"},
      {"histogram without _sum", "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1\nh_count 1\n",
       "line 2: histogram \"h\" has no _sum"},
      {"histogram without _count", "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\n",
       "line 2: histogram \"h\" has no _count"},
      {"histogram bucket without le", "# TYPE h histogram\nh_bucket 1\n",
       "line 2: histogram bucket without an le label"},
      {"summary without _count", "# TYPE s summary\ns{quantile=\"0.5\"} 1\ns_sum 1\n",
       "line 2: summary \"s\" lacks _sum or _count"},
      {"summary quantile out of range", "# TYPE s summary\ns{quantile=\"2\"} 1\n",
       "line 2: summary sample needs a quantile"},
  };
  for (const Case& c : cases) {
    INFO(c.what);
    auto parsed = ParsePrometheusText(c.text);
    REQUIRE_FALSE(parsed.ok());
    CHECK_THAT(parsed.status().message(), Catch::StartsWith(c.error));
  }
}

TEST_CASE("What the registry renders passes the strict parser", "[core][metrics]") {
  MetricsRegistry registry;
  registry.Counter("test_syncs_total", "Syncs by result.", {"connector", "result"})
      .WithLabels({"crm", "ok"})
      .Increment(3);
  registry.Gauge("test_last_success_timestamp_seconds", "Last success.", {"connector"})
      .WithLabels({"crm"})
      .SetToCurrentTime();
  registry
      .Histogram("test_sync_duration_seconds", "Sync durations.", {"connector"},
                 ExponentialBuckets(0.1, 2, 12))
      .WithLabels({"crm"})
      .Observe(7.5);
  registry.Histogram("test_empty_seconds", "No observations.", {}, {1});
  const std::string text = registry.RenderText();
  auto parsed = ParsePrometheusText(text);
  INFO(text);
  INFO(parsed.status().message());
  REQUIRE(parsed.ok());
  CHECK(parsed->Value("test_syncs_total", {{"connector", "crm"}, {"result", "ok"}}) == 3);
  CHECK(*parsed->Value("test_last_success_timestamp_seconds", {{"connector", "crm"}}) > 1.7e9);
  CHECK(parsed->Value("test_sync_duration_seconds_count", {{"connector", "crm"}}) == 1);
  CHECK(parsed->Value("test_empty_seconds_bucket", {{"le", "+Inf"}}) == 0);
}

}  // namespace
}  // namespace salesaudit
