#include "syn/translation/done_store.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "test_support.hpp"

namespace syn::translation {
namespace {

namespace fs = std::filesystem;
using std::chrono::system_clock;

/// A fresh directory removed after the test.
class DoneStore : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device rd;
    dir_ = fs::temp_directory_path() / ("syn-done-store-" + std::to_string(rd()) + std::to_string(rd()));
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  [[nodiscard]] std::string path() const { return (dir_ / "done.db").string(); }

  static done_store open(const std::string& p) {
    auto s = done_store::open(p);
    EXPECT_TRUE(s) << (s ? "" : s.error().message());
    return std::move(s).value();
  }

  fs::path dir_;
};

const done_key kKey{"cjrb-20240130-01-03", std::string(64, 'a'), "zh-Hant"};

done_record record(done_key key = kKey, system_clock::time_point at = test::fixed_now()) {
  return {std::move(key), "cjrb-20240130-01-03.zh-Hant", std::string(64, 'b'), at};
}

TEST_F(DoneStore, MarkThenContains) {
  auto s = open(path());
  EXPECT_FALSE(s.contains(kKey).value());
  ASSERT_TRUE(s.mark_done(record()));
  EXPECT_TRUE(s.contains(kKey).value());
  const auto found = s.find(kKey).value();
  ASSERT_TRUE(found);
  EXPECT_EQ(found->translated_id, "cjrb-20240130-01-03.zh-Hant");
  EXPECT_EQ(found->translated_sha256, std::string(64, 'b'));
  EXPECT_EQ(found->done_at, test::fixed_now());
  EXPECT_EQ(s.size().value(), 1U);
  // Marking again is idempotent.
  ASSERT_TRUE(s.mark_done(record()));
  EXPECT_EQ(s.size().value(), 1U);
}

TEST_F(DoneStore, KeyIsSourceRevisionAndTarget) {
  auto s = open(path());
  ASSERT_TRUE(s.mark_done(record()));
  EXPECT_FALSE(s.contains({kKey.source_id, std::string(64, 'c'), "zh-Hant"}).value());  // new revision
  EXPECT_FALSE(s.contains({kKey.source_id, kKey.source_sha256, "en"}).value());         // other language
  EXPECT_FALSE(s.contains({"cjrb-20240130-01-04", kKey.source_sha256, "zh-Hant"}).value());
  EXPECT_TRUE(s.contains({kKey.source_id, kKey.source_sha256, "ZH-hant"}).value());  // BCP 47 case
}

TEST_F(DoneStore, SurvivesReopening) {
  {
    auto s = open(path());
    ASSERT_TRUE(s.mark_done(record()));
  }
  auto s = open(path());
  EXPECT_TRUE(s.contains(kKey).value());
}

TEST_F(DoneStore, LearnsFromTheTranslatedTopicAndRemembersWhereItWas) {
  auto s = open(path());
  syndication::v1::Article translated;
  translated.set_id("cjrb-20240130-01-03.zh-Hant");
  translated.set_language("zh-Hant");
  translated.set_translation_of(kKey.source_id);
  translated.set_translation_of_sha256(kKey.source_sha256);
  translated.set_content_sha256(std::string(64, 'd'));
  syndication::v1::Article original;  // not a translation: only advances the position
  original.set_id("cjrb-20240130-01-05");

  EXPECT_FALSE(s.resume_offset("news.articles.translated.v1", 0).value());
  const std::vector<translated_record> batch{{&translated, "news.articles.translated.v1", 0, 41},
                                             {&original, "news.articles.translated.v1", 0, 42},
                                             {nullptr, "news.articles.translated.v1", 2, 7}};
  EXPECT_EQ(s.learn(batch).value(), 1U);
  EXPECT_TRUE(s.contains(kKey).value());
  EXPECT_EQ(s.find(kKey).value()->translated_sha256, std::string(64, 'd'));
  EXPECT_EQ(s.resume_offset("news.articles.translated.v1", 0).value(), 43);
  EXPECT_EQ(s.resume_offset("news.articles.translated.v1", 2).value(), 8);
  EXPECT_FALSE(s.resume_offset("news.articles.translated.v1", 1).value());

  // Re-reading an older record never moves the position back.
  EXPECT_TRUE(s.learn(translated, "news.articles.translated.v1", 0, 10).value());
  EXPECT_EQ(s.resume_offset("news.articles.translated.v1", 0).value(), 43);
}

TEST_F(DoneStore, ForgetAndPrune) {
  auto s = open(path());
  ASSERT_TRUE(s.mark_done(record(kKey, test::fixed_now())));
  ASSERT_TRUE(s.mark_done(
      record({kKey.source_id, kKey.source_sha256, "en"}, test::fixed_now() + std::chrono::hours(48))));
  EXPECT_EQ(s.forget("ZH-HANT").value(), 1U);
  EXPECT_FALSE(s.contains(kKey).value());
  ASSERT_TRUE(s.mark_done(record(kKey, test::fixed_now())));
  EXPECT_EQ(s.prune(test::fixed_now() + std::chrono::hours(24)).value(), 1U);
  EXPECT_FALSE(s.contains(kKey).value());
  EXPECT_TRUE(s.contains({kKey.source_id, kKey.source_sha256, "en"}).value());
}

TEST_F(DoneStore, InMemoryStoreWorks) {
  auto s = open(":memory:");
  ASSERT_TRUE(s.mark_done(record()));
  EXPECT_TRUE(s.contains(kKey).value());
}

TEST_F(DoneStore, UnopenablePathIsUnavailableAndRetriable) {
  auto s = done_store::open((dir_ / "missing-dir" / "done.db").string());
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error(), errc::store_unavailable);
  EXPECT_TRUE(s.error().retriable());
  EXPECT_NE(s.error().message().find("missing-dir"), std::string::npos);
}

TEST_F(DoneStore, NotADatabaseIsCorruptAndPermanent) {
  {
    std::FILE* f = std::fopen(path().c_str(), "wb");
    ASSERT_NE(f, nullptr);
    const std::string junk(4096, 'x');
    std::fwrite(junk.data(), 1, junk.size(), f);
    std::fclose(f);
  }
  auto s = done_store::open(path());
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error(), errc::store_corrupt);
  EXPECT_FALSE(s.error().retriable());
}

}  // namespace
}  // namespace syn::translation
