#include "syn/feed/state.hpp"

#include "syn/feed/feed_sink.hpp"

#include "article_fixtures.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include <unistd.h>

using namespace syn::feed;

TEST(FeedState, RecordsDraftsAndAnswersIdempotenceQueries) {
  state_store s(":memory:");
  EXPECT_FALSE(s.pushed("cjrb", "a1", "h1"));
  draft_record d;
  d.media_id = "M1";
  d.account = "cjrb";
  d.issue_id = "cjrb-20240130";
  d.status = "added";
  d.articles = {{"a1", "h1", 1, 1}, {"a2", "h2", 1, 1}};
  s.record_draft(d, "wx1");
  EXPECT_TRUE(s.pushed("cjrb", "a1", "h1"));
  EXPECT_TRUE(s.pushed("cjrb", "a2", "h2"));
  EXPECT_FALSE(s.pushed("cjrb", "a1", "h1-corrected"));  // a revision
  EXPECT_FALSE(s.pushed("cjrb-hant", "a1", "h1"));       // another account
  EXPECT_EQ(s.pushed_revisions("cjrb", "a1"), 1);
  auto got = s.draft_of("cjrb", "a2", "h2");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->media_id, "M1");
  EXPECT_EQ(got->status, "added");
  s.record_submitted("M1", "P1", "MSG1");
  EXPECT_EQ(s.draft_of("cjrb", "a2", "h2")->status, "submitted");
  const auto all = s.drafts("cjrb");
  ASSERT_EQ(all.size(), 1U);
  ASSERT_EQ(all[0].articles.size(), 2U);
  EXPECT_EQ(all[0].articles[0].article_id, "a1");
  EXPECT_EQ(all[0].publish_id, "P1");
}

TEST(FeedState, CoversAndAmbiguousDrafts) {
  state_store s(":memory:");
  // The cover cache, per (AppID, image sha256): the per-account cache it replaced is gone.
  EXPECT_FALSE(s.app_cover("wx1", "sha"));
  s.store_app_cover("wx1", "sha", "MEDIA1", "http://u");
  EXPECT_EQ(s.app_cover("wx1", "sha").value_or(""), "MEDIA1");
  EXPECT_FALSE(s.app_cover("wx1", "other-sha"));
  EXPECT_FALSE(s.is_ambiguous("cjrb", "k"));
  s.mark_ambiguous("cjrb", "k");
  EXPECT_TRUE(s.is_ambiguous("cjrb", "k"));
  s.clear_ambiguous("cjrb", "k");
  EXPECT_FALSE(s.is_ambiguous("cjrb", "k"));
  // Recording the draft clears its intent in the same transaction.
  s.mark_ambiguous("cjrb", "k2");
  draft_record d;
  d.media_id = "M2";
  d.account = "cjrb";
  d.status = "added";
  d.articles = {{"a2", "h2", 1, 1}};
  s.record_draft(d, "wx1", "k2");
  EXPECT_FALSE(s.is_ambiguous("cjrb", "k2"));
  EXPECT_TRUE(s.pushed("cjrb", "a2", "h2"));
}

TEST(FeedState, ArticlePagesCountRevisionsAndFeedsOrderByIssue) {
  state_store s(":memory:");
  auto a1 = feedtest::make_article(1);
  auto a2 = feedtest::make_article(2);
  auto old = feedtest::make_article(1);
  old.set_id("cjrb-20240129-01-01");
  old.set_issue_date("2024-01-29");
  s.store_article(old, "<p>old</p>", {"cjrb"});
  s.store_article(a2, "<p>2</p>", {"cjrb"});
  s.store_article(a1, "<p>1</p>", {"cjrb", "cjrb-front"});
  s.store_article(a1, "<p>ignored: same hash</p>", {"cjrb"});
  EXPECT_EQ(s.page(a1.id())->html, "<p>1</p>");
  EXPECT_EQ(s.page(a1.id())->revision, 1);
  a1.set_content_sha256("corrected");
  s.store_article(a1, "<p>1 corrected</p>", {"cjrb"});
  const auto p = s.page(a1.id());
  ASSERT_TRUE(p);
  EXPECT_EQ(p->html, "<p>1 corrected</p>");
  EXPECT_EQ(p->revision, 2);
  EXPECT_EQ(p->article.headline(), a1.headline());
  EXPECT_EQ(s.article_version(a1.id())->second, 2);
  const auto f = s.feed("cjrb");
  ASSERT_EQ(f.size(), 3U);
  EXPECT_EQ(f[0].article_id, a1.id());  // newest issue, lead first
  EXPECT_EQ(f[1].article_id, a2.id());
  EXPECT_EQ(f[2].article_id, old.id());
  EXPECT_EQ(s.feed("cjrb-front").size(), 1U);
  EXPECT_EQ(s.feed_accounts(), (std::vector<std::string>{"cjrb", "cjrb-front"}));
}

