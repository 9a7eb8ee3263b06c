// The MT test server speaks LibreTranslate's API over HTTP (checked with the engine's own client).
#include "mt_server.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "http_post.hpp"

namespace syn::mt {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
namespace detail = syn::translation::detail;

struct reply {
  unsigned status = 0;
  json body;
  std::string retry_after;
};

reply call(const mt_server& s, std::string_view method, const std::string& path,
           const std::string& body = {}) {
  const auto url = detail::http_url::parse("http://127.0.0.1:" + std::to_string(s.port()) + path);
  EXPECT_TRUE(url);
  auto r = detail::send_request(*url, method, body, milliseconds(5000), {});
  EXPECT_TRUE(r) << (r ? "" : r.error().message());
  if (!r) return {};
  return {r.value().status, json::parse(r.value().body, nullptr, false), r.value().retry_after};
}

TEST(MtServer, TranslatesAStringOrAnArray) {
  mt_server s({});
  auto r = call(s, "POST", "/translate", R"({"q": "你好", "source": "zh-Hans", "target": "en"})");
  EXPECT_EQ(r.status, 200U);
  EXPECT_EQ(r.body, json({{"translatedText", "[en] 你好"}}));
  r = call(s, "POST", "/translate",
           R"({"q": ["你好", " "], "source": "zh", "target": "ja", "format": "text"})");
  EXPECT_EQ(r.status, 200U);
  EXPECT_EQ(r.body, json({{"translatedText", {"[ja] 你好", ""}}}));
  r = call(s, "POST", "/translate", R"({"q": "你好", "source": "auto", "target": "en"})");
  EXPECT_EQ(r.body["detectedLanguage"]["language"], "zh-Hans");
}

TEST(MtServer, ValidatesLikeLibreTranslate) {
  mt_server_options o;
  o.char_limit = 3;
  o.batch_limit = 2;
  mt_server s(o);
  EXPECT_EQ(call(s, "POST", "/translate", "not json").body["error"], "Invalid JSON format");
  EXPECT_EQ(call(s, "POST", "/translate", R"({"source": "zh", "target": "en"})").body["error"],
            "Invalid request: missing q parameter");
  EXPECT_EQ(call(s, "POST", "/translate", R"({"q": "a", "target": "en"})").body["error"],
            "Invalid request: missing source parameter");
  auto r = call(s, "POST", "/translate", R"({"q": "一二三四", "source": "zh", "target": "en"})");
  EXPECT_EQ(r.status, 400U);
  EXPECT_EQ(r.body["error"], "Invalid request: request (4) exceeds text limit (3)");
  r = call(s, "POST", "/translate", R"({"q": ["a", "b", "c"], "source": "zh", "target": "en"})");
  EXPECT_EQ(r.body["error"], "Invalid request: request (3) exceeds text limit (2)");
  EXPECT_EQ(call(s, "POST", "/translate", R"({"q": "a", "source": "zh", "target": "xx"})").body["error"],
            "xx is not supported");
  EXPECT_EQ(call(s, "POST", "/translate", R"({"q": "a", "source": "zh", "target": "en", "format": "md"})")
                .body["error"],
            "md format is not supported");
  EXPECT_EQ(call(s, "GET", "/translate").status, 405U);
  EXPECT_EQ(call(s, "GET", "/nowhere").status, 404U);
  EXPECT_EQ(s.state()["failed"], 7);
}

TEST(MtServer, ChecksTheApiKey) {
  mt_server_options o;
  o.api_key = "secret";
  mt_server s(o);
  EXPECT_EQ(call(s, "POST", "/translate", R"({"q": "a", "source": "zh", "target": "en"})").status, 400U);
  EXPECT_EQ(
      call(s, "POST", "/translate", R"({"q": "a", "source": "zh", "target": "en", "api_key": "x"})").status,
      403U);
  EXPECT_EQ(
      call(s, "POST", "/translate", R"({"q": "a", "source": "zh", "target": "en", "api_key": "secret"})")
          .status,
      200U);
}

TEST(MtServer, FaultInjectionOverHttp) {
  mt_server s({});
  auto r = call(s, "POST", "/__control", R"({"fail_next": 2, "status": 429, "retry_after": 3})");
  EXPECT_EQ(r.status, 200U);
  EXPECT_EQ(r.body["pending_faults"], 2);
  const std::string q = R"({"q": ["a"], "source": "zh", "target": "en"})";
  r = call(s, "POST", "/translate", q);
  EXPECT_EQ(r.status, 429U);
  EXPECT_EQ(r.retry_after, "3");
  EXPECT_EQ(r.body["error"].get<std::string>().rfind("Slowdown:", 0), 0U);
  EXPECT_EQ(call(s, "POST", "/translate", q).status, 429U);
  EXPECT_EQ(call(s, "POST", "/translate", q).status, 200U);

  call(s, "POST", "/__control", R"({"fail_next": 1, "status": 500, "error": "model crashed"})");
  r = call(s, "POST", "/translate", q);
  EXPECT_EQ(r.status, 500U);
  EXPECT_EQ(r.body["error"], "model crashed");

  const auto st = call(s, "GET", "/__state");
  EXPECT_EQ(st.status, 200U);
  EXPECT_EQ(st.body["requests"], 4);
  EXPECT_EQ(st.body["injected"], 3);
  EXPECT_EQ(st.body["ok"], 1);
  EXPECT_EQ(st.body["failed"], 3);
  EXPECT_EQ(st.body["log"].size(), 4U);

  EXPECT_EQ(call(s, "POST", "/__control", R"({"fail_next": -1})").status, 400U);
  call(s, "POST", "/__control", R"({"reset": true})");
  EXPECT_EQ(call(s, "GET", "/__state").body["requests"], 0);
}

TEST(MtServer, HangEndsWhenTheServerStops) {
  auto s = std::make_unique<mt_server>(mt_server_options{});
  s->control({{"hang_ms", 60000}, {"status", 200}});
  const auto url = detail::http_url::parse(s->translate_url());
  const auto t0 = std::chrono::steady_clock::now();
  auto r = detail::post_json(*url, R"({"q": "a", "source": "zh", "target": "en"})", milliseconds(200), {});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), syn::translation::errc::timed_out);
  s.reset();  // must not wait out the 60 s hang
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(10));
}

