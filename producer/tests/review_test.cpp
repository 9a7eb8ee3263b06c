// Issue 15, items 5 and 6: the correction file (parser and applier), the hold store and the
// trigger's review endpoints. No broker: publication is a function the tests count calls of.
#include "syn/producer/review.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "syn/producer/corrections.hpp"
#include "syn/producer/review_api.hpp"
#include "syn/producer/trigger.hpp"
#include "test_support.hpp"

namespace syn::producer {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using testing::fixture;
using testing::options;

split_result fixture_issue() {
  auto issue = split_issue(fixture(), options("p1.txt"));
  issue.manifest.set_source(fixture());
  return issue;
}

/// A test issue the splitter is not sure of (0.95: an article without byline).
std::string doubtful() { return testing::read_data("issues/beijiang-daily-2024-03-12-p1.txt"); }

split_result doubtful_issue() {
  auto issue = split_issue(doubtful(), options("bj.txt"));
  issue.manifest.set_source(doubtful());
  return issue;
}

std::string file_for(const split_result& issue, const std::string& body) {
  return "issue: " + issue.manifest.issue_id() + "\ncorrections:\n" + body;
}

/// The correction error `yaml` gives, as `what()`.
std::string error_of(const std::string& yaml) {
  try {
    (void)parse_corrections(yaml, "fix.yaml");
  } catch (const correction_error& e) {
    return e.what();
  }
  return "no error";
}

std::string apply_error(const std::string& yaml, split_result& issue) {
  try {
    apply_corrections(parse_corrections(yaml, "fix.yaml"), issue);
  } catch (const correction_error& e) {
    return e.what();
  }
  return "no error";
}

struct temp_dir {
  fs::path path;
  temp_dir() {
    std::random_device rd;
    path = fs::temp_directory_path() / ("syn-review-" + std::to_string(rd()) + std::to_string(rd()));
    fs::create_directories(path);
  }
  ~temp_dir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
};

// ---- the correction file ----

TEST(CorrectionParser, ReadsEveryOperation) {
  const auto set = parse_corrections(R"(issue: cjrb-20240130
corrections:
  - set: {article: 2, headline: 新标题, kicker: 引题, byline: [{name: 张三, role: photographer}],
          captions: [{photo: 1, caption: 图说, credit: 李四}]}
  - merge: [3, 4]
  - split: {article: 1, at_paragraph: 3, headline: 另一篇}
  - move_boundary: {after: cjrb-20240130-01-01, paragraphs: -2}
  - drop: {article: 5, text: "责任编辑：王五"}
)",
                                     "fix.yaml");
  EXPECT_EQ(set.issue_id, "cjrb-20240130");
  ASSERT_EQ(set.corrections.size(), 5U);
  const auto& s = std::get<set_fields>(set.corrections[0].op);
  EXPECT_EQ(s.article.number, 2U);
  EXPECT_EQ(*s.headline, "新标题");
  ASSERT_TRUE(s.byline);
  EXPECT_EQ((*s.byline)[0].role, syndication::v1::Contributor::PHOTOGRAPHER);
  EXPECT_EQ(set.corrections[0].place.line, 3U);
  EXPECT_EQ(std::get<merge_articles>(set.corrections[1].op).second.number, 4U);
  EXPECT_EQ(std::get<split_article>(set.corrections[2].op).at_paragraph, 3U);
  EXPECT_EQ(std::get<move_boundary>(set.corrections[3].op).after.id, "cjrb-20240130-01-01");
  EXPECT_EQ(std::get<move_boundary>(set.corrections[3].op).paragraphs, -2);
  EXPECT_EQ(std::get<drop_line>(set.corrections[4].op).text, "责任编辑：王五");
}

