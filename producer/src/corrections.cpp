#include "syn/producer/corrections.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <set>

#include "syn/contract/content_hash.hpp"
#include "syn/core/utf8.hpp"

namespace syn::producer {
namespace {

using syndication::v1::Article;
using syndication::v1::Contributor;

/// `field[i]`, or `field.key`.
std::string indexed(const std::string& field, std::size_t i) {
  std::string out = field;
  out.append("[").append(std::to_string(i)).append("]");
  return out;
}
std::string dotted(const std::string& field, std::string_view key) {
  std::string out = field;
  if (!out.empty()) out.push_back('.');
  out.append(key);
  return out;
}

std::string where(const std::string& source, std::uint32_t line, const std::string& field,
                  const std::string& message) {
  std::string out = source;
  if (line > 0) out.append(":").append(std::to_string(line));
  out.append(": ");
  if (!field.empty()) out.append(field).append(": ");
  out.append(message);
  return out;
}

/// Reads one correction file's nodes, each error naming the file, the line and the field.
class reader {
 public:
  explicit reader(const std::string& source) : source_(source) {}

  [[noreturn]] void fail(const YAML::Node& at, const std::string& field, const std::string& message) const {
    const int line = at.IsDefined() ? at.Mark().line : -1;
    throw correction_error(source_, line >= 0 ? static_cast<std::uint32_t>(line + 1) : 0, field, message);
  }

  /// Refuses keys of `map` not in `known`.
  void only(const YAML::Node& map, const std::string& field,
            std::initializer_list<std::string_view> known) const {
    if (!map.IsMap()) fail(map, field, "expected a mapping");
    for (const auto& kv : map) {
      const std::string key = kv.first.IsScalar() ? kv.first.Scalar() : std::string();
      if (std::find(known.begin(), known.end(), key) == known.end()) {
        std::string list;
        for (const auto k : known) list.append(list.empty() ? "" : ", ").append(k);
        fail(kv.first, dotted(field, key), "unknown key; expected one of " + list);
      }
    }
  }

  std::string text(const YAML::Node& n, const std::string& field, bool allow_empty = true) const {
    if (!n.IsScalar()) fail(n, field, "expected text");
    const std::string& s = n.Scalar();
    if (!utf8::valid(s)) fail(n, field, "not valid UTF-8");
    if (s.find_first_of(std::string_view("\n\r\0", 3)) != std::string::npos)
      fail(n, field, "expected one line of text");
    if (!allow_empty && s.empty()) fail(n, field, "expected non-empty text");
    return s;
  }

  std::int64_t integer(const YAML::Node& n, const std::string& field, std::int64_t lo,
                       std::int64_t hi) const {
    if (!n.IsScalar()) fail(n, field, "expected an integer");
    const std::string& s = n.Scalar();
    std::int64_t v = 0;
    const auto* end = s.data() + s.size();
    const auto [p, ec] = std::from_chars(s.data() + (s.starts_with('+') ? 1 : 0), end, v);
    if (ec != std::errc() || p != end || s.empty() || v < lo || v > hi) {
      fail(n, field,
           "expected an integer from " + std::to_string(lo) + " to " + std::to_string(hi) + ", got \"" + s +
               "\"");
    }
    return v;
  }

  article_ref article(const YAML::Node& n, const std::string& field) const {
    if (!n.IsDefined() || n.IsNull())
      fail(n, field, "missing: the article's number (as `split` prints it) or id");
    if (!n.IsScalar()) fail(n, field, "expected an article number or id");
    article_ref r;
    if (!n.Scalar().empty() &&
        std::all_of(n.Scalar().begin(), n.Scalar().end(), [](char c) { return c >= '0' && c <= '9'; })) {
      r.number = static_cast<std::uint32_t>(integer(n, field, 1, 9999));
    } else {
      r.id = text(n, field, false);
    }
    return r;
  }

  std::vector<corrected_person> byline(const YAML::Node& n, const std::string& field) const {
    if (!n.IsSequence()) fail(n, field, "expected a list of {name, role}");
    std::vector<corrected_person> out;
    std::size_t i = 0;
    for (const auto& p : n) {
      const std::string f = indexed(field, i++);
      only(p, f, {"name", "role"});
      corrected_person person;
      if (!p["name"]) fail(p, f + ".name", "missing");
      person.name = text(p["name"], f + ".name", false);
      if (p["role"]) person.role = role(p["role"], f + ".role");
      out.push_back(std::move(person));
    }
    return out;
  }

