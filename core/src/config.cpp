// syn::config: the schema of every section (config_schema.hpp has the machinery), the
// cross-key rules, and load / validate / to_yaml.

#include "syn/core/config.hpp"

#include <librdkafka/rdkafka.h>

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

#include "config_schema.hpp"

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
// Checks

namespace {

template <class T>
check<T> positive(std::string expected = "a positive integer") {
  return expect<T>(std::move(expected), [](const T& v) { return v > T{}; });
}
template <class T>
check<T> non_negative(std::string expected = "a non-negative integer") {
  return expect<T>(std::move(expected), [](const T& v) { return v >= T{}; });
}
check<int> in_range(int lo, int hi) {
  return expect<int>("an integer from " + std::to_string(lo) + " to " + std::to_string(hi),
                     [lo, hi](int v) { return v >= lo && v <= hi; });
}
check<std::chrono::milliseconds> positive_ms() {
  return positive<std::chrono::milliseconds>("a positive number of milliseconds");
}
check<std::chrono::milliseconds> non_negative_ms() {
  return non_negative<std::chrono::milliseconds>("a non-negative number of milliseconds");
}
check<std::string> not_empty(std::string expected = "a non-empty string") {
  return expect<std::string>(std::move(expected), [](const std::string& s) { return !s.empty(); });
}

bool all_of_chars(std::string_view s, std::string_view extra) {
  return std::all_of(s.begin(), s.end(), [&](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || extra.find(c) != std::string_view::npos;
  });
}

struct host_port {
  std::string host;
  int port = -1;
};

/// `host:port`, `[v6]:port`; port 0-65535 (0: any free port, for tests).
std::optional<host_port> parse_host_port(std::string_view s) {
  host_port hp;
  std::string_view port;
  if (s.starts_with('[')) {
    const auto close = s.find(']');
    if (close == std::string_view::npos || close + 1 >= s.size() || s[close + 1] != ':') return std::nullopt;
    hp.host = std::string(s.substr(0, close + 1));
    if (!all_of_chars(s.substr(1, close - 1), ":.") || close == 1) return std::nullopt;
    port = s.substr(close + 2);
  } else {
    const auto colon = s.rfind(':');
    if (colon == std::string_view::npos || colon == 0) return std::nullopt;
    hp.host = std::string(s.substr(0, colon));
    if (!all_of_chars(hp.host, ".-_")) return std::nullopt;
    port = s.substr(colon + 1);
  }
  int p = -1;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
  if (port.empty() || ec != std::errc{} || end != port.data() + port.size() || p < 0 || p > 65535) {
    return std::nullopt;
  }
  hp.port = p;
  return hp;
}

bool is_loopback(std::string_view host) {
  return host == "localhost" || host.starts_with("127.") || host == "[::1]";
}

check<std::string> listen_address(bool optional = false) {
  return expect<std::string>(
      optional ? "a listen address host:port, or empty to disable" : "a listen address host:port",
      [optional](const std::string& s) { return (optional && s.empty()) || parse_host_port(s).has_value(); });
}

check<std::string> http_url() {
  return {"an http:// or https:// URL", [](const std::string& s, validator& v, const std::string& path) {
            std::string_view rest = s;
            if (rest.starts_with("https://")) {
              rest.remove_prefix(8);
            } else if (rest.starts_with("http://")) {
              rest.remove_prefix(7);
            } else {
              v.error(path, "expected an http:// or https:// URL, got " + quote(s));
              return;
            }
            const std::string_view authority = rest.substr(0, rest.find('/'));
            if (authority.find('@') != std::string_view::npos) {
              // Credentials in a URL are an inline secret; not echoed.
              v.error(path,
                      "credentials in URLs are not allowed: secrets come only from environment variables "
                      "named by `*_env` keys");
            } else if (authority.empty() || s.find_first_of(" \t\n") != std::string::npos) {
              v.error(path, "expected an http:// or https:// URL, got " + quote(s));
            }
          }};
}

check<std::string> optional_http_url() {
  const auto url = http_url();
  return {"", [url](const std::string& s, validator& v, const std::string& path) {
            if (!s.empty()) url.run(s, v, path);
          }};
}

bool is_language_tag(std::string_view s) {
  // BCP 47, loosely: a 2-3 letter primary subtag, then subtags of 1-8 alphanumerics.
  std::size_t i = 0;
  bool first = true;
  while (true) {
    const auto dash = s.find('-', i);
    const std::string_view sub =
        s.substr(i, dash == std::string_view::npos ? std::string_view::npos : dash - i);
    if (first) {
      if (sub.size() < 2 || sub.size() > 3 || !std::all_of(sub.begin(), sub.end(), [](char c) {
            return std::isalpha(static_cast<unsigned char>(c));
          })) {
        return false;
      }
    } else if (sub.empty() || sub.size() > 8 || !all_of_chars(sub, "")) {
      return false;
    }
    first = false;
    if (dash == std::string_view::npos) return true;
    i = dash + 1;
  }
}

check<std::string> language_tag() {
  return expect<std::string>("a BCP 47 language tag such as zh-Hant",
                             [](const std::string& s) { return is_language_tag(s); });
}

bool is_paper_code(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(),
                                   [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); });
}

