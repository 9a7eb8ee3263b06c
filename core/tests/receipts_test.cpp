// Delivery receipts: deterministic ids (a sink writing one twice writes the same id), the
// record a transactional sink produces, and the switch that turns them off.
#include "syn/core/receipts.hpp"

#include <gtest/gtest.h>

#include "syn/contract/schema.hpp"

namespace {

using syn::receipts::receipt;

syndication::v1::Article article() {
  syndication::v1::Article a;
  a.set_id("cjrb-20240130-01-03");
  a.set_issue_id("cjrb-20240130");
  a.set_content_sha256(std::string(64, 'a'));
  return a;
}

TEST(Receipts, IdIsDeterministicAndNamesSinkStateArticleHashAndQualifier) {
  const auto a = article();
  auto first = syn::receipts::make(receipt::ARCHIVE, receipt::STORED, a, "g");
  auto again = syn::receipts::make(receipt::ARCHIVE, receipt::STORED, a, "other-group");
  EXPECT_EQ(first.receipt_id(), "archive:stored:cjrb-20240130-01-03:" + std::string(64, 'a'));
  EXPECT_EQ(first.receipt_id(), again.receipt_id());  // the same fact, written twice
  EXPECT_EQ(first.issue_id(), "cjrb-20240130");
  EXPECT_EQ(first.consumer_group(), "g");
  EXPECT_GT(first.time().seconds(), 0);

  auto feed = syn::receipts::make(receipt::FEED, receipt::DRAFTED, a, "g");
  feed.set_account("front");
  syn::receipts::seal(feed);
  EXPECT_EQ(feed.receipt_id(), "feed:drafted:cjrb-20240130-01-03:" + std::string(64, 'a') + ":front");
  auto kicker = feed;
  kicker.set_account("kicker");
  syn::receipts::seal(kicker);
  EXPECT_NE(kicker.receipt_id(), feed.receipt_id());  // one receipt per account

  auto job = syn::receipts::make(receipt::TRANSLATION, receipt::JOB_CREATED, a, "g");
  job.set_target_language("zh-Hant");
  syn::receipts::seal(job);
  EXPECT_EQ(job.receipt_id(),
            "translation:job_created:cjrb-20240130-01-03:" + std::string(64, 'a') + ":zh-Hant");
}

TEST(Receipts, OutputIsKeyedByArticleOnTheDeliveriesTopicWithTheContractHeaders) {
  syn::config::kafka_config k;
  EXPECT_EQ(k.topics.deliveries.name, "news.deliveries.v1");
  k.topics.deliveries.name.clear();
  EXPECT_FALSE(syn::receipts::enabled(k));  // no topic named: no receipts
  std::vector<syn::transform::output> out;
  syn::receipts::add_to(out, k, syn::receipts::make(receipt::ARCHIVE, receipt::STORED, article(), "g"));
  EXPECT_TRUE(out.empty());

  k.topics.deliveries.name = "t.deliveries";
  ASSERT_TRUE(syn::receipts::enabled(k));
  auto r = syn::receipts::make(receipt::TRANSLATION, receipt::TRANSLATED, article(), "g");
  r.set_target_language("zh-Hant");  // changed after make: as_output seals again
  syn::receipts::add_to(out, k, r);
  ASSERT_EQ(out.size(), 1U);
  EXPECT_EQ(out[0].topic, "t.deliveries");
  EXPECT_EQ(out[0].key, "cjrb-20240130-01-03");
  EXPECT_EQ(out[0].partition_key, "cjrb-20240130-01-03");
  receipt back;
  ASSERT_TRUE(back.ParseFromString(out[0].value));
  EXPECT_EQ(back.receipt_id(),
            "translation:translated:cjrb-20240130-01-03:" + std::string(64, 'a') + ":zh-Hant");
  bool schema = false;
  for (const auto& [name, value] : out[0].headers) {
    if (name == "schema") schema = value == syn::contract::schema::delivery_receipt;
  }
  EXPECT_TRUE(schema);
}

TEST(Receipts, SinkNamesMapToTheEnum) {
  EXPECT_EQ(syn::receipts::sink_of("archive"), receipt::ARCHIVE);
  EXPECT_EQ(syn::receipts::sink_of("feed"), receipt::FEED);
  EXPECT_EQ(syn::receipts::sink_of("translator"), receipt::TRANSLATION);
  EXPECT_EQ(syn::receipts::sink_of("test-sink"), receipt::SINK_UNSPECIFIED);
  EXPECT_EQ(syn::receipts::state_name(receipt::DEAD_LETTERED), "dead_lettered");
  EXPECT_EQ(syn::receipts::sink_name(receipt::FEED), "feed");
}

}  // namespace
