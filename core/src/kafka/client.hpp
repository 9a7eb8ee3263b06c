#pragma once
// Internal to the Kafka client layer: the rd_kafka_t handle, its callbacks, error conversion.

#include <librdkafka/rdkafka.h>
#include <spdlog/logger.h>

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "syn/core/kafka/embedded.hpp"
#include "syn/core/kafka/error.hpp"
#include "syn/core/kafka/properties.hpp"
#include "syn/core/kafka/types.hpp"

namespace syn::kafka::detail {

/// The "kafka" spdlog logger (created on stderr if nobody registered one).
std::shared_ptr<spdlog::logger> logger();

/// Converts a librdkafka error object (and destroys it). `context` prefixes the message.
error from_rd(rd_kafka_error_t* e, std::string_view context);
/// Converts a bare error code; `context` prefixes the message.
error from_code(rd_kafka_resp_err_t code, std::string_view context);

struct rd_kafka_deleter {
  void operator()(rd_kafka_t* rk) const noexcept { rd_kafka_destroy(rk); }
};
struct tpl_deleter {
  void operator()(rd_kafka_topic_partition_list_t* l) const noexcept {
    rd_kafka_topic_partition_list_destroy(l);
  }
};
struct queue_deleter {
  void operator()(rd_kafka_queue_t* q) const noexcept { rd_kafka_queue_destroy(q); }
};
struct event_deleter {
  void operator()(rd_kafka_event_t* e) const noexcept { rd_kafka_event_destroy(e); }
};
using tpl_ptr = std::unique_ptr<rd_kafka_topic_partition_list_t, tpl_deleter>;
using queue_ptr = std::unique_ptr<rd_kafka_queue_t, queue_deleter>;
using event_ptr = std::unique_ptr<rd_kafka_event_t, event_deleter>;

/// A partition list from value types (offsets included).
tpl_ptr to_list(std::span<const partition_offset> offsets);
tpl_ptr to_list(std::span<const topic_partition> parts);
/// Value types from a partition list (per-partition errors included).
std::vector<partition_offset> from_list(const rd_kafka_topic_partition_list_t* l);
std::vector<topic_partition> partitions_of(const rd_kafka_topic_partition_list_t* l);

/// One librdkafka client: its handle, its callbacks' state, and the embedded cluster it uses.
/// The address is stable (held by unique_ptr in each wrapper): librdkafka's opaque points here.
class client {
 public:
  virtual ~client();
  client(const client&) = delete;
  client& operator=(const client&) = delete;

  [[nodiscard]] rd_kafka_t* rk() const noexcept { return rk_.get(); }
  [[nodiscard]] const std::string& bootstrap() const noexcept { return bootstrap_; }
  [[nodiscard]] const std::string& name() const noexcept { return name_; }

  /// The error for a wait that ran out: "cannot reach B within Ns (<transport error>)" if the
  /// brokers were unreachable during the wait, else "<what> timed out after Ns".
  [[nodiscard]] error timed_out(std::string_view what, clock::time_point started) const;

  /// The fatal error raised on this instance, if any.
  [[nodiscard]] std::optional<error> fatal_error() const;

  /// All topics (or just `only`) from a metadata request, by `d`. With `wait_for_topic`, an
  /// unknown `only` is retried until `d` (a topic created a moment ago); else reported at once.
  result<std::vector<topic_info>> metadata(const std::string* only, bool wait_for_topic, deadline d) const;

  /// The embedded cluster this client runs on, if `embedded`.
  [[nodiscard]] embedded_cluster* embedded() const noexcept { return embedded_.get(); }

  /// Called by librdkafka's threads.
  void on_log(int level, const char* fac, const char* buf);
  void on_error(rd_kafka_resp_err_t err, const char* reason);

 protected:
  client() = default;

 public:
  /// Builds the conf from `props` (resolving `embedded`), installs log/error callbacks, lets
  /// `customize` add role callbacks, and creates the handle.
  result<void> open(rd_kafka_type_t type, properties props,
                    const std::function<void(rd_kafka_conf_t*)>& customize);

  /// A role that runs for days (a group consumer) logs the first broker connection failure after
  /// 30 quiet seconds as a warning; a one-shot command leaves it to its one error line.
  void warn_on_outage(bool on) noexcept {
    std::lock_guard lock(mu_);
    warn_on_outage_ = on;
  }

 protected:
  /// Destroys the handle now (derived destructors call this first, so no callback reaches a
  /// half-destroyed object). `flags`: rd_kafka_destroy_flags().
  void close_handle(int flags = 0) noexcept;

 private:
  void record_transport_error(rd_kafka_resp_err_t err, std::string_view reason);

  // Declared first so it is destroyed last: the mock cluster outlives the handle using it.
  std::shared_ptr<embedded_cluster> embedded_;
  std::unique_ptr<rd_kafka_t, rd_kafka_deleter> rk_;
  std::string bootstrap_;
  std::string name_;
  mutable std::mutex mu_;
  // Held, not looked up per call: callbacks may outlive the registry at process exit.
  std::shared_ptr<spdlog::logger> log_ = logger();
  std::string last_transport_error_;
  rd_kafka_resp_err_t last_transport_error_code_ = RD_KAFKA_RESP_ERR_NO_ERROR;
  clock::time_point last_transport_error_at_{};
  /// Log the first broker connection failure after a quiet spell as a warning (group consumers).
  bool warn_on_outage_ = false;
};

/// Polls `q` for one event until `d`; nullptr on timeout.
event_ptr wait_event(rd_kafka_queue_t* q, deadline d);

}  // namespace syn::kafka::detail
