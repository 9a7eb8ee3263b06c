#pragma once
/// Errors of the Kafka client layer.
///
/// librdkafka's error codes (`rd_kafka_resp_err_t`, broker codes >= 0 and local codes < 0) are
/// converted at the wrapper boundary into `syn::kafka::error`: a `std::error_code` in the `kafka`
/// category (value = the librdkafka code, so every broker and local error has a name), a one-line
/// message, and the three flags librdkafka attaches to transactional and idempotent errors:
///
/// - `fatal()`: the client instance is unusable; destroy it and create a new one (for a
///   transactional producer: another instance with the same transactional.id fenced it, or the
///   idempotence guarantee could not be kept).
/// - `txn_requires_abort()`: the current transaction cannot commit; abort it and retry the whole
///   transaction (librdkafka's "abortable" error).
/// - `retriable()`: the same call may succeed if repeated (after a back-off).
///
/// No exception crosses this layer: every fallible call returns `result<T>`.

#include <boost/outcome/basic_result.hpp>
#include <boost/outcome/policy/terminate.hpp>
#include <boost/outcome/success_failure.hpp>
#include <boost/outcome/try.hpp>
#include <string>
#include <system_error>
#include <type_traits>

namespace syn::kafka {

/// Named librdkafka codes the rest of the code base tests for. The values are librdkafka's own
/// (checked at compile time in error.cpp); any other librdkafka code is also a valid value of the
/// `kafka` category.
enum class errc : int {
  ok = 0,
  // local (client-side) errors
  bad_message = -199,
  destroyed = -197,
  transport = -195,
  resolve = -193,
  message_timed_out = -192,
  unknown_partition = -190,
  unknown_topic = -188,
  all_brokers_down = -187,
  invalid_arg = -186,
  timed_out = -185,
  queue_full = -184,
  state = -172,
  not_implemented = -170,
  purge_queue = -152,
  purge_inflight = -151,
  fatal = -150,
  fenced = -144,
  assignment_lost = -142,
  // broker errors
  unknown = -1,
  offset_out_of_range = 1,
  unknown_topic_or_partition = 3,
  not_leader_for_partition = 6,
  request_timed_out = 7,
  coordinator_not_available = 15,
  not_coordinator = 16,
  rebalance_in_progress = 27,
  unsupported_version = 35,
  topic_already_exists = 36,
  invalid_partitions = 37,
  invalid_replication_factor = 38,
  invalid_config = 40,
  out_of_order_sequence_number = 45,
  invalid_producer_epoch = 47,
  invalid_txn_state = 48,
  concurrent_transactions = 51,
  unknown_producer_id = 59,
  producer_fenced = 90,
};

/// The `kafka` error category: messages are librdkafka's descriptions (`rd_kafka_err2str`).
const std::error_category& kafka_category() noexcept;

inline std::error_code make_error_code(errc e) noexcept { return {static_cast<int>(e), kafka_category()}; }

/// librdkafka's symbolic name of a code in the kafka category ("_TIMED_OUT", "TOPIC_ALREADY_EXISTS").
std::string code_name(std::error_code ec);

/// Whether repeating the failed call (after a back-off) can succeed. One exhaustive switch over
/// every librdkafka code (a new librdkafka code fails the build until it is classified);
/// codes of other categories: only the generic timeouts count as retriable.
[[nodiscard]] bool is_retriable(std::error_code ec) noexcept;

/// librdkafka's classification of one error (see the file comment).
struct error_flags {
  bool fatal = false;
  bool retriable = false;
  bool txn_requires_abort = false;
};

/// A failed Kafka operation. Cheap to copy; immutable.
class error {
 public:
  using flags = error_flags;

  error() = default;
  /// `message` is one line without the "kafka: " prefix; if empty, the code's description is used.
  /// `retriable` in `f` adds to (never removes) the classification of `is_retriable(code)`;
  /// a fatal error is never retriable.
  error(std::error_code code, std::string message, flags f = {});
  error(errc code, std::string message, flags f = {}) : error(make_error_code(code), std::move(message), f) {}

  [[nodiscard]] const std::error_code& code() const noexcept { return code_; }
  [[nodiscard]] const std::string& message() const noexcept { return message_; }
  [[nodiscard]] bool fatal() const noexcept { return flags_.fatal; }
  [[nodiscard]] bool retriable() const noexcept { return flags_.retriable; }
  [[nodiscard]] bool txn_requires_abort() const noexcept { return flags_.txn_requires_abort; }
  /// "kafka: <message>", the line the CLI prints after "syndicate: ".
  [[nodiscard]] std::string to_string() const;

  bool operator==(errc e) const noexcept { return code_ == make_error_code(e); }

 private:
  std::error_code code_;
  std::string message_;
  flags flags_;
};

/// Same answer as `e.retriable()`.
[[nodiscard]] inline bool is_retriable(const error& e) noexcept { return e.retriable(); }

/// Value-or-error; the error is always a `kafka::error`. Accessing the wrong alternative terminates.
template <class T>
using result = boost::outcome_v2::basic_result<T, error, boost::outcome_v2::policy::terminate>;

/// `return success();` from a `result<void>` function.
using boost::outcome_v2::success;

}  // namespace syn::kafka

template <>
struct std::is_error_code_enum<syn::kafka::errc> : std::true_type {};
