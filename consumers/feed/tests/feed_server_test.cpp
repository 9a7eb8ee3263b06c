#include "syn/feed/feed_server.hpp"

#include <gtest/gtest.h>

#include <ctime>
#include <thread>

#include "sink_fixture.hpp"
#include "syn/core/http_client.hpp"
#include "syn/core/service.hpp"
#include "syn/feed/pages.hpp"
#include "syn/feed/publish_poller.hpp"
#include "syn/feed/state.hpp"
#include "syn/feed/text.hpp"

using namespace feedtest;
using namespace std::chrono_literals;

namespace {

syn::http::request get_request(std::string path) {
  syn::http::request r;
  r.method = "GET";
  r.target = path;
  r.path = std::move(path);
  return r;
}

}  // namespace

TEST(FeedServer, ServesFeedsAndArticlesFromTheSinksState) {
  sink_env env;
  auto sink = env.make_sink();
  auto arts = changji_articles();
  ASSERT_EQ(sink->write(envelopes(arts)).kind, syn::sink::verdict::ok);

  auto state = std::make_shared<syn::feed::state_store>(env.state_path(), true);
  syn::feed::feed_server_options o;
  o.public_base_url = "https://feeds.example.cn/";
  o.accounts = {"cjrb", "cjrb-hant", "web"};
  const auto h = syn::feed::make_feed_handler(state, o);

  auto list = h(get_request("/feeds/cjrb"));
  EXPECT_EQ(list.status, 200U);
  EXPECT_EQ(list.content_type, "text/html; charset=utf-8");
  for (const auto& a : arts)
    EXPECT_NE(list.body.find(syn::feed::text::html_escape(a.headline())), std::string::npos);
  EXPECT_NE(list.body.find("https://feeds.example.cn/articles/cjrb-20240130-01-01"), std::string::npos);

  auto rss = h(get_request("/feeds/cjrb.xml"));
  EXPECT_EQ(rss.status, 200U);
  EXPECT_EQ(rss.content_type, "application/rss+xml; charset=utf-8");
  EXPECT_EQ(std::count(rss.body.begin(), rss.body.end(), '\n') > 5, true);
  std::size_t items = 0;
  for (auto p = rss.body.find("<item>"); p != std::string::npos; p = rss.body.find("<item>", p + 1)) ++items;
  EXPECT_EQ(items, arts.size());

  auto jf = h(get_request("/feeds/cjrb.json"));
  EXPECT_EQ(jf.status, 200U);
  EXPECT_EQ(jf.content_type, "application/feed+json; charset=utf-8");
  EXPECT_NE(jf.body.find("\"version\": \"https://jsonfeed.org/version/1.1\""), std::string::npos);
  EXPECT_NE(jf.body.find("\"content_html\": \"<article>"), std::string::npos);  // the stored page's full text
  auto atom = h(get_request("/feeds/cjrb.atom"));
  EXPECT_EQ(atom.status, 200U);
  EXPECT_EQ(atom.content_type, "application/atom+xml; charset=utf-8");
  std::size_t entries = 0;
  for (auto p = atom.body.find("<entry>"); p != std::string::npos; p = atom.body.find("<entry>", p + 1))
    ++entries;
  EXPECT_EQ(entries, arts.size());
  EXPECT_NE(atom.body.find("<content type=\"html\">&lt;article&gt;"), std::string::npos);
  EXPECT_EQ(h(get_request("/feeds/unknown.json")).status, 404U);
  EXPECT_EQ(h(get_request("/feeds/.atom")).status, 404U);

  auto page = h(get_request("/articles/cjrb-20240130-01-01"));
  ASSERT_EQ(page.status, 200U);
  EXPECT_NE(page.body.find("<h1>" + syn::feed::text::html_escape(arts[0].headline()) + "</h1>"),
            std::string::npos);
  EXPECT_NE(page.body.find("典范地州·典范行动"), std::string::npos);
  std::string etag;
  for (const auto& [k, v] : page.headers) {
    if (k == "ETag") etag = v;
  }
  ASSERT_FALSE(etag.empty());
  auto cached = get_request("/articles/cjrb-20240130-01-01");
  cached.headers["if-none-match"] = etag;
  EXPECT_EQ(h(cached).status, 304U);

  EXPECT_EQ(h(get_request("/articles/nope")).status, 404U);
  EXPECT_EQ(h(get_request("/feeds/unknown")).status, 404U);
  EXPECT_EQ(h(get_request("/feeds/cjrb-hant")).status, 200U);  // configured, empty
  EXPECT_EQ(h(get_request("/healthz")).status, 200U);
  auto post = get_request("/feeds/cjrb");
  post.method = "POST";
  EXPECT_EQ(h(post).status, 405U);
  auto root = h(get_request("/"));
  EXPECT_NE(root.body.find("/feeds/web"), std::string::npos);
}

TEST(FeedServer, AnswersOverHttp) {
  sink_env env;
  auto sink = env.make_sink();
  const auto arts = changji_articles();
  ASSERT_EQ(sink->write(envelopes(arts)).kind, syn::sink::verdict::ok);
  auto state = std::make_shared<syn::feed::state_store>(env.state_path(), true);
  syn::http::server server({}, syn::feed::make_feed_handler(state, {}));
  syn::http::client c;
  syn::http::client_request r;
  r.url = "http://127.0.0.1:" + std::to_string(server.port()) + "/articles/" +
          syn::http::percent_encode(arts[2].id());
  auto resp = c.send(r, 2s);
  ASSERT_TRUE(resp) << resp.error().message;
  EXPECT_EQ(resp.value().status, 200U);
  EXPECT_NE(resp.value().body.find(syn::feed::text::html_escape(arts[2].headline())), std::string::npos);
}

