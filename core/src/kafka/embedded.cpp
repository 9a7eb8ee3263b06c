#include "syn/core/kafka/embedded.hpp"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <array>
#include <mutex>

#include "client.hpp"

namespace syn::kafka {

namespace {

void mock_log_cb(const rd_kafka_t*, int level, const char* fac, const char* buf) {
  // The hosting handle has no brokers to talk to; only the mock's own problems matter.
  detail::logger()->log(level <= 3 ? spdlog::level::err : spdlog::level::debug, "embedded {}: {}", fac, buf);
}

}  // namespace

result<std::shared_ptr<embedded_cluster>> embedded_cluster::create(int brokers) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  std::array<char, 512> errstr{};
  const auto n = std::to_string(brokers);
  if (rd_kafka_conf_set(conf, "test.mock.num.brokers", n.c_str(), errstr.data(), errstr.size()) !=
      RD_KAFKA_CONF_OK) {
    rd_kafka_conf_destroy(conf);
    return error(errc::invalid_arg, std::string("embedded cluster: ") + errstr.data());
  }
  rd_kafka_conf_set_log_cb(conf, mock_log_cb);
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr.data(), errstr.size());
  if (rk == nullptr) {
    rd_kafka_conf_destroy(conf);
    return error(errc::invalid_arg, std::string("embedded cluster: ") + errstr.data());
  }
  std::shared_ptr<embedded_cluster> c(new embedded_cluster());
  c->rk_ = rk;
  c->mock_ = rd_kafka_handle_mock_cluster(rk);
  c->bootstrap_ = rd_kafka_mock_cluster_bootstraps(c->mock_);
  return c;
}

result<std::shared_ptr<embedded_cluster>> embedded_cluster::shared() {
  static std::mutex mu;
  static std::weak_ptr<embedded_cluster> instance;
  std::lock_guard lock(mu);
  if (auto c = instance.lock()) return c;
  auto c = create(1);
  if (c) instance = c.value();
  return c;
}

embedded_cluster::~embedded_cluster() {
  // The mock cluster belongs to rk_ (test.mock.num.brokers) and goes with it.
  if (rk_ != nullptr) rd_kafka_destroy(rk_);
}

result<void> embedded_cluster::create_topic(const std::string& name, int partitions, int replication_factor) {
  const auto err = rd_kafka_mock_topic_create(mock_, name.c_str(), partitions, replication_factor);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
    return detail::from_code(err, "embedded cluster: create topic " + name);
  }
  return success();
}

}  // namespace syn::kafka