  Contributor::Role role(const YAML::Node& n, const std::string& field) const {
    static const std::map<std::string, Contributor::Role, std::less<>> roles{
        {"reporter", Contributor::REPORTER},
        {"correspondent", Contributor::CORRESPONDENT},
        {"photographer", Contributor::PHOTOGRAPHER},
        {"editor", Contributor::EDITOR},
        {"intern", Contributor::INTERN},
        {"other", Contributor::OTHER}};
    const std::string s = text(n, field);
    const auto it = roles.find(s);
    if (it == roles.end()) {
      fail(n, field,
           "unknown role \"" + s +
               "\"; expected reporter, correspondent, photographer, editor, intern or other");
    }
    return it->second;
  }

  set_fields set(const YAML::Node& n, const std::string& field) const {
    only(n, field, {"article", "kicker", "headline", "subheadline", "byline", "captions"});
    set_fields s;
    s.article = article(n["article"], field + ".article");
    if (n["kicker"]) s.kicker = text(n["kicker"], field + ".kicker");
    if (n["headline"]) s.headline = text(n["headline"], field + ".headline", false);
    if (n["subheadline"]) s.subheadline = text(n["subheadline"], field + ".subheadline");
    if (n["byline"]) s.byline = byline(n["byline"], field + ".byline");
    if (const auto c = n["captions"]) {
      if (!c.IsSequence()) fail(c, field + ".captions", "expected a list of {photo, caption, credit}");
      std::size_t i = 0;
      for (const auto& e : c) {
        const std::string f = indexed(dotted(field, "captions"), i++);
        only(e, f, {"photo", "caption", "credit"});
        corrected_caption cc;
        if (!e["photo"]) fail(e, f + ".photo", "missing: the photo's number in the article, from 1");
        cc.photo = static_cast<std::uint32_t>(integer(e["photo"], f + ".photo", 1, 999));
        if (e["caption"]) cc.caption = text(e["caption"], f + ".caption");
        if (e["credit"]) cc.credit = text(e["credit"], f + ".credit");
        s.captions.push_back(std::move(cc));
      }
    }
    if (!s.kicker && !s.headline && !s.subheadline && !s.byline && s.captions.empty())
      fail(n, field, "nothing to set: give kicker, headline, subheadline, byline or captions");
    return s;
  }

  correction one(const YAML::Node& n, const std::string& field) const {
    only(n, field, {"set", "merge", "split", "move_boundary", "drop"});
    if (n.size() != 1) fail(n, field, "expected exactly one of set, merge, split, move_boundary, drop");
    const auto kv = *n.begin();
    const std::string op = kv.first.Scalar();
    const YAML::Node& v = kv.second;
    const std::string f = field + "." + op;
    correction c;
    c.place = {static_cast<std::uint32_t>(std::max(0, kv.first.Mark().line) + 1), f};
    if (op == "set") {
      c.op = set(v, f);
    } else if (op == "merge") {
      if (!v.IsSequence() || v.size() != 2) fail(v, f, "expected two articles, [first, second]");
      c.op = merge_articles{article(v[0], f + "[0]"), article(v[1], f + "[1]")};
    } else if (op == "split") {
      only(v, f, {"article", "at_paragraph", "headline", "byline"});
      split_article s;
      s.article = article(v["article"], f + ".article");
      if (!v["at_paragraph"]) fail(v, f + ".at_paragraph", "missing: the first paragraph of the new article");
      s.at_paragraph = static_cast<std::uint32_t>(integer(v["at_paragraph"], f + ".at_paragraph", 2, 100000));
      if (v["headline"]) s.headline = text(v["headline"], f + ".headline", false);
      if (v["byline"]) s.byline = byline(v["byline"], f + ".byline");
      c.op = std::move(s);
    } else if (op == "move_boundary") {
      only(v, f, {"after", "paragraphs"});
      move_boundary m;
      m.after = article(v["after"], f + ".after");
      if (!v["paragraphs"])
        fail(v, f + ".paragraphs", "missing: how many paragraphs move (negative: backwards)");
      m.paragraphs = static_cast<std::int32_t>(integer(v["paragraphs"], f + ".paragraphs", -100000, 100000));
      if (m.paragraphs == 0) fail(v["paragraphs"], f + ".paragraphs", "0 moves nothing");
      c.op = m;
    } else {
      only(v, f, {"article", "paragraph", "text"});
      drop_line d;
      d.article = article(v["article"], f + ".article");
      if (v["paragraph"])
        d.paragraph = static_cast<std::uint32_t>(integer(v["paragraph"], f + ".paragraph", 1, 100000));
      if (v["text"]) d.text = text(v["text"], f + ".text", false);
      if ((d.paragraph == 0) == d.text.empty()) fail(v, f, "give either paragraph or text");
      c.op = std::move(d);
    }
    return c;
  }