TEST(CorrectionParser, NamesFileLineAndFieldOfEachMistake) {
  EXPECT_EQ(error_of("issue: x\ncorrections:\n  - set: {article: 2, headlin: y}\n"),
            "fix.yaml:3: corrections[0].set.headlin: unknown key; expected one of article, kicker, headline, "
            "subheadline, byline, captions");
  EXPECT_EQ(
      error_of("issue: x\ncorrections:\n  - move_boundary: {after: 2,\n      paragraphs: many}\n"),
      "fix.yaml:4: corrections[0].move_boundary.paragraphs: expected an integer from -100000 to 100000, got "
      "\"many\"");
  EXPECT_EQ(error_of("issue: x\ncorrections:\n  - set: {article: 2, byline: [{name: a, role: chef}]}\n"),
            "fix.yaml:3: corrections[0].set.byline[0].role: unknown role \"chef\"; expected reporter, "
            "correspondent, photographer, editor, intern or other");
  EXPECT_EQ(error_of("issue: x\ncorrections:\n  - merge: [1]\n"),
            "fix.yaml:3: corrections[0].merge: expected two articles, [first, second]");
  EXPECT_EQ(error_of("issue: x\ncorrections:\n  - set: {article: 2}\n"),
            "fix.yaml:3: corrections[0].set: nothing to set: give kicker, headline, subheadline, byline or "
            "captions");
  EXPECT_EQ(error_of("corrections: []\n"),
            "fix.yaml:1: issue: missing: the id of the issue these corrections "
            "are for");
  EXPECT_EQ(error_of("issue: x\ncorrections:\n  - split: {article: 1, at_paragraph: 1}\n"),
            "fix.yaml:3: corrections[0].split.at_paragraph: expected an integer from 2 to 100000, got \"1\"");
  EXPECT_EQ(error_of("issue: x\ncorrections:\n  - drop: {article: 1}\n"),
            "fix.yaml:3: corrections[0].drop: give either paragraph or text");
  EXPECT_EQ(error_of("issue: x\ncorrections:\n  - set: {article: 1, headline: \"a\\nb\"}\n"),
            "fix.yaml:3: corrections[0].set.headline: expected one line of text");
  EXPECT_EQ(error_of("issue: x\ncorrections:\n  - { set: {article: 1, headline: a}, merge: [1, 2] }\n"),
            "fix.yaml:3: corrections[0]: expected exactly one of set, merge, split, move_boundary, drop");
}

TEST(CorrectionParser, RefusesWhatIsNotACorrectionFile) {
  EXPECT_TRUE(error_of("issue: [unclosed\n").starts_with("fix.yaml:2: not valid YAML: "))
      << error_of("issue: [unclosed\n");
  EXPECT_EQ(error_of("- just a list\n"), "fix.yaml:1: expected a mapping with `issue` and `corrections`");
  EXPECT_EQ(error_of(""), "fix.yaml: expected a mapping with `issue` and `corrections`");
  EXPECT_TRUE(error_of("issue: \xff\ncorrections: []\n").starts_with("fix.yaml:1: "))
      << error_of("issue: \xff\ncorrections: []\n");
  EXPECT_EQ(error_of(std::string(max_corrections_bytes + 1, '#')),
            "fix.yaml: 262145 bytes, over the limit of 262144");
  // Deep nesting is refused by the YAML parser's depth guard, not a stack overflow.
  EXPECT_TRUE(error_of("issue: " + std::string(5000, '[')).starts_with("fix.yaml:"));
}

// ---- applying it ----

TEST(CorrectionApplier, ASetFieldChangesOnlyThatArticle) {
  auto issue = fixture_issue();
  const auto before = issue;
  ASSERT_GE(issue.articles.size(), 3U);
  const auto report = apply_corrections(
      parse_corrections(file_for(issue, "  - set: {article: 2, headline: 更正后的标题, kicker: 引题}\n"),
                        "f.yaml"),
      issue);
  ASSERT_EQ(report.changed, std::vector<std::string>{before.articles[1].id()});
  EXPECT_TRUE(report.removed.empty());
  ASSERT_EQ(issue.articles.size(), before.articles.size());
  EXPECT_EQ(issue.articles[1].headline(), "更正后的标题");
  EXPECT_EQ(issue.articles[1].kicker(), "引题");
  EXPECT_NE(issue.articles[1].content_sha256(), before.articles[1].content_sha256());
  EXPECT_FLOAT_EQ(issue.articles[1].confidence(), 1.0F);
  for (std::size_t i = 0; i < issue.articles.size(); ++i) {
    EXPECT_EQ(issue.articles[i].id(), before.articles[i].id());
    EXPECT_EQ(issue.manifest.article_ids(static_cast<int>(i)), issue.articles[i].id());
    EXPECT_EQ(issue.manifest.article_hashes(static_cast<int>(i)), issue.articles[i].content_sha256());
    if (i != 1) {
      EXPECT_EQ(issue.articles[i].content_sha256(), before.articles[i].content_sha256()) << i;
    }
  }
  EXPECT_EQ(issue.manifest.source(), before.manifest.source());
}

