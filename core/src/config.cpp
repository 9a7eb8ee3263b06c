// syn::config: load / validate / to_yaml, the machinery out of line (config_schema.hpp), what every
// consumer shares, observability, the root and its cross-section rules. Each component's section
// is in a file of its own (config_sections.hpp lists them); the checks they share are in
// config_checks.hpp.

#include "syn/core/config.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <set>
#include <sstream>
#include <system_error>

#include "config_checks.hpp"
#include "config_schema.hpp"
#include "config_sections.hpp"

namespace syn::config {

using namespace std::chrono_literals;
namespace d = detail;

// ----------------------------------------------------------------------------------------------
// Plain API pieces

std::optional<std::string> secret::resolve() const {
  if (env.empty()) return std::nullopt;
  // NOLINTNEXTLINE(concurrency-mt-unsafe): documented: not safe against a concurrent setenv().
  const char* v = std::getenv(env.c_str());
  if (v == nullptr) return std::nullopt;
  return std::string(v);
}

const paper_config* root::find_paper(std::string_view code) const {
  const auto it =
      std::find_if(papers.begin(), papers.end(), [&](const paper_config& p) { return p.code == code; });
  return it == papers.end() ? nullptr : &*it;
}

std::string diagnostic::str() const {
  std::string s = file;
  if (line > 0) s += ":" + std::to_string(line) + ":" + std::to_string(column);
  if (!key.empty()) s += (s.empty() ? "" : ": ") + key;
  return s + (s.empty() ? "" : ": ") + message;
}

namespace {
std::string join_lines(const std::vector<diagnostic>& errors) {
  std::string s;
  for (const auto& e : errors) {
    // Not `"\n" + e.str()`: GCC 12 -O3 reports a false -Wrestrict in operator+(const char*,
    // string&&) (GCC PR 105329), which -Werror turns into a broken release build.
    if (!s.empty()) s += '\n';
    s += e.str();
  }
  return s;
}
}  // namespace

config_error::config_error(std::vector<diagnostic> errors)
    : std::runtime_error(join_lines(errors)), errors_(std::move(errors)) {}

namespace detail {

// ----------------------------------------------------------------------------------------------
// Machinery out of line

void reporter::error(mark m, std::string key, std::string message) {
  diagnostic d;
  d.file = file_;
  if (m.known()) {
    d.line = m.line + 1;
    d.column = m.column + 1;
  }
  keys_.insert(key);
  d.key = std::move(key);
  d.message = std::move(message);
  list_.push_back(std::move(d));
}

std::vector<diagnostic> reporter::take() {
  std::stable_sort(list_.begin(), list_.end(), [](const diagnostic& a, const diagnostic& b) {
    const auto rank = [](const diagnostic& x) {
      return x.line == 0 ? std::pair{1, 0} : std::pair{0, x.line};
    };
    if (rank(a) != rank(b)) return rank(a) < rank(b);
    return a.line != 0 && a.column < b.column;
  });
  return std::move(list_);
}

void validator::error(const std::string& path, std::string message) {
  if (report_.has(path)) return;
  mark m;
  if (pos_ != nullptr) {
    std::string p = path;
    while (!p.empty()) {
      if (const auto it = pos_->find(p); it != pos_->end()) {
        m = it->second;
        break;
      }
      const auto cut = p.find_last_of(".[");
      p = cut == std::string::npos ? std::string() : p.substr(0, cut);
    }
  }
  report_.error(m, path, std::move(message));
}

std::string quote(std::string_view s) {
  std::string out = "\"";
  for (const char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          std::array<char, 8> buf{};
          std::snprintf(buf.data(), buf.size(), "\\u%04x",
                        static_cast<unsigned>(static_cast<unsigned char>(c)));
          out += buf.data();
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

std::string describe_node(const YAML::Node& n) {
  if (!n.IsDefined() || n.IsNull()) return "an empty value";
  if (n.IsSequence()) return "a list";
  if (n.IsMap()) return "a mapping";
  const std::string& s = n.Scalar();
  if (n.Tag() != "!") {  // plain scalar: numbers and booleans read as themselves
    double v{};
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if ((!s.empty() && ec == std::errc{} && end == s.data() + s.size()) || s == "true" || s == "false")
      return s;
  }
  return quote(s);
}

namespace {
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}
}  // namespace

std::string closest(std::string_view word, std::span<const std::string> candidates) {
  std::string best;
  std::size_t best_d = std::string::npos;
  for (const auto& c : candidates) {
    const std::size_t dist = edit_distance(word, c);
    if (dist < best_d) {
      best_d = dist;
      best = c;
    }
  }
  const std::size_t limit = std::clamp<std::size_t>(word.size() / 3, 1, 3);
  if (!best.empty() && best_d <= limit) return best;
  // `replication` for `replication_factor`: a truncated key.
  if (word.size() >= 4) {
    for (const auto& c : candidates) {
      if (c.starts_with(word)) return c;
    }
  }
  return {};
}

std::string did_you_mean(std::string_view word, std::span<const std::string> candidates) {
  const std::string c = closest(word, candidates);
  return c.empty() ? std::string() : " (did you mean " + quote(c) + "?)";
}

bool looks_like_secret_key(std::string_view key) {
  std::string k(key);
  std::transform(k.begin(), k.end(), k.begin(), [](unsigned char c) { return std::tolower(c); });
  if (k.ends_with("_env")) return false;
  for (const char* word :
       {"secret", "password", "passwd", "token", "api_key", "apikey", "private_key", "credential"}) {
    if (k.find(word) != std::string::npos) return true;
  }
  return false;
}

bool is_env_name(std::string_view s) {
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s.front())) != 0) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'; });
}

