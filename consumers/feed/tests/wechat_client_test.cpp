#include <gtest/gtest.h>

#include <chrono>

#include "images.hpp"
#include "syn/core/http_client.hpp"
#include "syn/feed/text.hpp"
#include "syn/feed/wechat.hpp"
#include "wechat_test_server.hpp"

using namespace std::chrono_literals;
using namespace syn::feed;
using nlohmann::json;
using syn::testing::wechat_test_server;

namespace {

// Real images (libjpeg-turbo, libpng): the local API decodes what it is sent, as the platform takes
// only images (a file that merely starts like one is refused, below).
const std::string jpeg = syn::testing::make_test_jpeg(64, 48);
const std::string png = syn::testing::make_test_png(32, 32);
const std::string gif = std::string("GIF89a\x20\x00\x10\x00\x00\x00\x00", 13) + ";";
const std::string fake_jpeg = std::string("\xFF\xD8\xFF\xE0", 4) + "fake jpeg body";

const wechat::credentials app{"wx_test_app", "s3cret"};

struct FeedWechatClient : ::testing::Test {
  wechat_test_server server;

  wechat::client_options options(std::chrono::milliseconds timeout = 2000ms) const {
    wechat::client_options o;
    o.api_base_url = server.base_url();
    o.request_timeout = timeout;
    o.retry = {1ms, 5ms, 2.0, 3, 0.0};
    return o;
  }
  std::unique_ptr<wechat::client> make(wechat::client_options o) const {
    return std::make_unique<wechat::client>(std::move(o), std::make_shared<syn::http::client>());
  }
  std::unique_ptr<wechat::client> make() const { return make(options()); }

  draft_article article(std::string thumb, std::string title = "标题") const {
    draft_article a;
    a.title = std::move(title);
    a.author = "刘茜";
    a.digest = "摘要。";
    a.content = "<p>正文。</p>";
    a.content_source_url = "https://feeds.example.cn/articles/x";
    a.thumb_media_id = std::move(thumb);
    return a;
  }
  std::string thumb(wechat::client& c) const {
    auto m = c.add_material(app, "cover.jpg", jpeg);
    EXPECT_TRUE(m) << m.error().message();
    return m ? m.value().media_id : std::string();
  }
};

}  // namespace

TEST_F(FeedWechatClient, TokenIsFetchedOnceAndCached) {
  auto c = make();
  auto t1 = c->access_token(app);
  auto t2 = c->access_token(app);
  ASSERT_TRUE(t1 && t2);
  EXPECT_EQ(t1.value(), t2.value());
  EXPECT_EQ(c->stats().token_fetches, 1U);
  EXPECT_EQ(server.state()["tokens"]["stable_issued"], 1);
  EXPECT_EQ(server.state()["calls"]["/cgi-bin/stable_token"], 1);
}

TEST_F(FeedWechatClient, TokenIsRefreshedBeforeItExpires) {
  server.control({{"token_ttl_s", 1}});
  auto c = make();
  ASSERT_TRUE(c->access_token(app));
  ASSERT_TRUE(c->access_token(app));
  EXPECT_EQ(c->stats().token_fetches, 1U);
  std::this_thread::sleep_for(850ms);  // past 80% of 1 s: refreshed before use
  ASSERT_TRUE(c->access_token(app));
  EXPECT_EQ(c->stats().token_fetches, 2U);
}

TEST_F(FeedWechatClient, ExpiredTokenIsRefreshedOnceAndTheCallRepeated) {
  auto c = make();
  const auto t = thumb(*c);
  server.control({{"expire_tokens", true}});  // next call: 42001
  auto id = c->add_draft(app, std::vector{article(t)});
  ASSERT_TRUE(id) << id.error().message();
  EXPECT_EQ(c->stats().token_refreshes_on_error, 1U);
  EXPECT_EQ(server.state()["drafts"].size(), 1U);
}

TEST_F(FeedWechatClient, InvalidatedTokenIsRefreshedOnce) {
  auto c = make();
  const auto t = thumb(*c);
  server.control({{"invalidate_tokens", true}});  // next call: 40001
  auto id = c->add_draft(app, std::vector{article(t)});
  ASSERT_TRUE(id) << id.error().message();
  EXPECT_EQ(c->stats().token_refreshes_on_error, 1U);
}

