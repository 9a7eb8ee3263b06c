#pragma once
// Records for the archive tests: realistic Chinese articles and manifests built in code.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "syn/archive/store.hpp"
#include "syn/core/sha256.hpp"
#include "syndication/v1/article.pb.h"
#include "syndication/v1/issue.pb.h"

namespace syn::archive::test {

using syndication::v1::Article;
using syndication::v1::Block;
using syndication::v1::Contributor;
using syndication::v1::IssueManifest;

inline std::string random_suffix() {
  static std::mt19937_64 rng{std::random_device{}()};
  static constexpr char hex[] = "0123456789abcdef";
  std::string s;
  for (int i = 0; i < 10; ++i) s += hex[rng() % 16];
  return s;
}

/// A fresh directory under $TMPDIR, removed with its contents.
class temp_dir {
 public:
  temp_dir() : path_(std::filesystem::temp_directory_path() / ("syn-archive-test-" + random_suffix())) {
    std::filesystem::create_directories(path_);
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }
  [[nodiscard]] std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

/// What the splitter would hash: here simply the text fields (the archive only needs a
/// well-formed hash that changes when the content does).
inline std::string content_hash(const Article& a) {
  std::string s = a.headline() + "\n" + a.subheadline() + "\n" + a.kicker() + "\n" + a.language() + "\n";
  for (const auto& b : a.blocks()) s += b.text() + "\n";
  return sha256_hex(s);
}

inline void set_published(google::protobuf::Timestamp* ts, std::int64_t seconds) {
  ts->set_seconds(seconds);
  ts->set_nanos(0);
}

/// An article of issue `<paper>-<yyyymmdd>` with `paragraphs` as its blocks; hash computed.
inline Article article(const std::string& paper, const std::string& date, int page, int seq,
                       const std::string& headline, const std::vector<std::string>& paragraphs,
                       std::int64_t published_s = 0) {
  Article a;
  std::string ymd = date;
  ymd.erase(std::remove(ymd.begin(), ymd.end(), '-'), ymd.end());
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s-%s-%02d-%02d", paper.c_str(), ymd.c_str(), page, seq);
  a.set_id(buf);
  a.set_issue_id(paper + "-" + ymd);
  a.set_sequence(static_cast<unsigned>(seq));
  a.set_page(static_cast<unsigned>(page));
  a.set_headline(headline);
  a.set_paper(paper);
  a.set_issue_date(date);
  a.set_language("zh-Hans");
  auto* c = a.add_contributors();
  c->set_name("刘茜");
  c->set_role(Contributor::REPORTER);
  for (const auto& p : paragraphs) {
    auto* b = a.add_blocks();
    b->set_kind(Block::PARAGRAPH);
    b->set_text(p);
  }
  if (published_s != 0) set_published(a.mutable_published_at(), published_s);
  a.set_content_sha256(content_hash(a));
  return a;
}

/// `a` with its last paragraph replaced (a correction): new hash.
inline Article corrected(Article a, const std::string& last_paragraph, std::int64_t published_s = 0) {
  a.mutable_blocks(a.blocks_size() - 1)->set_text(last_paragraph);
  if (published_s != 0) set_published(a.mutable_published_at(), published_s);
  a.set_content_sha256(content_hash(a));
  return a;
}

/// The zh-Hant translation of `src`'s current content.
inline Article translation(const Article& src, const std::string& headline,
                           const std::vector<std::string>& paras) {
  Article t = src;
  t.set_id(src.id() + ".zh-Hant");
  t.set_language("zh-Hant");
  t.set_headline(headline);
  t.clear_blocks();
  for (const auto& p : paras) {
    auto* b = t.add_blocks();
    b->set_kind(Block::PARAGRAPH);
    b->set_text(p);
  }
  t.set_translation_of(src.id());
  t.set_translation_of_sha256(src.content_sha256());
  t.set_content_sha256(content_hash(t));
  return t;
}

inline IssueManifest manifest(const std::vector<const Article*>& articles, const std::string& raw,
                              std::int64_t published_s = 0) {
  IssueManifest m;
  const Article& first = *articles.front();
  m.set_issue_id(first.issue_id());
  m.mutable_paper()->set_code(first.paper());
  m.mutable_paper()->set_name("昌吉日报");
  m.set_issue_date(first.issue_date());
  m.set_weekday("星期二");
  m.set_lunar_date("癸卯年十二月二十");
  m.set_issue_number(11936);
  m.set_page_count(8);
  for (const auto* a : articles) {
    m.add_article_ids(a->id());
    m.add_article_hashes(a->content_sha256());
  }
  m.set_source_sha256(sha256_hex(raw));
  m.set_source_name("changji-daily-2024-01-30-p1.txt");
  m.set_splitter_version("test");
  if (published_s != 0) set_published(m.mutable_published_at(), published_s);
  return m;
}

/// Records for store::write.
inline std::vector<record> records(const std::vector<const Article*>& as, const IssueManifest* m = nullptr) {
  std::vector<record> out;
  for (const auto* a : as) out.emplace_back(a);
  if (m != nullptr) out.emplace_back(m);
  return out;
}

/// Five articles of one issue with the texts the search tests rely on.
struct sample_issue {
  std::string raw;
  Article a1, a2, a3, a4, a5;
  IssueManifest m;