std::string codec<double>::show(double v) {
  std::array<char, 32> buf{};
  const auto r = std::to_chars(buf.data(), buf.data() + buf.size(), v);
  std::string s(buf.data(), r.ptr);
  if (s.find_first_of(".einf") == std::string::npos) s += ".0";
  return s;
}

void codec<secret>::write(YAML::Emitter& e, const secret& v, const write_options& o) {
  e << v.env;
  if (o.flow || v.env.empty()) return;
  if (const auto value = v.resolve()) {
    std::string shown = o.mask_secrets ? "***" : *value;
    std::replace(shown.begin(), shown.end(), '\n', ' ');
    e << YAML::Comment(shown);
  } else {
    e << YAML::Comment("<unset: " + v.env + ">");
  }
}

// ----------------------------------------------------------------------------------------------
// Enums

template <>
std::span<const std::pair<log_format, std::string_view>> enum_names<log_format>() {
  static constexpr std::array<std::pair<log_format, std::string_view>, 2> k{
      {{log_format::text, "text"}, {log_format::json, "json"}}};
  return k;
}
template <>
std::span<const std::pair<log_level, std::string_view>> enum_names<log_level>() {
  static constexpr std::array<std::pair<log_level, std::string_view>, 7> k{{{log_level::trace, "trace"},
                                                                            {log_level::debug, "debug"},
                                                                            {log_level::info, "info"},
                                                                            {log_level::warn, "warn"},
                                                                            {log_level::error, "error"},
                                                                            {log_level::critical, "critical"},
                                                                            {log_level::off, "off"}}};
  return k;
}

// ----------------------------------------------------------------------------------------------
// The schema: one entry per key. Defaults are the member initialisers in config.hpp.

template <>
const schema<retry_config>& schema_of<retry_config>() {
  static const schema<retry_config> s{
      {
          field("initial_backoff_ms", &retry_config::initial_backoff, "Delay before the first retry.",
                {positive_ms()}),
          field("max_backoff_ms", &retry_config::max_backoff, "Cap on the delay.", {positive_ms()}),
          field("multiplier", &retry_config::multiplier, "Growth of the delay per attempt.",
                {expect<double>("a number >= 1", [](double x) { return x >= 1.0; })}),
          field("max_attempts", &retry_config::max_attempts,
                "Attempts in total, the first included; then the record is dead-lettered.",
                {positive<int>()}),
          field("jitter", &retry_config::jitter,
                "Each delay is scaled by a random factor in [1-jitter, 1+jitter].",
                {expect<double>("a number from 0 to 1", [](double x) { return x >= 0.0 && x <= 1.0; })}),
      },
      {[](const retry_config& r, validator& v, const std::string& path) {
        if (r.max_backoff < r.initial_backoff) {
          v.error(join_path(path, "max_backoff_ms"), "must be at least initial_backoff_ms (" +
                                                         std::to_string(r.initial_backoff.count()) +
                                                         "), got " + std::to_string(r.max_backoff.count()));
        }
      }}};
  return s;
}

template <>
const schema<consumer_groups>& schema_of<consumer_groups>() {
  static const schema<consumer_groups> s{
      {
          field("feed", &consumer_groups::feed, "`consume feed`.", {not_empty("a group id")}),
          field("archive", &consumer_groups::archive, "`consume archive`.", {not_empty("a group id")}),
          field("translation", &consumer_groups::translation, "`consume translation`.",
                {not_empty("a group id")}),
          field("translator", &consumer_groups::translator, "`translate`.", {not_empty("a group id")}),
      },
      {[](const consumer_groups& g, validator& v, const std::string& path) {
        std::map<std::string, std::string> seen;
        for (const auto& [role, id] :
             {std::pair{"feed", &g.feed}, std::pair{"archive", &g.archive},
              std::pair{"translation", &g.translation}, std::pair{"translator", &g.translator}}) {
          if (const auto [it, fresh] = seen.emplace(*id, role); !fresh && !id->empty()) {
            v.error(join_path(path, role), "group " + quote(*id) + " is also used by " + it->second +
                                               ": each consumer needs its own group");
          }
        }
      }}};
  return s;
}

