// The contract library: names that must match the .proto files, the headers every record
// carries, dead letters built one way.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "syn/contract/content_hash.hpp"
#include "syn/contract/dead_letter.hpp"
#include "syn/contract/headers.hpp"
#include "syn/contract/schema.hpp"
#include "syndication/v1/article.pb.h"
#include "syndication/v1/dead_letter.pb.h"
#include "syndication/v1/delivery.pb.h"
#include "syndication/v1/issue.pb.h"
#include "syndication/v1/translation.pb.h"

namespace {

namespace contract = syn::contract;

TEST(Contract, SchemaNamesAreTheMessagesFullNames) {
  EXPECT_EQ(contract::schema::article, syndication::v1::Article::descriptor()->full_name());
  EXPECT_EQ(contract::schema::issue_manifest, syndication::v1::IssueManifest::descriptor()->full_name());
  EXPECT_EQ(contract::schema::translation_job, syndication::v1::TranslationJob::descriptor()->full_name());
  EXPECT_EQ(contract::schema::dead_letter, syndication::v1::DeadLetter::descriptor()->full_name());
  EXPECT_EQ(contract::schema::delivery_receipt, syndication::v1::DeliveryReceipt::descriptor()->full_name());
  EXPECT_EQ(contract::schema::dead_letter_resolution,
            syndication::v1::DeadLetterResolution::descriptor()->full_name());
}

TEST(Contract, TopicRolesNameTheSchemasTheirRecordsCarry) {
  using contract::topic_role;
  EXPECT_EQ(contract::schema_of(topic_role::issues), contract::schema::issue_manifest);
  EXPECT_EQ(contract::schema_of(topic_role::translated), contract::schema::article);
  EXPECT_EQ(contract::schema_of(topic_role::translation_jobs), contract::schema::translation_job);
  EXPECT_EQ(contract::schemas_of({topic_role::articles, topic_role::translated, topic_role::issues}),
            (std::set<std::string>{"syndication.v1.Article", "syndication.v1.IssueManifest"}));
}

TEST(Contract, RecordHeadersAreThoseOfTheDesign) {
  const auto h = contract::record_headers(contract::schema::article, "cjrb-20240130", "zh-Hans");
  ASSERT_EQ(h.size(), 4U);
  EXPECT_EQ(h[0].name, "content-type");
  EXPECT_EQ(h[0].value, "application/x-protobuf");
  EXPECT_EQ(h[1].name, "schema");
  EXPECT_EQ(h[1].value, "syndication.v1.Article");
  EXPECT_EQ(h[2].name, "issue-id");
  EXPECT_EQ(h[2].value, "cjrb-20240130");
  EXPECT_EQ(h[3].name, "language");
  EXPECT_EQ(h[3].value, "zh-Hans");
  const auto d = contract::dead_letter_headers("g1");
  EXPECT_EQ(d[1].value, "syndication.v1.DeadLetter");
  EXPECT_EQ(d[2].name, "consumer-group");
  EXPECT_EQ(d[2].value, "g1");
}

TEST(Contract, DeadLetterKeepsTheRecordAndHeadsAValueOverTheLimit) {
  const std::string big(contract::max_dead_letter_value_bytes + 10, 'x');
  const auto headers = contract::record_headers(contract::schema::article, "i", "zh-Hans");
  const contract::failed_record r{"news.articles.v1", 3, 42, "k", big, headers, std::nullopt};
  const auto d = contract::make_dead_letter(r, syndication::v1::DeadLetter::TOO_LARGE, "too big", "g", 2);
  EXPECT_EQ(d.id(), "news.articles.v1-3-42-g");
  EXPECT_EQ(d.topic(), "news.articles.v1");
  EXPECT_EQ(d.partition(), 3);
  EXPECT_EQ(d.offset(), 42);
  EXPECT_EQ(d.key(), "k");
  EXPECT_EQ(d.value().size(), contract::max_dead_letter_value_bytes);
  EXPECT_EQ(d.original_value_size(), big.size());
  EXPECT_EQ(d.error(), "too big (dead letter keeps the first 524288 of 524298 bytes)");
  ASSERT_EQ(d.headers_size(), 4);
  EXPECT_EQ(d.headers(1).value(), "syndication.v1.Article");
  EXPECT_EQ(d.reason(), syndication::v1::DeadLetter::TOO_LARGE);
  EXPECT_EQ(d.consumer_group(), "g");
  EXPECT_EQ(d.attempts(), 2U);
  EXPECT_FALSE(d.has_record_time());
  EXPECT_TRUE(d.has_first_failure_time());

  const contract::failed_record small{"t", 0, 1, "k", "v", {}, std::nullopt};
  const auto s = contract::make_dead_letter(small, syndication::v1::DeadLetter::DECODE_FAILED, "bad", "g", 1);
  EXPECT_EQ(s.value(), "v");
  EXPECT_EQ(s.original_value_size(), 0U);
  EXPECT_EQ(s.error(), "bad");
}

// The hash ignores wrap spaces next to Chinese text and ids; a changed character changes it.
TEST(Contract, ContentHashIgnoresWrapSpacesAndIds) {
  syndication::v1::Article a;
  a.set_id("a-1");
  a.set_headline("中国式现代化");
  auto* b = a.add_blocks();
  b->set_text("本报讯 记者报道。");
  const std::string h = contract::content_sha256(a);
  EXPECT_EQ(h.size(), 64U);
  syndication::v1::Article c = a;
  c.set_id("b-2");
  c.set_headline("中国式现 代化");
  EXPECT_EQ(contract::content_sha256(c), h);
  c.set_headline("中国式现代");
  EXPECT_NE(contract::content_sha256(c), h);
}

}  // namespace