  explicit sample_issue(std::int64_t published_s = 1706572800) {
    // BOM, CRLF, a NUL, a stray 0xff and GB18030 bytes (昌吉) that are not UTF-8: raw means raw.
    raw = std::string("\xef\xbb\xbf") +
          "中共昌吉回族自治州委员会主管主办 昌吉日报社出版\r\n2024年1月\r\n30\r\n" +
          "昌吉州:实施\"典范行动\"打造高质量发展先行区\r\n";
    raw += std::string("\0\xff\xb2\xfd\xbc\xaa\r\n", 8);
    a1 = article("cjrb", "2024-01-30", 1, 1, "昌吉州实施典范行动打造高质量发展先行区",
                 {"迈入新年，昌吉回族自治州聚焦高质量发展，一幅日新月异的璀璨图景在庭州大地次第展开。",
                  "自治区党委十届十次全会提出，以高质量发展新成效扎实推进中国式现代化新疆实践。",
                  "昌吉州坚持向新而生、创新驱动，牵牢新质生产力的牛鼻子，推进中国式现代化，奋力谱写中国式现代"
                  "化新篇章。"},
                 published_s);
    a2 = article(
        "cjrb", "2024-01-30", 1, 2, "新能源装备制造产业集群加速聚集",
        {"在位于玛纳斯县工业园区的新疆源一科创有限公司自动化生产车间，一条条薄如纸页的亮银色箔材缓缓传送。",
         "公司钢纸产品在国内市场占有率约48%，居全国首位。"},
        published_s);
    a3 = article("cjrb", "2024-01-30", 1, 3, "天山北麓冬季旅游持续升温",
                 {"天山北麓的独特风光吸引游客纷至沓来，冰雪旅游成为冬季消费新热点。",
                  "各景区推出多项惠民措施，以中国式现代化为引领推动文旅融合。"},
                 published_s);
    a4 = article("cjrb", "2024-01-30", 1, 4, "安全生产责任落实到位",
                 {"本报讯 全州开展安全生产大检查，推动安全发展。"}, published_s);
    a5 = article("cjrb", "2024-01-30", 1, 5, "简讯", {"昌吉市举办迎新春文艺汇演。"}, published_s);
    m = manifest({&a1, &a2, &a3, &a4, &a5}, raw, published_s);
  }

  [[nodiscard]] std::vector<record> batch() const { return records({&a1, &a2, &a3, &a4, &a5}, &m); }
};

}  // namespace syn::archive::test
