#include "core/metrics.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <set>
#include <string_view>
#include <utility>

namespace salesaudit {
namespace {

// Registration mistakes are bugs in fixed strings of our own code: stop at
// once, naming the metric, so the first test run shows them.
[[noreturn]] void MetricsMisuse(const std::string& message) {
  std::fprintf(stderr, "salesaudit: metrics: %s\n", message.c_str());
  std::abort();
}

bool IsMetricName(std::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
    if (!letter && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

bool IsLabelName(std::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    if (!letter && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

const char* TypeName(MetricType type) {
  switch (type) {
    case MetricType::kCounter:
      return "counter";
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kHistogram:
      return "histogram";
  }
  return "untyped";
}

// HELP text escapes only backslash and newline (the format's rule).
std::string EscapeHelp(const std::string& help) {
  std::string out;
  out.reserve(help.size());
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

void ValidateLabelNames(const std::string& metric, const std::vector<std::string>& label_names,
                        MetricType type) {
  std::set<std::string> seen;
  for (const std::string& label : label_names) {
    if (!IsLabelName(label)) {
      MetricsMisuse(metric + ": invalid label name \"" + label + "\"");
    }
    // "__" names are Prometheus' own (__name__); `le` is the histogram's.
    if (label.rfind("__", 0) == 0) {
      MetricsMisuse(metric + ": label names starting with __ are reserved: \"" + label + "\"");
    }
    if (type == MetricType::kHistogram && label == "le") {
      MetricsMisuse(metric + ": a histogram cannot have a label named \"le\"");
    }
    if (!seen.insert(label).second) {
      MetricsMisuse(metric + ": label \"" + label + "\" given twice");
    }
  }
}

// The names of the samples a family writes: its own, or a histogram's three.
std::vector<std::string> SampleNames(const std::string& name, MetricType type) {
  if (type == MetricType::kHistogram) return {name + "_bucket", name + "_sum", name + "_count"};
  return {name};
}

void AppendLabeled(std::string* out, const std::string& name, std::string_view suffix,
                   const std::string& labels, double value) {
  *out += name;
  out->append(suffix);
  if (!labels.empty()) {
    *out += '{';
    *out += labels;
    *out += '}';
  }
  *out += ' ';
  *out += FormatMetricValue(value);
  *out += '\n';
}

}  // namespace

void CounterChild::Increment(double amount) {
  if (!(amount >= 0)) return;  // also NaN
  value_.fetch_add(amount, std::memory_order_relaxed);
}

void GaugeChild::Increment(double amount) { value_.fetch_add(amount, std::memory_order_relaxed); }

void GaugeChild::SetToCurrentTime(const Clock& clock) {
  Set(static_cast<double>(clock.NowMs()) / 1000.0);
}

HistogramChild::HistogramChild(const std::vector<double>& upper_bounds)
    : upper_bounds_(upper_bounds),
      bucket_counts_(std::make_unique<std::atomic<uint64_t>[]>(upper_bounds.size() + 1)) {}

void HistogramChild::Observe(double value) {
  size_t bucket = upper_bounds_.size();  // +Inf, also for NaN
  if (!std::isnan(value)) {
    bucket =
        std::lower_bound(upper_bounds_.begin(), upper_bounds_.end(), value) - upper_bounds_.begin();
  }
  bucket_counts_[bucket].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
}

std::vector<uint64_t> HistogramChild::CumulativeCounts() const {
  std::vector<uint64_t> out(upper_bounds_.size() + 1);
  uint64_t total = 0;
  for (size_t i = 0; i < out.size(); ++i) {
    total += bucket_counts_[i].load(std::memory_order_relaxed);
    out[i] = total;
  }
  return out;
}

template <typename Child>
Child& LabeledFamily<Child>::WithLabels(const std::vector<std::string>& values) {
  if (values.size() != label_names().size()) {
    MetricsMisuse(name() + ": " + std::to_string(values.size()) + " label value(s) for " +
                  std::to_string(label_names().size()) + " label name(s)");
  }
  std::lock_guard<std::mutex> lock(mu_);
  std::unique_ptr<Child>& child = children_[values];
  if (!child) child = NewChild();
  return *child;
}

template <typename Child>
void LabeledFamily<Child>::Remove(const std::vector<std::string>& values) {
  std::lock_guard<std::mutex> lock(mu_);
  children_.erase(values);
}

template <typename Child>
void LabeledFamily<Child>::Clear() {
  std::lock_guard<std::mutex> lock(mu_);
  children_.clear();
}

template <typename Child>
void LabeledFamily<Child>::AppendText(std::string* out) const {
  *out += "# HELP " + name() + " " + EscapeHelp(help()) + "\n";
  *out += "# TYPE " + name() + " " + TypeName(type()) + "\n";
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [values, child] : children_) {
    std::string labels;
    for (size_t i = 0; i < values.size(); ++i) {
      if (i > 0) labels += ',';
      labels += label_names()[i] + "=\"" + EscapeLabelValue(values[i]) + "\"";
    }
    AppendChild(labels, *child, out);
  }
}

template class LabeledFamily<CounterChild>;
template class LabeledFamily<GaugeChild>;
template class LabeledFamily<HistogramChild>;

CounterFamily::CounterFamily(std::string name, std::string help,
                             std::vector<std::string> label_names)
    : LabeledFamily(std::move(name), std::move(help), MetricType::kCounter,
                    std::move(label_names)) {
  if (this->label_names().empty()) WithLabels({});
}

std::unique_ptr<CounterChild> CounterFamily::NewChild() const {
  return std::make_unique<CounterChild>();
}

void CounterFamily::AppendChild(const std::string& labels, const CounterChild& child,
                                std::string* out) const {
  AppendLabeled(out, name(), "", labels, child.value());
}

GaugeFamily::GaugeFamily(std::string name, std::string help, std::vector<std::string> label_names)
    : LabeledFamily(std::move(name), std::move(help), MetricType::kGauge, std::move(label_names)) {
  if (this->label_names().empty()) WithLabels({});
}

std::unique_ptr<GaugeChild> GaugeFamily::NewChild() const { return std::make_unique<GaugeChild>(); }

void GaugeFamily::AppendChild(const std::string& labels, const GaugeChild& child,
                              std::string* out) const {
  AppendLabeled(out, name(), "", labels, child.value());
}

HistogramFamily::HistogramFamily(std::string name, std::string help,
                                 std::vector<std::string> label_names,
                                 std::vector<double> upper_bounds)
    : LabeledFamily(std::move(name), std::move(help), MetricType::kHistogram,
                    std::move(label_names)),
      upper_bounds_(std::move(upper_bounds)) {
  if (this->label_names().empty()) WithLabels({});
}

std::unique_ptr<HistogramChild> HistogramFamily::NewChild() const {
  return std::make_unique<HistogramChild>(upper_bounds_);
}

void HistogramFamily::AppendChild(const std::string& labels, const HistogramChild& child,
                                  std::string* out) const {
  const std::vector<uint64_t> cumulative = child.CumulativeCounts();
  const std::string separator = labels.empty() ? "" : ",";
  for (size_t i = 0; i < cumulative.size(); ++i) {
    const double bound =
        i < upper_bounds_.size() ? upper_bounds_[i] : std::numeric_limits<double>::infinity();
    AppendLabeled(out, name(), "_bucket",
                  labels + separator + "le=\"" + FormatMetricValue(bound) + "\"",
                  static_cast<double>(cumulative[i]));
  }
  AppendLabeled(out, name(), "_sum", labels, child.sum());
  AppendLabeled(out, name(), "_count", labels, static_cast<double>(cumulative.back()));
}

template <typename Family, typename... Args>
Family& MetricsRegistry::Register(MetricType type, const std::string& name, const std::string& help,
                                  std::vector<std::string> label_names, Args&&... args) {
  if (!IsMetricName(name)) MetricsMisuse("invalid metric name \"" + name + "\"");
  if (help.empty()) MetricsMisuse(name + ": help text is empty");
  // The text format's convention, which scrapers and the OpenMetrics
  // translation rely on.
  if (type == MetricType::kCounter && !EndsWith(name, "_total")) {
    MetricsMisuse(name + ": a counter's name must end in _total");
  }
  ValidateLabelNames(name, label_names, type);

  std::lock_guard<std::mutex> lock(families_mu_);
  if (auto it = families_.find(name); it != families_.end()) {
    auto* family = dynamic_cast<Family*>(it->second.get());
    if (family == nullptr || family->label_names() != label_names) {
      MetricsMisuse(name + ": registered again with another type or other label names");
    }
    return *family;
  }
  // Sample names must not collide across families: a histogram `x` writes
  // x_bucket, x_sum and x_count.
  for (const auto& [other_name, other] : families_) {
    for (const std::string& mine : SampleNames(name, type)) {
      for (const std::string& theirs : SampleNames(other_name, other->type())) {
        if (mine == theirs) {
          MetricsMisuse(name + ": its samples collide with those of \"" + other_name + "\"");
        }
      }
    }
  }
  auto family =
      std::make_unique<Family>(name, help, std::move(label_names), std::forward<Args>(args)...);
  Family& out = *family;
  families_.emplace(name, std::move(family));
  return out;
}

CounterFamily& MetricsRegistry::Counter(const std::string& name, const std::string& help,
                                        std::vector<std::string> label_names) {
  return Register<CounterFamily>(MetricType::kCounter, name, help, std::move(label_names));
}

GaugeFamily& MetricsRegistry::Gauge(const std::string& name, const std::string& help,
                                    std::vector<std::string> label_names) {
  return Register<GaugeFamily>(MetricType::kGauge, name, help, std::move(label_names));
}

HistogramFamily& MetricsRegistry::Histogram(const std::string& name, const std::string& help,
                                            std::vector<std::string> label_names,
                                            std::vector<double> upper_bounds) {
  if (!upper_bounds.empty() && std::isinf(upper_bounds.back()) && upper_bounds.back() > 0) {
    upper_bounds.pop_back();
  }
  if (upper_bounds.empty()) MetricsMisuse(name + ": a histogram needs at least one bucket");
  for (size_t i = 0; i < upper_bounds.size(); ++i) {
    if (!std::isfinite(upper_bounds[i]) || (i > 0 && !(upper_bounds[i] > upper_bounds[i - 1]))) {
      MetricsMisuse(name + ": bucket bounds must be finite and strictly increasing");
    }
  }
  HistogramFamily& family = Register<HistogramFamily>(MetricType::kHistogram, name, help,
                                                      std::move(label_names), upper_bounds);
  if (family.upper_bounds() != upper_bounds) {
    MetricsMisuse(name + ": registered again with other buckets");
  }
  return family;
}

int MetricsRegistry::AddCollector(std::function<void()> collect) {
  std::lock_guard<std::mutex> lock(collectors_mu_);
  const int id = next_collector_id_++;
  collectors_.emplace(id, std::move(collect));
  return id;
}

void MetricsRegistry::RemoveCollector(int id) {
  std::lock_guard<std::mutex> lock(collectors_mu_);
  collectors_.erase(id);
}

std::string MetricsRegistry::RenderText() const {
  std::lock_guard<std::mutex> render_lock(render_mu_);
  std::vector<std::function<void()>> collectors;
  {
    std::lock_guard<std::mutex> lock(collectors_mu_);
    for (const auto& [id, collect] : collectors_) collectors.push_back(collect);
  }
  // Without holding the other locks: a collector may register families.
  for (const auto& collect : collectors) collect();
  std::string out;
  std::lock_guard<std::mutex> lock(families_mu_);
  for (const auto& [name, family] : families_) family->AppendText(&out);
  return out;
}

MetricsRegistry& GlobalMetrics() {
  // Never destroyed: pool threads may still record while the process exits.
  static MetricsRegistry* const registry = new MetricsRegistry();
  return *registry;
}

std::vector<double> ExponentialBuckets(double start, double factor, int count) {
  if (!(start > 0) || !(factor > 1) || count < 1) {
    MetricsMisuse("ExponentialBuckets needs start > 0, factor > 1 and count >= 1");
  }
  std::vector<double> bounds;
  double bound = start;
  for (int i = 0; i < count; ++i, bound *= factor) bounds.push_back(bound);
  return bounds;
}

std::string FormatMetricValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (value == 0) return std::signbit(value) ? "-0" : "0";
  // The shortest digits that read back as `value`, laid out the way Go's
  // strconv.FormatFloat(v, 'g', -1, 64) does for Prometheus' client: the
  // exponent form when the decimal exponent is below -4 or at least 6
  // (123456, 1e+06, 0.0001, 1e-05), with at least two exponent digits.
  char buffer[64];
  const auto result =
      std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::scientific);
  std::string_view scientific(buffer, result.ptr - buffer);  // "-1.2345e+06"
  const bool negative = scientific.front() == '-';
  if (negative) scientific.remove_prefix(1);
  const size_t e = scientific.find('e');
  std::string digits;
  for (char c : scientific.substr(0, e)) {
    if (c != '.') digits += c;
  }
  int exponent = 0;
  std::string_view exponent_text = scientific.substr(e + 1);
  if (exponent_text.front() == '+') exponent_text.remove_prefix(1);
  std::from_chars(exponent_text.data(), exponent_text.data() + exponent_text.size(), exponent);

  std::string out = negative ? "-" : "";
  if (exponent < -4 || exponent >= 6) {
    out += digits.substr(0, 1);
    if (digits.size() > 1) out += "." + digits.substr(1);
    out += exponent < 0 ? "e-" : "e+";
    const int magnitude = std::abs(exponent);
    if (magnitude < 10) out += '0';
    out += std::to_string(magnitude);
    return out;
  }
  // Plain decimal: `digits` with the point after exponent + 1 of them.
  const int point = exponent + 1;
  if (point <= 0) {
    out += "0." + std::string(-point, '0') + digits;
  } else if (static_cast<size_t>(point) >= digits.size()) {
    out += digits + std::string(point - digits.size(), '0');
  } else {
    out += digits.substr(0, point) + "." + digits.substr(point);
  }
  return out;
}

std::string EscapeLabelValue(const std::string& value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace salesaudit
