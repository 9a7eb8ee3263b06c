#include "syn/feed/state.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "article_fixtures.hpp"
#include "state_contract.hpp"
#include "syn/feed/feed_sink.hpp"

using namespace syn::feed;

namespace syn::feed::test {
namespace {

/// A fresh SQLite file per test (a file, not :memory:, so that several connections share it and
/// the writer lock is a real flock).
struct sqlite_backend {
  std::string path;
  void setup() {
    static int n = 0;
    path = (std::filesystem::temp_directory_path() /
            ("feed-contract-" + std::to_string(::getpid()) + "-" + std::to_string(++n) + ".db"))
               .string();
    teardown();
  }
  void teardown() const {
    for (const char* suffix : {"", "-wal", "-shm", ".writer-lock"}) std::filesystem::remove(path + suffix);
  }
  [[nodiscard]] std::unique_ptr<state_store> open(bool read_only) const {
    return std::make_unique<state_store>(path, read_only);
  }
};

}  // namespace

INSTANTIATE_TYPED_TEST_SUITE_P(Sqlite, FeedStateContract, sqlite_backend);

}  // namespace syn::feed::test

TEST(FeedState, SurvivesReopening) {
  const auto path =
      (std::filesystem::temp_directory_path() / ("feed-state-" + std::to_string(::getpid()) + ".db"))
          .string();
  std::filesystem::remove(path);
  {
    state_store s(path);
    draft_record d;
    d.media_id = "M1";
    d.account = "cjrb";
    d.status = "submitted";
    d.articles = {{"a1", "h1", 1, 1}};
    s.record_draft(d, "wx1");
  }
  {
    state_store s(path);
    EXPECT_TRUE(s.pushed("cjrb", "a1", "h1"));
  }
  {
    state_store ro(path, true);
    EXPECT_TRUE(ro.pushed("cjrb", "a1", "h1"));
  }
  std::filesystem::remove(path);
  std::filesystem::remove(path + "-wal");
  std::filesystem::remove(path + "-shm");
}

TEST(FeedState, UnopenablePathThrowsNamingIt) {
  try {
    state_store s("/proc/no-such-dir/state.db");
    FAIL() << "expected an exception";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("/proc/no-such-dir/state.db"), std::string::npos);
  }
}

TEST(FeedQuota, TheDailyResetIsMidnightChinaTimeByDefault) {
  using syn::feed::next_quota_reset_ms;
  using syn::feed::quota_day;
  constexpr std::int64_t at_1236_utc = 1796646960000;               // 2026-12-07 12:36 UTC = 20:36 in Beijing
  EXPECT_EQ(next_quota_reset_ms(at_1236_utc, 960), 1796659200000);  // 16:00 UTC the same day
  EXPECT_EQ(quota_day(at_1236_utc, 960), "2026-12-07");
  constexpr std::int64_t at_1630_utc = 1796661000000;  // 00:30 on the 8th in Beijing
  EXPECT_EQ(next_quota_reset_ms(at_1630_utc, 960), 1796745600000);
  EXPECT_EQ(quota_day(at_1630_utc, 960), "2026-12-08");
  EXPECT_EQ(next_quota_reset_ms(1796659200000, 960), 1796745600000);  // at the reset: the next one
  EXPECT_EQ(quota_day(at_1236_utc, 0), "2026-12-07");
  EXPECT_EQ(next_quota_reset_ms(at_1236_utc, 0) % (86400LL * 1000), 0);
}
