// The console's pieces without a broker: the bounded index (caps, repeated receipts, receipts
// before their issue), the pages (hostile article text inert, links encoded), roles, CSRF and
// sign-in through console::handle.
#include "syn/console/console.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include "syn/console/auth.hpp"
#include "syn/console/index.hpp"
#include "syn/console/pages.hpp"
#include "syn/core/receipts.hpp"

namespace {

using syn::console::index;
using syn::receipts::receipt;

syndication::v1::IssueManifest manifest(const std::string& issue, int articles) {
  syndication::v1::IssueManifest m;
  m.set_issue_id(issue);
  m.set_issue_date("2024-01-30");
  m.mutable_paper()->set_code("cjrb");
  m.mutable_paper()->set_name("昌吉日报");
  for (int i = 1; i <= articles; ++i) {
    m.add_article_ids(issue + "-01-0" + std::to_string(i));
    m.add_article_hashes(std::string(64, 'a'));
  }
  return m;
}

receipt stored(const std::string& article, const std::string& issue, std::uint32_t revision = 1) {
  auto r = syn::receipts::make(receipt::ARCHIVE, receipt::STORED, article, issue, std::string(64, 'a'), "g");
  r.set_revision(revision);
  return r;
}

TEST(ConsoleIndex, CountsRepeatedReceiptsOnceAndKeepsTheNewestIssuesWithinTheCap) {
  index idx({3, 4, 2});
  for (int i = 1; i <= 5; ++i) idx.add_manifest(manifest("cjrb-2024010" + std::to_string(i), 2), 0, i);
  idx.add_receipt(stored("cjrb-20240105-01-01", "cjrb-20240105"));
  idx.add_receipt(stored("cjrb-20240105-01-01", "cjrb-20240105"));  // at least once: the same id again
  const auto c = idx.counters();
  EXPECT_EQ(c.issues, 3U);
  EXPECT_EQ(c.issues_dropped, 2U);
  EXPECT_EQ(c.receipts_read, 2U);       // raw
  EXPECT_EQ(c.receipts_duplicate, 1U);  // of which repeated
  EXPECT_EQ(idx.receipts("cjrb-20240105-01-01").size(), 1U);
  const auto latest = idx.latest(0, 10);
  ASSERT_EQ(latest.size(), 3U);
  EXPECT_EQ(latest[0].issue.issue_id, "cjrb-20240105");
  EXPECT_EQ(latest[0].by_sink.at("archive").at("stored"), 1U);
  EXPECT_FALSE(idx.issue("cjrb-20240101"));  // dropped with its articles
}

TEST(ConsoleIndex, OrphanReceiptsAreCappedAndAttachWhenTheirIssueArrives) {
  index idx({10, 4, 2});
  idx.add_receipt(stored("cjrb-20240130-01-01", "cjrb-20240130"));
  idx.add_receipt(stored("x-1", "x"));
  idx.add_receipt(stored("x-2", "x"));  // third orphan: the oldest still orphaned goes
  EXPECT_EQ(idx.counters().orphan_articles, 2U);
  EXPECT_TRUE(idx.receipts("cjrb-20240130-01-01").empty());
  idx.add_receipt(stored("cjrb-20240130-01-01", "cjrb-20240130"));
  idx.add_manifest(manifest("cjrb-20240130", 1), 1, 7);
  EXPECT_EQ(idx.counters().orphan_articles, 2U - 1U);
  const auto v = idx.issue("cjrb-20240130");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->issue.partition, 1);
  EXPECT_EQ(v->issue.offset, 7);
  ASSERT_EQ(v->articles.size(), 1U);
  EXPECT_EQ(v->articles[0].second.size(), 1U);
}

