// syn::config: the `kafka` section (connection, librdkafka pass-through, topics) and the
// librdkafka properties it resolves to.

#include <librdkafka/rdkafka.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <set>
#include <sstream>
#include <system_error>

#include "config_checks.hpp"
#include "config_sections.hpp"

namespace syn::config {
namespace detail {

namespace {

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
            names.reserve(kTopicConfigs.size());
            for (const auto& k : kTopicConfigs) names.emplace_back(k.name);
            for (const auto& [key, value] : m) {
              const std::string p = join_path(path, key);
              const auto it = std::find_if(kTopicConfigs.begin(), kTopicConfigs.end(),
                                           [&key = key](const topic_key& t) { return t.name == key; });
              if (it == kTopicConfigs.end()) {
                v.error(p, "unknown Kafka topic config" + did_you_mean(key, names));
                continue;
              }
              const auto is_int = [&value = value] {
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
                                              [&key = key](const fixed_property& x) { return x.key == key; });
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

}  // namespace

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
          field("deliveries", &topics_config::deliveries,
                "DeliveryReceipt per sink action (stored, drafted, translated...), keyed by article id."),
      },
      {[](const topics_config& t, validator& v, const std::string& path) {
        std::map<std::string, std::string> seen;
        const std::array<std::pair<const char*, const topic_config*>, 6> all{
            {{"issues", &t.issues},
             {"articles", &t.articles},
             {"translated", &t.translated},
             {"translation_jobs", &t.translation_jobs},
             {"deadletter", &t.deadletter},
             {"deliveries", &t.deliveries}}};
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

}  // namespace detail

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

}  // namespace syn::config
