// The public API: options and overrides, split_error, JSON and text output, thread-safety, and
// staying linear on hostile input.
#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "test_support.hpp"

namespace {

using namespace syn::producer;
using syn::producer::testing::fixture;
using syn::producer::testing::options;
using syn::producer::testing::split;

TEST(Api, ErrorFormat) {
  const split_error with_line("a.txt", 12, "bad thing");
  EXPECT_STREQ(with_line.what(), "a.txt:12: bad thing");
  EXPECT_EQ(with_line.message(), "bad thing");
  const split_error without("a.txt", 0, "bad thing");
  EXPECT_STREQ(without.what(), "a.txt: bad thing");
  static_assert(std::is_base_of_v<std::runtime_error, split_error>);
}

TEST(Api, PaperAndDateOverrides) {
  split_options o = options();
  o.paper_code = "cj";
  o.issue_date = "2024-02-01";
  const auto r = split_issue(fixture(), o);
  EXPECT_EQ(r.manifest.issue_id(), "cj-20240201");
  EXPECT_EQ(r.articles[4].id(), "cj-20240201-01-05");
  EXPECT_EQ(r.articles[4].issue_date(), "2024-02-01");
  EXPECT_EQ(r.articles[4].paper(), "cj");
}

TEST(Api, BadOverridesAreErrors) {
  split_options o = options("x.txt");
  o.issue_date = "2024-02-30";
  EXPECT_THROW(split_issue(fixture(), o), split_error);
  o.issue_date = "30/01/2024";
  EXPECT_THROW(split_issue(fixture(), o), split_error);
  o.issue_date.clear();
  o.paper_code = "Bad Code";
  EXPECT_THROW(split_issue(fixture(), o), split_error);
}

TEST(Api, UnknownPaperFallsBackToTheCnNumber) {
  split_options o = options();
  o.papers.clear();
  EXPECT_EQ(split_issue(fixture(), o).manifest.paper().code(), "cn65-0010");
}

TEST(Api, NoDateAndNoPaperAreErrors) {
  const std::string body = "标题在这里\n\n正文第一段。\n";
  try {
    split(body, "nodate.txt");
    FAIL();
  } catch (const split_error& e) {
    EXPECT_NE(std::string(e.what()).find("nodate.txt: no issue date"), std::string::npos) << e.what();
  }
  split_options o = options("nopaper.txt");
  o.issue_date = "2024-01-01";
  try {
    split_issue(body, o);
    FAIL();
  } catch (const split_error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot tell which paper"), std::string::npos) << e.what();
  }
}

TEST(Api, MastheadDateThatIsNotADateIsAnErrorWithItsLine) {
  try {
    split("昌吉日报社出版\n\n2024年2月30日\n\n标题\n\n正文。\n", "d.txt");
    FAIL();
  } catch (const split_error& e) {
    EXPECT_STREQ(e.what(), "d.txt:3: masthead date is not a calendar date");
  }
}

TEST(Api, JsonIsProtobufCanonicalJson) {
  const auto r = split(fixture());
  const auto doc = nlohmann::json::parse(to_json(r));
  ASSERT_TRUE(doc.contains("manifest"));
  ASSERT_EQ(doc["articles"].size(), 5U);
  EXPECT_EQ(doc["manifest"]["issueId"], "cjrb-20240130");
  EXPECT_EQ(doc["manifest"]["paper"]["cnNumber"], "CN 65-0010");
  EXPECT_EQ(doc["articles"][2]["contributors"][1]["role"], "CORRESPONDENT");
  EXPECT_EQ(doc["articles"][3]["blocks"][0]["kind"], "EDITOR_NOTE");
  EXPECT_EQ(doc["articles"][3]["photos"][0]["afterBlock"], 5);
  EXPECT_EQ(doc["articles"][1]["datelineLead"], true);
  // Round trip through protobuf's parser.
  syndication::v1::Article a;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(doc["articles"][0].dump(), &a).ok());
  EXPECT_EQ(a.SerializeAsString(), r.articles[0].SerializeAsString());
}

TEST(Api, TextView) {
  const std::string t = to_text(split(fixture()));
  EXPECT_NE(t.find("== cjrb-20240130-01-04"), std::string::npos);
  EXPECT_NE(t.find("## 创新驱动"), std::string::npos);
  EXPECT_NE(t.find("[photo] 新疆天山面粉小麦食品加工产业园区内,工人正在包装面粉 / 本报记者 杨鹤"),
            std::string::npos);
  EXPECT_NE(t.find("毛著魏 (correspondent)"), std::string::npos);
}

TEST(Api, ConcurrentCallsGiveTheSameResult) {
  const std::string want = to_json(split(fixture()));
  std::vector<std::thread> threads;
  std::vector<int> mismatches(8, 0);
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        if (to_json(split(fixture())) != want) ++mismatches[static_cast<std::size_t>(t)];
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int m : mismatches) EXPECT_EQ(m, 0);
}

/// Runs the splitter on hostile input: it must answer, with a result or one split_error, and
/// never crash or throw anything else. How its time grows with such input is measured, not
/// asserted: bench/bench_splitter.cpp BM_SplitHostile reports its complexity (BENCHMARKS.md).
void expect_answered(const std::string& bytes, const char* what) {
  try {
    auto r = split(bytes);
    EXPECT_EQ(r.articles.size(), static_cast<std::size_t>(r.manifest.article_ids_size())) << what;
  } catch (const split_error& e) {
    EXPECT_FALSE(std::string(e.what()).empty()) << what;
  }
}

TEST(Api, HostileInputIsAnswered) {
  const std::string head = "昌吉日报社出版\n\n2024年1月30日\n\n";
  std::string photos;
  std::string headings;
  std::string cut;
  std::string names;
  for (int i = 0; i < 20000; ++i) {
    photos += "□本报记者 杨 鹤摄\n\n";
    headings += "这是一个标题\n\n";
    cut += "没有标点的半句话\n\n";
    names += "本报记者 杨 鹤 ";
  }
  expect_answered(head + photos, "photos");
  expect_answered(head + headings, "headings");
  expect_answered(head + "标题\n\n" + cut, "cut paragraphs");
  expect_answered(head + names, "one long byline");
  expect_answered(head + "标题\n\n" + std::string(2'000'000, 'x'), "one long line");
  std::string han;
  for (int i = 0; i < 300000; ++i) han += "中";
  expect_answered(head + "标题\n\n" + han, "one long Chinese line");
  expect_answered(std::string(1'000'000, '\n'), "blank lines");
}

}  // namespace
