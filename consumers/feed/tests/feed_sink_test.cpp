#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "sink_fixture.hpp"

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
      EXPECT_EQ(d["articles"][0]["content_source_url"],
                "https://feeds.example.cn/articles/cjrb-20240130-01-01");
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

// Delivery receipts (issue 23): DRAFTED and SUBMITTED per article and account, with the media
// id, publish id and the article's feed URL; a batch whose drafts exist already pushes nothing
// and so reports nothing new.
TEST(FeedSink, ReceiptsNameTheAccountMediaIdPublishIdAndUrlPerArticle) {
  sink_env env;
  auto sink = env.make_sink();
  const auto arts = issue(3);
  ASSERT_EQ(sink->write(envelopes(arts)).kind, verdict::ok);
  const auto receipts = sink->take_receipts();
  std::map<std::string, int> by_state;
  for (const auto& r : receipts) {
    ++by_state[syndication::v1::DeliveryReceipt::State_Name(r.state())];
    EXPECT_EQ(r.sink(), syndication::v1::DeliveryReceipt::FEED);
    EXPECT_EQ(r.account(), "cjrb");
    EXPECT_FALSE(r.media_id().empty());
    EXPECT_EQ(r.url(), "https://feeds.example.cn/articles/" + r.article_id());
    EXPECT_EQ(r.receipt_id().rfind("feed:", 0), 0U);
    if (r.state() == syndication::v1::DeliveryReceipt::SUBMITTED) {
      EXPECT_FALSE(r.publish_id().empty());
    }
  }
  EXPECT_EQ(by_state["DRAFTED"], 3);
  EXPECT_EQ(by_state["SUBMITTED"], 3);
  EXPECT_EQ(receipts.size(), 6U);
  ASSERT_EQ(sink->write(envelopes(arts)).kind, verdict::ok);
  EXPECT_TRUE(sink->take_receipts().empty());
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
  EXPECT_EQ(st["drafts"][1]["articles"][0]["content_source_url"],
            "https://feeds.example.cn/articles/" + arts[1].id());
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
  EXPECT_EQ(st["drafts"][2]["articles"][2]["content_source_url"],
            "https://feeds.example.cn/articles/" + arts[18].id());
}

TEST(FeedSink, DailyQuotaOnDraftAddHoldsTheIssueUntilTheQuotaIsBack) {
  sink_env env;
  auto sink = env.make_sink();
  const auto arts = issue(12);  // two drafts
  const auto batch = envelopes(arts);
  env.server.control({{"fail_next", 100}, {"path", "draft/add"}, {"app_id", "wx_cjrb"}, {"errcode", 45009}});
  auto v = sink->write(batch);
  // A quota is a state, not an error: the records are held durably, nothing is rejected.
  ASSERT_EQ(v.kind, verdict::ok) << v.reason;
  EXPECT_TRUE(v.rejected.empty());
  EXPECT_EQ(env.drafts("wx_cjrb"), 0U);
  EXPECT_EQ(env.server.state()["faults_injected"], 1);  // one refusal, not retried
  const auto pauses = sink->state().quota_pauses("cjrb");
  ASSERT_EQ(pauses.size(), 1U);
  EXPECT_EQ(pauses[0].api, "draft/add");
  EXPECT_GT(pauses[0].until_ms, pauses[0].since_ms);
  EXPECT_NE(sink->prometheus_text().find("syndicate_feed_quota_paused{account=\"cjrb\"} 1"),
            std::string::npos);
  // While paused, a replay calls nothing.
  ASSERT_EQ(sink->write(batch).kind, verdict::ok);
  EXPECT_EQ(env.server.state()["faults_injected"], 1);
  // The quota is back (`feed quota reset`): the held issue goes out once.
  env.server.control({{"clear_faults", true}});
  EXPECT_EQ(sink->state().clear_quota_pauses("cjrb"), 1U);
  sink->flush_held(true);
  EXPECT_EQ(env.drafts("wx_cjrb"), 2U);
  EXPECT_EQ(env.server.state()["publishes"].size(), 2U);
  ASSERT_EQ(sink->write(batch).kind, verdict::ok);
  EXPECT_EQ(env.drafts("wx_cjrb"), 2U);
  EXPECT_NE(sink->prometheus_text().find("syndicate_feed_quota_paused{account=\"cjrb\"} 0"),
            std::string::npos);
}