TEST(FeedState, SurvivesReopening) {
  const auto path = (std::filesystem::temp_directory_path() / ("feed-state-" + std::to_string(::getpid()) + ".db")).string();
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

// A batch transaction: calls made inside join it (record_draft's own transaction included),
// another connection (`serve feeds`) sees nothing before commit(), and a batch destroyed without
// commit() leaves nothing behind.
TEST(FeedState, BatchTransactionCommitsOrRollsBackEverythingInIt) {
  const auto path =
      (std::filesystem::temp_directory_path() / ("feed-state-batch-" + std::to_string(::getpid()) + ".db")).string();
  std::filesystem::remove(path);
  const auto draft = [](const std::string& media_id, const std::string& article) {
    draft_record d;
    d.media_id = media_id;
    d.account = "cjrb";
    d.status = "added";
    d.articles = {{article, "h1", 1, 1}};
    return d;
  };
  {
    state_store s(path);
    state_store reader(path, true);
    {
      state_store::batch_transaction batch(s);
      s.mark_superseded("cjrb", "old", "h0");
      s.record_draft(draft("M1", "a1"), "wx1");
      EXPECT_TRUE(s.pushed("cjrb", "a1", "h1"));  // its own writes, inside
      EXPECT_FALSE(reader.pushed("cjrb", "a1", "h1"));
      batch.commit();
    }
    EXPECT_TRUE(reader.pushed("cjrb", "a1", "h1"));
    EXPECT_TRUE(reader.superseded("cjrb", "old", "h0"));
    {
      state_store::batch_transaction batch(s);
      s.record_draft(draft("M2", "a2"), "wx1");
      s.mark_superseded("cjrb", "a1", "h1");
    }  // no commit(): rolled back
    EXPECT_FALSE(s.pushed("cjrb", "a2", "h1"));
    EXPECT_FALSE(s.superseded("cjrb", "a1", "h1"));
    s.record_draft(draft("M3", "a3"), "wx1");  // and transactions of its own work again after it
    EXPECT_TRUE(reader.pushed("cjrb", "a3", "h1"));
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

// A replay delivering an older revision after a newer one used to rewrite the page with the older
// text (and count a third revision).
TEST(FeedState, ReplayOfAnOlderRevisionKeepsTheNewerPage) {
  state_store s(":memory:");
  auto a = feedtest::make_article(1);
  const auto first_hash = a.content_sha256();
  s.store_article(a, "<p>first</p>", {"cjrb"});
  a.set_content_sha256("corrected");
  s.store_article(a, "<p>corrected</p>", {"cjrb"});
  a.set_content_sha256(first_hash);  // the replay reaches the first revision again
  s.store_article(a, "<p>first, replayed</p>", {"cjrb"});
  EXPECT_EQ(s.page(a.id())->html, "<p>corrected</p>");
  EXPECT_EQ(s.page(a.id())->revision, 2);
  a.set_content_sha256("corrected again");  // a real new revision still lands
  s.store_article(a, "<p>third</p>", {"cjrb"});
  EXPECT_EQ(s.page(a.id())->html, "<p>third</p>");
  EXPECT_EQ(s.page(a.id())->revision, 3);
  EXPECT_EQ(s.feed("cjrb").size(), 1U);
}

TEST(FeedQuota, TheDailyResetIsMidnightChinaTimeByDefault) {
  using syn::feed::next_quota_reset_ms;
  using syn::feed::quota_day;
  constexpr std::int64_t at_1236_utc = 1796646960000;  // 2026-12-07 12:36 UTC = 20:36 in Beijing
  EXPECT_EQ(next_quota_reset_ms(at_1236_utc, 960), 1796659200000);  // 16:00 UTC the same day
  EXPECT_EQ(quota_day(at_1236_utc, 960), "2026-12-07");
  constexpr std::int64_t at_1630_utc = 1796661000000;  // 00:30 on the 8th in Beijing
  EXPECT_EQ(next_quota_reset_ms(at_1630_utc, 960), 1796745600000);
  EXPECT_EQ(quota_day(at_1630_utc, 960), "2026-12-08");
  EXPECT_EQ(next_quota_reset_ms(1796659200000, 960), 1796745600000);  // at the reset: the next one
  EXPECT_EQ(quota_day(at_1236_utc, 0), "2026-12-07");
  EXPECT_EQ(next_quota_reset_ms(at_1236_utc, 0) % (86400LL * 1000), 0);
}

TEST(FeedState, QuotaPausesCoversPerAppAndOperatorActionsPersist) {
  const auto path = (std::filesystem::temp_directory_path() / ("feed-quota-" + std::to_string(::getpid()) + ".db")).string();
  std::filesystem::remove(path);
  {
    state_store s(path);
    s.pause_quota({"cjrb", "freepublish/submit", 2000, 45009, "reach max api daily quota limit", 1000});
    s.store_app_cover("wx1", "sha", "MEDIA1", "http://mmbiz.qpic.cn/1");
    EXPECT_FALSE(s.remember_app_id("cjrb", "wx1"));
    s.log_action("quota reset", "cjrb", "clear_quota wx1 ok");
    s.count_calls("cjrb", "draft/add", "2026-12-07", 3, 1);
    s.count_calls("cjrb", "draft/add", "2026-12-07", 2, 0);
  }
  state_store s(path);
  const auto p = s.quota_pauses("cjrb");
  ASSERT_EQ(p.size(), 1U);
  EXPECT_EQ(p[0].api, "freepublish/submit");
  EXPECT_EQ(p[0].until_ms, 2000);
  EXPECT_EQ(s.app_cover("wx1", "sha"), "MEDIA1");
  EXPECT_FALSE(s.app_cover("wx2", "sha"));  // a cover belongs to its AppID
  s.forget_app_cover("wx1", "MEDIA1");
  EXPECT_FALSE(s.app_cover("wx1", "sha"));
  EXPECT_EQ(s.remember_app_id("cjrb", "wx2"), "wx1");
  const auto calls = s.calls_on("cjrb", "2026-12-07");
  ASSERT_EQ(calls.size(), 1U);
  EXPECT_EQ(calls[0].ok, 5U);
  EXPECT_EQ(calls[0].refused, 1U);
  ASSERT_EQ(s.actions().size(), 1U);
  EXPECT_EQ(s.actions()[0].what, "quota reset");
  EXPECT_EQ(s.clear_quota_pauses("cjrb"), 1U);
  EXPECT_TRUE(s.quota_pauses().empty());
  std::filesystem::remove(path);
}
