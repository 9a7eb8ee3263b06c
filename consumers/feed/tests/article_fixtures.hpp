#pragma once
// Articles for the feed's tests: synthetic ones and the splitter's expected output for the
// real 昌吉日报 page (tests/data/expected).

#include <google/protobuf/util/json_util.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "syndication/v1/article.pb.h"

namespace feedtest {

using syndication::v1::Article;
using syndication::v1::Block;
using syndication::v1::Contributor;

inline std::string two(unsigned n) { return (n < 10 ? "0" : "") + std::to_string(n); }

/// A plausible article: id `<paper>-20240130-<page>-<seq>`, a lead paragraph with sentences.
inline Article make_article(unsigned seq, unsigned page = 1, std::string paper = "cjrb") {
  Article a;
  a.set_paper(paper);
  a.set_issue_id(paper + "-20240130");
  a.set_issue_date("2024-01-30");
  a.set_page(page);
  a.set_sequence(seq);
  a.set_id(paper + "-20240130-" + two(page) + "-" + two(seq));
  a.set_language("zh-Hans");
  a.set_headline("第" + std::to_string(seq) + "篇：昌吉州推进高质量发展");
  auto* c = a.add_contributors();
  c->set_name("刘茜");
  c->set_role(Contributor::REPORTER);
  auto* b = a.add_blocks();
  b->set_kind(Block::PARAGRAPH);
  b->set_text("智能化工厂，机械手臂运转如飞。物流园区，集装箱满载货物奔赴各地！第" + std::to_string(seq) +
              "篇正文。");
  b = a.add_blocks();
  b->set_kind(Block::PARAGRAPH);
  b->set_text("自治区党委十届十次全会提出，以高质量发展新成效扎实推进中国式现代化新疆实践。");
  a.set_content_sha256("sha-" + a.id() + "-v1");
  return a;
}

/// The splitter's expected articles for tests/data/issues/changji-daily-2024-01-30-p1.txt.
inline std::vector<Article> changji_articles() {
  std::ifstream in(std::string(SYN_FEED_TEST_DATA) + "/expected/changji-daily-2024-01-30-p1.articles.json");
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string all = ss.str();
  std::vector<Article> out;
  // The file is a JSON array of Article objects: split it at top-level object boundaries.
  int depth = 0;
  bool in_string = false;
  std::size_t start = 0;
  for (std::size_t i = 0; i < all.size(); ++i) {
    const char c = all[i];
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (c == '"')
      in_string = true;
    else if (c == '{') {
      if (depth++ == 0) start = i;
    } else if (c == '}' && --depth == 0) {
      Article a;
      google::protobuf::util::JsonParseOptions o;
      o.ignore_unknown_fields = true;
      if (google::protobuf::util::JsonStringToMessage(all.substr(start, i - start + 1), &a, o).ok()) {
        if (a.content_sha256().empty()) a.set_content_sha256("sha-" + a.id());
        out.push_back(std::move(a));
      }
    }
  }
  return out;
}

}  // namespace feedtest