TEST(CorrectionApplier, MergesTwoArticlesKeepingTheFirstsId) {
  auto issue = fixture_issue();
  const auto before = issue;
  const auto& a = before.articles[2];
  const auto& b = before.articles[3];
  const auto report =
      apply_corrections(parse_corrections(file_for(issue, "  - merge: [3, 4]\n"), "f.yaml"), issue);
  EXPECT_EQ(report.changed, std::vector<std::string>{a.id()});
  EXPECT_EQ(report.removed, std::vector<std::string>{b.id()});
  ASSERT_EQ(issue.articles.size(), before.articles.size() - 1);
  EXPECT_EQ(issue.articles[2].id(), a.id());
  EXPECT_EQ(issue.articles[2].blocks_size(), a.blocks_size() + b.blocks_size());
  EXPECT_EQ(issue.articles[2].blocks(a.blocks_size()).text(), b.blocks(0).text());
  EXPECT_EQ(issue.articles[3].id(), before.articles[4].id());  // the next one keeps its identity
  EXPECT_EQ(issue.articles[3].content_sha256(), before.articles[4].content_sha256());
  EXPECT_EQ(issue.manifest.article_ids_size(), static_cast<int>(issue.articles.size()));
}

TEST(CorrectionApplier, SplitsAnArticleAtAParagraph) {
  auto issue = fixture_issue();
  const auto before = issue;
  std::size_t k = 0;  // an article with at least 3 paragraphs
  while (k < before.articles.size() && before.articles[k].blocks_size() < 3) ++k;
  ASSERT_LT(k, before.articles.size());
  const auto& a = before.articles[k];
  const auto report = apply_corrections(
      parse_corrections(
          file_for(issue, "  - split: {article: " + std::to_string(a.sequence()) +
                              ", at_paragraph: 3, headline: 新的一篇, byline: [{name: 王五}]}\n"),
          "f.yaml"),
      issue);
  ASSERT_EQ(issue.articles.size(), before.articles.size() + 1);
  const auto& first = issue.articles[k];
  const auto& fresh = issue.articles[k + 1];
  EXPECT_EQ(first.id(), a.id());
  EXPECT_EQ(first.blocks_size(), 2);
  EXPECT_EQ(fresh.blocks_size(), a.blocks_size() - 2);
  EXPECT_EQ(fresh.blocks(0).text(), a.blocks(2).text());
  EXPECT_EQ(fresh.headline(), "新的一篇");
  ASSERT_EQ(fresh.contributors_size(), 1);
  EXPECT_EQ(fresh.contributors(0).name(), "王五");
  const auto n = before.articles.size() + 1;
  EXPECT_EQ(fresh.id(), before.manifest.issue_id() + "-01-" + (n < 10 ? "0" : "") + std::to_string(n));
  EXPECT_EQ(fresh.sequence(), n);
  EXPECT_EQ(report.changed, (std::vector<std::string>{a.id(), fresh.id()}));
  EXPECT_EQ(issue.manifest.article_ids(static_cast<int>(k + 1)), fresh.id());  // in reading order
}

