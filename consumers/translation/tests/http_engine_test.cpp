#include "syn/translation/http_engine.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <mutex>

#include "mt_server.hpp"
#include "syn/translation/job_builder.hpp"
#include "test_support.hpp"

namespace syn::translation {
namespace {

using std::chrono::milliseconds;
using syndication::v1::TranslationJob;
using ::testing::ElementsAre;

TranslationJob job_of(std::initializer_list<std::string> texts, std::string target = "en") {
  TranslationJob job;
  job.set_job_id("test.en@000000000000");
  job.set_source_language("zh-Hans");
  job.set_target_language(std::move(target));
  int i = 0;
  for (const auto& t : texts) {
    auto* s = job.add_segments();
    s->set_path("block/" + std::to_string(i++));
    s->set_text(t);
    s->set_chars(code_points(t));
  }
  return job;
}

/// Records the backoff delays instead of sleeping through them.
struct recorded_sleeps {
  std::mutex mutex;
  std::vector<milliseconds> delays;
  std::function<void(milliseconds)> hook() {
    return [this](milliseconds d) {
      const std::lock_guard lock(mutex);
      delays.push_back(d);
    };
  }
};

class HttpEngine : public ::testing::Test {
 protected:
  void start(mt::mt_server_options o = {}) { server_ = std::make_unique<mt::mt_server>(std::move(o)); }

  http_engine_options options() {
    http_engine_options o;
    o.url = server_->translate_url();
    o.request_timeout = milliseconds(5000);
    o.retry = {milliseconds(100), milliseconds(1000), 2.0, 4, 0.0};
    o.sleep = sleeps_.hook();
    return o;
  }

  std::unique_ptr<http_engine> engine(http_engine_options o) {
    auto e = http_engine::create(std::move(o));
    EXPECT_TRUE(e) << (e ? "" : e.error().message());
    return e ? std::move(e).value() : nullptr;
  }

  nlohmann::json state() const { return server_->state(); }

