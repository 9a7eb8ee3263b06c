#include "sink_fixture.hpp"

#include <gtest/gtest.h>

using namespace feedtest;
using syn::sink::verdict;

namespace {

Article hant(const Article& src) {
  Article t = src;
  t.set_id(src.id() + ".zh-Hant");
  t.set_language("zh-Hant");
  t.set_translation_of(src.id());
  t.set_content_sha256(src.content_sha256() + "-hant");
  return t;
}

std::vector<Article> issue(unsigned n, const std::string& paper = "cjrb") {
  std::vector<Article> out;
  for (unsigned s = 1; s <= n; ++s) out.push_back(make_article(s, 1, paper));
  return out;
}

}  // namespace

TEST(FeedSink, PushesOneDraftPerIssueAndAccountLeadFirst) {
  sink_env env;
  auto sink = env.make_sink();
  auto arts = changji_articles();
  ASSERT_GE(arts.size(), 5U);
  arts.push_back(hant(arts[0]));
  const auto batch = envelopes(arts);
  const auto v = sink->write(batch);
  ASSERT_EQ(v.kind, verdict::ok) << v.reason;
  EXPECT_TRUE(v.rejected.empty()) << v.rejected.front().second;
  const auto st = env.server.state(true);
  ASSERT_EQ(env.drafts("wx_cjrb"), 1U);
  ASSERT_EQ(env.drafts("wx_hant"), 1U);
  for (const auto& d : st["drafts"]) {
    EXPECT_TRUE(d["published"].get<bool>());
    EXPECT_EQ(d["scripts_removed"], 0);
    if (d["app_id"] == "wx_cjrb") {
      ASSERT_EQ(d["articles"].size(), arts.size() - 1);
      EXPECT_EQ(d["articles"][0]["content_source_url"], "https://feeds.example.cn/articles/cjrb-20240130-01-01");
      EXPECT_FALSE(d["articles"][0]["thumb_media_id"].get<std::string>().empty());
    } else {
      ASSERT_EQ(d["articles"].size(), 1U);
      EXPECT_EQ(d["articles"][0]["content_source_url"],
                "https://feeds.example.cn/articles/cjrb-20240130-01-01.zh-Hant");
    }
  }
  EXPECT_EQ(st["materials"].size(), 2U);  // one cover per account
  EXPECT_EQ(st["publishes"].size(), 2U);
  // Pages for the feed server, and the feed-only account's entries.
  EXPECT_TRUE(sink->state().page("cjrb-20240130-01-01"));
  EXPECT_EQ(sink->state().feed("web").size(), arts.size() - 1);
  EXPECT_EQ(sink->state().feed("cjrb-hant").size(), 1U);
}

TEST(FeedSink, SameBatchTwiceAndAfterARestartPostsOnce) {
  sink_env env;
  const auto arts = issue(5);
  const auto batch = envelopes(arts);
  {
    auto sink = env.make_sink();
    ASSERT_EQ(sink->write(batch).kind, verdict::ok);
    ASSERT_EQ(sink->write(batch).kind, verdict::ok);
    EXPECT_EQ(sink->stats().articles_skipped, 5U);
  }
  auto restarted = env.make_sink();  // same state db
  ASSERT_EQ(restarted->write(batch).kind, verdict::ok);
  const auto st = env.server.state();
  EXPECT_EQ(env.drafts("wx_cjrb"), 1U);
  EXPECT_EQ(st["drafts"][0]["articles"].size(), 5U);
  EXPECT_EQ(st["publishes"].size(), 1U);
  EXPECT_EQ(st["materials"].size(), 1U);  // the cover is cached per account and file hash
  EXPECT_EQ(st["calls"]["/cgi-bin/draft/add"], 1);
}

TEST(FeedSink, CorrectedArticleIsPushedAgainAsARevision) {
  sink_env env;
  auto sink = env.make_sink();
  auto arts = issue(3);
  ASSERT_EQ(sink->write(envelopes(arts)).kind, verdict::ok);
  arts[1].mutable_blocks(0)->set_text("更正后的第一段。");
  arts[1].set_content_sha256("sha-corrected");
  ASSERT_EQ(sink->write(envelopes(arts)).kind, verdict::ok);
  const auto st = env.server.state();
  ASSERT_EQ(env.drafts("wx_cjrb"), 2U);
  ASSERT_EQ(st["drafts"][1]["articles"].size(), 1U);
  EXPECT_EQ(st["drafts"][1]["articles"][0]["content_source_url"], "https://feeds.example.cn/articles/" + arts[1].id());
  EXPECT_EQ(sink->state().page(arts[1].id())->revision, 2);
  EXPECT_EQ(sink->state().pushed_revisions("cjrb", arts[1].id()), 2);
}

