#include "syn/translation/article_builder.hpp"

#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include "syn/contract/content_hash.hpp"
#include "syn/translation/job_builder.hpp"
#include "syn/translation/opencc_engine.hpp"
#include "test_support.hpp"

namespace syn::translation {
namespace {

using syndication::v1::Article;
using syndication::v1::TranslationJob;

TranslationJob job_for(const Article& a) {
  auto jobs = build_jobs(a, test::opencc_config(), test::fixed_now());
  EXPECT_TRUE(jobs);
  return jobs.value().at(0);
}

/// `[T] <text>` for every segment: a stand-in engine.
std::vector<std::string> tagged(const TranslationJob& job) {
  std::vector<std::string> out;
  for (const auto& s : job.segments()) out.push_back("[T] " + s.text());
  return out;
}

TEST(TranslatedArticle, IdIsDeterministic) {
  EXPECT_EQ(translated_article_id("cjrb-20240130-01-03", "zh-Hant"), "cjrb-20240130-01-03.zh-Hant");
  EXPECT_EQ(translated_article_id("cjrb-20240130-01-03", "en"), "cjrb-20240130-01-03.en");
}

TEST(TranslatedArticle, LinksBackToTheSourceRevision) {
  const Article src = test::sample_article();
  const auto job = job_for(src);
  const auto texts = tagged(job);
  auto r = build_translated_article(src, job, texts, test::fixed_now());
  ASSERT_TRUE(r) << r.error().message();
  const Article& t = r.value();
  EXPECT_EQ(t.id(), "cjrb-20240130-01-03.zh-Hant");
  EXPECT_EQ(t.language(), "zh-Hant");
  EXPECT_EQ(t.translation_of(), src.id());
  EXPECT_EQ(t.translation_of_sha256(), src.content_sha256());
  EXPECT_EQ(t.published_at().seconds(), 1706601600);
  // A translation never yields jobs of its own.
  EXPECT_TRUE(build_jobs(t, test::opencc_config(), test::fixed_now()).value().empty());
}

TEST(TranslatedArticle, PutsTextsBackByPathAndKeepsTheRest) {
  Article src = test::sample_article();
  src.set_issue_article_count(5);
  const auto job = job_for(src);
  auto r = build_translated_article(src, job, tagged(job), test::fixed_now());
  ASSERT_TRUE(r) << r.error().message();
  const Article& t = r.value();
  EXPECT_EQ(t.kicker(), "[T] 典范地州·典范行动");
  EXPECT_EQ(t.headline(), "[T] 昌吉州软件企业推出国产鼠标");
  EXPECT_EQ(t.subheadline(), "");  // was empty, not a segment
  ASSERT_EQ(t.blocks_size(), 3);
  EXPECT_EQ(t.blocks(0).text(), "[T] " + src.blocks(0).text());
  EXPECT_EQ(t.blocks(1).text(), "[T] 创新驱动");
  EXPECT_EQ(t.blocks(1).kind(), syndication::v1::Block::SUBHEAD);
  EXPECT_EQ(t.blocks(2).text(), "");
  ASSERT_EQ(t.photos_size(), 1);
  EXPECT_EQ(t.photos(0).caption(), "[T] 工人在生产线上组装鼠标");
  EXPECT_EQ(t.photos(0).credit(), "本报记者 杨鹤");
  EXPECT_EQ(t.photos(0).after_block(), 1U);

  EXPECT_EQ(t.issue_id(), src.issue_id());
  EXPECT_EQ(t.page(), src.page());
  EXPECT_EQ(t.sequence(), src.sequence());
  EXPECT_EQ(t.paper(), src.paper());
  EXPECT_EQ(t.issue_date(), src.issue_date());
  EXPECT_EQ(t.dateline_lead(), src.dateline_lead());
  EXPECT_EQ(t.dateline(), src.dateline());
  EXPECT_EQ(t.issue_article_count(), 5U) << "the feed waits for the issue's count of translations";
  ASSERT_EQ(t.contributors_size(), 1);
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(t.contributors(0), src.contributors(0)));
}

TEST(TranslatedArticle, HashIsRecomputedOverTheTranslatedContent) {
  const Article src = test::sample_article();
  const auto job = job_for(src);
  auto a = build_translated_article(src, job, tagged(job), test::fixed_now());
  ASSERT_TRUE(a);
  EXPECT_EQ(a.value().content_sha256(), contract::content_sha256(a.value()));
  EXPECT_NE(a.value().content_sha256(), src.content_sha256());

  // Same translation, later: same id and hash (sinks see a replay, not a revision).
  auto again = build_translated_article(src, job, tagged(job), test::fixed_now() + std::chrono::hours(1));
  ASSERT_TRUE(again);
  EXPECT_EQ(again.value().id(), a.value().id());
  EXPECT_EQ(again.value().content_sha256(), a.value().content_sha256());

  // Another translation of one segment: another hash.
  auto texts = tagged(job);
  texts[1] = "[T] another headline";
  auto other = build_translated_article(src, job, texts, test::fixed_now());
  ASSERT_TRUE(other);
  EXPECT_NE(other.value().content_sha256(), a.value().content_sha256());
}

TEST(TranslatedArticle, StaleJobIsRefused) {
  Article src = test::sample_article();
  const auto job = job_for(src);
  src.set_headline("更正后的标题");
  src.set_content_sha256(contract::content_sha256(src));
  auto r = build_translated_article(src, job, tagged(job), test::fixed_now());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), errc::stale_source);
  EXPECT_FALSE(r.error().retriable());
}