  std::unique_ptr<mt::mt_server> server_;
  recorded_sleeps sleeps_;
};

TEST_F(HttpEngine, TranslatesAllSegmentsInOneRequest) {
  start();
  auto e = engine(options());
  auto r = e->translate(job_of({"你好", "世界", "昌吉日报"}));
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_THAT(r.value(), ElementsAre("[en] 你好", "[en] 世界", "[en] 昌吉日报"));
  EXPECT_EQ(state()["requests"], 1);
  EXPECT_EQ(state()["log"][0]["source"], "zh-Hans");
  EXPECT_EQ(state()["log"][0]["target"], "en");
  EXPECT_EQ(state()["log"][0]["api_key"], false);
  EXPECT_EQ(e->stats().requests, 1U);
}

TEST_F(HttpEngine, EngineLanguageCodesOverrideTheJobs) {
  start();
  auto o = options();
  o.source_language = "zh";
  o.target_language = "zh-Hant";
  auto r = engine(o)->translate(job_of({"你好"}, "zh-Hant-TW"));
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_THAT(r.value(), ElementsAre("[zh-Hant] 你好"));
  EXPECT_EQ(state()["log"][0]["source"], "zh");
}

TEST_F(HttpEngine, BatchesUnderTheCharacterLimit) {
  // The server enforces LibreTranslate's char_limit: a request over it would fail with 400.
  mt::mt_server_options so;
  so.char_limit = 10;
  start(so);
  auto o = options();
  o.max_chars_per_request = 10;
  auto r = engine(o)->translate(job_of({"一二三四", "五六七八", "九十一二", "三四"}));
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_THAT(r.value(), ElementsAre("[en] 一二三四", "[en] 五六七八", "[en] 九十一二", "[en] 三四"));
  // 4+4 | 4+2: two requests, none over 10 code points.
  EXPECT_EQ(state()["requests"], 2);
  EXPECT_EQ(state()["max_request_chars"], 8);
  EXPECT_EQ(state()["failed"], 0);
}

TEST_F(HttpEngine, BatchesUnderTheTextLimit) {
  mt::mt_server_options so;
  so.batch_limit = 2;
  start(so);
  auto o = options();
  o.max_segments_per_request = 2;
  auto r = engine(o)->translate(job_of({"一", "二", "三", "四", "五"}));
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_THAT(r.value(), ElementsAre("[en] 一", "[en] 二", "[en] 三", "[en] 四", "[en] 五"));
  EXPECT_EQ(state()["requests"], 3);
  EXPECT_EQ(state()["max_request_texts"], 2);
}

TEST_F(HttpEngine, LongSegmentIsCutAtSentenceEndsAndJoinedBack) {
  mt::mt_server_options so;
  so.char_limit = 8;
  start(so);
  auto o = options();
  o.max_chars_per_request = 8;
  auto r = engine(o)->translate(job_of({"第一句话。第二句话。第三句。", "短"}));
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_THAT(r.value(), ElementsAre("[en] 第一句话。[en] 第二句话。[en] 第三句。", "[en] 短"));
  EXPECT_EQ(state()["failed"], 0);
}

TEST_F(HttpEngine, RateLimitedTwiceThenSucceeds) {
  start();
  server_->control({{"fail_next", 2}, {"status", 429}});
  auto e = engine(options());
  auto r = e->translate(job_of({"你好"}));
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_THAT(r.value(), ElementsAre("[en] 你好"));
  EXPECT_EQ(state()["requests"], 3);
  EXPECT_EQ(e->stats().retries, 2U);
  // Capped exponential backoff, no jitter configured here: 100 ms, 200 ms.
  EXPECT_THAT(sleeps_.delays, ElementsAre(milliseconds(100), milliseconds(200)));
}

TEST_F(HttpEngine, RetryAfterIsHonouredUpToTheCap) {
  start();
  server_->control({{"fail_next", 1}, {"status", 429}, {"retry_after", 60}});
  auto r = engine(options())->translate(job_of({"你好"}));
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_THAT(sleeps_.delays, ElementsAre(milliseconds(1000)));  // 60 s asked, max_backoff 1 s
}

TEST_F(HttpEngine, ServerErrorsUntilAttemptsRunOutSurfaceRetriable) {
  start();
  server_->control({{"fail_next", 10}, {"status", 500}});
  auto o = options();
  o.retry.max_attempts = 3;
  auto e = engine(o);
  auto r = e->translate(job_of({"你好"}));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), errc::engine_failed);
  EXPECT_TRUE(r.error().retriable());
  EXPECT_NE(r.error().message().find("HTTP 500"), std::string::npos) << r.error().message();
  EXPECT_NE(r.error().message().find("Cannot translate text"), std::string::npos) << r.error().message();
  EXPECT_NE(r.error().message().find("after 3 attempts"), std::string::npos) << r.error().message();
  EXPECT_EQ(state()["requests"], 3);
  EXPECT_EQ(e->stats().failures, 1U);
  EXPECT_THAT(sleeps_.delays, ElementsAre(milliseconds(100), milliseconds(200)));
}

TEST_F(HttpEngine, BadRequestIsPermanentAndNotRetried) {
  start();
  auto r = engine(options())->translate(job_of({"你好"}, "xx"));  // unsupported target
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), errc::rejected);
  EXPECT_FALSE(r.error().retriable());
  EXPECT_NE(r.error().message().find("HTTP 400: xx is not supported"), std::string::npos)
      << r.error().message();
  EXPECT_EQ(state()["requests"], 1);
  EXPECT_TRUE(sleeps_.delays.empty());
}

TEST_F(HttpEngine, InjectedBadRequestIsNotRetried) {
  start();
  server_->control({{"fail_next", 3}, {"status", 400}});
  auto r = engine(options())->translate(job_of({"你好"}));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), errc::rejected);
  EXPECT_EQ(state()["requests"], 1);
}

TEST_F(HttpEngine, ApiKeyIsSentAndChecked) {
  mt::mt_server_options so;
  so.api_key = "k-123";
  start(so);
  auto o = options();
  o.api_key = "k-123";
  auto r = engine(o)->translate(job_of({"你好"}));
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(state()["log"][0]["api_key"], true);

  o.api_key = "wrong";
  r = engine(o)->translate(job_of({"你好"}));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), errc::rejected);  // 403 Invalid API key
  EXPECT_NE(r.error().message().find("HTTP 403: Invalid API key"), std::string::npos) << r.error().message();

  o.api_key.reset();
  r = engine(o)->translate(job_of({"你好"}));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), errc::rejected);  // 400: key required
  EXPECT_FALSE(r.error().retriable());
}

