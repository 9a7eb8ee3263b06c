#include <gtest/gtest.h>

#include <system_error>

#include "syn/core/kafka/error.hpp"

namespace syn::kafka {
namespace {

TEST(KafkaError, CategoryNamesLibrdkafkaCodes) {
  const std::error_code ec = errc::topic_already_exists;
  EXPECT_STREQ(ec.category().name(), "kafka");
  EXPECT_EQ(ec.value(), 36);
  EXPECT_NE(ec.message().find("already exists"), std::string::npos) << ec.message();
  EXPECT_EQ(code_name(ec), "TOPIC_ALREADY_EXISTS");
  EXPECT_EQ(code_name(errc::timed_out), "_TIMED_OUT");
  EXPECT_EQ(code_name(std::make_error_code(std::errc::timed_out)), "generic:" + std::to_string(ETIMEDOUT));
}

TEST(KafkaError, IsRetriableClassifiesTransientAgainstPermanent) {
  for (auto e : {errc::transport, errc::timed_out, errc::all_brokers_down, errc::queue_full,
                 errc::message_timed_out, errc::not_leader_for_partition, errc::request_timed_out,
                 errc::coordinator_not_available, errc::not_coordinator, errc::concurrent_transactions,
                 errc::rebalance_in_progress, errc::unknown_topic_or_partition, errc::resolve}) {
    EXPECT_TRUE(is_retriable(make_error_code(e))) << code_name(e);
  }
  for (auto e : {errc::ok, errc::invalid_arg, errc::topic_already_exists, errc::invalid_config,
                 errc::producer_fenced, errc::fatal, errc::fenced, errc::state, errc::unknown_topic,
                 errc::invalid_partitions, errc::out_of_order_sequence_number, errc::unsupported_version,
                 errc::bad_message, errc::purge_queue, errc::destroyed}) {
    EXPECT_FALSE(is_retriable(make_error_code(e))) << code_name(e);
  }
  // Codes outside this librdkafka's enum, and other categories.
  EXPECT_FALSE(is_retriable(std::error_code(4242, kafka_category())));
  EXPECT_TRUE(is_retriable(std::make_error_code(std::errc::timed_out)));
  EXPECT_FALSE(is_retriable(std::make_error_code(std::errc::invalid_argument)));
}

TEST(KafkaError, FlagsFollowLibrdkafkaAndNeverMakeFatalRetriable) {
  const error plain(errc::invalid_arg, "bad property");
  EXPECT_FALSE(plain.retriable());
  EXPECT_FALSE(plain.fatal());
  EXPECT_EQ(plain.to_string(), "kafka: bad property");
  EXPECT_TRUE(plain == errc::invalid_arg);

  const error flagged(errc::invalid_txn_state, "x", {.retriable = true});
  EXPECT_TRUE(flagged.retriable()) << "librdkafka's per-error retriable flag adds to the code's class";

  const error fatal(errc::timed_out, "x", {.fatal = true});
  EXPECT_TRUE(fatal.fatal());
  EXPECT_FALSE(fatal.retriable()) << "a fatal error is never retriable, whatever its code";
  EXPECT_FALSE(is_retriable(fatal));

  const error abortable(errc::out_of_order_sequence_number, "x", {.txn_requires_abort = true});
  EXPECT_TRUE(abortable.txn_requires_abort());

  const error defaulted(errc::transport, "");
  EXPECT_EQ(defaulted.message(), std::error_code(errc::transport).message());
}

TEST(KafkaError, ResultCarriesValueOrError) {
  auto f = [](bool ok) -> result<int> {
    if (ok) return 7;
    return error(errc::timed_out, "late");
  };
  auto g = [&](bool ok) -> result<int> {
    BOOST_OUTCOME_TRY(v, f(ok));
    return v * 2;
  };
  ASSERT_TRUE(g(true));
  EXPECT_EQ(g(true).value(), 14);
  ASSERT_FALSE(g(false));
  EXPECT_EQ(g(false).error().code(), make_error_code(errc::timed_out));
}

}  // namespace
}  // namespace syn::kafka
