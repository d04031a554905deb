// Prometheus metrics: counter, gauge and histogram families with fixed label
// names, one child per tuple of label values, rendered in the text exposition
// format 0.0.4 (https://prometheus.io/docs/instrumenting/exposition_formats/).
// Shaped after the official client libraries
// (https://prometheus.io/docs/instrumenting/writing_clientlibs/).
//
// Ownership: a MetricsRegistry owns its families and they own their children;
// references to both stay valid for the registry's life (a child until it is
// removed from its family). GlobalMetrics() is never destroyed.
// Threading: everything here may be called from any thread. Children are
// lock-free atomics, so keep the reference a lookup returns and increment it
// on hot paths; a lookup by label values takes the family's mutex.
//
//   CounterFamily& syncs = GlobalMetrics().Counter(
//       "salesaudit_syncs_total", "Sync runs by result.", {"connector", "stream", "result"});
//   syncs.WithLabels({"crm", "contacts", "ok"}).Increment();
//   GaugeFamily& age = GlobalMetrics().Gauge("salesaudit_snapshot_age_seconds", "...");
//   int id = GlobalMetrics().AddCollector([&] { age.WithLabels({}).Set(SnapshotAge()); });
//   std::string text = GlobalMetrics().RenderText();
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/clock.h"

namespace salesaudit {

enum class MetricType { kCounter, kGauge, kHistogram };

// One counter series: only goes up, from 0 at process start.
class CounterChild {
 public:
  // Adds `amount`; a negative or NaN amount is a bug in the caller and is
  // ignored (a counter that went down would read as a restart).
  void Increment(double amount = 1);
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// One gauge series: a value that goes up and down.
class GaugeChild {
 public:
  void Set(double value) { value_.store(value, std::memory_order_relaxed); }
  void Increment(double amount = 1);
  void Decrement(double amount = 1) { Increment(-amount); }
  // Seconds since the Unix epoch on `clock`, e.g. for "last success" timestamps.
  void SetToCurrentTime(const Clock& clock = Clock::Default());
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// One histogram series: counts of observations per bucket, and their sum.
class HistogramChild {
 public:
  // `upper_bounds`: the family's, finite and strictly increasing; it must
  // outlive the child. A +Inf bucket follows them.
  explicit HistogramChild(const std::vector<double>& upper_bounds);

  // Counts `value` in the first bucket whose upper bound is >= value (a value
  // equal to a bound is in that bucket, as `le` says); NaN counts in +Inf.
  void Observe(double value);

  // Cumulative counts, one per upper bound plus the +Inf one (== count).
  std::vector<uint64_t> CumulativeCounts() const;
  double sum() const { return sum_.load(std::memory_order_relaxed); }

 private:
  const std::vector<double>& upper_bounds_;
  // Per bucket, not cumulative, so that Observe touches one counter; the
  // total count is their sum, which keeps _count equal to the +Inf bucket in
  // every rendering however observations interleave with it.
  std::unique_ptr<std::atomic<uint64_t>[]> bucket_counts_;
  std::atomic<double> sum_{0};
};

// What every family has: name, help, type, label names, and a rendering.
class MetricFamily {
 public:
  MetricFamily(std::string name, std::string help, MetricType type,
               std::vector<std::string> label_names)
      : name_(std::move(name)),
        help_(std::move(help)),
        type_(type),
        label_names_(std::move(label_names)) {}
  virtual ~MetricFamily() = default;
  MetricFamily(const MetricFamily&) = delete;
  MetricFamily& operator=(const MetricFamily&) = delete;

  const std::string& name() const { return name_; }
  const std::string& help() const { return help_; }
  MetricType type() const { return type_; }
  const std::vector<std::string>& label_names() const { return label_names_; }

  // Appends the family's # HELP, # TYPE and sample lines to `out`.
  virtual void AppendText(std::string* out) const = 0;

 private:
  const std::string name_;
  const std::string help_;
  const MetricType type_;
  const std::vector<std::string> label_names_;
};

// A family of children of one type, one per tuple of label values. A family
// without labels has its one child from the start, so it is exported as 0
// before the first increment.
template <typename Child>
class LabeledFamily : public MetricFamily {
 public:
  using MetricFamily::MetricFamily;

  // The child for `values` (one per label name, in their order), created at
  // zero on first use. A wrong number of values is a bug and aborts.
  Child& WithLabels(const std::vector<std::string>& values);

  // Drop series that no longer exist (a connector removed by a reload). Only
  // for children set by collectors: a reference kept elsewhere dangles after.
  void Remove(const std::vector<std::string>& values);
  void Clear();

  void AppendText(std::string* out) const override;