TEST_F(HttpEngine, ApiKeyComesFromTheConfiguredEnvironmentVariable) {
  mt::mt_server_options so;
  so.api_key = "from-env";
  start(so);
  config::translation_target t;
  t.language = "en";
  t.engine = config::translation_engine::http;
  t.url = server_->translate_url();
  t.api_key.env = "SYN_TRANSLATION_TEST_MT_KEY";
  ::unsetenv("SYN_TRANSLATION_TEST_MT_KEY");
  auto missing = make_engine(t);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error(), errc::engine_config);
  EXPECT_NE(missing.error().message().find("SYN_TRANSLATION_TEST_MT_KEY"), std::string::npos);

  ::setenv("SYN_TRANSLATION_TEST_MT_KEY", "from-env", 1);
  auto e = make_engine(t);
  ::unsetenv("SYN_TRANSLATION_TEST_MT_KEY");
  ASSERT_TRUE(e) << e.error().message();
  EXPECT_EQ(e.value()->name(), "http");
  auto r = e.value()->translate(job_of({"你好"}));
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_THAT(r.value(), ElementsAre("[en] 你好"));
}

TEST_F(HttpEngine, HangingServerTimesOut) {
  start();
  server_->control({{"fail_next", 1}, {"status", 200}, {"hang_ms", 10000}});
  auto o = options();
  o.request_timeout = milliseconds(300);
  o.retry.max_attempts = 1;
  const auto t0 = std::chrono::steady_clock::now();
  auto r = engine(o)->translate(job_of({"你好"}));
  const auto elapsed = std::chrono::steady_clock::now() - t0;
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), errc::timed_out);
  EXPECT_TRUE(r.error().retriable());
  EXPECT_NE(r.error().message().find("timed out after 300 ms"), std::string::npos) << r.error().message();
  EXPECT_LT(elapsed, std::chrono::seconds(3));
}

TEST_F(HttpEngine, HangOnceThenTheRetrySucceeds) {
  start();
  server_->control({{"fail_next", 1}, {"status", 200}, {"hang_ms", 10000}});
  auto o = options();
  o.request_timeout = milliseconds(300);
  auto r = engine(o)->translate(job_of({"你好"}));
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_THAT(r.value(), ElementsAre("[en] 你好"));
  EXPECT_EQ(sleeps_.delays.size(), 1U);
}

TEST_F(HttpEngine, ExpiredJobIsNotSent) {
  start();
  auto job = job_of({"你好"});
  job.mutable_deadline()->set_seconds(1);  // 1970
  auto r = engine(options())->translate(job);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), errc::deadline_exceeded);
  EXPECT_FALSE(r.error().retriable());
  EXPECT_EQ(state()["requests"], 0);
}

TEST_F(HttpEngine, NoBackoffSleepsPastTheDeadline) {
  start();
  server_->control({{"fail_next", 5}, {"status", 503}});
  auto o = options();
  o.retry = {milliseconds(60000), milliseconds(60000), 2.0, 5, 0.0};
  auto job = job_of({"你好"});
  const auto deadline = std::chrono::system_clock::now() + std::chrono::seconds(5);
  job.mutable_deadline()->set_seconds(
      std::chrono::duration_cast<std::chrono::seconds>(deadline.time_since_epoch()).count());
  auto r = engine(o)->translate(job);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), errc::deadline_exceeded);
  EXPECT_NE(r.error().message().find("HTTP 503"), std::string::npos) << r.error().message();
  EXPECT_TRUE(sleeps_.delays.empty());
  EXPECT_EQ(state()["requests"], 1);
}

TEST_F(HttpEngine, UnreachableEngineIsRetriable) {
  start();
  auto o = options();
  o.retry.max_attempts = 2;
  // Destroyed, not just stopped: core's server::stop() may leave the acceptor open (connections
  // then hang instead of being refused) until the server is destroyed.
  server_.reset();
  auto r = engine(o)->translate(job_of({"你好"}));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), errc::engine_unavailable);
  EXPECT_TRUE(r.error().retriable());
}