 private:
  const std::string& source_;
};

// ---- applying ----

/// The article an operation names, as an index into `articles`.
std::size_t find_article(const std::vector<Article>& articles, const article_ref& ref,
                         const correction_set& set, const correction_place& place) {
  for (std::size_t i = 0; i < articles.size(); ++i) {
    const auto& a = articles[i];
    if (ref.id.empty() ? a.sequence() == ref.number : a.id() == ref.id) return i;
  }
  throw correction_error(set.source, place.line, place.field,
                         "no article " +
                             (ref.id.empty() ? std::to_string(ref.number) : "\"" + ref.id + "\"") +
                             " in issue " + set.issue_id);
}

void set_people(Article& a, const std::vector<corrected_person>& people) {
  a.clear_contributors();
  for (const auto& p : people) {
    auto* c = a.add_contributors();
    c->set_name(p.name);
    c->set_role(p.role);
  }
}

/// Moves blocks [from, from + n) of `src` to `dst` before its block `at`, with the photos that
/// sit among them (after_block strictly inside the moved range); every other photo keeps its
/// place in its own article's text.
void move_blocks(Article& src, int from, int n, Article& dst, int at) {
  std::vector<syndication::v1::Block> moved(src.blocks().begin() + from, src.blocks().begin() + from + n);
  src.mutable_blocks()->DeleteSubrange(from, n);
  const int dst_size = dst.blocks_size();
  auto* blocks = dst.mutable_blocks();
  std::vector<syndication::v1::Block> rest(blocks->begin() + at, blocks->end());
  blocks->DeleteSubrange(at, dst_size - at);
  for (auto& b : moved) *blocks->Add() = std::move(b);
  for (auto& b : rest) *blocks->Add() = std::move(b);
  google::protobuf::RepeatedPtrField<syndication::v1::Photo> keep;
  std::vector<syndication::v1::Photo> carried;
  for (auto& p : *src.mutable_photos()) {
    const auto ab = static_cast<int>(p.after_block());
    if (ab > from && ab < from + n) {
      p.set_after_block(static_cast<std::uint32_t>(ab - from + at));
      carried.push_back(p);
      continue;
    }
    if (ab >= from + n) p.set_after_block(static_cast<std::uint32_t>(ab - n));
    *keep.Add() = p;
  }
  src.mutable_photos()->Swap(&keep);
  for (auto& p : *dst.mutable_photos()) {
    const auto ab = static_cast<int>(p.after_block());
    // A photo before the insertion point's block stays with the text it was beside.
    if (ab > at || (ab == at && at < dst_size))
      p.set_after_block(p.after_block() + static_cast<std::uint32_t>(n));
  }
  for (auto& p : carried) *dst.add_photos() = std::move(p);
  std::stable_sort(dst.mutable_photos()->begin(), dst.mutable_photos()->end(),
                   [](const auto& a, const auto& b) { return a.after_block() < b.after_block(); });
}

/// Removes block `index` of `a`; photos after it move up one block.
void remove_block(Article& a, int index) {
  a.mutable_blocks()->DeleteSubrange(index, 1);
  for (auto& p : *a.mutable_photos()) {
    if (static_cast<int>(p.after_block()) > index) p.set_after_block(p.after_block() - 1);
  }
}

struct applier {
  const correction_set& set;
  std::vector<Article>& articles;
  std::set<std::string> touched;
  std::vector<std::string> removed;

  [[noreturn]] void fail(const correction_place& place, const std::string& message) const {
    throw correction_error(set.source, place.line, place.field, message);
  }

  void operator()(const correction& c, const set_fields& s) {
    auto& a = articles[find_article(articles, s.article, set, c.place)];
    if (s.kicker) a.set_kicker(*s.kicker);
    if (s.headline) a.set_headline(*s.headline);
    if (s.subheadline) a.set_subheadline(*s.subheadline);
    if (s.byline) set_people(a, *s.byline);
    for (const auto& cc : s.captions) {
      if (cc.photo > static_cast<std::uint32_t>(a.photos_size())) {
        fail(c.place, "article " + a.id() + " has " + std::to_string(a.photos_size()) +
                          " photo(s), no photo " + std::to_string(cc.photo));
      }
      auto& p = *a.mutable_photos(static_cast<int>(cc.photo - 1));
      if (cc.caption) p.set_caption(*cc.caption);
      if (cc.credit) p.set_credit(*cc.credit);
    }
    touched.insert(a.id());
  }