TEST(TranslatedArticle, MismatchedJobsAreRefused) {
  const Article src = test::sample_article();
  const auto job = job_for(src);

  auto texts = tagged(job);
  texts.pop_back();
  auto r = build_translated_article(src, job, texts, test::fixed_now());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), errc::invalid_job);

  Article other = src;
  other.set_id("cjrb-20240130-01-04");
  r = build_translated_article(other, job, tagged(job), test::fixed_now());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), errc::invalid_job);

  auto bad = job;
  bad.mutable_segments(2)->set_path("block/9");
  r = build_translated_article(src, bad, tagged(bad), test::fixed_now());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), errc::invalid_job);
  EXPECT_NE(r.error().message().find("block/9"), std::string::npos);

  bad = job;
  bad.mutable_segments(2)->set_path("contributors/0");
  EXPECT_EQ(build_translated_article(src, bad, tagged(bad), test::fixed_now()).error(), errc::invalid_job);

  bad = job;
  bad.mutable_segments(2)->set_path("block/1");  // repeated
  EXPECT_EQ(build_translated_article(src, bad, tagged(bad), test::fixed_now()).error(), errc::invalid_job);

  bad = job;
  bad.mutable_segments(1)->set_text("别的标题");  // not the article's text at that path
  EXPECT_EQ(build_translated_article(src, bad, tagged(bad), test::fixed_now()).error(), errc::invalid_job);
}

TEST(TranslatedArticle, EndToEndWithOpenCC) {
  const Article src = test::sample_article();
  auto jobs = build_jobs(src, test::opencc_config(config::opencc_variant::s2twp), test::fixed_now());
  ASSERT_TRUE(jobs);
  const auto& job = jobs.value().at(0);
  auto engine = opencc_engine::open(config::opencc_variant::s2twp);
  ASSERT_TRUE(engine) << engine.error().message();
  auto texts = engine.value()->translate(job);
  ASSERT_TRUE(texts) << texts.error().message();
  auto r = build_translated_article(src, job, texts.value(), test::fixed_now());
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r.value().headline(), "昌吉州軟體企業推出國產滑鼠");
  EXPECT_EQ(r.value().id(), "cjrb-20240130-01-03.zh-Hant");
  EXPECT_EQ(r.value().content_sha256(), contract::content_sha256(r.value()));
}