TEST(CorrectionApplier, MovesABoundaryBothWays) {
  auto issue = fixture_issue();
  const auto before = issue;
  const auto& a = before.articles[0];
  const auto& b = before.articles[1];
  ASSERT_GE(a.blocks_size(), 2);
  auto forward = issue;
  apply_corrections(
      parse_corrections(file_for(issue, "  - move_boundary: {after: 1, paragraphs: 1}\n"), "f.yaml"),
      forward);
  EXPECT_EQ(forward.articles[0].blocks_size(), a.blocks_size() - 1);
  EXPECT_EQ(forward.articles[1].blocks_size(), b.blocks_size() + 1);
  EXPECT_EQ(forward.articles[1].blocks(0).text(), a.blocks(a.blocks_size() - 1).text());
  // And back: the same content, so the same hashes as before (identity is content).
  apply_corrections(
      parse_corrections(file_for(issue, "  - move_boundary: {after: 1, paragraphs: -1}\n"), "f.yaml"),
      forward);
  EXPECT_EQ(forward.articles[0].content_sha256(), a.content_sha256());
  EXPECT_EQ(forward.articles[1].content_sha256(), b.content_sha256());
}

TEST(CorrectionApplier, DropsALineOrAParagraph) {
  auto issue = fixture_issue();
  const auto before = issue;
  const auto& a = before.articles[0];
  ASSERT_GE(a.blocks_size(), 2);
  const std::string& text = a.blocks(0).text();
  std::size_t cut = 12;  // a whole UTF-8 prefix of the first paragraph
  while (cut < text.size() && (static_cast<unsigned char>(text[cut]) & 0xC0U) == 0x80U) ++cut;
  const std::string line = text.substr(0, cut);
  apply_corrections(parse_corrections(file_for(issue, "  - drop: {article: 1, text: \"" + line +
                                                          "\"}\n  - drop: {article: 1, paragraph: 2}\n"),
                                      "f.yaml"),
                    issue);
  EXPECT_EQ(issue.articles[0].blocks(0).text(),
            text.substr(cut).substr(text.substr(cut).find_first_not_of(' ')));
  EXPECT_EQ(issue.articles[0].blocks_size(), a.blocks_size() - 1);
  if (a.blocks_size() > 2) {
    EXPECT_EQ(issue.articles[0].blocks(1).text(), a.blocks(2).text());
  }
}

TEST(CorrectionApplier, ErrorsNameTheLineAndLeaveTheIssueAlone) {
  auto issue = fixture_issue();
  const auto before = issue.manifest.SerializeAsString();
  EXPECT_EQ(apply_error(file_for(issue, "  - set: {article: 1, headline: 好}\n  - merge: [2, 99]\n"), issue),
            "fix.yaml:4: corrections[1].merge: no article 99 in issue " + issue.manifest.issue_id());
  EXPECT_EQ(issue.manifest.SerializeAsString(), before);  // all or nothing: article 1 unchanged too
  EXPECT_EQ(apply_error("issue: other-20000101\ncorrections: []\n", issue),
            "fix.yaml: issue: the file is for issue other-20000101, not " + issue.manifest.issue_id());
  EXPECT_TRUE(apply_error(file_for(issue, "  - split: {article: 1, at_paragraph: 999, headline: x}\n"), issue)
                  .starts_with("fix.yaml:3: corrections[0].split: article "));
  const auto last = issue.articles.back().sequence();
  EXPECT_EQ(apply_error(
                file_for(issue, "  - move_boundary: {after: " + std::to_string(last) + ", paragraphs: 1}\n"),
                issue),
            "fix.yaml:3: corrections[0].move_boundary: article " + issue.articles.back().id() +
                " is the last: no boundary after it");
  EXPECT_EQ(issue.manifest.SerializeAsString(), before);
}

// ---- the hold store ----

held_issue sample_held(const split_result& issue) {
  auto so = options("p1.txt");
  return make_held(issue, fixture(), "http", "127.0.0.1:5555", so);
}