// Why stable_token: two instances of the feed share an AppID. With stable_token the second
// instance gets the same token and the first keeps working; with the classic cgi-bin/token every
// fetch invalidates the token the other instance holds, so they keep knocking each other out.
TEST_F(FeedWechatClient, StableTokenIsNotInvalidatedByASecondInstance) {
  auto a = make();
  auto b = make();
  const auto t = thumb(*a);
  ASSERT_TRUE(b->access_token(app));
  ASSERT_TRUE(a->add_draft(app, std::vector{article(t)}));
  ASSERT_TRUE(b->add_draft(app, std::vector{article(t)}));
  ASSERT_TRUE(a->add_draft(app, std::vector{article(t)}));
  EXPECT_EQ(a->stats().token_refreshes_on_error + b->stats().token_refreshes_on_error, 0U);
  EXPECT_EQ(server.state()["tokens"]["stable_issued"], 1);
}

TEST_F(FeedWechatClient, ClassicTokenOfASecondInstanceInvalidatesTheFirst) {
  server.control({{"classic_grace_ms", 0}});
  auto o = options();
  o.tokens = wechat::token_endpoint::classic;
  auto a = make(o);
  auto b = make(o);
  const auto t = thumb(*a);
  ASSERT_TRUE(b->access_token(app));                        // replaces a's token
  ASSERT_TRUE(a->add_draft(app, std::vector{article(t)}));  // 40001, refetch (replacing b's)
  ASSERT_TRUE(b->add_draft(app, std::vector{article(t)}));  // 40001 again
  EXPECT_EQ(a->stats().token_refreshes_on_error, 1U);
  EXPECT_EQ(b->stats().token_refreshes_on_error, 1U);
  EXPECT_EQ(server.state()["tokens"]["classic_issued"], 4);
}

TEST_F(FeedWechatClient, RateLimitIsRetriedWithBackoff) {
  auto c = make();
  const auto t = thumb(*c);
  // The per-minute limit (45011) is retried inside the call; the daily quota (45009) is not (it
  // cannot come back within the call's retries: the sink pauses the account instead).
  server.control({{"fail_next", 2}, {"path", "draft/add"}, {"errcode", 45011}});
  auto id = c->add_draft(app, std::vector{article(t)});
  ASSERT_TRUE(id) << id.error().message();
  EXPECT_EQ(c->stats().retries, 2U);
  EXPECT_EQ(server.state()["drafts"].size(), 1U);
  server.control({{"fail_next", 2}, {"path", "draft/add"}, {"errcode", 45009}});
  auto daily = c->add_draft(app, std::vector{article(t)});
  ASSERT_FALSE(daily);
  EXPECT_TRUE(wechat::is_daily_quota(daily.error().code()));
  EXPECT_EQ(c->stats().retries, 2U);  // not retried
  EXPECT_EQ(server.state()["faults_pending"], 1);
}

TEST_F(FeedWechatClient, RateLimitOutlastingTheRetriesIsRetriableForTheRunner) {
  auto c = make();
  const auto t = thumb(*c);
  for (int code : {45009, 45011, -1}) {
    server.control({{"clear_faults", true}, {"fail_next", 10}, {"path", "draft/add"}, {"errcode", code}});
    auto id = c->add_draft(app, std::vector{article(t)});
    ASSERT_FALSE(id);
    EXPECT_EQ(id.error().errcode(), code);
    EXPECT_TRUE(id.error().retriable()) << code;
    EXPECT_FALSE(id.error().ambiguous());
    EXPECT_NE(id.error().message().find("errcode " + std::to_string(code)), std::string::npos);
  }
  EXPECT_EQ(server.state()["drafts"].size(), 0U);
}

TEST_F(FeedWechatClient, PermanentErrorsAreNotRetried) {
  auto c = make();
  const auto t = thumb(*c);
  server.control({{"fail_next", 1}, {"path", "draft/add"}, {"errcode", 40164}});
  auto id = c->add_draft(app, std::vector{article(t)});
  ASSERT_FALSE(id);
  EXPECT_EQ(id.error().errcode(), 40164);
  EXPECT_EQ(id.error().code(), wechat::errc::ip_not_whitelisted);
  EXPECT_FALSE(id.error().retriable());
  EXPECT_EQ(c->stats().retries, 0U);
}