check<std::string> paper_code() {
  // Article ids are `<code>-<date>-<page>-<seq>`: a dash in the code would make them ambiguous.
  return expect<std::string>("a paper code of lowercase letters and digits",
                             [](const std::string& s) { return is_paper_code(s); });
}

check<std::string> url_safe_name() {
  return expect<std::string>("a name of lowercase letters, digits, - and _", [](const std::string& s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    });
  });
}

check<std::string> subfolder_name() {
  return expect<std::string>("a folder name (no /)", [](const std::string& s) {
    return !s.empty() && s != "." && s != ".." && s.find('/') == std::string::npos;
  });
}

check<std::string> topic_name() {
  return expect<std::string>(
      "a Kafka topic name (letters, digits, . _ -; at most 249)", [](const std::string& s) {
        return !s.empty() && s.size() <= 249 && s != "." && s != ".." && all_of_chars(s, "._-");
      });
}

check<std::string> bootstrap_servers() {
  return expect<std::string>("host:port[,host:port...] or `embedded`", [](const std::string& s) {
    if (s == "embedded") return true;
    if (s.empty()) return false;
    std::size_t i = 0;
    while (i <= s.size()) {
      const auto comma = s.find(',', i);
      std::string_view one =
          std::string_view(s).substr(i, comma == std::string::npos ? std::string::npos : comma - i);
      while (!one.empty() && one.front() == ' ') one.remove_prefix(1);
      while (!one.empty() && one.back() == ' ') one.remove_suffix(1);
      if (!parse_host_port(one)) return false;
      if (comma == std::string::npos) break;
      i = comma + 1;
    }
    return true;
  });
}

// Kafka topic-level configs (Kafka 4.x), each with the kind of value it takes.
enum class tkind { integer, boolean, ratio, cleanup, compression, timestamp_type, text };
struct topic_key {
  std::string_view name;
  tkind kind;
};
constexpr std::array<topic_key, 28> kTopicConfigs{{
    {"cleanup.policy", tkind::cleanup},
    {"compression.type", tkind::compression},
    {"compression.gzip.level", tkind::integer},
    {"compression.lz4.level", tkind::integer},
    {"compression.zstd.level", tkind::integer},
    {"delete.retention.ms", tkind::integer},
    {"file.delete.delay.ms", tkind::integer},
    {"flush.messages", tkind::integer},
    {"flush.ms", tkind::integer},
    {"index.interval.bytes", tkind::integer},
    {"local.retention.bytes", tkind::integer},
    {"local.retention.ms", tkind::integer},
    {"max.compaction.lag.ms", tkind::integer},
    {"max.message.bytes", tkind::integer},
    {"message.timestamp.after.max.ms", tkind::integer},
    {"message.timestamp.before.max.ms", tkind::integer},
    {"message.timestamp.type", tkind::timestamp_type},
    {"min.cleanable.dirty.ratio", tkind::ratio},
    {"min.compaction.lag.ms", tkind::integer},
    {"min.insync.replicas", tkind::integer},
    {"preallocate", tkind::boolean},
    {"remote.storage.enable", tkind::boolean},
    {"retention.bytes", tkind::integer},
    {"retention.ms", tkind::integer},
    {"segment.bytes", tkind::integer},
    {"segment.index.bytes", tkind::integer},
    {"segment.ms", tkind::integer},
    {"unclean.leader.election.enable", tkind::boolean},
}};