TEST(ReviewStore, AHoldSurvivesReopeningWithItsText) {
  temp_dir dir;
  const auto issue = fixture_issue();
  {
    review_store store(dir.path);
    store.hold(sample_held(issue));
  }
  const review_store again(dir.path);  // a restart
  const auto list = again.list();
  ASSERT_EQ(list.size(), 1U);
  EXPECT_EQ(list[0].issue_id, issue.manifest.issue_id());
  EXPECT_EQ(list[0].state, "held");
  EXPECT_TRUE(list[0].body.empty());  // the list leaves the text out
  const auto h = again.find(issue.manifest.issue_id());
  ASSERT_TRUE(h);
  EXPECT_EQ(h->body, fixture());
  EXPECT_EQ(h->who, "127.0.0.1:5555");
  // Split again with what was kept, it is the very same issue.
  const auto resplit = split_issue(h->body, options_of(*h, testing::test_papers()));
  EXPECT_EQ(resplit.manifest.article_hashes(0), issue.manifest.article_hashes(0));
  // No temporary file is left behind.
  for (const auto& e : fs::directory_iterator(dir.path))
    EXPECT_FALSE(e.path().filename().string().ends_with(".tmp"));
}

TEST(ReviewStore, AClaimIsExclusiveAndDecisionsAreRecorded) {
  temp_dir dir;
  review_store store(dir.path);
  const auto issue = fixture_issue();
  const auto id = issue.manifest.issue_id();
  store.hold(sample_held(issue));
  auto first = store.try_claim(id);
  ASSERT_TRUE(first);
  EXPECT_FALSE(store.try_claim(id));  // a second thread, or another process: refused
  auto h = *store.find(id);
  h.outcome = "published";
  store.released(*first, h);
  first.reset();
  EXPECT_TRUE(store.list().empty());
  ASSERT_TRUE(store.find(id));
  EXPECT_EQ(store.find(id)->state, "released");
  EXPECT_EQ(store.find(id)->outcome, "published");
  EXPECT_TRUE(store.try_claim(id));  // free again once the first is gone

  // A rejection keeps the text for a look.
  auto other = issue;
  other.manifest.set_issue_id("cjrb-20240131");
  auto h2 = sample_held(other);
  store.hold(h2);
  const auto c2 = store.try_claim("cjrb-20240131");
  ASSERT_TRUE(c2);
  h2.reason = "wrong page";
  store.rejected(*c2, h2);
  const auto r = store.find("cjrb-20240131");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->state, "rejected");
  EXPECT_EQ(r->reason, "wrong page");
  EXPECT_EQ(r->body, fixture());
}

TEST(ReviewStore, RefusesIdsThatAreNotFileNames) {
  temp_dir dir;
  review_store store(dir.path);
  for (const std::string bad : {"", "../etc", "a/b", "A-1", ".hidden", "x..y"}) {
    EXPECT_FALSE(valid_issue_id(bad)) << bad;
    EXPECT_FALSE(store.find(bad)) << bad;
    EXPECT_FALSE(store.try_claim(bad)) << bad;
  }
  EXPECT_TRUE(valid_issue_id("cjrb-20240130"));
}

TEST(ReviewStore, BelowConfidenceComparesAtTwoDecimals) {
  split_result issue;
  issue.manifest.set_confidence(0.8F);
  EXPECT_FALSE(below_confidence(issue, 0.0));  // off
  EXPECT_FALSE(below_confidence(issue, 0.8));
  EXPECT_TRUE(below_confidence(issue, 0.81));
  issue.manifest.set_confidence(0.79F);
  EXPECT_TRUE(below_confidence(issue, 0.8));
}

// ---- the trigger's review endpoints ----

http::request make(const std::string& method, const std::string& path, std::string body = {}) {
  http::request r;
  r.method = method;
  r.target = path;
  r.path = path;
  r.body = std::move(body);
  r.remote = "127.0.0.1:1";
  r.headers["authorization"] = "Bearer t0k";
  return r;
}