TEST_F(FeedWechatClient, ServerErrorOnAnIdempotentCallIsRetried) {
  auto c = make();
  const auto t = thumb(*c);
  auto id = c->add_draft(app, std::vector{article(t)});
  ASSERT_TRUE(id);
  auto pub = c->submit_publish(app, id.value());
  ASSERT_TRUE(pub) << pub.error().message();
  server.control({{"fail_next", 1}, {"path", "freepublish/get"}, {"http_status", 502}});
  auto st = c->get_publish(app, pub.value().publish_id);
  ASSERT_TRUE(st) << st.error().message();
  EXPECT_EQ(st.value().status, 0);
  EXPECT_EQ(st.value().article_urls.size(), 1U);
  EXPECT_EQ(c->stats().retries, 1U);
}

TEST_F(FeedWechatClient, ServerErrorOnDraftAddIsAmbiguousAndNotRepeated) {
  auto c = make();
  const auto t = thumb(*c);
  server.control({{"fail_next", 1}, {"path", "draft/add"}, {"http_status", 500}, {"process", true}});
  auto id = c->add_draft(app, std::vector{article(t)});
  ASSERT_FALSE(id);
  EXPECT_EQ(id.error().code(), std::error_code(500, wechat::wechat_http_category()));
  EXPECT_TRUE(id.error().retriable());
  EXPECT_TRUE(id.error().ambiguous());
  EXPECT_EQ(server.state()["drafts"].size(), 1U);  // it did take effect: only one, not repeated
  // The caller reconciles: the draft is found by its source URLs.
  const std::vector<std::string> urls{"https://feeds.example.cn/articles/x"};
  auto found = c->find_draft(app, urls);
  ASSERT_TRUE(found);
  ASSERT_TRUE(found.value());
  EXPECT_EQ(*found.value(), server.state()["drafts"][0]["media_id"]);
  const std::vector<std::string> other{"https://feeds.example.cn/articles/y"};
  EXPECT_FALSE(c->find_draft(app, other).value());
}

TEST_F(FeedWechatClient, HangingServerHitsTheDeadline) {
  auto c = make(options(300ms));
  const auto t = thumb(*c);
  server.control({{"fail_next", 1}, {"path", "draft/add"}, {"hang_ms", 5000}});
  const auto t0 = std::chrono::steady_clock::now();
  auto id = c->add_draft(app, std::vector{article(t)});
  const auto took = std::chrono::steady_clock::now() - t0;
  ASSERT_FALSE(id);
  EXPECT_EQ(id.error().code(), syn::http::errc::timed_out);
  EXPECT_TRUE(id.error().retriable());
  EXPECT_TRUE(id.error().ambiguous());
  EXPECT_LT(took, 2s);
}

TEST_F(FeedWechatClient, WrongSecretIsPermanentAndNotRetried) {
  server.control({{"apps", {{"wx_test_app", "right"}}}});
  auto c = make();
  auto t = c->access_token(app);
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().errcode(), 40125);
  EXPECT_FALSE(t.error().retriable());
  EXPECT_EQ(server.state()["calls"]["/cgi-bin/stable_token"], 1);
}

TEST_F(FeedWechatClient, DraftLimitsAreEnforcedWithWechatErrcodes) {
  auto c = make();
  const auto t = thumb(*c);
  auto expect_code = [&](draft_article a, int code) {
    auto id = c->add_draft(app, std::vector{std::move(a)});
    ASSERT_FALSE(id) << "expected errcode " << code;
    EXPECT_EQ(id.error().errcode(), code);
    EXPECT_FALSE(id.error().retriable());
  };
  auto a = article(t);
  a.title = std::string(33, 'x');
  expect_code(a, 45003);
  a = article(t);
  a.author = std::string(17, 'x');
  expect_code(a, 45110);
  a = article(t);
  a.digest = std::string(129, 'x');
  expect_code(a, 45004);
  a = article(t);
  a.content = std::string(20000, 'x');
  expect_code(a, 45002);
  expect_code(article("NO_SUCH_MEDIA"), 40007);
  std::vector<draft_article> nine(9, article(t));
  auto id = c->add_draft(app, nine);
  ASSERT_FALSE(id);
  EXPECT_EQ(id.error().errcode(), 45008);
  // At the limits exactly, in Chinese: accepted.
  a = article(t);
  a.title = "";
  for (int i = 0; i < 32; ++i) a.title += "字";
  a.author = "";
  for (int i = 0; i < 16; ++i) a.author += "字";
  EXPECT_TRUE(c->add_draft(app, std::vector{a}));
}