TEST_F(HttpEngine, NonLibreTranslateAnswerIsABadResponse) {
  start();
  auto o = options();
  o.url = "http://127.0.0.1:" + std::to_string(server_->port()) + "/__state";  // 404: no POST /__state
  o.retry.max_attempts = 1;
  auto r = engine(o)->translate(job_of({"你好"}));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), errc::rejected);

  o.url = "http://127.0.0.1:" + std::to_string(server_->port()) + "/__control";  // 200, but no translatedText
  r = engine(o)->translate(job_of({"你好"}));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), errc::bad_response);
}

TEST_F(HttpEngine, TlsToAPlainServerFailsInTime) {
  start();
  auto o = options();
  o.url = "https://127.0.0.1:" + std::to_string(server_->port()) + "/translate";
  o.request_timeout = milliseconds(2000);
  o.retry.max_attempts = 1;
  auto r = engine(o)->translate(job_of({"你好"}));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("TLS handshake"), std::string::npos) << r.error().message();
}

TEST(HttpEngineConfig, BadUrlOrLimitsAreConfigErrors) {
  http_engine_options o;
  o.url = "ftp://example.org/translate";
  auto e = http_engine::create(o);
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error(), errc::engine_config);
  o.url = "http://127.0.0.1:5000/translate";
  o.max_chars_per_request = 0;
  EXPECT_FALSE(http_engine::create(o));
}

TEST(RequestPlan, PacksGreedilyInOrder) {
  const auto plans = plan_requests({"一二三", "四五", "", "六七八九十", "十一"}, 5, 10);
  ASSERT_EQ(plans.size(), 3U);
  EXPECT_THAT(plans[0].texts, ElementsAre("一二三", "四五"));
  EXPECT_THAT(plans[0].segment_of, ElementsAre(0U, 1U));
  EXPECT_THAT(plans[1].texts, ElementsAre("六七八九十"));
  EXPECT_THAT(plans[1].segment_of, ElementsAre(3U));
  EXPECT_THAT(plans[2].segment_of, ElementsAre(4U));
}

TEST(RequestPlan, SplitsLongTextAfterSentenceEndsElseAtTheLimit) {
  EXPECT_THAT(split_long_text("甲乙。丙丁戊己。庚", 5), ElementsAre("甲乙。", "丙丁戊己。", "庚"));
  EXPECT_THAT(split_long_text("一二三四五六七", 3), ElementsAre("一二三", "四五六", "七"));
  // A closing quote stays with its sentence.
  EXPECT_THAT(split_long_text("他说：“好。”然后走了", 7), ElementsAre("他说：“好。”", "然后走了"));
  EXPECT_THAT(split_long_text("短", 5), ElementsAre("短"));
}

TEST(RequestPlan, JoinsPiecesWithASpaceOnlyBetweenWords) {
  EXPECT_EQ(join_pieces({"First sentence.", "Second one."}), "First sentence. Second one.");
  EXPECT_EQ(join_pieces({"第一句。", "第二句。"}), "第一句。第二句。");
  EXPECT_EQ(join_pieces({"Ends with space ", "next"}), "Ends with space next");
  EXPECT_EQ(join_pieces({}), "");
}

TEST(Backoff, CappedExponentialWithJitter) {
  const config::retry_config r{milliseconds(200), milliseconds(1000), 2.0, 8, 0.2};
  EXPECT_EQ(backoff_delay(r, 0, 0.5), milliseconds(200));
  EXPECT_EQ(backoff_delay(r, 1, 0.5), milliseconds(400));
  EXPECT_EQ(backoff_delay(r, 2, 0.5), milliseconds(800));
  EXPECT_EQ(backoff_delay(r, 3, 0.5), milliseconds(1000));
  EXPECT_EQ(backoff_delay(r, 40, 0.5), milliseconds(1000));
  EXPECT_EQ(backoff_delay(r, 0, 0.0), milliseconds(160));
  EXPECT_EQ(backoff_delay(r, 0, 1.0), milliseconds(240));
}

}  // namespace
}  // namespace syn::translation