// Issue 19, item 7: the zh-Hant edition is wholly zh-Hant: names, dateline and credits too.
TEST(TranslatedArticle, PrintedFieldsConvertedForTheZhHantEdition) {
  const auto src = test::sample_article();
  auto jobs = build_jobs(src, test::opencc_config(), test::fixed_now());
  ASSERT_TRUE(jobs);
  auto engine = opencc_engine::open(config::opencc_variant::s2t);
  ASSERT_TRUE(engine) << engine.error().message();
  auto texts = engine.value()->translate(jobs.value().front());
  ASSERT_TRUE(texts);
  auto out = build_translated_article(src, jobs.value().front(), texts.value(), test::fixed_now());
  ASSERT_TRUE(out);
  EXPECT_EQ(out.value().contributors(0).name(), "刘茜");  // the builder keeps them as printed
  const auto kept_hash = out.value().content_sha256();
  ASSERT_TRUE(convert_printed_fields(out.value(), *engine.value()));
  EXPECT_EQ(out.value().contributors(0).name(), "劉茜");
  EXPECT_EQ(out.value().dateline(), "本報訊");
  EXPECT_EQ(out.value().photos(0).credit(), "本報記者 楊鶴");
  EXPECT_EQ(out.value().photos(0).caption(), "工人在生產線上組裝鼠標");
  EXPECT_EQ(out.value().contributors(0).role(), src.contributors(0).role());
  EXPECT_NE(out.value().content_sha256(), kept_hash);
  EXPECT_EQ(out.value().content_sha256(), contract::content_sha256(out.value()));
}

// Issue 18, item 6: photos travel with the translation unchanged (the claim check: same blob,
// same type, size, dimensions, file name and position); only the caption is translated (and the
// credit converted for the zh-Hant edition), and a photo without an image keeps its caption's place.
TEST(TranslatedArticle, PhotosAreCarriedUnchangedWithCaptionsTranslated) {
  Article src = test::sample_article();
  ASSERT_EQ(src.photos_size(), 1);
  auto* p = src.mutable_photos(0);
  p->set_sha256(std::string(64, 'c'));
  p->set_media_type("image/jpeg");
  p->set_bytes(123456);
  p->set_width(1600);
  p->set_height(1067);
  p->set_source_name("p1-mouse.jpg");
  src.add_photos()->set_caption("只有图说，没有图片");  // caption only
  src.set_content_sha256(contract::content_sha256(src));
  auto jobs = build_jobs(src, test::opencc_config(), test::fixed_now());
  ASSERT_TRUE(jobs);
  auto engine = opencc_engine::open(config::opencc_variant::s2t);
  ASSERT_TRUE(engine) << engine.error().message();
  auto texts = engine.value()->translate(jobs.value().front());
  ASSERT_TRUE(texts);
  auto out = build_translated_article(src, jobs.value().front(), texts.value(), test::fixed_now());
  ASSERT_TRUE(out) << out.error().message();
  ASSERT_TRUE(convert_printed_fields(out.value(), *engine.value()));
  const Article& t = out.value();
  ASSERT_EQ(t.photos_size(), 2);
  for (int i = 0; i < 2; ++i) {
    const auto& a = src.photos(i);
    const auto& b = t.photos(i);
    EXPECT_EQ(b.sha256(), a.sha256());
    EXPECT_EQ(b.media_type(), a.media_type());
    EXPECT_EQ(b.bytes(), a.bytes());
    EXPECT_EQ(b.width(), a.width());
    EXPECT_EQ(b.height(), a.height());
    EXPECT_EQ(b.source_name(), a.source_name());
    EXPECT_EQ(b.after_block(), a.after_block());
  }
  EXPECT_EQ(t.photos(0).caption(), "工人在生產線上組裝鼠標");
  EXPECT_EQ(t.photos(0).credit(), "本報記者 楊鶴");
  EXPECT_EQ(t.photos(1).caption(), "只有圖說，沒有圖片");
  EXPECT_TRUE(t.photos(1).sha256().empty());
}

}  // namespace
}  // namespace syn::translation