TEST(FeedSink, SubmitQuotaOfOneStopsSubmittingKeepsOthersFlowingAndResumesOnce) {
  sink_env env;
  syn::feed::feed_sink_options o;
  o.parallel_groups = 1;
  auto sink = env.make_sink(o);
  env.server.control({{"quota", {{"api", "freepublish/submit"}, {"daily_limit", 1}, {"app_id", "wx_cjrb"}}}});
  std::vector<Article> arts;
  for (const auto* paper : {"cjrb", "cjra", "cjrc"}) {  // three issues: three drafts per account
    for (auto& a : issue(2, paper)) arts.push_back(a), arts.push_back(hant(a));
  }
  const auto batch = envelopes(arts);
  auto v = sink->write(batch);
  ASSERT_EQ(v.kind, verdict::ok) << v.reason;
  EXPECT_TRUE(v.rejected.empty());
  auto quota = [&](const std::string& app, const std::string& api, const char* what) {
    const auto st = env.server.state();  // not `: env.server.state()["quotas"]`: the temporary would die
    for (const auto& q : st["quotas"]) {
      if (q["app_id"] == app && q["api"] == api) return q[what].get<int>();
    }
    return 0;
  };
  EXPECT_EQ(env.drafts("wx_cjrb"), 3U);  // draft/add is not paused
  EXPECT_EQ(quota("wx_cjrb", "freepublish/submit", "used"), 1);
  EXPECT_EQ(quota("wx_cjrb", "freepublish/submit", "refused"), 1);  // stopped after the first refusal
  EXPECT_EQ(sink->state().drafts_waiting("cjrb").size(), 2U);
  EXPECT_EQ(quota("wx_hant", "freepublish/submit", "used"), 3);  // the other account flows
  // Replays and ticks spend no more submits while paused.
  ASSERT_EQ(sink->write(batch).kind, verdict::ok);
  sink->flush_held(false);
  EXPECT_EQ(quota("wx_cjrb", "freepublish/submit", "refused"), 1);
  EXPECT_EQ(quota("wx_cjrb", "draft/add", "used"), 3);
  // The platform's daily reset, noticed at the reset time or through `feed quota reset`.
  env.server.control(
      {{"quota_reset", true},
       {"quota", {{"api", "freepublish/submit"}, {"daily_limit", 10}, {"app_id", "wx_cjrb"}}}});
  sink->state().clear_quota_pauses("cjrb");
  sink->flush_held(false);
  EXPECT_EQ(quota("wx_cjrb", "freepublish/submit", "used"), 2);  // each waiting draft once
  EXPECT_TRUE(sink->state().drafts_waiting("cjrb").empty());
  ASSERT_EQ(sink->write(batch).kind, verdict::ok);
  sink->flush_held(true);
  const auto st = env.server.state();
  std::size_t published = 0;
  for (const auto& d : st["drafts"])
    published += d["app_id"] == "wx_cjrb" && d["published"].get<bool>() ? 1 : 0;
  EXPECT_EQ(published, 3U);
  EXPECT_EQ(quota("wx_cjrb", "freepublish/submit", "used"), 2);
  EXPECT_EQ(quota("wx_cjrb", "draft/add", "used"), 0);  // nothing added again since the reset
}