template <>
const schema<consumers_config>& schema_of<consumers_config>() {
  static const schema<consumers_config> s{{
      field("groups", &consumers_config::groups, "Consumer group id of each consumer."),
      field("poll_batch_size", &consumers_config::poll_batch_size, "Records taken per poll.",
            {positive<int>()}),
      field("poll_timeout_ms", &consumers_config::poll_timeout, "Bound on one poll.", {positive_ms()}),
      field("commit_timeout_ms", &consumers_config::commit_timeout, "Bound on every offset commit.",
            {positive_ms()}),
      field("retry", &consumers_config::retry, "Retries of a sink's retryable failures, then dead-letter."),
  }};
  return s;
}

template <>
const schema<metrics_listen_config>& schema_of<metrics_listen_config>() {
  static const schema<metrics_listen_config> s{{
      field("trigger", &metrics_listen_config::trigger, "`serve trigger`.", {listen_address(true)}),
      field("feed", &metrics_listen_config::feed, "`consume feed`.", {listen_address(true)}),
      field("archive", &metrics_listen_config::archive, "`consume archive`.", {listen_address(true)}),
      field("translation", &metrics_listen_config::translation, "`consume translation`.",
            {listen_address(true)}),
      field("translator", &metrics_listen_config::translator, "`translate`.", {listen_address(true)}),
      field("feed_server", &metrics_listen_config::feed_server, "`serve feeds`.", {listen_address(true)}),
      field("run", &metrics_listen_config::run, "`run` (every role in one process).", {listen_address(true)}),
  }};
  return s;
}

template <>
const schema<observability_config>& schema_of<observability_config>() {
  static const schema<observability_config> s{{
      field("metrics", &observability_config::metrics,
            "Where each process serves /metrics, /healthz and /readyz; empty = not served."),
      field("log_format", &observability_config::format, "text (key=value) or json (one object per line)."),
      field("log_level", &observability_config::level, "Least severe level logged."),
      field("kafka_statistics_interval_ms", &observability_config::kafka_statistics_interval,
            "librdkafka statistics.interval.ms, for lag and queue gauges; consuming roles take them at "
            "most every 5 s (0 = 5 s): their /readyz follows the brokers through them.",
            {non_negative_ms()}),
  }};
  return s;
}

namespace {

/// Cross-section rules: references between sections.
void check_references(const root& c, validator& v) {
  if (c.papers.empty()) v.error("papers", "at least one paper is required");
  report_duplicates<paper_config>(
      c.papers, [](const paper_config& p) { return p.code; }, v, "papers", "code", "paper code");

  std::vector<std::string> codes;
  for (const auto& p : c.papers) codes.push_back(p.code);
  const auto check_paper = [&](const std::string& code, const std::string& path) {
    if (c.find_paper(code) == nullptr) {
      v.error(path, "unknown paper " + quote(code) + ": not a code in papers" + did_you_mean(code, codes));
    }
  };
  if (!c.producer.split.default_paper.empty()) {
    check_paper(c.producer.split.default_paper, "producer.split.default_paper");
  }

  std::set<std::string> languages{std::string(kSourceLanguage)};
  for (std::size_t i = 0; i < c.translation.targets.size(); ++i) {
    const auto& t = c.translation.targets[i];
    languages.insert(t.language);
    const std::string p = index_path("translation.targets", i) + ".rules.papers";
    for (std::size_t j = 0; j < t.rules.papers.size(); ++j) check_paper(t.rules.papers[j], index_path(p, j));
  }

  for (std::size_t i = 0; i < c.feed.accounts.size(); ++i) {
    const auto& a = c.feed.accounts[i];
    const std::string p = index_path("feed.accounts", i);
    for (std::size_t j = 0; j < a.rules.papers.size(); ++j) {
      check_paper(a.rules.papers[j], index_path(p + ".rules.papers", j));
    }
    const auto wanted = a.rules.languages.empty() ? std::vector<std::string>{a.language} : a.rules.languages;
    const std::string where_ = a.rules.languages.empty() ? p + ".language" : p + ".rules.languages";
    for (const auto& lang : wanted) {
      if (is_language_tag(lang) && !languages.contains(lang)) {
        v.error(where_, "no article is ever in " + quote(lang) +
                            ": it is neither zh-Hans nor the language of a translation.targets entry");
      }
    }
  }
}

}  // namespace