check<std::map<std::string, std::string>> topic_configs() {
  return {"", [](const std::map<std::string, std::string>& m, validator& v, const std::string& path) {
            std::vector<std::string> names;
            for (const auto& k : kTopicConfigs) names.emplace_back(k.name);
            for (const auto& [key, value] : m) {
              const std::string p = join_path(path, key);
              const auto it = std::find_if(kTopicConfigs.begin(), kTopicConfigs.end(),
                                           [&](const topic_key& t) { return t.name == key; });
              if (it == kTopicConfigs.end()) {
                v.error(p, "unknown Kafka topic config" + did_you_mean(key, names));
                continue;
              }
              const auto is_int = [&] {
                std::int64_t x{};
                const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), x);
                return !value.empty() && ec == std::errc{} && end == value.data() + value.size() && x >= -1;
              };
              std::string expected;
              bool ok = true;
              switch (it->kind) {
                case tkind::integer:
                  expected = "an integer (-1 for unlimited where Kafka allows it)";
                  ok = is_int();
                  break;
                case tkind::boolean:
                  expected = "true or false";
                  ok = value == "true" || value == "false";
                  break;
                case tkind::ratio: {
                  expected = "a number from 0 to 1";
                  double x{};
                  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), x);
                  ok = !value.empty() && ec == std::errc{} && end == value.data() + value.size() && x >= 0 &&
                       x <= 1;
                  break;
                }
                case tkind::cleanup:
                  expected = "delete, compact or compact,delete";
                  ok = value == "delete" || value == "compact" || value == "compact,delete" ||
                       value == "delete,compact";
                  break;
                case tkind::compression:
                  expected = "one of uncompressed, zstd, lz4, snappy, gzip, producer";
                  ok = value == "uncompressed" || value == "zstd" || value == "lz4" || value == "snappy" ||
                       value == "gzip" || value == "producer";
                  break;
                case tkind::timestamp_type:
                  expected = "CreateTime or LogAppendTime";
                  ok = value == "CreateTime" || value == "LogAppendTime";
                  break;
                case tkind::text:
                  break;
              }
              if (!ok) v.error(p, "expected " + expected + ", got " + quote(value));
            }
          }};
}

/// Properties the Kafka layer sets itself, from their own keys.
std::optional<std::string_view> owned_property(std::string_view key) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 6> kOwned{{
      {"bootstrap.servers", "set kafka.bootstrap_servers instead"},
      {"metadata.broker.list", "set kafka.bootstrap_servers instead"},
      {"transactional.id", "set kafka.transactional_id_prefix instead"},
      {"transaction.timeout.ms", "set kafka.transaction_timeout_ms instead"},
      {"group.id", "set consumers.groups instead"},
      {"statistics.interval.ms", "set observability.kafka_statistics_interval_ms instead"},
  }};
  for (const auto& [k, why] : kOwned) {
    if (k == key) return why;
  }
  return std::nullopt;
}

/// Properties the delivery guarantees rest on (core/src/kafka/properties.cpp sets them): the
/// same value is accepted, any other is an error here rather than at the first connection.
struct fixed_property {
  std::string_view key;
  std::string_view value;
  std::string_view alias;  ///< another spelling of `value`
  std::string_view why;
};
constexpr std::array<fixed_property, 6> kFixed{{
    {"enable.idempotence", "true", "true", "the producer must be idempotent"},
    {"acks", "all", "-1", "records are acknowledged by every in-sync replica"},
    {"enable.auto.commit", "false", "false", "consumers commit only after their sink took the record"},
    {"enable.auto.offset.store", "false", "false", "consumers commit only after their sink took the record"},
    {"isolation.level", "read_committed", "read_committed", "consumers see whole issues or nothing"},
    {"enable.partition.eof", "false", "false", "the consumer loop does not handle end-of-partition events"},
}};

bool is_secret_client_property(std::string_view key) {
  return key.find("password") != std::string_view::npos || key.find("secret") != std::string_view::npos ||
         key == "ssl.key.pem";
}

/// Names librdkafka reports in a fresh config dump, for "did you mean".
const std::vector<std::string>& librdkafka_property_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    std::size_t n = 0;
    const char** dump = rd_kafka_conf_dump(conf, &n);
    for (std::size_t i = 0; i + 1 < n; i += 2) out.emplace_back(dump[i]);
    rd_kafka_conf_dump_free(dump, n);
    rd_kafka_conf_destroy(conf);
    rd_kafka_topic_conf_t* tconf = rd_kafka_topic_conf_new();
    dump = rd_kafka_topic_conf_dump(tconf, &n);
    for (std::size_t i = 0; i + 1 < n; i += 2) out.emplace_back(dump[i]);
    rd_kafka_conf_dump_free(dump, n);
    rd_kafka_topic_conf_destroy(tconf);
    // The dump has canonical names only; these are the Java-client aliases people type.
    for (const char* alias : {"acks", "linger.ms", "retries", "compression.type", "batch.size",
                              "max.in.flight", "sasl.mechanism", "retry.backoff.ms"}) {
      out.emplace_back(alias);
    }
    return out;
  }();
  return names;
}

struct conf_deleter {
  void operator()(rd_kafka_conf_t* c) const noexcept { rd_kafka_conf_destroy(c); }
};