TEST(ConsoleIndex, KeepsAtMostTheCapOfReceiptsPerArticle) {
  index idx({10, 4, 10});
  idx.add_manifest(manifest("cjrb-20240130", 1), 0, 0);
  for (std::uint32_t rev = 1; rev <= 9; ++rev) {
    auto r = stored("cjrb-20240130-01-01", "cjrb-20240130", rev);
    r.set_content_sha256(std::string(63, 'a') + std::to_string(rev));
    syn::receipts::seal(r);
    idx.add_receipt(r);
  }
  const auto rows = idx.receipts("cjrb-20240130-01-01");
  ASSERT_EQ(rows.size(), 4U);
  EXPECT_EQ(rows.back().revision, 9U);
}

TEST(ConsolePages, HostileArticleTextIsInert) {
  syn::console::page_context c;
  c.who = {"ed<script>", "editor"};
  syn::archive::stored_article a;
  a.article.set_id("cjrb-20240130-01-01");
  a.article.set_headline("<script>alert(1)</script>");
  a.article.add_blocks()->set_text("<img src=x onerror=alert(2)> & \"quoted\"");
  a.revision = 1;
  a.revision_count = 1;
  auto r = stored("cjrb-20240130-01-01", "cjrb-20240130");
  r.set_detail("<b>bold</b>");
  index idx;
  idx.add_receipt(r);
  const auto page =
      syn::console::render_article(c, "cjrb-20240130-01-01", {a}, idx.receipts("cjrb-20240130-01-01"), "");
  EXPECT_EQ(page.find("<script>"), std::string::npos);
  EXPECT_EQ(page.find("<img"), std::string::npos);
  EXPECT_EQ(page.find("<b>bold"), std::string::npos);
  EXPECT_NE(page.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  EXPECT_NE(page.find("&lt;img src=x onerror=alert(2)&gt; &amp; &quot;quoted&quot;"), std::string::npos);
}

TEST(ConsolePages, IssueLinksAreEncodedAndTheDiffMarksChangedLines) {
  syn::console::page_context c;
  c.who = {"v", "viewer"};
  index idx;
  idx.add_manifest(manifest("a\"b", 1), 0, 0);
  const auto page = syn::console::render_issues(c, idx.latest(0, 50), 0, 50, idx.counters());
  EXPECT_NE(page.find("href=\"/issues/a%22b\""), std::string::npos);
  EXPECT_EQ(page.find("a\"b"), std::string::npos);
  const auto d = syn::console::diff_lines({"head", "one", "two"}, {"head", "one!", "two"});
  EXPECT_EQ(d, (std::vector<std::string>{"  head", "+ one!", "- one", "  two"}));
}

TEST(ConsoleAuth, ParsesFormsAndCookies) {
  const auto f = syn::console::parse_form("csrf=ab%2Bc&token=t+1&empty=&flag");
  EXPECT_EQ(f.at("csrf"), "ab+c");
  EXPECT_EQ(f.at("token"), "t 1");
  EXPECT_EQ(f.at("empty"), "");
  EXPECT_TRUE(f.contains("flag"));
  EXPECT_EQ(syn::console::cookie_value("a=1; syn_console=tok; b=2", "syn_console"), "tok");
  EXPECT_EQ(syn::console::cookie_value("syn_consolex=1", "syn_console"), "");
}

class ConsoleServer : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("SYN_CONSOLE_TEST_VIEWER", "viewer-token", 1);
    setenv("SYN_CONSOLE_TEST_EDITOR", "editor-token", 1);
    cfg.console.listen = "127.0.0.1:0";
    cfg.console.users = {{"vera", "viewer", {"SYN_CONSOLE_TEST_VIEWER"}},
                         {"ed", "editor", {"SYN_CONSOLE_TEST_EDITOR"}}};
    cfg.archive.sqlite.path = ::testing::TempDir() + "/console-test-missing/archive.db";
    c = std::make_unique<syn::console::console>(cfg, syn::console::console_options{"", false});
    c->memory().add_manifest(manifest("cjrb-20240130", 1), 2, 41);
  }
  syn::http::request get(const std::string& path, const std::string& token = "") {
    syn::http::request r;
    r.method = "GET";
    r.target = path;
    // As the server splits a target: the path, then decoded query parameters.
    const auto q = path.find('?');
    r.path = path.substr(0, q);
    if (q != std::string::npos) r.query = syn::console::parse_form(path.substr(q + 1));
    if (!token.empty()) r.headers["authorization"] = "Bearer " + token;
    return r;
  }
  syn::config::root cfg;
  std::unique_ptr<syn::console::console> c;
};