TEST(FeedSink, NineteenArticleIssueMakesThreeDrafts) {
  sink_env env;
  auto sink = env.make_sink();
  const auto arts = issue(19);
  ASSERT_EQ(sink->write(envelopes(arts)).kind, verdict::ok);
  const auto st = env.server.state();
  ASSERT_EQ(env.drafts("wx_cjrb"), 3U);
  EXPECT_EQ(st["drafts"][0]["articles"].size(), 8U);
  EXPECT_EQ(st["drafts"][1]["articles"].size(), 8U);
  EXPECT_EQ(st["drafts"][2]["articles"].size(), 3U);
  EXPECT_EQ(st["drafts"][2]["articles"][2]["content_source_url"], "https://feeds.example.cn/articles/" + arts[18].id());
}

TEST(FeedSink, RateLimitIsTransientAndTheRetryDoesNotDuplicate) {
  sink_env env;
  auto sink = env.make_sink();
  const auto arts = issue(12);  // two drafts
  const auto batch = envelopes(arts);
  // The second draft/add hits the daily quota on every attempt.
  env.server.control({{"fail_next", 100}, {"path", "draft/add"}, {"errcode", 45009}});
  auto v = sink->write(batch);
  ASSERT_EQ(v.kind, verdict::retry);
  EXPECT_NE(v.reason.find("45009"), std::string::npos) << v.reason;
  EXPECT_EQ(env.drafts("wx_cjrb"), 0U);
  env.server.control({{"clear_faults", true}});
  v = sink->write(batch);
  ASSERT_EQ(v.kind, verdict::ok) << v.reason;
  EXPECT_EQ(env.drafts("wx_cjrb"), 2U);
  ASSERT_EQ(sink->write(batch).kind, verdict::ok);
  EXPECT_EQ(env.drafts("wx_cjrb"), 2U);
}

TEST(FeedSink, FailedSubmitIsRetriedWithoutAddingTheDraftAgain) {
  sink_env env;
  auto sink = env.make_sink();
  const auto batch_articles = issue(4);
  const auto batch = envelopes(batch_articles);
  env.server.control({{"fail_next", 100}, {"path", "freepublish/submit"}, {"errcode", -1}});
  auto v = sink->write(batch);
  ASSERT_EQ(v.kind, verdict::retry);
  EXPECT_EQ(env.drafts("wx_cjrb"), 1U);
  EXPECT_EQ(env.server.state()["publishes"].size(), 0U);
  env.server.control({{"clear_faults", true}});
  v = sink->write(batch);
  ASSERT_EQ(v.kind, verdict::ok) << v.reason;
  const auto st = env.server.state();
  EXPECT_EQ(env.drafts("wx_cjrb"), 1U);
  EXPECT_EQ(st["publishes"].size(), 1U);
  EXPECT_EQ(st["calls"]["/cgi-bin/draft/add"], 1);
}

TEST(FeedSink, AmbiguousDraftAddIsReconciledNotDuplicated) {
  sink_env env;
  auto sink = env.make_sink();
  const auto arts = issue(3);
  const auto batch = envelopes(arts);
  // draft/add takes effect but the answer is lost (HTTP 502).
  env.server.control({{"fail_next", 1}, {"path", "draft/add"}, {"http_status", 502}, {"process", true}});
  auto v = sink->write(batch);
  ASSERT_EQ(v.kind, verdict::retry);
  EXPECT_EQ(env.drafts("wx_cjrb"), 1U);
  v = sink->write(batch);
  ASSERT_EQ(v.kind, verdict::ok) << v.reason;
  const auto st = env.server.state();
  EXPECT_EQ(env.drafts("wx_cjrb"), 1U);  // found with draft/batchget, not added again
  EXPECT_EQ(st["calls"]["/cgi-bin/draft/add"], 1);
  EXPECT_EQ(st["calls"]["/cgi-bin/draft/batchget"], 1);
  EXPECT_EQ(st["publishes"].size(), 1U);
}

TEST(FeedSink, TimeoutOnDraftAddIsTransient) {
  sink_env env;
  env.cfg.request_timeout = std::chrono::milliseconds(300);
  auto sink = env.make_sink();
  const auto arts = issue(2);
  env.server.control({{"fail_next", 1}, {"path", "draft/add"}, {"hang_ms", 3000}});
  const auto v = sink->write(envelopes(arts));
  EXPECT_EQ(v.kind, verdict::retry);
  EXPECT_NE(v.reason.find("timed out"), std::string::npos) << v.reason;
}