/// Every `kafka.client` entry is given to librdkafka's own parser, so a misspelt property or a
/// bad value fails `config check`, not the first connection.
check<std::map<std::string, std::string>> librdkafka_client() {
  return {"", [](const std::map<std::string, std::string>& m, validator& v, const std::string& path) {
            const std::unique_ptr<rd_kafka_conf_t, conf_deleter> conf(rd_kafka_conf_new());
            for (const auto& [key, value] : m) {
              const std::string p = join_path(path, key);
              if (const auto why = owned_property(key)) {
                v.error(p, "is set by syndicate: " + std::string(*why));
                continue;
              }
              const auto fixed = std::find_if(kFixed.begin(), kFixed.end(),
                                              [&](const fixed_property& x) { return x.key == key; });
              if (fixed != kFixed.end() && value != fixed->value && value != fixed->alias) {
                v.error(p, "must be " + std::string(fixed->value) + " (" + std::string(fixed->why) +
                               "), got " + quote(value));
                continue;
              }
              if (is_secret_client_property(key)) {
                v.error(p,
                        "inline secrets are not allowed: name an environment variable under kafka.client_env "
                        "(`" +
                            key + ": VARIABLE`)");
                continue;
              }
              if (key == "plugin.library.paths") continue;  // setting it loads the plugin
              std::array<char, 512> err{};
              switch (rd_kafka_conf_set(conf.get(), key.c_str(), value.c_str(), err.data(), err.size())) {
                case RD_KAFKA_CONF_OK:
                  break;
                case RD_KAFKA_CONF_UNKNOWN:
                  v.error(p, "unknown librdkafka property" + did_you_mean(key, librdkafka_property_names()));
                  break;
                case RD_KAFKA_CONF_INVALID:
                  v.error(p, "invalid value " + quote(value) + ": " + err.data());
                  break;
              }
            }
          }};
}

check<std::map<std::string, secret>> librdkafka_client_env() {
  return {"", [](const std::map<std::string, secret>& m, validator& v, const std::string& path) {
            const std::unique_ptr<rd_kafka_conf_t, conf_deleter> conf(rd_kafka_conf_new());
            for (const auto& [key, value] : m) {
              const std::string p = join_path(path, key);
              if (const auto why = owned_property(key)) {
                v.error(p, "is set by syndicate: " + std::string(*why));
                continue;
              }
              std::array<char, 512> err{};
              // An empty value is enough to tell a known property from an unknown one.
              if (rd_kafka_conf_set(conf.get(), key.c_str(), "", err.data(), err.size()) ==
                  RD_KAFKA_CONF_UNKNOWN) {
                v.error(p, "unknown librdkafka property" + did_you_mean(key, librdkafka_property_names()));
              }
              if (value.env.empty()) v.error(p, "expected the name of an environment variable, got nothing");
            }
          }};
}

template <class T>
void report_duplicates(const std::vector<T>& items, const std::function<std::string(const T&)>& key_of,
                       validator& v, const std::string& path, std::string_view field, std::string_view what) {
  std::map<std::string, std::size_t> first;
  for (std::size_t i = 0; i < items.size(); ++i) {
    const std::string k = key_of(items[i]);
    if (k.empty()) continue;
    if (const auto [it, fresh] = first.emplace(k, i); !fresh) {
      v.error(join_path(index_path(path, i), field), "duplicate " + std::string(what) + " " + quote(k) +
                                                         " (also " + index_path(path, it->second) + ")");
    }
  }
}

constexpr std::string_view kSourceLanguage = "zh-Hans";

}  // namespace

// ----------------------------------------------------------------------------------------------
// Enums

template <>
std::span<const std::pair<input_encoding, std::string_view>> enum_names<input_encoding>() {
  static constexpr std::array<std::pair<input_encoding, std::string_view>, 3> k{
      {{input_encoding::automatic, "auto"},
       {input_encoding::utf8, "utf-8"},
       {input_encoding::gb18030, "gb18030"}}};
  return k;
}
template <>
std::span<const std::pair<archive_backend, std::string_view>> enum_names<archive_backend>() {
  static constexpr std::array<std::pair<archive_backend, std::string_view>, 2> k{
      {{archive_backend::sqlite, "sqlite"}, {archive_backend::postgres, "postgres"}}};
  return k;
}
template <>
std::span<const std::pair<translation_engine, std::string_view>> enum_names<translation_engine>() {
  static constexpr std::array<std::pair<translation_engine, std::string_view>, 2> k{
      {{translation_engine::opencc, "opencc"}, {translation_engine::http, "http"}}};
  return k;
}
template <>
std::span<const std::pair<opencc_variant, std::string_view>> enum_names<opencc_variant>() {
  static constexpr std::array<std::pair<opencc_variant, std::string_view>, 4> k{
      {{opencc_variant::s2t, "s2t"},
       {opencc_variant::s2tw, "s2tw"},
       {opencc_variant::s2twp, "s2twp"},
       {opencc_variant::s2hk, "s2hk"}}};
  return k;
}
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
const schema<topic_config>& schema_of<topic_config>() {
  static const schema<topic_config> s{{
      field("name", &topic_config::name, "Topic name.", {topic_name()}),
      field("partitions", &topic_config::partitions,
            "Partitions at creation. An issue's records share one partition (hash of the issue id).",
            {positive<int>()}),
      field("replication_factor", &topic_config::replication_factor,
            "Replicas at creation (1 for one broker).", {positive<int>()}),
      field("config", &topic_config::config,
            "Topic configs at creation (retention.ms, cleanup.policy, ...); replaces the default map.",
            {topic_configs()}),
  }};
  return s;
}