  void operator()(const correction& c, const merge_articles& m) {
    const std::size_t i = find_article(articles, m.first, set, c.place);
    const std::size_t j = find_article(articles, m.second, set, c.place);
    if (i == j) fail(c.place, "an article cannot be merged with itself");
    Article& a = articles[i];
    Article b = articles[j];
    const int at = a.blocks_size();
    for (auto p : b.photos()) {
      p.set_after_block(p.after_block() + static_cast<std::uint32_t>(at));
      *a.add_photos() = std::move(p);
    }
    for (const auto& bl : b.blocks()) *a.add_blocks() = bl;
    for (const auto& person : b.contributors()) {
      const bool known = std::any_of(a.contributors().begin(), a.contributors().end(), [&](const auto& x) {
        return x.name() == person.name() && x.role() == person.role();
      });
      if (!known) *a.add_contributors() = person;
    }
    if (a.continued_on_page() == 0) a.set_continued_on_page(b.continued_on_page());
    touched.insert(a.id());
    touched.erase(b.id());
    removed.push_back(b.id());
    articles.erase(articles.begin() + static_cast<std::ptrdiff_t>(j));
  }

  void operator()(const correction& c, const split_article& s) {
    const std::size_t i = find_article(articles, s.article, set, c.place);
    Article& a = articles[i];
    if (s.at_paragraph > static_cast<std::uint32_t>(a.blocks_size())) {
      fail(c.place, "article " + a.id() + " has " + std::to_string(a.blocks_size()) +
                        " paragraph(s); cannot split at " + std::to_string(s.at_paragraph));
    }
    Article fresh;
    fresh.set_issue_id(a.issue_id());
    fresh.set_page(a.page());
    fresh.set_language(a.language());
    fresh.set_paper(a.paper());
    fresh.set_issue_date(a.issue_date());
    const int from = static_cast<int>(s.at_paragraph) - 1;
    move_blocks(a, from, a.blocks_size() - from, fresh, 0);
    if (s.headline) {
      fresh.set_headline(*s.headline);
    } else if (fresh.blocks_size() > 1 && fresh.blocks(0).kind() == syndication::v1::Block::SUBHEAD) {
      fresh.set_headline(fresh.blocks(0).text());
      remove_block(fresh, 0);
    } else {
      fail(c.place, "paragraph " + std::to_string(s.at_paragraph) + " of " + a.id() +
                        " is not a sub-head: give the new article's headline");
    }
    if (s.byline) set_people(fresh, *s.byline);
    fresh.set_continued_on_page(a.continued_on_page());
    a.set_continued_on_page(0);
    std::uint32_t next = 0;
    for (const auto& x : articles) next = std::max(next, x.sequence());
    const std::string prefix = a.id().substr(0, a.id().size() - std::min<std::size_t>(a.id().size(), 2));
    ++next;
    fresh.set_sequence(next);
    fresh.set_id(prefix + (next < 10 ? "0" : "") + std::to_string(next));
    touched.insert(a.id());
    touched.insert(fresh.id());
    articles.insert(articles.begin() + static_cast<std::ptrdiff_t>(i) + 1, std::move(fresh));
  }

  void operator()(const correction& c, const move_boundary& m) {
    const std::size_t i = find_article(articles, m.after, set, c.place);
    if (i + 1 >= articles.size())
      fail(c.place, "article " + articles[i].id() + " is the last: no boundary after it");
    Article& a = articles[i];
    Article& b = articles[i + 1];
    const int n = m.paragraphs > 0 ? m.paragraphs : -m.paragraphs;
    Article& from = m.paragraphs > 0 ? a : b;
    if (n > from.blocks_size()) {
      fail(c.place, "article " + from.id() + " has " + std::to_string(from.blocks_size()) +
                        " paragraph(s); cannot move " + std::to_string(n));
    }
    if (m.paragraphs > 0) {
      move_blocks(a, a.blocks_size() - n, n, b, 0);
    } else {
      move_blocks(b, 0, n, a, a.blocks_size());
    }
    touched.insert(a.id());
    touched.insert(b.id());
  }