TEST(FeedSink, PermanentErrorRejectsThatGroupsRecordsWithTheErrcode) {
  sink_env env;
  auto sink = env.make_sink();
  auto arts = issue(2);
  arts.push_back(hant(arts[0]));
  env.server.control({{"fail_next", 100}, {"path", "draft/add"}, {"errcode", 48001}});
  // Both accounts' draft/add fail: API unauthorized (permanent).
  const auto v = sink->write(envelopes(arts));
  ASSERT_EQ(v.kind, verdict::ok) << v.reason;
  ASSERT_EQ(v.rejected.size(), 3U);
  EXPECT_EQ(v.rejected[0].first, 0U);
  EXPECT_NE(v.rejected[0].second.find("errcode 48001"), std::string::npos) << v.rejected[0].second;
  EXPECT_NE(v.rejected[2].second.find("feed account cjrb-hant"), std::string::npos);
  // Nothing recorded: a redrive after the account is fixed pushes them.
  env.server.control({{"clear_faults", true}});
  const auto again = sink->write(envelopes(arts));
  ASSERT_EQ(again.kind, verdict::ok);
  EXPECT_TRUE(again.rejected.empty());
  EXPECT_EQ(env.drafts("wx_cjrb"), 1U);
}

TEST(FeedSink, MissingSecretOrCoverRejectsWithAClearReason) {
  sink_env env;
  env.cfg.accounts[0].app_secret.env = "FEEDTEST_UNSET_SECRET";
  ::unsetenv("FEEDTEST_UNSET_SECRET");
  env.cfg.accounts[1].cover_image = "";
  auto sink = env.make_sink();
  auto arts = issue(1);
  arts.push_back(hant(arts[0]));
  const auto v = sink->write(envelopes(arts));
  ASSERT_EQ(v.kind, verdict::ok);
  ASSERT_EQ(v.rejected.size(), 2U);
  EXPECT_NE(v.rejected[0].second.find("FEEDTEST_UNSET_SECRET is not set"), std::string::npos) << v.rejected[0].second;
  EXPECT_NE(v.rejected[1].second.find("no cover_image"), std::string::npos) << v.rejected[1].second;
  EXPECT_EQ(env.server.state()["drafts"].size(), 0U);
  // The feed server still gets the pages.
  EXPECT_TRUE(sink->state().page(arts[0].id()));
}

TEST(FeedSink, RecordsThatAreNotArticlesAreTaken) {
  sink_env env;
  auto sink = env.make_sink();
  std::vector<syn::sink::envelope> batch(1);
  syndication::v1::IssueManifest m;
  m.set_issue_id("cjrb-20240130");
  batch[0].payload = m;
  const auto v = sink->write(batch);
  EXPECT_EQ(v.kind, verdict::ok);
  EXPECT_TRUE(v.rejected.empty());
}

TEST(FeedSink, ArticleWithoutIdIsRejected) {
  sink_env env;
  auto sink = env.make_sink();
  std::vector<Article> arts(1);
  const auto v = sink->write(envelopes(arts));
  ASSERT_EQ(v.rejected.size(), 1U);
  EXPECT_NE(v.rejected[0].second.find("without id"), std::string::npos);
}

TEST(FeedSink, PublishingCanBeTurnedOff) {
  sink_env env;
  syn::feed::feed_sink_options o;
  o.publish = false;
  auto sink = env.make_sink(o);
  const auto arts = issue(2);
  ASSERT_EQ(sink->write(envelopes(arts)).kind, verdict::ok);
  ASSERT_EQ(sink->write(envelopes(arts)).kind, verdict::ok);
  EXPECT_EQ(env.drafts("wx_cjrb"), 1U);
  EXPECT_EQ(env.server.state()["publishes"].size(), 0U);
  EXPECT_EQ(sink->state().drafts("cjrb").at(0).status, "kept");
}

TEST(FeedSink, AnArticleTwiceInOneBatchIsPushedOnce) {
  sink_env env;
  auto sink = env.make_sink();
  auto arts = issue(2);
  arts.push_back(arts[0]);            // the same record again
  arts.push_back(arts[1]);
  arts.back().set_content_sha256("sha-newer");  // and a newer revision of another
  const auto v = sink->write(envelopes(arts));
  ASSERT_EQ(v.kind, verdict::ok) << v.reason;
  EXPECT_TRUE(v.rejected.empty());
  const auto st = env.server.state();
  ASSERT_EQ(env.drafts("wx_cjrb"), 1U);
  EXPECT_EQ(st["drafts"][0]["articles"].size(), 2U);
  EXPECT_TRUE(sink->state().pushed("cjrb", arts[1].id(), "sha-newer"));
}