template <>
const schema<topics_config>& schema_of<topics_config>() {
  static const schema<topics_config> s{
      {
          field("issues", &topics_config::issues, "IssueManifest per issue, keyed by issue id (compacted)."),
          field("articles", &topics_config::articles, "Article per article, keyed by article id."),
          field("translated", &topics_config::translated, "Translated articles (language != zh-Hans)."),
          field("translation_jobs", &topics_config::translation_jobs,
                "TranslationJob per article and target."),
          field("deadletter", &topics_config::deadletter,
                "DeadLetter for records a consumer cannot process."),
      },
      {[](const topics_config& t, validator& v, const std::string& path) {
        std::map<std::string, std::string> seen;
        const std::array<std::pair<const char*, const topic_config*>, 5> all{
            {{"issues", &t.issues},
             {"articles", &t.articles},
             {"translated", &t.translated},
             {"translation_jobs", &t.translation_jobs},
             {"deadletter", &t.deadletter}}};
        for (const auto& [role, topic] : all) {
          if (const auto [it, fresh] = seen.emplace(topic->name, role); !fresh) {
            v.error(join_path(join_path(path, role), "name"),
                    "topic " + quote(topic->name) + " is also used for " + it->second);
          }
        }
      }}};
  return s;
}

template <>
const schema<kafka_config>& schema_of<kafka_config>() {
  static const schema<kafka_config> s{{
      field("bootstrap_servers", &kafka_config::bootstrap_servers,
            "Brokers, host:port[,host:port]; `embedded` runs librdkafka's in-process mock cluster.",
            {bootstrap_servers()}),
      field("client", &kafka_config::client,
            "librdkafka properties passed through verbatim (checked by librdkafka at load).",
            {librdkafka_client()}),
      field(
          "client_env", &kafka_config::client_env,
          "Secret librdkafka properties, each read from the named environment variable (sasl.password: VAR).",
          {librdkafka_client_env()}),
      field("transactional_id_prefix", &kafka_config::transactional_id_prefix,
            "Prefix of the publisher's transactional.id; each instance appends its own suffix.",
            {not_empty()}),
      field("transaction_timeout_ms", &kafka_config::transaction_timeout_ms,
            "transaction.timeout.ms; at most the broker's transaction.max.timeout.ms (900000 by default).",
            {in_range(1000, 900000)}),
      field("topics", &kafka_config::topics, "The topics, by role."),
  }};
  return s;
}

template <>
const schema<paper_config>& schema_of<paper_config>() {
  static const schema<paper_config> s{{
      required(field("code", &paper_config::code, "Short code, the first part of article ids (cjrb).",
                     {paper_code()})),
      required(field("name", &paper_config::name, "Name as printed on the masthead.", {not_empty()})),
      field("aliases", &paper_config::aliases, "Other names the masthead may carry.", {each(not_empty())}),
  }};
  return s;
}

template <>
const schema<split_config>& schema_of<split_config>() {
  static const schema<split_config> s{{
      field("default_paper", &split_config::default_paper,
            "Paper code assumed when the masthead names no known paper; empty = the first of `papers`."),
      field("encoding", &split_config::encoding, "Encoding of issue files; auto detects UTF-8 or GB18030."),
      field("join_wrapped_lines", &split_config::join_wrapped_lines,
            "Remove spaces left inside Chinese text where a column line wrapped."),
      field("drop_duplicate_lines", &split_config::drop_duplicate_lines,
            "Drop consecutive duplicated lines (garbled OCR repeats)."),
  }};
  return s;
}

