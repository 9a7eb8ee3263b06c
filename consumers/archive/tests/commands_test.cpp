// What `syndicate archive search|get|export|put-raw` print, against a SQLite archive in a temp dir.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "fixtures.hpp"
#include "render.hpp"
#include "syn/archive/store.hpp"

namespace syn::archive::test {
namespace {

class ArchiveCommands : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = open_sqlite(dir_.file("archive.db"));
    ASSERT_TRUE(s) << s.error().to_string();
    store_ = std::move(s).value();
    ASSERT_TRUE(store_->write(issue_.batch()));
  }

  temp_dir dir_;
  sample_issue issue_;
  std::unique_ptr<store> store_;
};

TEST_F(ArchiveCommands, SearchTextShowsIdDateHeadlineAndMarkedSnippet) {
  std::ostringstream out;
  search_query q;
  q.text = "风光";
  ASSERT_TRUE(cmd::search(*store_, q, false, out));
  EXPECT_EQ(out.str(),
            "cjrb-20240130-01-03  2024-01-30  天山北麓冬季旅游持续升温\n"
            "    天山北麓的独特【风光】吸引游客纷至沓来，冰雪旅游成为冬季消费新热点。 "
            "各景区推出多项惠民措施，以中国式现代化为引领推动文旅融合。\n");
  std::ostringstream none;
  q.text = "不存在的词语";
  ASSERT_TRUE(cmd::search(*store_, q, false, none));
  EXPECT_EQ(none.str(), "no match\n");
}

TEST_F(ArchiveCommands, SearchJsonListsHitsInRankOrder) {
  std::ostringstream out;
  search_query q;
  q.text = "中国式现代化";
  ASSERT_TRUE(cmd::search(*store_, q, true, out));
  const auto j = nlohmann::json::parse(out.str());
  EXPECT_EQ(j["query"], "中国式现代化");
  ASSERT_EQ(j["hits"].size(), 2U);
  EXPECT_EQ(j["hits"][0]["id"], "cjrb-20240130-01-01");
  EXPECT_EQ(j["hits"][0]["issueDate"], "2024-01-30");
  EXPECT_EQ(j["hits"][0]["revision"], 1);
  EXPECT_NE(j["hits"][0]["snippet"].get<std::string>().find("【中国式现代化】"), std::string::npos);
  EXPECT_GT(j["hits"][0]["score"].get<double>(), j["hits"][1]["score"].get<double>());
}

TEST_F(ArchiveCommands, GetTextShowsRevisionMetadataAndTheArticle) {
  std::ostringstream out;
  ASSERT_TRUE(cmd::get(*store_, issue_.a3.id(), std::nullopt, cmd::format::text, out));
  const std::string s = out.str();
  EXPECT_EQ(s.rfind("cjrb-20240130-01-03  revision 1/1 (current)  stored ", 0), 0U) << s;
  EXPECT_NE(s.find("issue cjrb-20240130  cjrb  2024-01-30  page 1  #3  zh-Hans\n"), std::string::npos) << s;
  EXPECT_NE(s.find("sha256 " + issue_.a3.content_sha256()), std::string::npos);
  EXPECT_NE(s.find("天山北麓冬季旅游持续升温\n□ 记者 刘茜\n"), std::string::npos) << s;
  EXPECT_NE(s.find("\n各景区推出多项惠民措施"), std::string::npos) << s;

  auto missing = cmd::get(*store_, "cjrb-20240130-01-09", std::nullopt, cmd::format::text, out);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().to_string(), "archive: no article cjrb-20240130-01-09 in the archive");
}

TEST_F(ArchiveCommands, ExportTextAndJsonHoldTheWholeIssueInOrder) {
  std::ostringstream text;
  ASSERT_TRUE(cmd::export_issue(*store_, "cjrb-20240130", cmd::format::text, text));
  const std::string t = text.str();
  EXPECT_EQ(
      t.rfind("issue cjrb-20240130  revision 1/1  昌吉日报 2024-01-30 星期二  总第11936期  5 articles\n", 0),
      0U)
      << t;
  EXPECT_NE(t.find("(raw not archived)"), std::string::npos);
  std::size_t last = 0;
  for (const auto* a : {&issue_.a1, &issue_.a2, &issue_.a3, &issue_.a4, &issue_.a5}) {
    const auto at = t.find(a->headline() + "\n");
    ASSERT_NE(at, std::string::npos) << a->headline();
    EXPECT_GT(at, last);
    last = at;
  }

  std::ostringstream js;
  ASSERT_TRUE(cmd::export_issue(*store_, "cjrb-20240130", cmd::format::json, js));
  const auto j = nlohmann::json::parse(js.str());
  EXPECT_EQ(j["manifest"]["issueId"], "cjrb-20240130");
  EXPECT_EQ(j["manifest"]["articleIds"].size(), 5U);
  ASSERT_EQ(j["articles"].size(), 5U);
  EXPECT_EQ(j["articles"][4]["article"]["id"], issue_.a5.id());
  EXPECT_EQ(j["rawAvailable"], false);
  EXPECT_TRUE(j["missing"].empty());
}

TEST_F(ArchiveCommands, ExportRawWithoutArchivedBytesSaysSo) {
  std::ostringstream out;
  auto r = cmd::export_issue(*store_, "cjrb-20240130", cmd::format::raw, out);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), errc::not_found);
  EXPECT_NE(r.error().message().find("are not archived"), std::string::npos);
  EXPECT_TRUE(out.str().empty());
}

TEST_F(ArchiveCommands, PutRawThenExportRawRoundTripsTheFile) {
  const std::string file = dir_.file("issue.txt");
  std::ofstream(file, std::ios::binary) << issue_.raw;
  std::ostringstream put;
  ASSERT_TRUE(cmd::put_raw(*store_, file, "", put));
  EXPECT_EQ(put.str(),
            "archived " + issue_.m.source_sha256() + "  " + std::to_string(issue_.raw.size()) + " bytes\n");
  std::ostringstream again;
  ASSERT_TRUE(cmd::put_raw(*store_, file, "", again));
  EXPECT_EQ(again.str().rfind("already archived ", 0), 0U);
  std::ostringstream raw;
  ASSERT_TRUE(cmd::export_issue(*store_, "cjrb-20240130", cmd::format::raw, raw));
  EXPECT_EQ(raw.str(), issue_.raw);
}

}  // namespace
}  // namespace syn::archive::test
