#include "syn/core/kafka/properties.hpp"

#include <set>
#include <string>
#include <utility>
#include <vector>

namespace syn::kafka {

bool is_embedded(const config::kafka_config& cfg) noexcept {
  return cfg.bootstrap_servers == embedded_bootstrap;
}

namespace {

using pairs = std::vector<std::pair<std::string, std::string>>;

/// Defaults a user may override through kafka.client.
pairs defaults_for(const config::kafka_config& cfg, role r) {
  pairs p{
      // Connection failures are reported once by the wrapper (see client.cpp), not per attempt.
      {"log.connection.close", "false"},
      {"socket.keepalive.enable", "true"},
  };
  switch (r) {
    case role::producer:
    case role::transactional_producer:
      p.emplace_back("linger.ms", "5");
      // No compression by default: the topics are a contract for clients in any language, and
      // kafkajs (for one) decodes only gzip without extra codecs; it failed on lz4 in the
      // subscriber test. Operators can set kafka.client.compression.type.
      p.emplace_back("compression.type", "none");
      // Java's default partitioner for keyed records (see partitioner.hpp).
      p.emplace_back("partitioner", "murmur2_random");
      break;
    case role::consumer:
      p.emplace_back("auto.offset.reset", "earliest");
      // Eager rebalancing (see consumer.hpp for why not cooperative-sticky on 2.0.2).
      p.emplace_back("partition.assignment.strategy", "range,roundrobin");
      p.emplace_back("session.timeout.ms", "30000");
      break;
    case role::admin:
      break;
  }
  if (r == role::transactional_producer) {
    p.emplace_back("transaction.timeout.ms", std::to_string(cfg.transaction_timeout_ms));
    // Right after a commit the coordinator answers the next transaction's AddOffsetsToTxn /
    // AddPartitionsToTxn with CONCURRENT_TRANSACTIONS until the markers are written; librdkafka
    // retries after retry.backoff.ms (100 ms by default; the Java client waits 20 ms here). It cost
    // `translate` ~100 ms on half of its transactions: 389 jobs/s, 2.4x that with 10-20 ms
    // (bench/run.sh, BENCHMARKS.md). 5 ms, not 20: markers take a few ms on a local broker, and
    // every group commit waited out the rest (`consume translation` 4,400-5,200 -> 5,800-6,300
    // records/s, `publish` 0.82 -> 0.63-0.69 s for 2,000 issues). A retry is one small request.
    p.emplace_back("retry.backoff.ms", "5");
  }
  return p;
}

/// Properties the wrapper's semantics rest on.
pairs required_for(role r, const role_options& o) {
  switch (r) {
    case role::producer:
      return {{"enable.idempotence", "true"}, {"acks", "all"}};
    case role::transactional_producer:
      return {{"enable.idempotence", "true"}, {"acks", "all"}, {"transactional.id", o.transactional_id}};
    case role::consumer:
      return {{"group.id", o.group_id},
              {"enable.auto.commit", "false"},
              {"enable.auto.offset.store", "false"},
              {"isolation.level", "read_committed"},
              {"enable.partition.eof", "false"}};
    case role::admin:
      return {};
  }
  return {};
}

/// kafka.client applies to every client; these keys mean something to consumers only, so they are
/// not passed to producers and admin clients (librdkafka would warn that it ignores them).
bool consumer_only(const std::string& key) {
  static const std::set<std::string, std::less<>> keys{
      "session.timeout.ms",  "heartbeat.interval.ms",      "max.poll.interval.ms",
      "group.instance.id",   "group.protocol.type",        "partition.assignment.strategy",
      "auto.offset.reset",   "fetch.wait.max.ms",          "fetch.min.bytes",
      "fetch.max.bytes",     "fetch.message.max.bytes",    "max.partition.fetch.bytes",
      "queued.min.messages", "queued.max.messages.kbytes", "coordinator.query.interval.ms",
      "check.crcs"};
  return keys.contains(key);
}

}  // namespace

result<properties> build_properties(const config::kafka_config& cfg, role r, const role_options& opts) {
  if (cfg.bootstrap_servers.empty()) {
    return error(errc::invalid_arg, "kafka.bootstrap_servers is empty");
  }
  if (r == role::consumer && opts.group_id.empty()) {
    return error(errc::invalid_arg, "a consumer needs a group.id");
  }
  if (r == role::transactional_producer && opts.transactional_id.empty()) {
    return error(errc::invalid_arg, "a transactional producer needs a transactional.id");
  }
  // bootstrap.servers + kafka.client + the kafka.client_env secrets, resolved now.
  properties user;
  try {
    user = config::librdkafka_properties(cfg);
  } catch (const config::config_error& e) {
    return error(errc::invalid_arg, e.what());
  }
  properties props;
  for (auto& [k, v] : defaults_for(cfg, r)) props[k] = v;
  props["client.id"] = opts.client_id;
  for (const auto& [k, v] : user) {
    if (r != role::consumer && consumer_only(k)) continue;
    props[k] = v;
  }
  for (auto& [k, v] : required_for(r, opts)) {
    if (auto it = user.find(k); it != user.end() && it->second != v) {
      std::string what = "kafka.client." + k;
      what.append("=").append(it->second).append(" conflicts with the ");
      what.append(r == role::consumer ? "consumer" : "producer")
          .append("'s required ")
          .append(k)
          .append("=")
          .append(v);
      return error(errc::invalid_arg, what);
    }
    props[k] = v;
  }
  return props;
}

}  // namespace syn::kafka
