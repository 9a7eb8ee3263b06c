// The sequence labeller (producer/tests/labeller.hpp): features, learning from labelled chunks,
// Viterbi decoding with margins.
#include "labeller.hpp"

#include <gtest/gtest.h>

#include "split/decode.hpp"
#include "split/masthead.hpp"

namespace d = syn::producer::detail;

namespace {

std::vector<d::chunk> chunks_of(const std::string& page) {
  const auto input = d::decode_input(page, "t.txt");
  auto chunks = d::make_chunks(input.lines);
  (void)d::read_masthead(chunks, input.lines, {}, "t.txt");
  d::classify_chunks(chunks);
  return chunks;
}

const std::string two_article_page =
    "北疆日报　2024年3月12日　星期二\n\n"
    "城东绿地今春开工\n"
    "□ 本报记者 王明\n"
    "　　城东三处绿地去年列入计划,至今仍是空地。附近居民多次询问进展,有关部门表示今春开工。\n"
    "　　设计方案已经公示,计划种植乔木两千株,年底前完成。\n"
    "（记者 李华）\n";

std::vector<d::chunk_label> truth_of(const std::vector<d::chunk>& chunks) {
  std::vector<d::chunk_label> labels;
  for (const auto& c : chunks) {
    d::chunk_label l = d::observed_label(c);
    if (c.kind == d::chunk_kind::text) l = c.length < 12 ? d::chunk_label::title : d::chunk_label::body;
    labels.push_back(l);
  }
  return labels;
}

TEST(Labeller, FeaturesOfATitleAndAParagraph) {
  const auto chunks = chunks_of(two_article_page);
  std::size_t title = chunks.size();
  std::size_t body = chunks.size();
  for (std::size_t i = 0; i < chunks.size(); ++i) {
    if (chunks[i].kind != d::chunk_kind::text) continue;
    if (title == chunks.size()) {
      title = i;
    } else if (body == chunks.size()) {
      body = i;
    }
  }
  ASSERT_LT(body, chunks.size());
  const auto t = d::features_of(chunks, title);
  const auto b = d::features_of(chunks, body);
  EXPECT_EQ(t[1], 6);  // ends in a word
  EXPECT_EQ(b[1], 0);  // ends a sentence
  EXPECT_EQ(t[5], 1);  // a byline follows the title
  EXPECT_EQ(b[4], 1);  // the paragraph follows the byline
  EXPECT_LT(t[0], b[0]);
}

TEST(Labeller, LearntCountsLabelThePageTheyCameFrom) {
  const auto chunks = chunks_of(two_article_page);
  const auto truth = truth_of(chunks);
  d::label_counts counts;
  counts.add_page(chunks, truth);
  const d::use_counts weights(counts);
  const auto got = d::label_chunks(chunks);
  ASSERT_EQ(got.labels.size(), chunks.size());
  for (std::size_t i = 0; i < chunks.size(); ++i) {
    if (chunks[i].dropped || chunks[i].kind == d::chunk_kind::masthead) continue;
    EXPECT_EQ(got.labels[i], truth[i]) << i << ": " << chunks[i].raw;
    if (chunks[i].kind == d::chunk_kind::text) {
      EXPECT_GT(got.margins[i], 0.0F);
    } else {
      EXPECT_EQ(got.margins[i], 0.0F);  // observed, nothing to choose
    }
  }
}

TEST(Labeller, TheTableIsWhatTheCountsSay) {
  d::label_counts counts;
  counts.trans[3][2] = 7;
  counts.emit[0][1][6] = 42;
  const std::string table = counts.to_table();
  EXPECT_NE(table.find("committed_emit[7][8][8]"), std::string::npos);
  EXPECT_NE(table.find("{0, 0, 7, 0, 0, 0, 0}"), std::string::npos) << table;
  EXPECT_NE(table.find("0, 0, 0, 0, 0, 0, 42, 0"), std::string::npos) << table;
}

TEST(Labeller, AnEmptyPageHasNoLabels) {
  const std::vector<d::chunk> none;
  const auto got = d::label_chunks(none);
  EXPECT_TRUE(got.labels.empty());
}

}  // namespace