template <>
const schema<trigger_config>& schema_of<trigger_config>() {
  static const schema<trigger_config> s{
      {
          field("listen", &trigger_config::listen, "Address of the trigger's HTTP server (POST /v1/issues).",
                {listen_address()}),
          field("max_body_bytes", &trigger_config::max_body_bytes, "Largest accepted request body.",
                {positive<std::size_t>("a positive number of bytes")}),
          field("token_env", &trigger_config::token,
                "Environment variable holding the bearer token clients must send; empty = no authentication "
                "(loopback listen only)."),
          field("request_timeout_ms", &trigger_config::request_timeout,
                "Bound on reading one request's body (and on writing the answer).", {positive_ms()}),
          field("header_timeout_ms", &trigger_config::header_timeout,
                "Bound on reading a request's line and headers, and on a keep-alive connection's idle time "
                "(at most request_timeout_ms).",
                {positive_ms()}),
          field("max_connections", &trigger_config::max_connections,
                "Open connections at most; more are answered 503 and closed.",
                {positive<std::size_t>("a positive number")}),
          field("max_connections_per_client", &trigger_config::max_connections_per_client,
                "Open connections at most from one client address; more are answered 503 and closed.",
                {positive<std::size_t>("a positive number")}),
          field("spool_dir", &trigger_config::spool_dir,
                "Accepted issues are written here (fsync'd, one file per issue, a subfolder per instance) before "
                "the 202, and replayed at start-up.",
                {not_empty("a directory")}),
      },
      {[](const trigger_config& t, validator& v, const std::string& path) {
        const auto hp = parse_host_port(t.listen);
        if (!t.token.configured() && hp && !is_loopback(hp->host)) {
          v.error(join_path(path, "token_env"),
                  "an unauthenticated trigger may only listen on loopback, and listen is " + quote(t.listen) +
                      ": name the token's environment variable");
        }
      }}};
  return s;
}

template <>
const schema<hot_folder_config>& schema_of<hot_folder_config>() {
  static const schema<hot_folder_config> s{
      {
          field("enabled", &hot_folder_config::enabled, "Watch the hot folder (part of `serve trigger`)."),
          field("dir", &hot_folder_config::dir, "The hot folder.", {not_empty("a directory")}),
          field("incoming", &hot_folder_config::incoming, "Subfolder of dir where issue files are dropped.",
                {subfolder_name()}),
          field("done", &hot_folder_config::done, "Subfolder of dir for published files.",
                {subfolder_name()}),
          field("failed", &hot_folder_config::failed,
                "Subfolder of dir for files that failed (with a .error note).", {subfolder_name()}),
          field("poll_interval_ms", &hot_folder_config::poll_interval, "How often incoming is scanned.",
                {positive_ms()}),
          field("stable_wait_ms", &hot_folder_config::stable_wait,
                "Fallback for writers that neither rename a .part file nor write a .ready marker: a file is taken "
                "once its size, mtime and inode have not changed for this long.",
                {non_negative_ms()}),
          field("max_file_bytes", &hot_folder_config::max_file_bytes,
                "A larger file is moved to failed/ (with a .error note) without being read.",
                {positive<std::size_t>("a positive number of bytes")}),
          field("ignore_suffixes", &hot_folder_config::ignore_suffixes,
                "Files with these suffixes are still being written and never taken.",
                {each(not_empty("a non-empty suffix"))}),
      },
      {[](const hot_folder_config& h, validator& v, const std::string& path) {
        if (h.done == h.incoming) v.error(join_path(path, "done"), "must differ from incoming");
        if (h.failed == h.incoming) v.error(join_path(path, "failed"), "must differ from incoming");
        if (h.failed == h.done) v.error(join_path(path, "failed"), "must differ from done");
      }}};
  return s;
}

template <>
const schema<producer_config>& schema_of<producer_config>() {
  static const schema<producer_config> s{{
      field("split", &producer_config::split, "How issues are split into articles."),
      field("trigger", &producer_config::trigger, "`serve trigger`: the HTTP trigger."),
      field("hot_folder", &producer_config::hot_folder, "`serve trigger`: the hot folder."),
      field("max_issues_per_transaction", &producer_config::max_issues_per_transaction,
            "Issues that are ready together (files of one `publish`, the trigger's queue) go into one Kafka "
            "transaction, up to this many; each issue is still all-or-nothing for read_committed consumers.",
            {positive<int>()}),
  }};
  return s;
}

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
const schema<route_rules>& schema_of<route_rules>() {
  static const schema<route_rules> s{{
      field("papers", &route_rules::papers, "Paper codes; empty = every paper.", {each(paper_code())}),
      field("kickers", &route_rules::kickers, "Column kickers; empty = any.", {each(not_empty())}),
      field("pages", &route_rules::pages, "Pages; empty = any.",
            {each(positive<int>("a page number from 1"))}),
      field("headline_keywords", &route_rules::headline_keywords, "Substrings of the headline; empty = any.",
            {each(not_empty())}),
      field("languages", &route_rules::languages, "Article languages; empty = the account's (target's) own.",
            {each(language_tag())}),
  }};
  return s;
}