/// Waits (bounded) until GET /v1/review/{id} reports `state`: the worker records a release just
/// after the publication, so drain() alone may return a moment before.
bool wait_state(trigger& t, const std::string& id, const std::string& state) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < until) {
    const auto r = t.handle(make("GET", "/v1/review/" + id));
    if (r.status == 200U && json::parse(r.body).value("state", "") == state) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

struct trigger_rig {
  temp_dir dir;
  std::atomic<int> published{0};
  std::vector<std::string> sent_headlines;
  std::mutex mu;
  trigger_options opts() {
    trigger_options o;
    o.token = "t0k";
    o.papers = testing::test_papers();
    o.spool_dir = dir.path / "spool";
    o.review_dir = dir.path / "review";
    o.min_confidence = 0.99;  // hold everything the splitter doubts at all
    return o;
  }
  publish_fn fn() {
    return [this](const split_result& issue) {
      ++published;
      std::lock_guard lock(mu);
      for (const auto& a : issue.articles) sent_headlines.push_back(a.headline());
      publish_outcome o;
      o.state = publish_outcome::status::published;
      o.issue_id = issue.manifest.issue_id();
      for (const auto& a : issue.articles) o.article_ids.push_back(a.id());
      o.articles_sent = o.article_ids.size();
      return o;
    };
  }
};

TEST(TriggerReview, HoldsADoubtfulIssueAndPublishesItOnceWhenReleased) {
  const auto issue = doubtful_issue();
  ASSERT_LT(issue.manifest.confidence(), 0.99F) << "the test issue must carry some doubt";
  const auto id = issue.manifest.issue_id();
  trigger_rig rig;
  {
    trigger t(rig.opts(), rig.fn());
    auto r = t.handle(make("POST", "/v1/issues", doubtful()));
    ASSERT_EQ(r.status, 202U) << r.body;
    EXPECT_EQ(json::parse(r.body)["status"], "held");
    ASSERT_TRUE(t.drain(std::chrono::seconds(5)));
    EXPECT_EQ(rig.published.load(), 0);  // held: not published
    EXPECT_EQ(json::parse(t.handle(make("GET", "/v1/issues/" + id)).body)["status"], "held");
    EXPECT_TRUE(t.metrics_text().find("syndicate_trigger_issues_total{via=\"http\",result=\"held\"} 1") !=
                std::string::npos);
  }
  // A restart (the trigger object gone, its review folder kept): still held.
  trigger t(rig.opts(), rig.fn());
  auto list = t.handle(make("GET", "/v1/review"));
  ASSERT_EQ(list.status, 200U);
  ASSERT_EQ(json::parse(list.body)["held"].size(), 1U);
  auto show = json::parse(t.handle(make("GET", "/v1/review/" + id)).body);
  EXPECT_EQ(show["articles"].size(), issue.articles.size());
  std::size_t doubtful = 0;
  for (const auto& a : show["articles"]) doubtful += a["doubtful"].get<bool>() ? 1U : 0U;
  std::size_t below = 0;
  for (const auto& a : issue.articles) below += a.confidence() < 0.99F ? 1U : 0U;
  EXPECT_GE(below, 1U);
  EXPECT_EQ(doubtful, below);  // every article below the threshold is marked, and only those

  // A bad correction file: 400 naming line and field, nothing published, still held.
  auto bad = t.handle(make("POST", "/v1/review/" + id + "/release",
                           "issue: " + id + "\ncorrections:\n  - set: {article: 1, headlin: x}\n"));
  EXPECT_EQ(bad.status, 400U);
  EXPECT_EQ(json::parse(bad.body)["line"], 3);
  EXPECT_EQ(json::parse(bad.body)["field"], "corrections[0].set.headlin");
  EXPECT_EQ(rig.published.load(), 0);

  auto r =
      t.handle(make("POST", "/v1/review/" + id + "/release",
                    "issue: " + id + "\ncorrections:\n  - set: {article: 1, headline: 编辑改过的标题}\n"));
  ASSERT_EQ(r.status, 202U) << r.body;
  ASSERT_TRUE(t.drain(std::chrono::seconds(5)));
  EXPECT_EQ(rig.published.load(), 1);
  EXPECT_EQ(rig.sent_headlines.at(0), "编辑改过的标题");
  ASSERT_TRUE(wait_state(t, id, "released"));
  // Released twice: the record, nothing published again.
  auto again = t.handle(make("POST", "/v1/review/" + id + "/release"));
  EXPECT_EQ(again.status, 200U) << again.body;
  EXPECT_EQ(json::parse(again.body)["state"], "released");
  ASSERT_TRUE(t.drain(std::chrono::seconds(5)));
  EXPECT_EQ(rig.published.load(), 1);
  EXPECT_EQ(json::parse(t.handle(make("GET", "/v1/review")).body)["held"].size(), 0U);
}

TEST(TriggerReview, ConcurrentReleasesPublishOnce) {
  const auto id = doubtful_issue().manifest.issue_id();
  trigger_rig rig;
  trigger t(rig.opts(), rig.fn());
  ASSERT_EQ(t.handle(make("POST", "/v1/issues", doubtful())).status, 202U);
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      const auto r = t.handle(make("POST", "/v1/review/" + id + "/release"));
      if (r.status == 202U || r.status == 200U) ++ok;
    });
  }
  for (auto& th : threads) th.join();
  ASSERT_TRUE(t.drain(std::chrono::seconds(5)));
  ASSERT_TRUE(wait_state(t, id, "released"));
  EXPECT_EQ(t.handle(make("POST", "/v1/review/" + id + "/release")).status, 200U);  // and once more, after
  ASSERT_TRUE(t.drain(std::chrono::seconds(5)));
  EXPECT_EQ(rig.published.load(), 1);
  EXPECT_GE(ok.load(), 1);
}