TEST(FeedSink, ReplayAfterPublishResultsAddsAndSubmitsNothing) {
  sink_env env;
  auto sink = env.make_sink();
  std::vector<Article> arts = issue(3);
  for (auto& a : issue(2, "cjra")) arts.push_back(a);
  const auto batch = envelopes(arts);
  ASSERT_EQ(sink->write(batch).kind, verdict::ok);
  const auto drafts = sink->state().drafts("cjrb");
  ASSERT_EQ(drafts.size(), 2U);
  // PUBLISHJOBFINISH: one published, one rejected by review (serve feeds records them).
  ASSERT_TRUE(sink->state().record_publish_result({drafts[0].publish_id, 0, "ART1", "", "callback", 0}));
  ASSERT_TRUE(sink->state().record_publish_result({drafts[1].publish_id, 4, "", "", "callback", 0}));
  const auto before = env.server.state()["calls"];
  // A replay (the group rewound) and a restart.
  auto v = sink->write(batch);
  ASSERT_EQ(v.kind, verdict::ok) << v.reason;
  EXPECT_TRUE(v.rejected.empty());
  sink = env.make_sink();
  ASSERT_EQ(sink->write(batch).kind, verdict::ok);
  sink->flush_held(true);
  const auto after = env.server.state()["calls"];
  EXPECT_EQ(after["/cgi-bin/draft/add"], before["/cgi-bin/draft/add"]);
  EXPECT_EQ(after["/cgi-bin/freepublish/submit"], before["/cgi-bin/freepublish/submit"]);
  EXPECT_EQ(sink->state().drafts("cjrb")[1].status, "rejected");
}

TEST(FeedSink, AnArticleIsRepostedOnlyAfterTheOperatorSaysSo) {
  sink_env env;
  auto sink = env.make_sink();
  const auto arts = issue(2);
  const auto batch = envelopes(arts);
  ASSERT_EQ(sink->write(batch).kind, verdict::ok);
  ASSERT_EQ(sink->write(batch).kind, verdict::ok);
  EXPECT_EQ(env.drafts("wx_cjrb"), 1U);
  EXPECT_EQ(sink->state().forget_pushed("cjrb", arts[1].id()), 1U);  // `feed repost cjrb <id> --execute`
  ASSERT_EQ(sink->write(batch).kind, verdict::ok);
  EXPECT_EQ(env.drafts("wx_cjrb"), 2U);
  const auto st = env.server.state();
  EXPECT_EQ(st["drafts"][1]["articles"].size(), 1U);
  EXPECT_EQ(st["drafts"][1]["articles"][0]["content_source_url"],
            "https://feeds.example.cn/articles/" + arts[1].id());
}

TEST(FeedSink, ADeletedCoverIsUploadedAgainOnceAndNothingIsRejected) {
  sink_env env;
  auto sink = env.make_sink();
  const auto first = issue(2);
  ASSERT_EQ(sink->write(envelopes(first)).kind, verdict::ok);
  auto st = env.server.state();
  ASSERT_EQ(st["materials"].size(), 1U);
  // Someone deletes the cover from the material library.
  env.server.control({{"delete_material", st["materials"][0]["media_id"]}});
  const auto second = issue(3, "cjra");
  const auto v = sink->write(envelopes(second));
  ASSERT_EQ(v.kind, verdict::ok) << v.reason;
  EXPECT_TRUE(v.rejected.empty()) << v.rejected.front().second;
  st = env.server.state();
  EXPECT_EQ(st["materials"].size(), 1U);
  EXPECT_EQ(st["deleted_materials"].size(), 1U);
  EXPECT_EQ(env.drafts("wx_cjrb"), 2U);
  const auto third = issue(2, "cjrc");
  ASSERT_EQ(sink->write(envelopes(third)).kind, verdict::ok);
  // Uploaded once again (two uploads in all), not at every draft.
  EXPECT_EQ(env.server.state()["calls"]["/cgi-bin/material/add_material"], 2);
  EXPECT_EQ(env.drafts("wx_cjrb"), 3U);
}

TEST(FeedSink, CoversArePerAppIdAndAChangedAppIdIsNoticed) {
  sink_env env;
  {
    auto sink = env.make_sink();
    ASSERT_EQ(sink->write(envelopes(issue(1))).kind, verdict::ok);
  }
  env.cfg.accounts[0].app_id = "wx_cjrb_new";
  auto sink = env.make_sink();
  const auto arts = issue(1, "cjra");
  const auto v = sink->write(envelopes(arts));
  ASSERT_EQ(v.kind, verdict::ok) << v.reason;
  EXPECT_TRUE(v.rejected.empty());
  EXPECT_EQ(env.drafts("wx_cjrb_new"), 1U);  // the cover of the old AppID is not used
  EXPECT_EQ(env.server.state()["calls"]["/cgi-bin/material/add_material"], 2);
}

