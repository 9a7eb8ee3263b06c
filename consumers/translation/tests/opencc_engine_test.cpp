#include "syn/translation/opencc_engine.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "syn/translation/job_builder.hpp"
#include "test_support.hpp"

namespace syn::translation {
namespace {

using config::opencc_variant;

std::unique_ptr<opencc_engine> open_or_fail(opencc_variant v) {
  auto e = opencc_engine::open(v);
  EXPECT_TRUE(e) << (e ? "" : e.error().message());
  return e ? std::move(e).value() : nullptr;
}

std::string convert(opencc_variant v, std::string_view text) {
  auto e = open_or_fail(v);
  if (!e) return "<no engine>";
  auto r = e->convert(text);
  EXPECT_TRUE(r) << (r ? "" : r.error().message());
  return r ? r.value() : "<failed>";
}

// Expected values written by hand from the conventions of each standard, not taken from OpenCC's
// output: software is 軟件 in mainland-derived Traditional and Hong Kong but 軟體 in Taiwan; the
// mouse is 鼠標 except in Taiwan (滑鼠); 爲 is OpenCC's standard form, 為 Taiwan's and Hong Kong's;
// 裏 vs 裡; 説 is the Hong Kong form of 說.
struct variant_case {
  opencc_variant variant;
  const char* input;
  const char* expected;
};

// Readable CTest names (gtest_discover_tests shows the parameter).
void PrintTo(const variant_case& c, std::ostream* os) {
  *os << config::to_string(c.variant) << " " << c.input;
}

class OpenccVariants : public ::testing::TestWithParam<variant_case> {};

TEST_P(OpenccVariants, ConvertKnownWords) {
  const auto& c = GetParam();
  EXPECT_EQ(convert(c.variant, c.input), c.expected) << config::to_string(c.variant) << " of " << c.input;
}

INSTANTIATE_TEST_SUITE_P(
    HandWritten, OpenccVariants,
    ::testing::Values(
        // 软件 software
        variant_case{opencc_variant::s2t, "软件", "軟件"}, variant_case{opencc_variant::s2tw, "软件", "軟件"},
        variant_case{opencc_variant::s2twp, "软件", "軟體"},
        variant_case{opencc_variant::s2hk, "软件", "軟件"},
        // 鼠标 mouse
        variant_case{opencc_variant::s2t, "鼠标", "鼠標"}, variant_case{opencc_variant::s2tw, "鼠标", "鼠標"},
        variant_case{opencc_variant::s2twp, "鼠标", "滑鼠"},
        variant_case{opencc_variant::s2hk, "鼠标", "鼠標"},
        // 为了 in order to: s2t keeps OpenCC's standard 爲, Taiwan and Hong Kong write 為
        variant_case{opencc_variant::s2t, "为了", "爲了"}, variant_case{opencc_variant::s2tw, "为了", "為了"},
        variant_case{opencc_variant::s2twp, "为了", "為了"},
        variant_case{opencc_variant::s2hk, "为了", "為了"},
        // 里面 inside: 裏 (standard, Hong Kong) vs 裡 (Taiwan)
        variant_case{opencc_variant::s2t, "里面", "裏面"}, variant_case{opencc_variant::s2tw, "里面", "裡面"},
        variant_case{opencc_variant::s2twp, "里面", "裡面"},
        variant_case{opencc_variant::s2hk, "里面", "裏面"},
        // 说话 speak: Hong Kong's 説
        variant_case{opencc_variant::s2t, "说话", "說話"}, variant_case{opencc_variant::s2hk, "说话", "説話"},
        // Taiwan vocabulary (s2twp only)
        variant_case{opencc_variant::s2t, "信息网络", "信息網絡"},
        variant_case{opencc_variant::s2twp, "信息网络", "資訊網路"},
        // The paper's own words are the same everywhere
        variant_case{opencc_variant::s2t, "本报讯 昌吉日报", "本報訊 昌吉日報"},
        variant_case{opencc_variant::s2hk, "本报讯 昌吉日报", "本報訊 昌吉日報"}),
    [](const ::testing::TestParamInfo<variant_case>& p) {
      return std::string(config::to_string(p.param.variant)) + "_" + std::to_string(p.index);
    });

TEST(OpenccEngine, TranslatesEverySegmentInOrder) {
  auto engine = open_or_fail(opencc_variant::s2twp);
  ASSERT_TRUE(engine);
  EXPECT_EQ(engine->name(), "opencc");
  EXPECT_EQ(engine->variant(), opencc_variant::s2twp);
  auto jobs =
      build_jobs(test::sample_article(), test::opencc_config(opencc_variant::s2twp), test::fixed_now());
  ASSERT_TRUE(jobs);
  const auto& job = jobs.value().at(0);
  auto r = engine->translate(job);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_THAT(r.value(), ::testing::ElementsAre("典範地州·典範行動", "昌吉州軟體企業推出國產滑鼠",
                                                "為了推進中國式現代化，企業裡面的軟體工程師說話算數。",
                                                "創新驅動", "工人在生產線上組裝滑鼠"));
}

TEST(OpenccEngine, EmptyTextStaysEmpty) {
  EXPECT_EQ(convert(opencc_variant::s2t, ""), "");
  syndication::v1::TranslationJob job;
  job.add_segments()->set_path("headline");  // empty text
  auto engine = open_or_fail(opencc_variant::s2t);
  ASSERT_TRUE(engine);
  auto r = engine->translate(job);
  ASSERT_TRUE(r);
  EXPECT_THAT(r.value(), ::testing::ElementsAre(""));
}

TEST(OpenccEngine, MissingDataIsAConfigErrorNotRetriable) {
  auto e = opencc_engine::open(opencc_variant::s2t, "/nonexistent/opencc");
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error(), errc::engine_config);
  EXPECT_FALSE(e.error().retriable());
  EXPECT_NE(e.error().message().find("/nonexistent/opencc/s2t.json"), std::string::npos);
}

TEST(OpenccEngine, ExplicitDataDirWorks) {
  auto e = opencc_engine::open(opencc_variant::s2hk, "/usr/share/opencc/");
  ASSERT_TRUE(e) << e.error().message();
  EXPECT_EQ(e.value()->convert("软件").value(), "軟件");
}

TEST(OpenccEngine, MakeEngineFromConfigTarget) {
  config::translation_target t;
  t.language = "zh-Hant";
  t.engine = config::translation_engine::opencc;
  t.opencc = opencc_variant::s2twp;
  auto e = make_engine(t);
  ASSERT_TRUE(e) << e.error().message();
  EXPECT_EQ(e.value()->name(), "opencc");
  syndication::v1::TranslationJob job;
  job.add_segments()->set_text("鼠标");
  EXPECT_THAT(e.value()->translate(job).value(), ::testing::ElementsAre("滑鼠"));
}

// One handle is not thread-safe; the engine serialises calls, so sharing it must still be correct
// (run under ASan/UBSan in CI).
TEST(OpenccEngine, ConcurrentCallsOnOneEngineAreSerialised) {
  auto engine = open_or_fail(opencc_variant::s2t);
  ASSERT_TRUE(engine);
  std::vector<std::thread> threads;
  std::atomic<int> wrong{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        auto r = engine->convert("软件鼠标为了里面");
        if (!r || r.value() != "軟件鼠標爲了裏面") ++wrong;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);
}

// translate_batch() on three threads, each with its own handle: every job's result in the jobs'
// order, equal to the one-thread translate() of the same job, while other threads call convert()
// on the same engine (run under ASan/UBSan and TSan-free by design: one handle per thread).
TEST(OpenccEngine, BatchOnSeveralThreadsMatchesOneByOneInOrder) {
  auto batch = opencc_engine::open(opencc_variant::s2twp, {}, 3);
  auto single = opencc_engine::open(opencc_variant::s2twp, {}, 1);
  ASSERT_TRUE(batch && single);
  EXPECT_EQ(batch.value()->threads(), 3U);
  EXPECT_TRUE(batch.value()->translates_batches());
  EXPECT_FALSE(single.value()->translates_batches());
  const std::vector<std::string> words{"软件", "鼠标", "为了", "里面", "信息网络", "说话"};
  std::vector<syndication::v1::TranslationJob> jobs(97);
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    jobs[i].set_job_id("job-" + std::to_string(i));
    for (std::size_t k = 0; k <= i % 5; ++k) jobs[i].add_segments()->set_text(words[(i + k) % words.size()]);
  }
  std::vector<const syndication::v1::TranslationJob*> ptrs;
  for (const auto& j : jobs) ptrs.push_back(&j);
  std::atomic<int> wrong_convert{0};
  std::thread other([&] {
    for (int i = 0; i < 100; ++i) {
      if (auto r = batch.value()->convert("鼠标"); !r || r.value() != "滑鼠") ++wrong_convert;
    }
  });
  const auto out = batch.value()->translate_batch(ptrs);
  other.join();
  EXPECT_EQ(wrong_convert.load(), 0);
  ASSERT_EQ(out.size(), jobs.size());
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    ASSERT_TRUE(out[i]) << i << ": " << out[i].error().message();
    auto expected = single.value()->translate(jobs[i]);
    ASSERT_TRUE(expected);
    EXPECT_EQ(out[i].value(), expected.value()) << jobs[i].job_id();
    EXPECT_EQ(out[i].value().size(), static_cast<std::size_t>(jobs[i].segments_size()));
  }
  EXPECT_EQ(out[1].value(), (std::vector<std::string>{"滑鼠", "為了"}));
  EXPECT_TRUE(batch.value()->translate_batch({}).empty());
}

}  // namespace
}  // namespace syn::translation