 protected:
  virtual std::unique_ptr<Child> NewChild() const = 0;
  // Appends the sample line(s) of one child; `labels` is `a="x",b="y"` or "".
  virtual void AppendChild(const std::string& labels, const Child& child,
                           std::string* out) const = 0;

 private:
  mutable std::mutex mu_;
  std::map<std::vector<std::string>, std::unique_ptr<Child>> children_;  // sorted for output
};

class CounterFamily final : public LabeledFamily<CounterChild> {
 public:
  CounterFamily(std::string name, std::string help, std::vector<std::string> label_names);

 private:
  std::unique_ptr<CounterChild> NewChild() const override;
  void AppendChild(const std::string& labels, const CounterChild& child,
                   std::string* out) const override;
};

class GaugeFamily final : public LabeledFamily<GaugeChild> {
 public:
  GaugeFamily(std::string name, std::string help, std::vector<std::string> label_names);

 private:
  std::unique_ptr<GaugeChild> NewChild() const override;
  void AppendChild(const std::string& labels, const GaugeChild& child,
                   std::string* out) const override;
};

class HistogramFamily final : public LabeledFamily<HistogramChild> {
 public:
  HistogramFamily(std::string name, std::string help, std::vector<std::string> label_names,
                  std::vector<double> upper_bounds);
  const std::vector<double>& upper_bounds() const { return upper_bounds_; }

 private:
  std::unique_ptr<HistogramChild> NewChild() const override;
  void AppendChild(const std::string& labels, const HistogramChild& child,
                   std::string* out) const override;
  const std::vector<double> upper_bounds_;
};

// The metric families of a process, rendered for /metrics.
// Registering a name again returns the family already there when type and
// label names (and, for histograms, buckets) match; anything else, like an
// invalid name, is a bug in the caller and aborts with a message on stderr.
// Names follow Prometheus conventions: counters end in `_total`, units are
// base units in the name (`_seconds`, `_bytes`).
class MetricsRegistry {
 public:
  // The Content-Type of RenderText's output.
  static constexpr const char* kContentType = "text/plain; version=0.0.4; charset=utf-8";

  MetricsRegistry() = default;
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;

  CounterFamily& Counter(const std::string& name, const std::string& help,
                         std::vector<std::string> label_names = {});
  GaugeFamily& Gauge(const std::string& name, const std::string& help,
                     std::vector<std::string> label_names = {});
  // `upper_bounds`: finite, strictly increasing, at least one (a trailing
  // +Inf is dropped: the +Inf bucket is always there).
  HistogramFamily& Histogram(const std::string& name, const std::string& help,
                             std::vector<std::string> label_names,
                             std::vector<double> upper_bounds);

  // Adds a function run at the start of every RenderText, for values read
  // when scraped (ages, row counts). It runs on the rendering thread, may
  // register families and set children, and must not call RenderText.
  // Returns an id for RemoveCollector (call it before what `collect` uses
  // goes away).
  int AddCollector(std::function<void()> collect);
  void RemoveCollector(int id);

  // Runs the collectors, then renders every family sorted by name.
  // Concurrent calls are serialised.
  std::string RenderText() const;

 private:
  template <typename Family, typename... Args>
  Family& Register(MetricType type, const std::string& name, const std::string& help,
                   std::vector<std::string> label_names, Args&&... args);

  mutable std::mutex render_mu_;  // one render (collectors included) at a time
  mutable std::mutex collectors_mu_;
  std::map<int, std::function<void()>> collectors_;
  int next_collector_id_ = 1;
  mutable std::mutex families_mu_;
  std::map<std::string, std::unique_ptr<MetricFamily>> families_;
};

// The process's registry: connectors, the sync engine and the daemon record
// into it, and the status server renders it.
MetricsRegistry& GlobalMetrics();

// The metric families of one part (a struct whose members register
// themselves in GlobalMetrics()), made on first use and, like the registry
// they live in, never destroyed: a metric may be updated during exit.
//   struct SyncMetrics { CounterFamily& runs = GlobalMetrics().Counter(...); };
//   MetricFamilies<SyncMetrics>().runs.WithLabels({name}).Increment();
template <typename Families>
Families& MetricFamilies() {
  static Families* families = new Families();
  return *families;
}

// `count` bounds start, start*factor, start*factor^2, ... (start > 0, factor > 1).
std::vector<double> ExponentialBuckets(double start, double factor, int count);

// `value` as Prometheus' Go client writes it (strconv 'g', shortest): 1, 0.25,
// 1e+06, 1.5e-07, +Inf, -Inf, NaN.
std::string FormatMetricValue(double value);

// `value` escaped for a label value: backslash, double quote and newline.
std::string EscapeLabelValue(const std::string& value);

}  // namespace salesaudit