TEST(FeedSink, AnUnknownSubmitOutcomeIsLookedUpNotRepeated) {
  sink_env env;
  auto sink = env.make_sink();
  const auto arts = issue(2);
  const auto batch = envelopes(arts);
  // freepublish/submit takes effect but the answer is lost (HTTP 502).
  env.server.control(
      {{"fail_next", 1}, {"path", "freepublish/submit"}, {"http_status", 502}, {"process", true}});
  auto v = sink->write(batch);
  ASSERT_EQ(v.kind, verdict::retry);
  ASSERT_EQ(env.server.state()["publishes"].size(), 1U);
  v = sink->write(batch);
  ASSERT_EQ(v.kind, verdict::ok) << v.reason;
  const auto st = env.server.state();
  EXPECT_EQ(st["calls"]["/cgi-bin/freepublish/submit"], 1);  // not submitted again (it would get 40007)
  EXPECT_GE(st["calls"]["/cgi-bin/freepublish/batchget"].get<int>(), 1);
  const auto d = sink->state().drafts("cjrb");
  ASSERT_EQ(d.size(), 1U);
  EXPECT_EQ(d[0].status, "published");
  EXPECT_FALSE(sink->state().submit_intent(d[0].media_id));
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
  EXPECT_NE(v.rejected[0].second.find("FEEDTEST_UNSET_SECRET is not set"), std::string::npos)
      << v.rejected[0].second;
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
  arts.push_back(arts[0]);  // the same record again
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

namespace {

/// The article ids of draft `d` of /__state, in draft order.
std::vector<std::string> draft_ids(const nlohmann::json& d) {
  std::vector<std::string> ids;
  for (const auto& a : d["articles"]) {
    const auto url = a["content_source_url"].get<std::string>();
    ids.push_back(url.substr(url.rfind('/') + 1));
  }
  return ids;
}

/// Sink options with draft grouping across batches of `batch_size`.
syn::feed::feed_sink_options grouping(std::size_t batch_size,
                                      std::chrono::milliseconds grace = std::chrono::minutes(1)) {
  syn::feed::feed_sink_options o;
  o.batch_size = batch_size;
  o.hold_grace = grace;
  return o;
}

std::vector<Article> slice(const std::vector<Article>& v, std::size_t from, std::size_t to) {
  return {v.begin() + static_cast<std::ptrdiff_t>(from), v.begin() + static_cast<std::ptrdiff_t>(to)};
}

}  // namespace

// A full batch ending inside an issue used to give that issue one more draft (drafts grouped
// the articles of one batch only).
TEST(FeedSink, IssueSplitByABatchBoundaryStillMakesOneDraft) {
  sink_env env;
  const auto o = grouping(4);
  auto sink = env.make_sink(o);
  const auto a = issue(5);
  const auto b = issue(2, "xjrb");
  // Batch 1 is full and ends inside issue A: taken (offsets may be committed), nothing pushed yet.
  const auto first = slice(a, 0, 4);
  const auto v1 = sink->write(envelopes(first));
  ASSERT_EQ(v1.kind, verdict::ok) << v1.reason;
  EXPECT_TRUE(v1.rejected.empty());
  EXPECT_EQ(env.drafts("wx_cjrb"), 0U);
  EXPECT_EQ(sink->state().held("cjrb", a[0].issue_id()).size(), 4U);
  EXPECT_TRUE(sink->state().page(a[0].id()));  // the pages do not wait
  // Batch 2 (not full) brings the last article of A, then issue B.
  auto second = slice(a, 4, 5);
  second.insert(second.end(), b.begin(), b.end());
  const auto v2 = sink->write(envelopes(second));
  ASSERT_EQ(v2.kind, verdict::ok) << v2.reason;
  const auto st = env.server.state();
  ASSERT_EQ(env.drafts("wx_cjrb"), 2U);
  auto got = std::vector{draft_ids(st["drafts"][0]), draft_ids(st["drafts"][1])};  // groups go in parallel
  std::sort(got.begin(), got.end(), [](const auto& x, const auto& y) { return x.size() > y.size(); });
  EXPECT_EQ(got[0], (std::vector<std::string>{a[0].id(), a[1].id(), a[2].id(), a[3].id(), a[4].id()}));
  EXPECT_EQ(got[1], (std::vector<std::string>{b[0].id(), b[1].id()}));
  EXPECT_TRUE(sink->state().held("cjrb", a[0].issue_id()).empty());
  // A replay of both batches posts nothing again.
  ASSERT_EQ(sink->write(envelopes(first)).kind, verdict::ok);
  ASSERT_EQ(sink->write(envelopes(second)).kind, verdict::ok);
  EXPECT_EQ(env.drafts("wx_cjrb"), 2U);
  EXPECT_TRUE(sink->state().held("cjrb", a[0].issue_id()).empty());
}

// The held articles are in the state db: a process killed between the batches (here: another
// instance on the same db, as after a restart) completes the issue in one draft.
TEST(FeedSink, HeldArticlesSurviveARestart) {
  sink_env env;
  const auto o = grouping(3);
  const auto a = issue(4);
  auto before = env.make_sink(o);
  const auto first = slice(a, 0, 3);
  ASSERT_EQ(before->write(envelopes(first)).kind, verdict::ok);
  EXPECT_EQ(env.drafts("wx_cjrb"), 0U);
  auto after = env.make_sink(o);
  const auto rest = slice(a, 3, 4);
  ASSERT_EQ(after->write(envelopes(rest)).kind, verdict::ok);
  const auto st = env.server.state();
  ASSERT_EQ(env.drafts("wx_cjrb"), 1U);
  EXPECT_EQ(draft_ids(st["drafts"][0]).size(), 4U);
  before.reset();  // its closing flush finds nothing left to push
  EXPECT_EQ(env.drafts("wx_cjrb"), 1U);
}

// The last issue before the topic goes quiet: no next batch completes it, the grace window does.
TEST(FeedSink, HeldIssueIsPushedAfterTheGraceWindow) {
  sink_env env;
  const auto o = grouping(3, std::chrono::milliseconds(200));
  auto sink = env.make_sink(o);
  const auto a = issue(3);
  ASSERT_EQ(sink->write(envelopes(a)).kind, verdict::ok);
  EXPECT_EQ(env.drafts("wx_cjrb"), 0U);
  // Released once the draft is recorded, a moment after the server has it.
  const auto released = [&] { return sink->state().held("cjrb", a[0].issue_id()).empty(); };
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while ((env.drafts("wx_cjrb") == 0 || !released()) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_EQ(env.drafts("wx_cjrb"), 1U);
  EXPECT_EQ(draft_ids(env.server.state()["drafts"][0]).size(), 3U);
  EXPECT_TRUE(released());
}

// An issue that ends exactly at the end of a full batch is complete once the next batch brings
// other records of the same partition: it does not wait for the grace window.
TEST(FeedSink, NextBatchOfThePartitionCompletesAHeldIssue) {
  sink_env env;
  const auto o = grouping(3);
  auto sink = env.make_sink(o);
  const auto a = issue(3);
  const auto b = issue(1, "xjrb");
  ASSERT_EQ(sink->write(envelopes(a)).kind, verdict::ok);
  EXPECT_EQ(env.drafts("wx_cjrb"), 0U);
  ASSERT_EQ(sink->write(envelopes(b)).kind, verdict::ok);
  ASSERT_EQ(env.drafts("wx_cjrb"), 2U);
  EXPECT_TRUE(sink->state().held("cjrb", a[0].issue_id()).empty());
}

namespace {

/// `n` articles of one issue as the publisher sends them: each carries the issue's article count.
std::vector<Article> published_issue(unsigned n) {
  auto out = issue(n);
  for (auto& a : out) a.set_issue_article_count(n);
  return out;
}

std::vector<Article> translated(const std::vector<Article>& src) {
  std::vector<Article> out;
  for (const auto& a : src) out.push_back(hant(a));
  return out;
}

/// The single draft of `app_id` in /__state (fails the test if there is not exactly one).
std::vector<std::string> only_draft_of(const sink_env& env, const std::string& app_id) {
  std::vector<std::vector<std::string>> found;
  const auto st = env.server.state();  // not `: env.server.state()["drafts"]`: the temporary would die
  for (const auto& d : st["drafts"]) {
    if (d["app_id"] == app_id) found.push_back(draft_ids(d));
  }
  EXPECT_EQ(found.size(), 1U) << app_id;
  return found.empty() ? std::vector<std::string>{} : found.front();
}

}  // namespace

// Translations come one job per transaction, so an issue's zh-Hant articles can arrive in batches
// that are not full (no batch boundary to see). The zh-Hant account waits for the issue's
// `issue_article_count` before it makes the draft: one draft, not one per batch (it was 3 + 2).
TEST(FeedSink, TranslationsOfAnIssueInTwoBatchesMakeOneDraft) {
  sink_env env;
  auto sink = env.make_sink(grouping(100));
  const auto src = published_issue(5);
  const auto t = translated(src);
  ASSERT_EQ(sink->write(envelopes(src)).kind, verdict::ok);
  EXPECT_EQ(only_draft_of(env, "wx_cjrb").size(), 5U) << "the originals are whole: pushed at once";
  const auto v1 = sink->write(envelopes(slice(t, 0, 3)));
  ASSERT_EQ(v1.kind, verdict::ok) << v1.reason;
  EXPECT_TRUE(v1.rejected.empty());
  EXPECT_EQ(env.drafts("wx_hant"), 0U);
  EXPECT_EQ(sink->state().held("cjrb-hant", src[0].issue_id()).size(), 3U);
  EXPECT_TRUE(sink->state().page(t[0].id())) << "the pages do not wait";
  ASSERT_EQ(sink->write(envelopes(slice(t, 3, 5))).kind, verdict::ok);
  EXPECT_EQ(only_draft_of(env, "wx_hant"),
            (std::vector<std::string>{t[0].id(), t[1].id(), t[2].id(), t[3].id(), t[4].id()}));
  EXPECT_TRUE(sink->state().held("cjrb-hant", src[0].issue_id()).empty());
}

// A correction republishes only the changed article; the account has the rest of the issue
// already, so the revision is pushed at once instead of waiting for articles that will not come.
TEST(FeedSink, ACorrectedArticleIsNotHeldForTheRestOfItsIssue) {
  sink_env env;
  auto sink = env.make_sink(grouping(100));
  const auto src = published_issue(5);
  ASSERT_EQ(sink->write(envelopes(src)).kind, verdict::ok);
  auto fixed = src[2];
  fixed.set_headline(fixed.headline() + "（更正）");
  fixed.set_content_sha256("sha-corrected");
  ASSERT_EQ(sink->write(envelopes(std::vector<Article>{fixed})).kind, verdict::ok);
  EXPECT_EQ(env.drafts("wx_cjrb"), 2U);
  EXPECT_TRUE(sink->state().pushed("cjrb", fixed.id(), "sha-corrected"));
  EXPECT_TRUE(sink->state().held("cjrb", src[0].issue_id()).empty());
}

// A translation that never comes (its job dead-lettered): the rest goes out after the grace window.
TEST(FeedSink, AnIssueMissingATranslationIsPushedAfterTheGraceWindow) {
  sink_env env;
  auto sink = env.make_sink(grouping(100, std::chrono::milliseconds(200)));
  const auto t = translated(published_issue(5));
  ASSERT_EQ(sink->write(envelopes(slice(t, 0, 4))).kind, verdict::ok);
  EXPECT_EQ(env.drafts("wx_hant"), 0U);
  // The hold timer pushes it; the group is released once the draft is recorded, a moment after
  // the server has it (checking right when the draft appeared failed 1 run in 30).
  const auto released = [&] { return sink->state().held("cjrb-hant", t[0].issue_id()).empty(); };
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while ((env.drafts("wx_hant") == 0 || !released()) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(only_draft_of(env, "wx_hant").size(), 4U);
  EXPECT_TRUE(released());
}

// An account that takes only some pages (or columns, or headlines) cannot tell a partial issue
// from all it will get: it does not wait.
TEST(FeedSink, AnAccountWithAContentFilterDoesNotWaitForTheWholeIssue) {
  sink_env env;
  env.cfg.accounts[1].rules.pages = {1};
  auto sink = env.make_sink(grouping(100));
  const auto t = translated(published_issue(5));
  const auto v = sink->write(envelopes(slice(t, 0, 3)));
  ASSERT_EQ(v.kind, verdict::ok) << v.reason;
  ASSERT_TRUE(v.rejected.empty()) << v.rejected.front().second;
  EXPECT_EQ(only_draft_of(env, "wx_hant").size(), 3U);
}

// A held article's record was committed with an earlier batch, so the runner cannot dead-letter
// it: when its draft fails permanently the sink hands it to `dead_letter_held` (`consume feed`
// sends it to the dead-letter topic) instead of dropping it.
TEST(FeedSink, HeldArticlesThatFailPermanentlyGoToTheDeadLetterHook) {
  sink_env env;
  auto o = grouping(3);
  std::mutex mu;
  std::vector<std::pair<std::string, std::string>> dead;
  o.dead_letter_held = [&](const Article& art, const std::string& why) {
    const std::lock_guard lock(mu);
    dead.emplace_back(art.id(), why);
  };
  auto sink = env.make_sink(o);
  const auto a = issue(4);
  ASSERT_EQ(sink->write(envelopes(slice(a, 0, 3))).kind, verdict::ok);  // held
  env.server.control({{"fail_next", 1}, {"path", "draft/add"}, {"errcode", 45002}});
  const auto v = sink->write(envelopes(slice(a, 3, 4)));
  ASSERT_EQ(v.kind, verdict::ok) << v.reason;
  ASSERT_EQ(v.rejected.size(), 1U) << "the batch's own record: dead-lettered by the runner";
  EXPECT_EQ(v.rejected[0].first, 0U);
  ASSERT_EQ(dead.size(), 3U) << "the three held articles: handed to the hook, not dropped";
  std::vector<std::string> ids;
  for (const auto& [id, why] : dead) {
    ids.push_back(id);
    EXPECT_NE(why.find("45002"), std::string::npos) << why;
  }
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(ids, (std::vector<std::string>{a[0].id(), a[1].id(), a[2].id()}));
  EXPECT_EQ(sink->stats().held_dead_lettered, 3U);
  EXPECT_TRUE(sink->state().held("cjrb", a[0].issue_id()).empty());
  EXPECT_EQ(env.drafts("wx_cjrb"), 0U);
}

// Two `consume feed` processes sharing one state db (a rebalance hands partitions from one to the
// other while both run): the same records reach both, and each article still goes to WeChat once.
// Each sink opens the db itself, as a second process would; without the db's writer lock both
// read "not pushed" before either records its draft (seen as duplicate drafts in
// reliability.rebalance).
TEST(FeedSink, TwoInstancesSharingTheStateDbPushEachArticleOnce) {
  sink_env env;
  std::vector<Article> arts;
  for (unsigned page = 1; page <= 12; ++page) {
    for (unsigned s = 1; s <= 4; ++s) arts.push_back(make_article(s, page));
  }
  const auto batch = envelopes(arts);
  auto a = env.make_sink();
  auto b = env.make_sink();
  verdict va, vb;
  std::thread ta([&] { va = a->write(batch); });
  std::thread tb([&] { vb = b->write(batch); });
  ta.join();
  tb.join();
  ASSERT_EQ(va.kind, verdict::ok) << va.reason;
  ASSERT_EQ(vb.kind, verdict::ok) << vb.reason;
  std::map<std::string, int> seen;
  std::size_t total = 0;
  const auto st = env.server.state();
  for (const auto& d : st["drafts"]) {
    if (d["app_id"] != "wx_cjrb") continue;
    for (const auto& id : draft_ids(d)) {
      ++seen[id];
      ++total;
    }
  }
  EXPECT_EQ(total, arts.size());
  EXPECT_EQ(seen.size(), arts.size());
  EXPECT_EQ(a->stats().articles_pushed + b->stats().articles_pushed, arts.size());
}