template <>
const schema<feed_account>& schema_of<feed_account>() {
  static const schema<feed_account> s{
      {
          required(field("name", &feed_account::name, "Stable name, used in feed URLs (/feeds/<name>).",
                         {url_safe_name()})),
          field("app_id", &feed_account::app_id,
                "WeChat AppID; empty = served by the feed server only, nothing pushed."),
          field("app_secret_env", &feed_account::app_secret,
                "Environment variable holding the AppSecret (required with app_id)."),
          field("language", &feed_account::language, "Language of the account's articles.", {language_tag()}),
          field("cover_image", &feed_account::cover_image,
                "Image uploaded as the drafts' cover (required with app_id)."),
          field("rules", &feed_account::rules, "Which articles this account gets."),
          field("callback_token_env", &feed_account::callback_token,
                "Environment variable holding the WeChat message-push Token (serve feeds' callback)."),
          field("encoding_aes_key_env", &feed_account::encoding_aes_key,
                "Environment variable holding the message-push EncodingAESKey (safe mode; recommended)."),
      },
      {[](const feed_account& a, validator& v, const std::string& path) {
        if (a.app_id.empty()) return;
        if (!a.app_secret.configured()) {
          v.error(join_path(path, "app_secret_env"),
                  "required when app_id is set: name the environment variable "
                  "holding the AppSecret");
        }
        if (a.cover_image.empty()) {
          v.error(join_path(path, "cover_image"),
                  "required when app_id is set: WeChat drafts need a cover image");
        }
      }}};
  return s;
}

template <>
const schema<feed_server_config>& schema_of<feed_server_config>() {
  static const schema<feed_server_config> s{{
      field("listen", &feed_server_config::listen, "Address of `serve feeds` (feed pages and RSS).",
            {listen_address()}),
      field("public_base_url", &feed_server_config::public_base_url,
            "Base of the links in feeds and pushed drafts, as readers reach it.", {http_url()}),
  }};
  return s;
}

template <>
const schema<feed_config>& schema_of<feed_config>() {
  static const schema<feed_config> s{
      {
          field("api_base_url", &feed_config::api_base_url, "WeChat API base URL (a test server's in tests).",
                {http_url()}),
          field("request_timeout_ms", &feed_config::request_timeout, "Bound on one WeChat API call.",
                {positive_ms()}),
          field("max_articles_per_draft", &feed_config::max_articles_per_draft,
                "Articles per WeChat draft (WeChat takes at most 8).", {in_range(1, 8)}),
          field("retry", &feed_config::retry, "Retries of WeChat API calls (5xx, timeouts, rate limits)."),
          field("quota_reset_utc_minute", &feed_config::quota_reset_utc_minute,
                "Minute of the UTC day when WeChat's daily API quotas reset (960: midnight China time); an "
                "account paused by 45009 resumes then.",
                {in_range(0, 1439)}),
          field("server", &feed_config::server, "`serve feeds`: the feed server."),
          field("accounts", &feed_config::accounts, "WeChat-style accounts and what each one gets."),
      },
      {[](const feed_config& f, validator& v, const std::string& path) {
        report_duplicates<feed_account>(
            f.accounts, [](const feed_account& a) { return a.name; }, v, join_path(path, "accounts"), "name",
            "account name");
      }}};
  return s;
}

template <>
const schema<sqlite_config>& schema_of<sqlite_config>() {
  static const schema<sqlite_config> s{{
      field("path", &sqlite_config::path, "SQLite database file (created if missing)."),
  }};
  return s;
}

template <>
const schema<postgres_config>& schema_of<postgres_config>() {
  static const schema<postgres_config> s{{
      field("conninfo_env", &postgres_config::conninfo,
            "Environment variable holding the libpq conninfo or postgresql:// URI."),
  }};
  return s;
}

template <>
const schema<archive_config>& schema_of<archive_config>() {
  static const schema<archive_config> s{
      {
          field("backend", &archive_config::backend, "Where articles are archived."),
          field("sqlite", &archive_config::sqlite, "backend: sqlite."),
          field("postgres", &archive_config::postgres, "backend: postgres."),
          field("batch_size", &archive_config::batch_size, "Records written per transaction.",
                {positive<int>()}),
          field("batch_max_wait_ms", &archive_config::batch_max_wait,
                "Bound on gathering one batch while records keep arriving; a batch is written as soon as a poll finds "
                "nothing more (no idle wait).", {non_negative_ms()}),
      },
      {[](const archive_config& a, validator& v, const std::string& path) {
        if (a.backend == archive_backend::sqlite && a.sqlite.path.empty()) {
          v.error(join_path(path, "sqlite.path"), "required when backend is sqlite");
        }
        if (a.backend == archive_backend::postgres && !a.postgres.conninfo.configured()) {
          v.error(join_path(path, "postgres.conninfo_env"), "required when backend is postgres");
        }
      }}};
  return s;
}

