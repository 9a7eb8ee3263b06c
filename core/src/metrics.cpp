#include "syn/core/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace syn::metrics {
namespace {

std::string format_double(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

}  // namespace

void histogram::observe(std::chrono::microseconds d) noexcept {
  const double s = static_cast<double>(d.count()) / 1e6;
  std::size_t i = 0;
  while (i < bounds.size() && s > bounds[i]) ++i;
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  sum_us_.fetch_add(static_cast<std::uint64_t>(std::max<std::int64_t>(0, d.count())),
                    std::memory_order_relaxed);
}

std::array<std::uint64_t, histogram::bounds.size() + 1> histogram::counts() const noexcept {
  std::array<std::uint64_t, bounds.size() + 1> out{};
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = counts_[i].load(std::memory_order_relaxed);
  return out;
}

double histogram::sum_seconds() const noexcept { return static_cast<double>(sum_us_.load()) / 1e6; }

void counter_family::inc(const labels& l, std::uint64_t by) {
  std::lock_guard lock(mu_);
  values_[l] += by;
}

std::vector<std::pair<labels, std::uint64_t>> counter_family::snapshot() const {
  std::lock_guard lock(mu_);
  return {values_.begin(), values_.end()};
}

std::string escape_label_value(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (const char c : v) {
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

writer& writer::family(std::string_view name, std::string_view type, std::string_view help) {
  current_ = name;
  out_ += "# HELP ";
  out_ += name;
  out_ += ' ';
  for (const char c : help) out_ += c == '\n' ? ' ' : c;
  out_ += "\n# TYPE ";
  out_ += name;
  out_ += ' ';
  out_ += type;
  out_ += '\n';
  return *this;
}

void writer::line(const labels& l, std::string_view suffix, std::string_view value) {
  out_ += current_;
  out_ += suffix;
  if (!l.empty()) {
    out_ += '{';
    for (std::size_t i = 0; i < l.size(); ++i) {
      if (i > 0) out_ += ',';
      out_ += l[i].first + "=\"" + escape_label_value(l[i].second) + '"';
    }
    out_ += '}';
  }
  out_ += ' ';
  out_ += value;
  out_ += '\n';
}

writer& writer::sample(const labels& l, double value, std::string_view suffix) {
  line(l, suffix, format_double(value));
  return *this;
}

writer& writer::sample(const labels& l, std::uint64_t value, std::string_view suffix) {
  line(l, suffix, std::to_string(value));
  return *this;
}

writer& writer::sample(const labels& l, std::int64_t value, std::string_view suffix) {
  line(l, suffix, std::to_string(value));
  return *this;
}

writer& writer::observations(const labels& l, const histogram& h) {
  const auto counts = h.counts();
  std::uint64_t cumulative = 0;
  labels with_le = l;
  with_le.emplace_back("le", "");
  for (std::size_t i = 0; i < histogram::bounds.size(); ++i) {
    cumulative += counts[i];
    char le[32];
    std::snprintf(le, sizeof le, "%g", histogram::bounds[i]);
    with_le.back().second = le;
    sample(with_le, cumulative, "_bucket");
  }
  cumulative += counts.back();
  with_le.back().second = "+Inf";
  sample(with_le, cumulative, "_bucket");
  sample(l, h.sum_seconds(), "_sum");
  sample(l, cumulative, "_count");
  return *this;
}

writer& writer::counter(std::string_view name, std::string_view help, const labels& l, std::uint64_t value) {
  return family(name, "counter", help).sample(l, value);
}

writer& writer::gauge(std::string_view name, std::string_view help, const labels& l, double value) {
  return family(name, "gauge", help).sample(l, value);
}

}  // namespace syn::metrics
