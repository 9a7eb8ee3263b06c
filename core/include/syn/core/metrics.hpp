#pragma once
/// Prometheus text exposition (format 0.0.4), written once for every process: the consumers'
/// runner, the trigger. Metrics are declared where the event happens (plain atomics, a
/// histogram, a labelled counter family) and rendered on each scrape by a `writer`.
///
/// Thread-safety: `histogram` and `counter_family` may be updated and read from any thread.
/// A `writer` belongs to one scrape (one thread).

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace syn::metrics {

/// Label name/value pairs, in the order they are printed.
using labels = std::vector<std::pair<std::string, std::string>>;

/// A fixed-bucket latency histogram in seconds; lock-free.
class histogram {
 public:
  static constexpr std::array<double, 10> bounds{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5};

  void observe(std::chrono::microseconds d) noexcept;
  /// Per-bucket counts (not cumulative); the last is above the largest bound.
  [[nodiscard]] std::array<std::uint64_t, bounds.size() + 1> counts() const noexcept;
  [[nodiscard]] double sum_seconds() const noexcept;

 private:
  std::array<std::atomic<std::uint64_t>, bounds.size() + 1> counts_{};
  std::atomic<std::uint64_t> sum_us_{0};
};

/// Counters keyed by a label set created on first use (HTTP requests by route and status).
class counter_family {
 public:
  void inc(const labels& l, std::uint64_t by = 1);
  [[nodiscard]] std::vector<std::pair<labels, std::uint64_t>> snapshot() const;

 private:
  mutable std::mutex mu_;
  std::map<labels, std::uint64_t> values_;
};

/// Builds one exposition. Each family is declared once (HELP and TYPE) and its samples follow
/// it, as the format requires. Names are used as given (callers prefix `syndicate_`).
class writer {
 public:
  /// Starts a family: `type` is counter, gauge or histogram.
  writer& family(std::string_view name, std::string_view type, std::string_view help);
  /// A sample of the current family (name suffixes such as `_bucket` go in `suffix`).
  writer& sample(const labels& l, double value, std::string_view suffix = {});
  writer& sample(const labels& l, std::uint64_t value, std::string_view suffix = {});
  writer& sample(const labels& l, std::int64_t value, std::string_view suffix = {});
  /// Buckets (cumulative, `le` label appended), `_sum` and `_count` of `h` for the current family.
  writer& observations(const labels& l, const histogram& h);

  /// Shorthands: a family with one sample.
  writer& counter(std::string_view name, std::string_view help, const labels& l, std::uint64_t value);
  writer& gauge(std::string_view name, std::string_view help, const labels& l, double value);

  [[nodiscard]] const std::string& text() const noexcept { return out_; }

 private:
  void line(const labels& l, std::string_view suffix, std::string_view value);
  std::string out_;
  std::string current_;
};

/// The Content-Type of the exposition.
inline constexpr std::string_view content_type = "text/plain; version=0.0.4; charset=utf-8";

/// A label value escaped for the text format (`\\`, `\"`, `\n`).
std::string escape_label_value(std::string_view v);

}  // namespace syn::metrics