template <>
const schema<root>& schema_of<root>() {
  static const schema<root> s{
      {
          field("kafka", &root::kafka, "Kafka connection, producer transactions and topics."),
          field("papers", &root::papers, "The newspapers the splitter knows."),
          field("producer", &root::producer, "`split`, `publish`, `serve trigger`."),
          field("feed", &root::feed, "`consume feed` and `serve feeds`."),
          field("archive", &root::archive, "`consume archive`."),
          field("translation", &root::translation, "`consume translation` and `translate`."),
          field("consumers", &root::consumers, "What every consumer shares."),
          field("observability", &root::observability, "Metrics and logs."),
          field("blobs", &root::blobs, "Where photos are stored (by SHA-256) and their limits."),
          field("console", &root::console, "`serve console`: the newsroom console (docs/CONSOLE.md)."),
      },
      {[](const root& c, validator& v, const std::string&) { check_references(c, v); }}};
  return s;
}

}  // namespace detail

// ----------------------------------------------------------------------------------------------
// API

std::string_view to_string(input_encoding v) noexcept { return d::codec<input_encoding>::name(v); }
std::string_view to_string(archive_backend v) noexcept { return d::codec<archive_backend>::name(v); }
std::string_view to_string(translation_engine v) noexcept { return d::codec<translation_engine>::name(v); }
std::string_view to_string(opencc_variant v) noexcept { return d::codec<opencc_variant>::name(v); }
std::string_view to_string(log_format v) noexcept { return d::codec<log_format>::name(v); }
std::string_view to_string(log_level v) noexcept { return d::codec<log_level>::name(v); }

root load_string(std::string_view yaml, const std::string& name) {
  d::reporter report(name);
  YAML::Node doc;
  try {
    std::vector<YAML::Node> docs = YAML::LoadAll(std::string(yaml));
    if (docs.size() > 1) {
      report.error(d::mark_of(docs[1]), "",
                   "one YAML document expected, found " + std::to_string(docs.size()));
      throw config_error(report.take());
    }
    if (!docs.empty()) doc = docs.front();
  } catch (const YAML::Exception& e) {
    std::string hint;
    // yaml-cpp reports a tab in indentation as "illegal map value" or worse; say what it is.
    std::size_t line = 1;
    for (std::size_t i = 0; i < yaml.size(); ++i) {
      if (i == 0 || yaml[i - 1] == '\n') {
        std::size_t j = i;
        while (j < yaml.size() && (yaml[j] == ' ' || yaml[j] == '\t')) ++j;
        if (yaml.substr(i, j - i).find('\t') != std::string_view::npos) {
          hint = " (line " + std::to_string(line) + " is indented with a tab: YAML allows spaces only)";
          break;
        }
      }
      if (yaml[i] == '\n') ++line;
    }
    report.error({e.mark.line, e.mark.column}, "", "YAML syntax error: " + e.msg + hint);
    throw config_error(report.take());
  }

  root cfg;
  d::positions pos;
  d::reader r{report, pos};
  std::string hint;
  if (d::codec<root>::read(doc, cfg, r, "", d::mark{0, 0}, hint) == d::read_status::mismatch) {
    report.error(
        d::mark_of(doc), "",
        "expected a mapping of sections (kafka, papers, producer, ...), got " + d::describe_node(doc));
  }
  d::validator v(report, &pos);
  d::codec<root>::validate(cfg, v, "");
  if (!report.empty()) throw config_error(report.take());
  cfg.kafka.statistics_interval = cfg.observability.kafka_statistics_interval;
  return cfg;
}

root load(const std::string& path) {
  const auto fail = [&](int err) {
    throw config_error({diagnostic{path, 0, 0, "", "cannot open: " + std::generic_category().message(err)}});
  };
  std::FILE* f = std::fopen(path.c_str(), "rb");  // NOLINT(cppcoreguidelines-owning-memory)
  if (f == nullptr) fail(errno);
  const std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(f, &std::fclose);
  std::string text;
  std::array<char, 65536> buf{};
  std::size_t n = 0;
  while ((n = std::fread(buf.data(), 1, buf.size(), file.get())) > 0) text.append(buf.data(), n);
  if (std::ferror(file.get()) != 0) fail(errno);  // EISDIR for a directory
  return load_string(text, path);
}

std::vector<diagnostic> validate(const root& cfg) {
  d::reporter report("");
  d::validator v(report, nullptr);
  d::codec<root>::validate(cfg, v, "");
  return report.take();
}

std::string to_yaml(const root& cfg, bool mask_secrets) {
  YAML::Emitter e;
  e.SetIndent(2);
  d::codec<root>::write(e, cfg, d::write_options{mask_secrets, false});
  return std::string(e.c_str()) + "\n";
}

std::vector<key_info> describe() {
  std::vector<key_info> out;
  d::codec<root>::document(root{}, out, "");
  return out;
}

}  // namespace syn::config