template <>
const schema<translation_target>& schema_of<translation_target>() {
  static const schema<translation_target> s{
      {
          required(field("language", &translation_target::language, "Language of the translations.",
                         {language_tag()})),
          required(
              field("engine", &translation_target::engine, "opencc (offline, Chinese scripts) or http.")),
          field("opencc", &translation_target::opencc, "OpenCC conversion (engine: opencc)."),
          field("url", &translation_target::url, "LibreTranslate-compatible endpoint (engine: http).",
                {optional_http_url()}),
          field("api_key_env", &translation_target::api_key,
                "Environment variable holding the HTTP engine's API key, if it wants one."),
          field("engine_language", &translation_target::engine_language,
                "Language code the HTTP engine expects; empty = language."),
          field("request_timeout_ms", &translation_target::request_timeout, "Bound on one HTTP engine call.",
                {positive_ms()}),
          field("rules", &translation_target::rules, "Which articles are translated for this target."),
          field("engine_source_language", &translation_target::engine_source_language,
                "Code the HTTP engine expects for zh-Hans (e.g. zh for LibreTranslate before 1.6); empty = zh-Hans."),
          field("max_chars_per_request", &translation_target::max_chars_per_request,
                "HTTP: most code points in one request (the engine's char_limit).", {positive<std::size_t>()}),
          field("max_segments_per_request", &translation_target::max_segments_per_request,
                "HTTP: most texts in one request (the engine's batch_limit).", {positive<std::size_t>()}),
          field("keep_names_as_printed", &translation_target::keep_names_as_printed,
                "OpenCC: names, dateline and photo credits stay as printed instead of converted."),
      },
      {[](const translation_target& t, validator& v, const std::string& path) {
        if (t.engine == translation_engine::http && t.url.empty()) {
          v.error(join_path(path, "url"), "required when engine is http");
        }
        if (t.engine == translation_engine::opencc) {
          if (!t.url.empty()) v.error(join_path(path, "url"), "only used by engine: http");
          if (!t.language.empty() && !t.language.starts_with("zh")) {
            v.error(
                join_path(path, "engine"),
                "OpenCC converts between Chinese scripts only; use engine: http for " + quote(t.language));
          }
        }
      }}};
  return s;
}

template <>
const schema<translation_priorities>& schema_of<translation_priorities>() {
  static const schema<translation_priorities> s{{
      field("default", &translation_priorities::normal, "Priority of a job (0 lowest, 9 highest).",
            {in_range(0, 9)}),
      field("front_page", &translation_priorities::front_page, "Priority of a job for a page-1 article.",
            {in_range(0, 9)}),
  }};
  return s;
}

template <>
const schema<translation_config>& schema_of<translation_config>() {
  static const schema<translation_config> s{
      {
          field("targets", &translation_config::targets, "Languages articles are translated into."),
          field("job_deadline_ms", &translation_config::job_deadline,
                "A job not done by then is dead-lettered instead of retried.", {positive_ms()}),
          field("priorities", &translation_config::priorities, "Which jobs the translator takes first."),
      },
      {[](const translation_config& t, validator& v, const std::string& path) {
        const std::string targets = join_path(path, "targets");
        report_duplicates<translation_target>(
            t.targets, [](const translation_target& x) { return x.language; }, v, targets, "language",
            "target language");
        for (std::size_t i = 0; i < t.targets.size(); ++i) {
          if (t.targets[i].language == kSourceLanguage) {
            v.error(join_path(index_path(targets, i), "language"), "zh-Hans is the source language");
          }
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
            "librdkafka statistics.interval.ms, for lag and queue gauges; 0 = off.", {non_negative_ms()}),
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

std::map<std::string, std::string> librdkafka_properties(const kafka_config& kafka) {
  std::map<std::string, std::string> props = kafka.client;
  props["bootstrap.servers"] = kafka.bootstrap_servers;
  std::vector<diagnostic> missing;
  for (const auto& [key, s] : kafka.client_env) {
    if (auto value = s.resolve()) {
      props[key] = std::move(*value);
    } else {
      missing.push_back(
          {"", 0, 0, "kafka.client_env." + key, "environment variable " + s.env + " is not set"});
    }
  }
  if (!missing.empty()) throw config_error(std::move(missing));
  return props;
}

std::vector<key_info> describe() {
  std::vector<key_info> out;
  d::codec<root>::document(root{}, out, "");
  return out;
}

}  // namespace syn::config