TEST_F(ConsoleServer, SignedOutRequestsGoToSignInAndTokensNameTheirUser) {
  EXPECT_EQ(c->handle(get("/")).status, 303U);
  EXPECT_EQ(c->handle(get("/", "wrong")).status, 303U);
  const auto page = c->handle(get("/", "viewer-token"));
  EXPECT_EQ(page.status, 200U);
  EXPECT_NE(page.body.find("cjrb-20240130"), std::string::npos);
  EXPECT_NE(page.body.find("vera (viewer)"), std::string::npos);
  EXPECT_EQ(page.body.find("viewer-token"), std::string::npos);  // never shows a secret
  EXPECT_EQ(c->handle(get("/issues/cjrb-20240130", "viewer-token")).status, 200U);
  EXPECT_EQ(c->handle(get("/issues/nope", "viewer-token")).status, 404U);
  EXPECT_EQ(c->handle(get("/?skip=x", "viewer-token")).status, 400U);
}

TEST_F(ConsoleServer, FormsNeedTheCsrfTokenAndChangesNeedAnEditor) {
  auto post = get("/dead-letters/redrive", "editor-token");
  post.method = "POST";
  post.body = "id=x&confirm=yes";
  EXPECT_EQ(c->handle(post).status, 403U);  // no CSRF token
  post.body = "id=x&confirm=yes&csrf=00";
  EXPECT_EQ(c->handle(post).status, 403U);                                               // a wrong one
  EXPECT_EQ(c->handle(get("/dead-letters/redrive?id=x", "viewer-token")).status, 403U);  // a viewer

  // Sign-in: the form's CSRF token, then a cookie for the user.
  auto form = c->handle(get("/signin"));
  const auto at = form.body.find("name=\"csrf\" value=\"");
  ASSERT_NE(at, std::string::npos);
  const auto csrf = form.body.substr(at + 19, 64);
  auto signin = get("/signin");
  signin.method = "POST";
  signin.body = "csrf=" + csrf + "&token=wrong";
  EXPECT_EQ(c->handle(signin).status, 401U);
  signin.body = "token=editor-token";
  EXPECT_EQ(c->handle(signin).status, 403U);
  signin.body = "csrf=" + csrf + "&token=editor-token";
  const auto ok = c->handle(signin);
  EXPECT_EQ(ok.status, 303U);
  bool cookie = false;
  for (const auto& [k, v] : ok.headers)
    cookie |= k == "Set-Cookie" && v.find("HttpOnly; SameSite=Strict") != std::string::npos;
  EXPECT_TRUE(cookie);
  auto with_cookie = get("/");
  with_cookie.headers["cookie"] = "syn_console=editor-token";
  const auto page = c->handle(with_cookie);
  EXPECT_EQ(page.status, 200U);
  EXPECT_NE(page.body.find("ed (editor)"), std::string::npos);
}

TEST(ConsoleServerOpen, WithoutUsersEveryoneIsAViewer) {
  syn::config::root cfg;
  cfg.console.listen = "127.0.0.1:0";
  syn::console::console c(cfg, {"", false});
  syn::http::request r;
  r.method = "GET";
  r.path = "/";
  const auto page = c.handle(r);
  EXPECT_EQ(page.status, 200U);
  EXPECT_NE(page.body.find("anonymous (viewer)"), std::string::npos);
  r.path = "/dead-letters/redrive";
  EXPECT_EQ(c.handle(r).status, 403U);
}

}  // namespace