TEST_F(FeedWechatClient, DraftBodyIsRawUtf8) {
  auto a = article("T", "昌吉州“典范行动”");
  const auto body = wechat::client::draft_body(std::vector{a});
  EXPECT_NE(body.find("昌吉州“典范行动”"), std::string::npos);
  EXPECT_EQ(body.find("\\u"), std::string::npos);
  const auto j = json::parse(body);
  EXPECT_EQ(j["articles"][0]["thumb_media_id"], "T");
  EXPECT_EQ(j["articles"][0]["need_open_comment"], 0);
  EXPECT_EQ(j["articles"][0]["content_source_url"], "https://feeds.example.cn/articles/x");
}

TEST_F(FeedWechatClient, DraftBodyEscapesWhatJsonMustAndRepairsInvalidUtf8) {
  auto a = article("T\"1");
  a.content = "<p>引号\"反斜杠\\换行\n制表\t\x01控制</p>";
  a.title = std::string("坏\xE6\x98字");  // a truncated sequence
  a.author = "A\r\b\f";
  const auto body = wechat::client::draft_body(std::vector{a, a});
  const auto j = json::parse(body);  // well-formed
  ASSERT_EQ(j["articles"].size(), 2U);
  EXPECT_EQ(j["articles"][1]["content"], a.content);
  EXPECT_EQ(j["articles"][0]["thumb_media_id"], "T\"1");
  EXPECT_EQ(j["articles"][0]["title"],
            "坏\xEF\xBF\xBD\xEF\xBF\xBD字");  // U+FFFD per invalid byte (text::sanitize_utf8)
  EXPECT_EQ(j["articles"][0]["author"], "A\r\b\f");
  EXPECT_EQ(j["articles"][0]["article_type"], "news");
  EXPECT_NE(body.find("\\u0001"), std::string::npos);
}

TEST_F(FeedWechatClient, UploadsCoversAndBodyImages) {
  auto c = make();
  auto m = c->add_material(app, "cover.png", png);
  ASSERT_TRUE(m) << m.error().message();
  EXPECT_FALSE(m.value().media_id.empty());
  EXPECT_EQ(m.value().url.rfind("http://mmbiz.qpic.cn/", 0), 0U);
  auto u = c->upload_image(app, "photo.jpg", jpeg);
  ASSERT_TRUE(u) << u.error().message();
  EXPECT_EQ(u.value().rfind("http://mmbiz.qpic.cn/", 0), 0U);
  auto bad = c->upload_image(app, "anim.gif", gif);  // uploadimg takes jpg/png only
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().errcode(), 40005);
  auto not_image = c->add_material(app, "x.txt", "plain text");
  ASSERT_FALSE(not_image);
  EXPECT_EQ(not_image.error().errcode(), 40005);
  const auto st = server.state();
  EXPECT_EQ(st["materials"].size(), 1U);
  EXPECT_EQ(st["materials"][0]["filename"], "cover.png");
  EXPECT_EQ(st["materials"][0]["width"], 32);
  EXPECT_EQ(st["images"].size(), 1U);
}