TEST(TriggerReview, RejectsAndRefusesBadRequests) {
  const auto id = doubtful_issue().manifest.issue_id();
  trigger_rig rig;
  trigger t(rig.opts(), rig.fn());
  auto unauth = make("GET", "/v1/review");
  unauth.headers.erase("authorization");
  EXPECT_EQ(t.handle(unauth).status, 401U);
  EXPECT_EQ(t.authorise(unauth)->status, 401U);
  EXPECT_EQ(t.handle(make("DELETE", "/v1/review")).status, 405U);
  EXPECT_EQ(t.handle(make("GET", "/v1/review/" + id + "/release")).status, 405U);
  EXPECT_EQ(t.handle(make("GET", "/v1/review/..%2Fetc")).status, 404U);
  EXPECT_EQ(t.handle(make("POST", "/v1/review/" + id + "/launch")).status, 404U);
  EXPECT_EQ(t.handle(make("GET", "/v1/review/nope-20000101")).status, 404U);
  ASSERT_EQ(t.handle(make("POST", "/v1/issues", doubtful())).status, 202U);
  EXPECT_EQ(t.handle(make("POST", "/v1/review/" + id + "/reject", "not json")).status, 400U);
  auto r = t.handle(make("POST", "/v1/review/" + id + "/reject", R"({"reason": "wrong page"})"));
  ASSERT_EQ(r.status, 200U) << r.body;
  EXPECT_EQ(json::parse(r.body)["state"], "rejected");
  EXPECT_EQ(t.handle(make("POST", "/v1/review/" + id + "/release")).status, 409U);
  ASSERT_TRUE(t.drain(std::chrono::seconds(5)));
  EXPECT_EQ(rig.published.load(), 0);
}

TEST(TriggerReview, ResumesAReleaseACrashInterrupted) {
  const auto issue = doubtful_issue();
  const auto id = issue.manifest.issue_id();
  trigger_rig rig;
  {  // What a trigger killed between its 202 and the publication leaves: state `releasing`.
    review_store store(rig.dir.path / "review");
    auto h = make_held(issue, doubtful(), "http", "127.0.0.1:5555", options("bj.txt"));
    h.state = "releasing";
    h.corrections = "issue: " + id + "\ncorrections:\n  - set: {article: 1, headline: 续发}\n";
    store.hold(h);
  }
  trigger t(rig.opts(), rig.fn());
  ASSERT_TRUE(t.drain(std::chrono::seconds(5)));
  EXPECT_EQ(rig.published.load(), 1);
  EXPECT_EQ(rig.sent_headlines.at(0), "续发");
  ASSERT_TRUE(wait_state(t, id, "released"));
}

}  // namespace
}  // namespace syn::producer