  void operator()(const correction& c, const drop_line& d) {
    Article& a = articles[find_article(articles, d.article, set, c.place)];
    int index = -1;
    if (d.paragraph > 0) {
      if (d.paragraph > static_cast<std::uint32_t>(a.blocks_size())) {
        fail(c.place, "article " + a.id() + " has " + std::to_string(a.blocks_size()) +
                          " paragraph(s), no paragraph " + std::to_string(d.paragraph));
      }
      index = static_cast<int>(d.paragraph) - 1;
    } else {
      for (int k = 0; k < a.blocks_size() && index < 0; ++k) {
        std::string& t = *a.mutable_blocks(k)->mutable_text();
        const auto pos = t.find(d.text);
        if (pos == std::string::npos) continue;
        t.erase(pos, d.text.size());
        const auto first = t.find_first_not_of(' ');
        t = first == std::string::npos ? std::string() : t.substr(first, t.find_last_not_of(' ') - first + 1);
        if (!t.empty())
          index = -2;  // the line is gone, the block stays
        else
          index = k;
      }
      if (index == -1) fail(c.place, "no paragraph of " + a.id() + " contains \"" + d.text + "\"");
    }
    if (index >= 0) remove_block(a, index);
    touched.insert(a.id());
  }
};

}  // namespace

correction_error::correction_error(std::string source, std::uint32_t line, std::string field,
                                   const std::string& message)
    : std::runtime_error(where(source, line, field, message)),
      source_(std::move(source)),
      line_(line),
      field_(std::move(field)),
      message_(message) {}

correction_set parse_corrections(std::string_view yaml, const std::string& source) {
  if (yaml.size() > max_corrections_bytes) {
    throw correction_error(
        source, 0, "",
        std::to_string(yaml.size()) + " bytes, over the limit of " + std::to_string(max_corrections_bytes));
  }
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    throw correction_error(source, e.mark.line >= 0 ? static_cast<std::uint32_t>(e.mark.line + 1) : 0, "",
                           "not valid YAML: " + e.msg);
  }
  const reader r(source);
  correction_set out;
  out.source = source;
  out.text = std::string(yaml);
  try {
    if (!root.IsMap()) r.fail(root, "", "expected a mapping with `issue` and `corrections`");
    r.only(root, "", {"issue", "corrections"});
    if (!root["issue"]) r.fail(root, "issue", "missing: the id of the issue these corrections are for");
    out.issue_id = r.text(root["issue"], "issue", false);
    const auto list = root["corrections"];
    if (!list) r.fail(root, "corrections", "missing: the list of corrections");
    if (!list.IsSequence()) r.fail(list, "corrections", "expected a list");
    std::size_t i = 0;
    for (const auto& item : list) out.corrections.push_back(r.one(item, indexed("corrections", i++)));
  } catch (const YAML::Exception& e) {  // a conversion the checks above did not foresee
    throw correction_error(source, e.mark.line >= 0 ? static_cast<std::uint32_t>(e.mark.line + 1) : 0, "",
                           e.msg);
  }
  return out;
}

correction_set read_correction_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw correction_error(path, 0, "", std::string("cannot open: ") + std::strerror(errno));
  std::string text(max_corrections_bytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  return parse_corrections(text, path);
}

correction_report apply_corrections(const correction_set& set, split_result& issue) {
  if (set.issue_id != issue.manifest.issue_id()) {
    throw correction_error(set.source, 0, "issue",
                           "the file is for issue " + set.issue_id + ", not " + issue.manifest.issue_id());
  }
  std::vector<Article> articles = issue.articles;  // all or nothing: work on a copy
  applier apply{set, articles, {}, {}};
  for (const auto& c : set.corrections) {
    std::visit([&](const auto& op) { apply(c, op); }, c.op);
  }
  correction_report report;
  std::map<std::string, std::string> before;
  for (const auto& a : issue.articles) before[a.id()] = a.content_sha256();
  issue.manifest.clear_article_ids();
  issue.manifest.clear_article_hashes();
  // The issue's own doubts (masthead) are kept: its confidence over its lowest article's.
  float old_lowest = 1.0F;
  for (const auto& a : issue.articles) old_lowest = std::min(old_lowest, a.confidence());
  const float issue_factor =
      old_lowest > 0.0F ? std::min(1.0F, issue.manifest.confidence() / old_lowest) : 1.0F;
  float lowest = 1.0F;
  for (auto& a : articles) {
    if (a.blocks_size() == 0 && a.photos_size() == 0 && a.headline().empty()) {
      throw correction_error(set.source, 0, "corrections", "article " + a.id() + " is left empty");
    }
    a.set_content_sha256(contract::content_sha256(a));
    if (apply.touched.contains(a.id())) a.set_confidence(1.0F);
    lowest = std::min(lowest, a.confidence());
    const auto it = before.find(a.id());
    if (it == before.end() || it->second != a.content_sha256()) report.changed.push_back(a.id());
    issue.manifest.add_article_ids(a.id());
    issue.manifest.add_article_hashes(a.content_sha256());
  }
  issue.manifest.set_confidence(std::round(lowest * issue_factor * 100.0F) / 100.0F);
  issue.articles = std::move(articles);
  report.removed = std::move(apply.removed);
  return report;
}

}  // namespace syn::producer