TEST_F(FeedWechatClient, OnlyRealImagesWithTheirExtensionAreTaken) {
  auto c = make();
  // Magic bytes are not an image: decoded and refused (issue 17: the e2e cover was 10 bytes).
  auto fake = c->add_material(app, "cover.jpg", fake_jpeg);
  ASSERT_FALSE(fake);
  EXPECT_EQ(fake.error().errcode(), 40005);
  EXPECT_NE(fake.error().message().find("jpeg"), std::string::npos) << fake.error().message();
  // A truncated JPEG is refused too.
  auto cut = c->add_material(app, "cover.jpg", jpeg.substr(0, jpeg.size() / 2));
  ASSERT_FALSE(cut);
  EXPECT_EQ(cut.error().errcode(), 40005);
  // The extension must be an allowed format and match the content.
  auto wrong_ext = c->add_material(app, "cover.png", jpeg);
  ASSERT_FALSE(wrong_ext);
  EXPECT_EQ(wrong_ext.error().errcode(), 40005);
  auto no_ext = c->add_material(app, "cover", jpeg);
  ASSERT_FALSE(no_ext);
  EXPECT_EQ(no_ext.error().errcode(), 40005);
  ASSERT_TRUE(c->add_material(app, "cover.JPEG", jpeg));
  // uploadimg: under 1 MB.
  const auto big = syn::testing::make_test_jpeg(1200, 1200, 100);
  ASSERT_GE(big.size(), 1U << 20U) << "the test image must be over 1 MB";
  auto too_big = c->upload_image(app, "big.jpg", big);
  ASSERT_FALSE(too_big);
  EXPECT_EQ(too_big.error().errcode(), 40009);
  EXPECT_TRUE(c->add_material(app, "big.jpg", big));  // permanent images take up to 10 MB
  EXPECT_EQ(server.state()["materials"].size(), 2U);
}

TEST_F(FeedWechatClient, DailyQuotaIsAStateNotRetriedUntilClearQuota) {
  auto c = make();
  const auto t = thumb(*c);
  server.control(
      json{{"quota", {{"api", "freepublish/submit"}, {"daily_limit", 1}, {"app_id", app.app_id}}}});
  auto d1 = c->add_draft(app, std::vector{article(t)});
  auto d2 = c->add_draft(app, std::vector{article(t, "二")});
  ASSERT_TRUE(d1 && d2);
  ASSERT_TRUE(c->submit_publish(app, d1.value()));
  const auto before = server.state()["calls"]["/cgi-bin/freepublish/submit"].get<int>();
  auto refused = c->submit_publish(app, d2.value());
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().errcode(), 45009);
  EXPECT_TRUE(wechat::is_daily_quota(refused.error().code()));
  // Not repeated inside the call: one request.
  EXPECT_EQ(server.state()["calls"]["/cgi-bin/freepublish/submit"].get<int>(), before + 1);
  auto q = c->get_quota(app, "/cgi-bin/freepublish/submit");
  ASSERT_TRUE(q) << q.error().message();
  EXPECT_EQ(q.value().daily_limit, 1);
  EXPECT_EQ(q.value().remain, 0);
  ASSERT_TRUE(c->clear_quota(app));
  auto ok = c->submit_publish(app, d2.value());
  ASSERT_TRUE(ok) << ok.error().message();
  EXPECT_FALSE(ok.value().publish_id.empty());
  EXPECT_EQ(server.state()["clear_quota"][app.app_id], 1);
}

TEST_F(FeedWechatClient, PublishIdIsAStringAndPublishedDraftsAreFound) {
  auto c = make();
  const auto t = thumb(*c);
  auto d = c->add_draft(app, std::vector{article(t)});
  ASSERT_TRUE(d);
  auto p = c->submit_publish(app, d.value());
  ASSERT_TRUE(p);
  EXPECT_TRUE(server.state()["publishes"][0]["publish_id"].is_string());
  auto gone = c->draft_exists(app, d.value());
  ASSERT_TRUE(gone);
  EXPECT_FALSE(gone.value());  // a submitted draft leaves the draft box
  auto pub = c->find_published(app, "https://feeds.example.cn/articles/x");
  ASSERT_TRUE(pub) << pub.error().message();
  ASSERT_TRUE(pub.value());
  EXPECT_FALSE(pub.value()->article_id.empty());
}

TEST_F(FeedWechatClient, FindDraftPagesThroughTheDraftBox) {
  auto c = make();
  const auto t = thumb(*c);
  auto first = article(t);
  first.content_source_url = "https://feeds.example.cn/articles/oldest";
  auto oldest = c->add_draft(app, std::vector{first});
  ASSERT_TRUE(oldest);
  for (int i = 0; i < 45; ++i) {
    auto a = article(t);
    a.content_source_url = "https://feeds.example.cn/articles/n" + std::to_string(i);
    ASSERT_TRUE(c->add_draft(app, std::vector{a}));
  }
  const std::vector<std::string> urls{"https://feeds.example.cn/articles/oldest"};
  auto found = c->find_draft(app, urls);
  ASSERT_TRUE(found) << found.error().message();
  ASSERT_TRUE(found.value());
  EXPECT_EQ(*found.value(), oldest.value());  // the 46th newest: three pages
  auto bounded = c->find_draft(app, urls, 20);
  ASSERT_TRUE(bounded);
  EXPECT_FALSE(bounded.value());  // the scan is bounded
}

