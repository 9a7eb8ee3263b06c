#include "syn/core/kafka/error.hpp"

#include <librdkafka/rdkafka.h>

#include <string>

namespace syn::kafka {

// errc mirrors librdkafka's numbering.
static_assert(static_cast<int>(errc::transport) == RD_KAFKA_RESP_ERR__TRANSPORT);
static_assert(static_cast<int>(errc::resolve) == RD_KAFKA_RESP_ERR__RESOLVE);
static_assert(static_cast<int>(errc::bad_message) == RD_KAFKA_RESP_ERR__BAD_MSG);
static_assert(static_cast<int>(errc::destroyed) == RD_KAFKA_RESP_ERR__DESTROY);
static_assert(static_cast<int>(errc::message_timed_out) == RD_KAFKA_RESP_ERR__MSG_TIMED_OUT);
static_assert(static_cast<int>(errc::unknown_partition) == RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION);
static_assert(static_cast<int>(errc::unknown_topic) == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC);
static_assert(static_cast<int>(errc::all_brokers_down) == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN);
static_assert(static_cast<int>(errc::invalid_arg) == RD_KAFKA_RESP_ERR__INVALID_ARG);
static_assert(static_cast<int>(errc::timed_out) == RD_KAFKA_RESP_ERR__TIMED_OUT);
static_assert(static_cast<int>(errc::queue_full) == RD_KAFKA_RESP_ERR__QUEUE_FULL);
static_assert(static_cast<int>(errc::state) == RD_KAFKA_RESP_ERR__STATE);
static_assert(static_cast<int>(errc::not_implemented) == RD_KAFKA_RESP_ERR__NOT_IMPLEMENTED);
static_assert(static_cast<int>(errc::purge_queue) == RD_KAFKA_RESP_ERR__PURGE_QUEUE);
static_assert(static_cast<int>(errc::purge_inflight) == RD_KAFKA_RESP_ERR__PURGE_INFLIGHT);
static_assert(static_cast<int>(errc::fatal) == RD_KAFKA_RESP_ERR__FATAL);
static_assert(static_cast<int>(errc::fenced) == RD_KAFKA_RESP_ERR__FENCED);
static_assert(static_cast<int>(errc::assignment_lost) == RD_KAFKA_RESP_ERR__ASSIGNMENT_LOST);
static_assert(static_cast<int>(errc::unknown) == RD_KAFKA_RESP_ERR_UNKNOWN);
static_assert(static_cast<int>(errc::offset_out_of_range) == RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE);
static_assert(static_cast<int>(errc::unknown_topic_or_partition) == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART);
static_assert(static_cast<int>(errc::not_leader_for_partition) == RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION);
static_assert(static_cast<int>(errc::request_timed_out) == RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT);
static_assert(static_cast<int>(errc::coordinator_not_available) ==
              RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE);
static_assert(static_cast<int>(errc::not_coordinator) == RD_KAFKA_RESP_ERR_NOT_COORDINATOR);
static_assert(static_cast<int>(errc::rebalance_in_progress) == RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS);
static_assert(static_cast<int>(errc::unsupported_version) == RD_KAFKA_RESP_ERR_UNSUPPORTED_VERSION);
static_assert(static_cast<int>(errc::topic_already_exists) == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS);
static_assert(static_cast<int>(errc::invalid_partitions) == RD_KAFKA_RESP_ERR_INVALID_PARTITIONS);
static_assert(static_cast<int>(errc::invalid_replication_factor) ==
              RD_KAFKA_RESP_ERR_INVALID_REPLICATION_FACTOR);
static_assert(static_cast<int>(errc::invalid_config) == RD_KAFKA_RESP_ERR_INVALID_CONFIG);
static_assert(static_cast<int>(errc::out_of_order_sequence_number) ==
              RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER);
static_assert(static_cast<int>(errc::invalid_producer_epoch) == RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH);
static_assert(static_cast<int>(errc::invalid_txn_state) == RD_KAFKA_RESP_ERR_INVALID_TXN_STATE);
static_assert(static_cast<int>(errc::concurrent_transactions) == RD_KAFKA_RESP_ERR_CONCURRENT_TRANSACTIONS);
static_assert(static_cast<int>(errc::unknown_producer_id) == RD_KAFKA_RESP_ERR_UNKNOWN_PRODUCER_ID);
static_assert(static_cast<int>(errc::producer_fenced) == RD_KAFKA_RESP_ERR_PRODUCER_FENCED);

namespace {

class category final : public std::error_category {
 public:
  [[nodiscard]] const char* name() const noexcept override { return "kafka"; }
  [[nodiscard]] std::string message(int ev) const override {
    return rd_kafka_err2str(static_cast<rd_kafka_resp_err_t>(ev));
  }
};

bool is_retriable_code(rd_kafka_resp_err_t code) noexcept {
  // Exhaustive on purpose (no default): a librdkafka upgrade that adds codes fails to build here
  // until each new code is classified.
#pragma GCC diagnostic push
#pragma GCC diagnostic error "-Wswitch-enum"
#pragma GCC diagnostic error "-Wswitch"
  switch (code) {
    // Transient: the same call can succeed later.
    case RD_KAFKA_RESP_ERR__TRANSPORT:
    case RD_KAFKA_RESP_ERR__RESOLVE:
    case RD_KAFKA_RESP_ERR__MSG_TIMED_OUT:
    case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
    case RD_KAFKA_RESP_ERR__QUEUE_FULL:
    case RD_KAFKA_RESP_ERR__ISR_INSUFF:
    case RD_KAFKA_RESP_ERR__NODE_UPDATE:
    case RD_KAFKA_RESP_ERR__WAIT_COORD:
    case RD_KAFKA_RESP_ERR__PREV_IN_PROGRESS:
    case RD_KAFKA_RESP_ERR__TIMED_OUT_QUEUE:
    case RD_KAFKA_RESP_ERR__WAIT_CACHE:
    case RD_KAFKA_RESP_ERR__RETRY:
    case RD_KAFKA_RESP_ERR__MAX_POLL_EXCEEDED:
    case RD_KAFKA_RESP_ERR_INVALID_MSG:
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
    case RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION:
    case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
    case RD_KAFKA_RESP_ERR_BROKER_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_REPLICA_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_NETWORK_EXCEPTION:
    case RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS:
    case RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_NOT_COORDINATOR:
    case RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS:
    case RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND:
    case RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS:
    case RD_KAFKA_RESP_ERR_NOT_CONTROLLER:
    case RD_KAFKA_RESP_ERR_CONCURRENT_TRANSACTIONS:
    case RD_KAFKA_RESP_ERR_OPERATION_NOT_ATTEMPTED:
    case RD_KAFKA_RESP_ERR_KAFKA_STORAGE_ERROR:
    case RD_KAFKA_RESP_ERR_REASSIGNMENT_IN_PROGRESS:
    case RD_KAFKA_RESP_ERR_FETCH_SESSION_ID_NOT_FOUND:
    case RD_KAFKA_RESP_ERR_INVALID_FETCH_SESSION_EPOCH:
    case RD_KAFKA_RESP_ERR_LISTENER_NOT_FOUND:
    case RD_KAFKA_RESP_ERR_FENCED_LEADER_EPOCH:
    case RD_KAFKA_RESP_ERR_UNKNOWN_LEADER_EPOCH:
    case RD_KAFKA_RESP_ERR_OFFSET_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_PREFERRED_LEADER_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_ELIGIBLE_LEADERS_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_UNSTABLE_OFFSET_COMMIT:
    case RD_KAFKA_RESP_ERR_THROTTLING_QUOTA_EXCEEDED:
      return true;
    // Permanent, semantic, or already retried inside librdkafka: repeating the call fails the same way.
    case RD_KAFKA_RESP_ERR__BEGIN:
    case RD_KAFKA_RESP_ERR__BAD_MSG:
    case RD_KAFKA_RESP_ERR__BAD_COMPRESSION:
    case RD_KAFKA_RESP_ERR__DESTROY:
    case RD_KAFKA_RESP_ERR__FAIL:
    case RD_KAFKA_RESP_ERR__CRIT_SYS_RESOURCE:
    case RD_KAFKA_RESP_ERR__PARTITION_EOF:
    case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
    case RD_KAFKA_RESP_ERR__FS:
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
    case RD_KAFKA_RESP_ERR__INVALID_ARG:
    case RD_KAFKA_RESP_ERR__SSL:
    case RD_KAFKA_RESP_ERR__UNKNOWN_GROUP:
    case RD_KAFKA_RESP_ERR__IN_PROGRESS:
    case RD_KAFKA_RESP_ERR__EXISTING_SUBSCRIPTION:
    case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
    case RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS:
    case RD_KAFKA_RESP_ERR__CONFLICT:
    case RD_KAFKA_RESP_ERR__STATE:
    case RD_KAFKA_RESP_ERR__UNKNOWN_PROTOCOL:
    case RD_KAFKA_RESP_ERR__NOT_IMPLEMENTED:
    case RD_KAFKA_RESP_ERR__AUTHENTICATION:
    case RD_KAFKA_RESP_ERR__NO_OFFSET:
    case RD_KAFKA_RESP_ERR__OUTDATED:
    case RD_KAFKA_RESP_ERR__UNSUPPORTED_FEATURE:
    case RD_KAFKA_RESP_ERR__INTR:
    case RD_KAFKA_RESP_ERR__KEY_SERIALIZATION:
    case RD_KAFKA_RESP_ERR__VALUE_SERIALIZATION:
    case RD_KAFKA_RESP_ERR__KEY_DESERIALIZATION:
    case RD_KAFKA_RESP_ERR__VALUE_DESERIALIZATION:
    case RD_KAFKA_RESP_ERR__PARTIAL:
    case RD_KAFKA_RESP_ERR__READ_ONLY:
    case RD_KAFKA_RESP_ERR__NOENT:
    case RD_KAFKA_RESP_ERR__UNDERFLOW:
    case RD_KAFKA_RESP_ERR__INVALID_TYPE:
    case RD_KAFKA_RESP_ERR__PURGE_QUEUE:
    case RD_KAFKA_RESP_ERR__PURGE_INFLIGHT:
    case RD_KAFKA_RESP_ERR__FATAL:
    case RD_KAFKA_RESP_ERR__INCONSISTENT:
    case RD_KAFKA_RESP_ERR__GAPLESS_GUARANTEE:
    case RD_KAFKA_RESP_ERR__UNKNOWN_BROKER:
    case RD_KAFKA_RESP_ERR__NOT_CONFIGURED:
    case RD_KAFKA_RESP_ERR__FENCED:
    case RD_KAFKA_RESP_ERR__APPLICATION:
    case RD_KAFKA_RESP_ERR__ASSIGNMENT_LOST:
    case RD_KAFKA_RESP_ERR__NOOP:
    case RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET:
    case RD_KAFKA_RESP_ERR__END:
    case RD_KAFKA_RESP_ERR_UNKNOWN:
    case RD_KAFKA_RESP_ERR_NO_ERROR:
    case RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE:
    case RD_KAFKA_RESP_ERR_INVALID_MSG_SIZE:
    case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_STALE_CTRL_EPOCH:
    case RD_KAFKA_RESP_ERR_OFFSET_METADATA_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION:
    case RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_INVALID_REQUIRED_ACKS:
    case RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION:
    case RD_KAFKA_RESP_ERR_INCONSISTENT_GROUP_PROTOCOL:
    case RD_KAFKA_RESP_ERR_INVALID_GROUP_ID:
    case RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID:
    case RD_KAFKA_RESP_ERR_INVALID_SESSION_TIMEOUT:
    case RD_KAFKA_RESP_ERR_INVALID_COMMIT_OFFSET_SIZE:
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_INVALID_TIMESTAMP:
    case RD_KAFKA_RESP_ERR_UNSUPPORTED_SASL_MECHANISM:
    case RD_KAFKA_RESP_ERR_ILLEGAL_SASL_STATE:
    case RD_KAFKA_RESP_ERR_UNSUPPORTED_VERSION:
    case RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS:
    case RD_KAFKA_RESP_ERR_INVALID_PARTITIONS:
    case RD_KAFKA_RESP_ERR_INVALID_REPLICATION_FACTOR:
    case RD_KAFKA_RESP_ERR_INVALID_REPLICA_ASSIGNMENT:
    case RD_KAFKA_RESP_ERR_INVALID_CONFIG:
    case RD_KAFKA_RESP_ERR_INVALID_REQUEST:
    case RD_KAFKA_RESP_ERR_UNSUPPORTED_FOR_MESSAGE_FORMAT:
    case RD_KAFKA_RESP_ERR_POLICY_VIOLATION:
    case RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER:
    case RD_KAFKA_RESP_ERR_DUPLICATE_SEQUENCE_NUMBER:
    case RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH:
    case RD_KAFKA_RESP_ERR_INVALID_TXN_STATE:
    case RD_KAFKA_RESP_ERR_INVALID_PRODUCER_ID_MAPPING:
    case RD_KAFKA_RESP_ERR_INVALID_TRANSACTION_TIMEOUT:
    case RD_KAFKA_RESP_ERR_TRANSACTION_COORDINATOR_FENCED:
    case RD_KAFKA_RESP_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_SECURITY_DISABLED:
    case RD_KAFKA_RESP_ERR_LOG_DIR_NOT_FOUND:
    case RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED:
    case RD_KAFKA_RESP_ERR_UNKNOWN_PRODUCER_ID:
    case RD_KAFKA_RESP_ERR_DELEGATION_TOKEN_AUTH_DISABLED:
    case RD_KAFKA_RESP_ERR_DELEGATION_TOKEN_NOT_FOUND:
    case RD_KAFKA_RESP_ERR_DELEGATION_TOKEN_OWNER_MISMATCH:
    case RD_KAFKA_RESP_ERR_DELEGATION_TOKEN_REQUEST_NOT_ALLOWED:
    case RD_KAFKA_RESP_ERR_DELEGATION_TOKEN_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_DELEGATION_TOKEN_EXPIRED:
    case RD_KAFKA_RESP_ERR_INVALID_PRINCIPAL_TYPE:
    case RD_KAFKA_RESP_ERR_NON_EMPTY_GROUP:
    case RD_KAFKA_RESP_ERR_GROUP_ID_NOT_FOUND:
    case RD_KAFKA_RESP_ERR_TOPIC_DELETION_DISABLED:
    case RD_KAFKA_RESP_ERR_UNSUPPORTED_COMPRESSION_TYPE:
    case RD_KAFKA_RESP_ERR_STALE_BROKER_EPOCH:
    case RD_KAFKA_RESP_ERR_MEMBER_ID_REQUIRED:
    case RD_KAFKA_RESP_ERR_GROUP_MAX_SIZE_REACHED:
    case RD_KAFKA_RESP_ERR_FENCED_INSTANCE_ID:
    case RD_KAFKA_RESP_ERR_ELECTION_NOT_NEEDED:
    case RD_KAFKA_RESP_ERR_NO_REASSIGNMENT_IN_PROGRESS:
    case RD_KAFKA_RESP_ERR_GROUP_SUBSCRIBED_TO_TOPIC:
    case RD_KAFKA_RESP_ERR_INVALID_RECORD:
    case RD_KAFKA_RESP_ERR_PRODUCER_FENCED:
    case RD_KAFKA_RESP_ERR_RESOURCE_NOT_FOUND:
    case RD_KAFKA_RESP_ERR_DUPLICATE_RESOURCE:
    case RD_KAFKA_RESP_ERR_UNACCEPTABLE_CREDENTIAL:
    case RD_KAFKA_RESP_ERR_INCONSISTENT_VOTER_SET:
    case RD_KAFKA_RESP_ERR_INVALID_UPDATE_VERSION:
    case RD_KAFKA_RESP_ERR_FEATURE_UPDATE_FAILED:
    case RD_KAFKA_RESP_ERR_PRINCIPAL_DESERIALIZATION_FAILURE:
    case RD_KAFKA_RESP_ERR_END_ALL:
      return false;
  }
#pragma GCC diagnostic pop
  return false;  // a value outside the enum (a code newer than these headers)
}

}  // namespace

const std::error_category& kafka_category() noexcept {
  static const category c;
  return c;
}

std::string code_name(std::error_code ec) {
  if (ec.category() != kafka_category())
    return ec.category().name() + std::string(":") + std::to_string(ec.value());
  return rd_kafka_err2name(static_cast<rd_kafka_resp_err_t>(ec.value()));
}

bool is_retriable(std::error_code ec) noexcept {
  if (ec.category() == kafka_category())
    return is_retriable_code(static_cast<rd_kafka_resp_err_t>(ec.value()));
  return ec == std::errc::timed_out || ec == std::errc::resource_unavailable_try_again;
}

error::error(std::error_code code, std::string message, flags f)
    : code_(code), message_(std::move(message)), flags_(f) {
  if (message_.empty()) message_ = code_.message();
  flags_.retriable = !flags_.fatal && (flags_.retriable || is_retriable(code_));
}

std::string error::to_string() const { return "kafka: " + message_; }

}  // namespace syn::kafka