TEST(FeedServer, SplitsListenAddresses) {
  EXPECT_EQ(syn::service::split_host_port("127.0.0.1:8081"),
            (std::pair<std::string, std::uint16_t>{"127.0.0.1", 8081}));
  EXPECT_EQ(syn::service::split_host_port("[::1]:80"), (std::pair<std::string, std::uint16_t>{"::1", 80}));
  EXPECT_THROW((void)syn::service::split_host_port("nohost"), std::invalid_argument);
  EXPECT_THROW((void)syn::service::split_host_port("h:99999"), std::invalid_argument);
  EXPECT_THROW((void)syn::service::split_host_port("h:8x"), std::invalid_argument);
}

// freepublish/submit on the local WeChat API pushes a signed PUBLISHJOBFINISH to the feed
// server's callback, which records the result in the ledger by publish_id.
TEST(FeedServer, PublishJobFinishPushedByTheWechatServerLandsInTheLedger) {
  for (const int publish_status : {0, 4}) {
    sink_env env;
    auto state = std::make_shared<syn::feed::state_store>(env.state_path());
    syn::feed::feed_server_options o;
    o.accounts = {"cjrb", "cjrb-hant", "web"};
    o.callback_tokens = {{"cjrb", "tok-cjrb"}, {"cjrb-hant", "tok-hant"}};
    syn::http::server_options so;
    so.port = 0;
    syn::http::server feed_server(so, syn::feed::make_feed_handler(state, o));
    const std::string base = "http://127.0.0.1:" + std::to_string(feed_server.port()) + "/wechat/callback/";
    // Both accounts' submits push to cjrb's callback: the hant ones are recorded under their owner.
    (void)env.server.control({{"callback_url", base + "cjrb"},
                              {"callback_token", "tok-cjrb"},
                              {"publish_status", publish_status},
                              {"callback_delay_ms", 50}});

    auto sink = env.make_sink();
    ASSERT_EQ(sink->write(envelopes(changji_articles())).kind, syn::sink::verdict::ok);
    const auto publishes = env.server.state()["publishes"].size();
    ASSERT_GT(publishes, 0U);
    for (int i = 0; i < 200 && env.server.state()["pushed_events"].size() < publishes; ++i) {
      std::this_thread::sleep_for(20ms);
    }
    const auto pushed = env.server.state()["pushed_events"];
    ASSERT_EQ(pushed.size(), publishes);
    for (const auto& e : pushed) EXPECT_EQ(e["http_status"], 200) << e.dump();

    const std::string want(syn::feed::publish_status_name(publish_status));
    std::size_t recorded = 0;
    for (const auto& account : {"cjrb", "cjrb-hant"}) {
      for (const auto& d : state->drafts(account)) {
        EXPECT_EQ(d.status, want) << account << " " << d.publish_id;
        ++recorded;
      }
      for (const auto& r : state->publish_results(account)) {
        EXPECT_EQ(r.status, publish_status);
        EXPECT_EQ(r.source, "callback");
        if (publish_status == 0) {
          EXPECT_EQ(r.article_id, "ART" + r.publish_id);
        }
      }
    }
    EXPECT_EQ(recorded, publishes);
    feed_server.stop();
  }
}

// Without the event, the freepublish/get fallback polls a submitted draft once it is `after` old,
// within the daily budget, and records the result with source `poll`.
TEST(FeedServer, PublishPollerAsksFreepublishGetSparingly) {
  sink_env env;
  auto sink = env.make_sink();
  ASSERT_EQ(sink->write(envelopes(changji_articles())).kind, syn::sink::verdict::ok);
  auto state = std::make_shared<syn::feed::state_store>(env.state_path());
  const auto submitted = env.server.state()["publishes"].size();
  ASSERT_EQ(submitted, 1U);  // cjrb's draft (cjrb-hant takes zh-Hant articles only)

  syn::feed::wechat::client_options wo;
  wo.api_base_url = env.server.base_url();
  auto client = std::make_shared<syn::feed::wechat::client>(wo, std::make_shared<syn::http::client>());
  const std::map<std::string, syn::feed::wechat::credentials> accounts{
      {"cjrb", {"wx_cjrb", "secret-cjrb"}}, {"cjrb-hant", {"wx_hant", "secret-hant"}}};
  syn::feed::publish_poll_options po;
  po.after = std::chrono::seconds(600);
  const auto now = static_cast<std::int64_t>(std::time(nullptr));
  po.daily_budget = 0;  // budget spent: nothing is asked
  EXPECT_EQ(syn::feed::publish_poller(state, client, accounts, po).poll_once(now + 601), 0);
  EXPECT_EQ(env.server.state()["calls"].value("/cgi-bin/freepublish/get", 0), 0);
  po.daily_budget = 1;
  syn::feed::publish_poller poller(state, client, accounts, po);
  EXPECT_EQ(poller.poll_once(now), 0);  // just submitted: wait for the event
  EXPECT_EQ(poller.poll_once(now + 601), 1);
  EXPECT_EQ(env.server.state()["calls"]["/cgi-bin/freepublish/get"], 1);
  const auto drafts = state->drafts("cjrb");
  ASSERT_EQ(drafts.size(), 1U);
  EXPECT_EQ(drafts[0].status, "published");
  const auto results = state->publish_results("cjrb");
  ASSERT_EQ(results.size(), 1U);
  EXPECT_EQ(results[0].source, "poll");
  EXPECT_EQ(results[0].article_id, "ARTICLE_" + drafts[0].media_id);
  EXPECT_EQ(poller.poll_once(now + 1300), 0);  // settled: nothing to ask
  EXPECT_EQ(poller.calls(), 1U);
}