// Issue 19, item 3: engine settings per target.
namespace syn::translation {
namespace {

config::translation_target http_target(const mt::mt_server& server) {
  config::translation_target t;
  t.language = "en";
  t.engine = config::translation_engine::http;
  t.url = server.translate_url();
  return t;
}

/// LibreTranslate before 1.6 knows Simplified Chinese as `zh` only: without a mapping the start-up
/// check refuses the pair in one line, and every job would be rejected.
TEST(EngineSettings, EngineThatKnowsOnlyZhWorksThroughTheCodeMapping) {
  mt::mt_server_options so;
  so.languages = {"zh", "en"};
  mt::mt_server server(so);
  auto t = http_target(server);
  auto plain = make_engine(t);
  ASSERT_TRUE(plain) << plain.error().message();
  auto refused = plain.value()->check_languages("zh-Hans", "en");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error(), errc::engine_config);
  EXPECT_FALSE(refused.error().retriable());
  EXPECT_NE(refused.error().message().find("does not translate zh-Hans -> en"), std::string::npos)
      << refused.error().message();
  EXPECT_EQ(refused.error().message().find('\n'), std::string::npos);
  EXPECT_FALSE(plain.value()->translate(job_of({"你好"})));  // 400 zh-Hans is not supported

  t.engine_source_language = "zh";
  auto mapped = make_engine(t);
  ASSERT_TRUE(mapped) << mapped.error().message();
  EXPECT_TRUE(mapped.value()->check_languages("zh-Hans", "en"));
  auto r = mapped.value()->translate(job_of({"你好"}));
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_THAT(r.value(), ElementsAre("[en] 你好"));
  EXPECT_EQ(server.state()["log"].back()["source"], "zh");
}

TEST(EngineSettings, ServerCharLimitOfAThousandWorksThroughTheTargetsLimit) {
  mt::mt_server_options so;
  so.char_limit = 1000;
  mt::mt_server server(so);
  const std::string long_text = [] {
    std::string s;
    for (int i = 0; i < 260; ++i) s += "长文本测试。";  // 1,560 code points
    return s;
  }();
  auto t = http_target(server);
  auto over = make_engine(t);  // default 2000 per request: over the server's limit
  ASSERT_TRUE(over);
  auto rejected = over.value()->translate(job_of({long_text, "短"}));
  ASSERT_FALSE(rejected);
  EXPECT_EQ(rejected.error(), errc::rejected);

  server.control({{"reset", true}});  // max_request_chars of the requests below only
  t.max_chars_per_request = 1000;
  auto within = make_engine(t);
  ASSERT_TRUE(within);
  auto r = within.value()->translate(job_of({long_text, "短"}));
  ASSERT_TRUE(r) << r.error().message();
  ASSERT_EQ(r.value().size(), 2U);
  EXPECT_EQ(r.value()[1], "[en] 短");
  EXPECT_LE(server.state()["max_request_chars"].get<std::size_t>(), 1000U);
}

TEST(EngineSettings, FailureReportsStatusAndRetryAfter) {
  mt::mt_server server({});
  auto e = make_engine(http_target(server), [] {
    engine_options o;
    o.retry.max_attempts = 1;
    return o;
  }());
  ASSERT_TRUE(e);
  server.control({{"fail_next", 1}, {"status", 429}, {"retry_after", 3}});
  failure_info info;
  auto r = e.value()->translate_reporting(job_of({"你好"}), info);
  ASSERT_FALSE(r);
  EXPECT_TRUE(r.error().retriable());
  EXPECT_EQ(info.http_status, 429);
  ASSERT_TRUE(info.retry_after.has_value());
  EXPECT_EQ(*info.retry_after, milliseconds(3000));
  EXPECT_EQ(server.state()["requests"], 1);  // one request: no retry inside the engine

  server.control({{"fail_next", 1}, {"status", 403}, {"error", "Invalid API key"}});
  info = {};
  r = e.value()->translate_reporting(job_of({"你好"}), info);
  ASSERT_FALSE(r);
  EXPECT_FALSE(r.error().retriable());
  EXPECT_EQ(info.http_status, 403);
  EXPECT_NE(r.error().message().find("HTTP 403: Invalid API key"), std::string::npos) << r.error().message();
}

TEST(EngineSettings, LanguageCheckThatCannotAskIsRetriable) {
  config::translation_target t;
  t.language = "en";
  t.engine = config::translation_engine::http;
  t.url = "http://127.0.0.1:1/translate";
  auto e = make_engine(t);
  ASSERT_TRUE(e);
  auto r = e.value()->check_languages("zh-Hans", "en");
  ASSERT_FALSE(r);
  EXPECT_TRUE(r.error().retriable());
}

}  // namespace
}  // namespace syn::translation