TEST_F(FeedWechatClient, LinksOutsideWechatAndMultiArticleDigestsAreDropped) {
  auto c = make();
  const auto t = thumb(*c);
  auto a = article(t);
  a.content =
      "<p><a href=\"https://feeds.example.cn/x\">全文</a> <a "
      "href=\"https://mp.weixin.qq.com/s/abc\">往期</a></p>";
  ASSERT_TRUE(c->add_draft(app, std::vector{a, article(t, "二")}));
  const auto st = server.state(true);
  const auto& d = st["drafts"][0];
  EXPECT_EQ(d["external_links_removed"], 1);
  EXPECT_EQ(d["digests_dropped"], 2);
  const auto content = d["articles"][0]["content"].get<std::string>();
  EXPECT_EQ(content.find("feeds.example.cn"), std::string::npos) << content;
  EXPECT_NE(content.find("全文"), std::string::npos) << content;
  EXPECT_NE(content.find("https://mp.weixin.qq.com/s/abc"), std::string::npos) << content;
}

TEST(FeedWechatServer, ForceRefreshIsLimitedAsDocumented) {
  wechat_test_server server;
  auto post = [&](bool force) {
    syn::http::request r;
    r.method = "POST";
    r.path = "/cgi-bin/stable_token";
    r.body = json{
        {"grant_type", "client_credential"},
        {"appid", "wx_force"},
        {"secret", "s"},
        {"force_refresh",
         force}}.dump();
    return json::parse(server.handle(r).body);
  };
  EXPECT_TRUE(post(true).contains("access_token"));
  const auto again = post(true);  // within 30 s
  EXPECT_EQ(again.value("errcode", 0), 45011) << again.dump();
  EXPECT_TRUE(post(false).contains("access_token"));  // normal mode is not limited so
}

TEST_F(FeedWechatClient, ScriptsInContentWouldBeStrippedByWechat) {
  auto c = make();
  auto a = article(thumb(*c));
  a.content = "<p onclick=\"x()\">a</p><script>alert(1)</script><img src=\"http://evil.example/x.png\">";
  ASSERT_TRUE(c->add_draft(app, std::vector{a}));
  const auto d = server.state()["drafts"][0];
  EXPECT_EQ(d["scripts_removed"], 1);
  EXPECT_EQ(d["handlers_removed"], 1);
  EXPECT_EQ(d["external_images_filtered"], 1);
}

TEST(FeedWechatErrors, Classification) {
  using wechat::errc;
  for (auto e : {errc::system_busy, errc::daily_quota_reached, errc::minute_quota_reached,
                 errc::access_token_expired}) {
    EXPECT_TRUE(wechat::is_retriable(e)) << static_cast<int>(e);
  }
  for (auto e : {errc::ip_not_whitelisted, errc::title_size_out_of_limit, errc::invalid_media_id,
                 errc::api_unauthorized, errc::invalid_appsecret}) {
    EXPECT_FALSE(wechat::is_retriable(e)) << static_cast<int>(e);
  }
  EXPECT_FALSE(
      wechat::is_retriable(std::error_code(99999, wechat::wechat_category())));  // unknown: permanent
  EXPECT_TRUE(wechat::is_retriable(std::error_code(503, wechat::wechat_http_category())));
  EXPECT_TRUE(wechat::is_retriable(std::error_code(429, wechat::wechat_http_category())));
  EXPECT_FALSE(wechat::is_retriable(std::error_code(404, wechat::wechat_http_category())));
  EXPECT_TRUE(wechat::is_retriable(syn::http::errc::timed_out));
  EXPECT_TRUE(wechat::is_token_error(errc::invalid_credential));
  EXPECT_EQ(wechat::sniff_image_type(jpeg), "image/jpeg");
  EXPECT_EQ(wechat::sniff_image_type("hello"), "");
}
