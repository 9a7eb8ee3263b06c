// Records encoded ahead of publishing (producer/src/encode.cpp) are, once stamped, byte for byte
// what serialising the stamped message gives, on every test issue.
#include "syn/producer/encode.hpp"

#include <google/protobuf/util/time_util.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "test_support.hpp"

namespace syn::producer {
namespace {

using syndication::v1::Article;
using syndication::v1::IssueManifest;

google::protobuf::Timestamp at(std::int64_t seconds, std::int32_t nanos) {
  google::protobuf::Timestamp t;
  t.set_seconds(seconds);
  t.set_nanos(nanos);
  return t;
}

/// What the publisher sent before records were encoded ahead: a stamped copy, serialised.
std::string stamped_article(Article a, const google::protobuf::Timestamp& now, std::size_t count) {
  *a.mutable_published_at() = now;
  a.set_issue_article_count(static_cast<std::uint32_t>(count));
  return a.SerializeAsString();
}

std::string stamped_manifest(IssueManifest m, const google::protobuf::Timestamp& now) {
  *m.mutable_published_at() = now;
  return m.SerializeAsString();
}

void expect_same_bytes(const split_result& issue, const google::protobuf::Timestamp& now) {
  const encoded_issue e = encode_issue(issue);
  const publish_stamp s(now);
  ASSERT_EQ(e.articles.size(), issue.articles.size());
  std::string value;
  for (std::size_t k = 0; k < issue.articles.size(); ++k) {
    stamp(e.articles[k], s.article, value);
    EXPECT_EQ(value, stamped_article(issue.articles[k], now, issue.articles.size()))
        << issue.articles[k].id();
    Article back;
    ASSERT_TRUE(back.ParseFromString(value));
    EXPECT_EQ(back.published_at().seconds(), now.seconds());
    EXPECT_EQ(back.issue_article_count(), issue.articles.size());
  }
  stamp(e.manifest, s.manifest, value);
  EXPECT_EQ(value, stamped_manifest(issue.manifest, now));
}

TEST(Encode, StampedRecordsAreTheSerialisedStampedMessagesOnEveryTestIssue) {
  int issues = 0;
  for (const auto& f :
       std::filesystem::directory_iterator(std::string(SYN_SOURCE_DIR) + "/tests/data/issues")) {
    const std::string raw = testing::read_data("issues/" + f.path().filename().string());
    split_result issue = testing::split(raw, f.path().filename().string());
    issue.manifest.set_source(raw);
    ASSERT_FALSE(issue.articles.empty());
    expect_same_bytes(issue, google::protobuf::util::TimeUtil::GetCurrentTime());
    expect_same_bytes(issue, at(1'700'000'000, 0));  // no nanos: a shorter Timestamp
    expect_same_bytes(issue, at(0, 0));              // an empty Timestamp, still present
    ++issues;
  }
  EXPECT_EQ(issues, 4);
}

TEST(Encode, AStampOrCountAlreadySetIsReplaced) {
  split_result issue = testing::split(testing::fixture());
  for (auto& a : issue.articles) {
    *a.mutable_published_at() = at(1, 2);
    a.set_issue_article_count(99);
  }
  *issue.manifest.mutable_published_at() = at(3, 4);
  expect_same_bytes(issue, at(1'800'000'000, 5));
}

}  // namespace
}  // namespace syn::producer