TEST(MtServer, ListsLanguages) {
  mt_server s({});
  const auto r = call(s, "GET", "/languages");
  ASSERT_EQ(r.status, 200U);
  ASSERT_TRUE(r.body.is_array());
  bool has_en = false;
  for (const auto& l : r.body) has_en = has_en || l["code"] == "en";
  EXPECT_TRUE(has_en);
}

/// An outage on demand: every request fails until told otherwise (fail_next still goes first).
TEST(MtServer, FailsAlwaysUntilRecovered) {
  mt_server s({});
  const std::string body = R"({"q": ["你好"], "source": "zh-Hans", "target": "en"})";
  s.control({{"fail_always", true}, {"status", 429}, {"retry_after", 7}});
  for (int i = 0; i < 3; ++i) {
    const auto r = call(s, "POST", "/translate", body);
    EXPECT_EQ(r.status, 429U);
    EXPECT_EQ(r.retry_after, "7");
  }
  s.control({{"fail_next", 1}, {"status", 403}, {"error", "Invalid API key"}});
  EXPECT_EQ(call(s, "POST", "/translate", body).status, 403U);
  EXPECT_EQ(call(s, "POST", "/translate", body).status, 429U);
  EXPECT_EQ(s.state()["fail_always"], 429);
  s.control({{"fail_always", false}});
  EXPECT_EQ(call(s, "POST", "/translate", body).status, 200U);
  EXPECT_EQ(s.state()["injected"], 5);
  EXPECT_TRUE(s.state()["fail_always"].is_null());
}

/// LibreTranslate before 1.6: Simplified Chinese is `zh`, and `zh-Hans` is refused.
TEST(MtServer, LanguageListOnDemand) {
  mt_server_options o;
  o.languages = {"zh", "en"};
  mt_server s(o);
  auto langs = call(s, "GET", "/languages");
  ASSERT_EQ(langs.body.size(), 2U);
  EXPECT_EQ(langs.body[0]["code"], "zh");
  EXPECT_EQ(langs.body[0]["targets"], nlohmann::json::array({"en"}));
  auto r = call(s, "POST", "/translate", R"({"q": ["你好"], "source": "zh-Hans", "target": "en"})");
  EXPECT_EQ(r.status, 400U);
  EXPECT_EQ(r.body["error"], "zh-Hans is not supported");
  EXPECT_EQ(call(s, "POST", "/translate", R"({"q": ["你好"], "source": "zh", "target": "en"})").status, 200U);
  s.control({{"languages", nlohmann::json::array({"zh-Hans", "en"})}});
  EXPECT_EQ(call(s, "POST", "/translate", R"({"q": ["你好"], "source": "zh-Hans", "target": "en"})").status,
            200U);
  EXPECT_THROW(s.control({{"languages", nlohmann::json::array()}}), std::invalid_argument);
}

}  // namespace
}  // namespace syn::mt
