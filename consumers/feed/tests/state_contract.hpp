#pragma once
// The feed state's behaviour, written once and run against every backend (a gtest typed test
// suite): state_test.cpp instantiates it on SQLite in a temp file (label unit), state_pg_test.cpp
// on a real PostgreSQL (label integration).
//
// A Backend provides:
//   void setup();  void teardown();                      // a fresh, empty database per test
//   std::unique_ptr<state_store> open(bool read_only);   // a new connection to it

#include <gtest/gtest.h>

#include <atomic>
#include <limits>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "article_fixtures.hpp"
#include "syn/feed/state.hpp"

namespace syn::feed::test {

template <class Backend>
class FeedStateContract : public ::testing::Test {
 protected:
  void SetUp() override { backend_.setup(); }
  void TearDown() override { backend_.teardown(); }
  std::unique_ptr<state_store> open(bool read_only = false) { return backend_.open(read_only); }

  static draft_record draft(const std::string& media_id, const std::string& article,
                            const std::string& account = "cjrb") {
    draft_record d;
    d.media_id = media_id;
    d.account = account;
    d.issue_id = "cjrb-20240130";
    d.status = "added";
    d.articles = {{article, "h1", 1, 1}};
    return d;
  }

  Backend backend_;
};

TYPED_TEST_SUITE_P(FeedStateContract);

TYPED_TEST_P(FeedStateContract, RecordsDraftsAndAnswersIdempotenceQueries) {
  auto owned = this->open();
  auto& s = *owned;
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

TYPED_TEST_P(FeedStateContract, CoversAndAmbiguousDrafts) {
  auto owned = this->open();
  auto& s = *owned;
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

TYPED_TEST_P(FeedStateContract, ArticlePagesCountRevisionsAndFeedsOrderByIssue) {
  auto owned = this->open();
  auto& s = *owned;
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

// A replay delivering an older revision after a newer one used to rewrite the page with the older
// text (and count a third revision).
TYPED_TEST_P(FeedStateContract, ReplayOfAnOlderRevisionKeepsTheNewerPage) {
  auto owned = this->open();
  auto& s = *owned;
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

TYPED_TEST_P(FeedStateContract, QuotaPausesCoversPerAppAndOperatorActionsPersist) {
  {
    auto first = this->open();
    auto& s = *first;
    s.pause_quota({"cjrb", "freepublish/submit", 2000, 45009, "reach max api daily quota limit", 1000});
    s.store_app_cover("wx1", "sha", "MEDIA1", "http://mmbiz.qpic.cn/1");
    EXPECT_FALSE(s.app_image("wx1", "photo-sha"));
    s.store_app_image("wx1", "photo-sha", "http://mmbiz.qpic.cn/old");
    s.store_app_image("wx1", "photo-sha", "http://mmbiz.qpic.cn/body");  // upsert: the last answer
    EXPECT_FALSE(s.remember_app_id("cjrb", "wx1"));
    s.log_action("quota reset", "cjrb", "clear_quota wx1 ok");
    s.count_calls("cjrb", "draft/add", "2026-12-07", 3, 1);
    s.count_calls("cjrb", "draft/add", "2026-12-07", 2, 0);
  }
  auto reopened = this->open();
  auto& s = *reopened;
  const auto p = s.quota_pauses("cjrb");
  ASSERT_EQ(p.size(), 1U);
  EXPECT_EQ(p[0].api, "freepublish/submit");
  EXPECT_EQ(p[0].until_ms, 2000);
  EXPECT_EQ(s.app_cover("wx1", "sha"), "MEDIA1");
  EXPECT_FALSE(s.app_cover("wx2", "sha"));                                  // a cover belongs to its AppID
  EXPECT_EQ(s.app_image("wx1", "photo-sha"), "http://mmbiz.qpic.cn/body");  // body images too (issue 18)
  EXPECT_FALSE(s.app_image("wx2", "photo-sha"));
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
}

// A batch transaction: calls made inside join it (record_draft's own transaction included),
// another connection (`serve feeds`) sees nothing before commit(), and a batch destroyed without
// commit() leaves nothing behind.
TYPED_TEST_P(FeedStateContract, BatchTransactionCommitsOrRollsBackEverythingInIt) {
  auto owned = this->open();
  auto& s = *owned;
  auto reader = this->open(true);
  {
    state_store::batch_transaction batch(s);
    s.mark_superseded("cjrb", "old", "h0");
    s.record_draft(this->draft("M1", "a1"), "wx1");
    EXPECT_TRUE(s.pushed("cjrb", "a1", "h1"));  // its own writes, inside
    EXPECT_FALSE(reader->pushed("cjrb", "a1", "h1"));
    batch.commit();
  }
  EXPECT_TRUE(reader->pushed("cjrb", "a1", "h1"));
  EXPECT_TRUE(reader->superseded("cjrb", "old", "h0"));
  {
    state_store::batch_transaction batch(s);
    s.record_draft(this->draft("M2", "a2"), "wx1");
    s.mark_superseded("cjrb", "a1", "h1");
  }  // no commit(): rolled back
  EXPECT_FALSE(s.pushed("cjrb", "a2", "h1"));
  EXPECT_FALSE(s.superseded("cjrb", "a1", "h1"));
  s.record_draft(this->draft("M3", "a3"), "wx1");  // and transactions of its own work again after it
  EXPECT_TRUE(reader->pushed("cjrb", "a3", "h1"));
}

TYPED_TEST_P(FeedStateContract, PublishResultsSettleDraftsAndTheLatestResultWins) {
  auto owned = this->open();
  auto& s = *owned;
  s.record_draft(this->draft("M1", "a1"), "wx1");
  s.record_draft(this->draft("M2", "a2"), "wx1");
  EXPECT_EQ(s.drafts_waiting("cjrb").size(), 2U);
  s.record_submitted("M1", "P1", "MSG1");
  ASSERT_EQ(s.drafts_waiting("cjrb").size(), 1U);
  EXPECT_EQ(s.drafts_waiting("cjrb")[0].media_id, "M2");
  EXPECT_EQ(s.drafts_waiting("cjrb")[0].articles.size(), 1U);
  const auto unsettled = s.unsettled_publishes(std::numeric_limits<std::int64_t>::max());
  ASSERT_EQ(unsettled.size(), 1U);
  EXPECT_EQ(unsettled[0], (std::pair<std::string, std::string>{"cjrb", "P1"}));
  EXPECT_TRUE(s.unsettled_publishes(0).empty());  // submitted after time 0
  EXPECT_FALSE(s.record_publish_result({"P-unknown", 0, "", "", "callback", 0}));
  EXPECT_EQ(s.record_publish_result({"P1", 1, "", "", "poll", 0}).value_or(""), "cjrb");
  EXPECT_EQ(s.draft_of("cjrb", "a1", "h1")->status, "publishing");
  EXPECT_EQ(s.record_publish_result({"P1", 0, "ART1", "", "callback", 0}).value_or(""), "cjrb");
  EXPECT_EQ(s.draft_of("cjrb", "a1", "h1")->status, "published");
  const auto results = s.publish_results("cjrb");
  ASSERT_EQ(results.size(), 1U);  // the latest result per publish_id
  EXPECT_EQ(results[0].status, 0);
  EXPECT_EQ(results[0].article_id, "ART1");
  EXPECT_EQ(results[0].source, "callback");
  EXPECT_TRUE(s.unsettled_publishes(std::numeric_limits<std::int64_t>::max()).empty());
  // A recovered outcome.
  s.set_draft_status("M2", "submitted", "P2");
  EXPECT_EQ(s.draft_of("cjrb", "a2", "h1")->publish_id, "P2");
  s.set_draft_status("M2", "published");  // an empty publish_id keeps the one recorded
  EXPECT_EQ(s.draft_of("cjrb", "a2", "h1")->publish_id, "P2");
  EXPECT_EQ(s.draft_of("cjrb", "a2", "h1")->status, "published");
}

TYPED_TEST_P(FeedStateContract, HeldArticlesGroupByIssueAndKeepTheirFirstArrival) {
  auto owned = this->open();
  auto& s = *owned;
  auto a1 = feedtest::make_article(1);
  auto a2 = feedtest::make_article(2);
  s.hold("cjrb", "news.articles.v1:0", {&a1});
  s.hold("cjrb", "", {&a2});  // no partition: the group keeps the one it came from
  a1.set_content_sha256("revised");
  s.hold("cjrb", "news.articles.v1:0", {&a1});  // a newer revision replaces the held one
  const auto held = s.held("cjrb", a1.issue_id());
  ASSERT_EQ(held.size(), 2U);
  EXPECT_EQ(held[0].id(), a1.id());
  EXPECT_EQ(held[0].content_sha256(), "revised");
  EXPECT_EQ(held[1].headline(), a2.headline());  // the article survives the round trip
  EXPECT_EQ(s.held_groups(std::numeric_limits<std::int64_t>::max()).size(), 1U);
  EXPECT_TRUE(s.held_groups(0).empty());  // held after time 0
  EXPECT_EQ(s.held_groups_from("news.articles.v1:0").size(), 1U);
  EXPECT_TRUE(s.held_groups_from("news.articles.v1:1").empty());
  EXPECT_TRUE(s.held("cjrb-hant", a1.issue_id()).empty());
  s.release("cjrb", a1.issue_id());
  EXPECT_TRUE(s.held("cjrb", a1.issue_id()).empty());
  EXPECT_TRUE(s.held_groups(std::numeric_limits<std::int64_t>::max()).empty());
}

TYPED_TEST_P(FeedStateContract, SubmitIntentsRepostsErrorsAndIssueCounts) {
  auto owned = this->open();
  auto& s = *owned;
  EXPECT_FALSE(s.submit_intent("M1"));
  s.mark_submit_intent("M1");
  s.mark_submit_intent("M1");  // idempotent
  EXPECT_TRUE(s.submit_intent("M1"));
  s.clear_submit_intent("M1");
  EXPECT_FALSE(s.submit_intent("M1"));

  s.record_draft(this->draft("M1", "a1"), "wx1");
  s.mark_superseded("cjrb", "a1", "h0");
  EXPECT_EQ(s.forget_pushed("cjrb", "a1"), 1U);
  EXPECT_FALSE(s.pushed("cjrb", "a1", "h1"));
  EXPECT_FALSE(s.superseded("cjrb", "a1", "h0"));
  EXPECT_EQ(s.forget_pushed("cjrb", "a1"), 0U);

  for (int i = 0; i < 25; ++i) s.note_error("cjrb", "error " + std::to_string(i));
  const auto errors = s.last_errors("cjrb", 3);
  ASSERT_EQ(errors.size(), 3U);
  EXPECT_EQ(errors[0].second, "error 24");            // newest first
  EXPECT_EQ(s.last_errors("cjrb", 100).size(), 20U);  // 20 kept per account
  EXPECT_TRUE(s.last_errors("cjrb-hant").empty());

  s.log_action("repost", "cjrb", "a1");
  s.log_action("quota reset", "cjrb", "ok");
  const auto actions = s.actions(1);
  ASSERT_EQ(actions.size(), 1U);
  EXPECT_EQ(actions[0].what, "quota reset");

  const auto a = feedtest::make_article(1);
  s.store_article(a, "<p>1</p>", {"cjrb"});
  EXPECT_EQ(s.issue_articles("cjrb", a.issue_id(), a.language().empty() ? "zh-Hans" : a.language()), 1U);
  EXPECT_EQ(s.issue_articles("cjrb-hant", a.issue_id(), "zh-Hans"), 0U);
  EXPECT_EQ(s.pushed_revisions("cjrb", "a1"), 0);
}

// Several `consume feed` instances share one state: each takes the writer lock around "check the
// ledger, push, record", so under a race each article is recorded as pushed by exactly one of
// them. Four connections, each trying every article; `pushes` counts the pushes made.
TYPED_TEST_P(FeedStateContract, TheWriterLockLetsOneInstancePushEachArticle) {
  constexpr int articles = 40;
  std::vector<std::unique_ptr<state_store>> instances;
  for (int i = 0; i < 4; ++i) instances.push_back(this->open());
  std::atomic<int> pushes{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      auto& s = *instances[static_cast<std::size_t>(i)];
      for (int n = 0; n < articles; ++n) {
        const std::string id = "a" + std::to_string((n + i * 7) % articles);
        const auto writer = s.lock_writer();
        if (s.pushed("cjrb", id, "h1")) continue;
        // The WeChat call would be here, between the check and the record.
        s.record_draft(this->draft("M-" + id + "-" + std::to_string(i), id), "wx1");
        ++pushes;
      }
    });
  }
  for (auto& t : threads) t.join();
  const auto all = instances[0]->drafts("cjrb");
  std::cout << "writer lock: expected " << articles << " pushes, got " << pushes.load() << " (duplicated "
            << pushes.load() - articles << "); drafts recorded " << all.size() << "\n";
  EXPECT_EQ(pushes.load(), articles);
  EXPECT_EQ(all.size(), static_cast<std::size_t>(articles));
}

REGISTER_TYPED_TEST_SUITE_P(
    FeedStateContract, RecordsDraftsAndAnswersIdempotenceQueries, CoversAndAmbiguousDrafts,
    ArticlePagesCountRevisionsAndFeedsOrderByIssue, ReplayOfAnOlderRevisionKeepsTheNewerPage,
    QuotaPausesCoversPerAppAndOperatorActionsPersist, BatchTransactionCommitsOrRollsBackEverythingInIt,
    PublishResultsSettleDraftsAndTheLatestResultWins, HeldArticlesGroupByIssueAndKeepTheirFirstArrival,
    SubmitIntentsRepostsErrorsAndIssueCounts, TheWriterLockLetsOneInstancePushEachArticle);

}  // namespace syn::feed::test
