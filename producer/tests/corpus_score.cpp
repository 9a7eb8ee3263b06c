#include "corpus_score.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <stdexcept>
#include <utility>

#include "split/decode.hpp"
#include "split/lexicon.hpp"
#include "split/masthead.hpp"
#include "split/repair.hpp"

namespace syn::producer::corpus {

namespace {

using nlohmann::json;
using syndication::v1::Article;
using syndication::v1::Block;
using syndication::v1::Contributor;

/// Decodes one UTF-8 code point at `i` (input is valid UTF-8: it came out of the splitter or a
/// JSON parser).
char32_t next(std::string_view s, std::size_t& i) {
  const auto b = static_cast<unsigned char>(s[i]);
  int n = b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
  if (i + static_cast<std::size_t>(n) > s.size()) n = 1;
  char32_t c = n == 1 ? b : (b & (0xFFU >> (n + 1)));
  for (int k = 1; k < n; ++k) c = (c << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3FU);
  i += static_cast<std::size_t>(n);
  return c;
}

void put(std::string& out, char32_t c) {
  if (c < 0x80) {
    out.push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (c >> 6)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (c >> 12)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (c >> 18)));
    out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

bool is_space(char32_t c) {
  return c == U' ' || c == U'\t' || c == U'\n' || c == U'\r' || c == U'\u3000' || c == 0xA0;
}

bool ends_sentence(char32_t c) { return c == U'。' || c == U'！' || c == U'？' || c == U'!' || c == U'?'; }
bool closes(char32_t c) {
  return c == U'”' || c == U'’' || c == U'」' || c == U'』' || c == U'）' || c == U')' || c == U'"' ||
         c == U'\'';
}

/// Sentences of `text`, each with its closing quotes.
std::vector<std::string> sentences(std::string_view text) {
  std::vector<std::string> out;
  std::string cur;
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t at = i;
    const char32_t c = next(text, i);
    cur.append(text.substr(at, i - at));
    if (!ends_sentence(c)) continue;
    while (i < text.size()) {
      std::size_t k = i;
      const char32_t d = next(text, k);
      if (!closes(d) && !ends_sentence(d)) break;
      cur.append(text.substr(i, k - i));
      i = k;
    }
    out.push_back(std::move(cur));
    cur.clear();
  }
  if (!normalise(cur).empty()) out.push_back(std::move(cur));
  return out;
}

/// Character-bigram Dice similarity of two normalised strings.
double dice(std::string_view a, std::string_view b) {
  auto bigrams = [](std::string_view s) {
    std::vector<char32_t> cps;
    for (std::size_t i = 0; i < s.size();) cps.push_back(next(s, i));
    std::multiset<std::pair<char32_t, char32_t>> out;
    for (std::size_t i = 0; i + 1 < cps.size(); ++i) out.insert({cps[i], cps[i + 1]});
    return out;
  };
  const auto x = bigrams(a);
  auto y = bigrams(b);
  if (x.empty() || y.empty()) return a == b ? 1.0 : 0.0;
  std::size_t common = 0;
  for (const auto& g : x) {
    if (auto it = y.find(g); it != y.end()) {
      ++common;
      y.erase(it);
    }
  }
  return 2.0 * static_cast<double>(common) / static_cast<double>(x.size() + bigrams(b).size());
}

std::string str(const json& j, const char* key) {
  const auto it = j.find(key);
  return it == j.end() || !it->is_string() ? std::string() : it->get<std::string>();
}
long num(const json& j, const char* key) {
  const auto it = j.find(key);
  return it == j.end() || !it->is_number_integer() ? 0L : it->get<long>();
}
bool flag(const json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_boolean() && it->get<bool>();
}

bool is_body(Block::Kind k) { return k == Block::PARAGRAPH || k == Block::LIST_ITEM || k == Block::QUOTE; }

std::string role_name(Contributor::Role r) { return Contributor::Role_Name(r); }

/// What the scorer compares, for a truth article or a split one.
struct view {
  std::string kicker, headline, subheadline, dateline;
  bool lead = false;
  std::set<std::pair<std::string, std::string>> people;
  long paragraphs = 0;
  std::string first, last;
  std::multiset<std::pair<std::string, std::string>> photos;
  std::vector<std::string> subheads;
  long from = 0, on = 0;
};

view of_truth(const json& a) {
  view v;
  v.kicker = normalise(str(a, "kicker"));
  v.headline = normalise(str(a, "headline"));
  v.subheadline = normalise(str(a, "subheadline"));
  v.dateline = normalise(str(a, "dateline"));
  v.lead = flag(a, "datelineLead");
  if (auto it = a.find("contributors"); it != a.end()) {
    for (const auto& c : *it) v.people.insert({normalise(str(c, "name")), str(c, "role")});
  }
  v.paragraphs = num(a, "paragraphs");
  v.first = normalise(str(a, "first"));
  v.last = normalise(str(a, "last"));
  if (auto it = a.find("photos"); it != a.end()) {
    for (const auto& p : *it) v.photos.insert({normalise(str(p, "caption")), normalise(str(p, "credit"))});
  }
  if (auto it = a.find("subheads"); it != a.end()) {
    for (const auto& s : *it) v.subheads.push_back(normalise(s.get<std::string>()));
  }
  v.from = num(a, "continuedFromPage");
  v.on = num(a, "continuedOnPage");
  return v;
}

view of_article(const Article& a) {
  view v;
  v.kicker = normalise(a.kicker());
  v.headline = normalise(a.headline());
  v.subheadline = normalise(a.subheadline());
  v.dateline = normalise(a.dateline());
  v.lead = a.dateline_lead();
  for (const auto& c : a.contributors()) v.people.insert({normalise(c.name()), role_name(c.role())});
  const Block* first = nullptr;
  const Block* last = nullptr;
  for (const auto& b : a.blocks()) {
    if (is_body(b.kind())) {
      ++v.paragraphs;
      if (first == nullptr) first = &b;
      last = &b;
    } else if (b.kind() == Block::SUBHEAD) {
      v.subheads.push_back(normalise(b.text()));
    }
  }
  if (first != nullptr) v.first = normalise(first_sentence(first->text()));
  if (last != nullptr) v.last = normalise(last_sentence(last->text()));
  for (const auto& p : a.photos()) v.photos.insert({normalise(p.caption()), normalise(p.credit())});
  v.from = a.continued_from_page();
  v.on = a.continued_on_page();
  return v;
}

/// Does split article `p` stand for truth article `t`? By headline first; an article whose
/// headline went wrong is still found when its first sentence is the truth's.
bool matches(const view& t, const view& p) {
  if (!t.headline.empty()) {
    if (p.headline == t.headline) return true;
    const std::string all = p.kicker + p.headline + p.subheadline;
    if (t.headline.size() >= 6 && all.find(t.headline) != std::string::npos) return true;
    if (p.headline.size() >= 6 &&
        (t.kicker + t.headline + t.subheadline).find(p.headline) != std::string::npos &&
        dice(p.headline, t.headline) >= 0.5) {
      return true;
    }
    if (dice(p.headline, t.headline) >= 0.7) return true;
  }
  return t.paragraphs > 0 && !t.first.empty() && p.first == t.first;
}

std::string clip(std::string_view s) {
  std::string out;
  std::size_t i = 0;
  for (int n = 0; i < s.size() && n < 24; ++n) next(s, i);
  out = std::string(s.substr(0, i));
  if (i < s.size()) out += "…";
  return out;
}

}  // namespace

std::string normalise(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    char32_t c = next(s, i);
    if (is_space(c)) continue;
    if (c >= 0xFF01 && c <= 0xFF5E) c -= 0xFEE0;
    put(out, c);
  }
  return out;
}

std::string first_sentence(std::string_view text) {
  auto s = sentences(text);
  return s.empty() ? std::string() : s.front();
}

std::string last_sentence(std::string_view text) {
  auto s = sentences(text);
  return s.empty() ? std::string() : s.back();
}

tally score::all_fields() const {
  tally t;
  for (const auto& [name, f] : fields) t += f;
  return t;
}

score& score::operator+=(const score& o) {
  truth_articles += o.truth_articles;
  predicted_articles += o.predicted_articles;
  matched += o.matched;
  refused += o.refused;
  for (const auto& [name, f] : o.fields) fields[name] += f;
  notes.insert(notes.end(), o.notes.begin(), o.notes.end());
  return *this;
}

score score_page(const std::string& truth_json, const split_result* result, const std::string& error) {
  const json truth = json::parse(truth_json);
  score s;
  const json& m = truth.at("masthead");
  const auto& manifest = result != nullptr ? result->manifest : syndication::v1::IssueManifest();
  s.fields["paper"].add(result != nullptr &&
                        normalise(manifest.paper().name()) == normalise(str(m, "paper")));
  s.fields["date"].add(result != nullptr && manifest.issue_date() == str(m, "date"));
  if (const long page = num(m, "page"); page > 0) {
    const bool right = manifest.pages_size() > 0 && manifest.pages(0) == static_cast<std::uint32_t>(page);
    s.fields["page"].add(right);
    if (result != nullptr && !right) {
      s.notes.push_back("masthead page: got " + (manifest.pages_size() > 0 ? std::to_string(manifest.pages(0))
                                                                           : std::string("none")));
    }
  }
  if (const long issue = num(m, "issueNumber"); issue > 0) {
    s.fields["issue_number"].add(manifest.issue_number() == static_cast<std::uint32_t>(issue));
  }
  if (result == nullptr) {
    s.refused = 1;
    s.notes.push_back("refused: " + error);
  } else {
    if (normalise(manifest.paper().name()) != normalise(str(m, "paper"))) {
      s.notes.push_back("masthead paper: got '" + manifest.paper().name() + "'");
    }
    if (manifest.issue_date() != str(m, "date"))
      s.notes.push_back("masthead date: got '" + manifest.issue_date() + "'");
  }

  std::vector<view> predicted;
  if (result != nullptr) {
    for (const auto& a : result->articles) predicted.push_back(of_article(a));
  }
  s.predicted_articles = predicted.size();
  std::vector<bool> used(predicted.size(), false);
  for (const auto& ta : truth.at("articles")) {
    ++s.truth_articles;
    const view t = of_truth(ta);
    std::size_t hit = predicted.size();
    for (std::size_t i = 0; i < predicted.size() && hit == predicted.size(); ++i) {
      if (!used[i] && matches(t, predicted[i])) hit = i;
    }
    if (hit == predicted.size()) {
      for (std::string_view f : article_fields) s.fields[std::string(f)].add(false);
      s.notes.push_back("missed: " + clip(str(ta, "headline")));
      continue;
    }
    used[hit] = true;
    ++s.matched;
    const view& p = predicted[hit];
    auto field = [&](std::string_view name, bool ok, const std::string& got) {
      s.fields[std::string(name)].add(ok);
      if (!ok)
        s.notes.push_back(std::string(name) + " of '" + clip(str(ta, "headline")) + "': got '" + clip(got) +
                          "'");
    };
    field("kicker", p.kicker == t.kicker, p.kicker);
    field("headline", p.headline == t.headline, p.headline);
    field("subheadline", p.subheadline == t.subheadline, p.subheadline);
    std::string people;
    for (const auto& [n, r] : p.people) people += n + "/" + r + " ";
    field("contributors", p.people == t.people, people);
    field("dateline", p.dateline == t.dateline && p.lead == t.lead, p.dateline + (p.lead ? " (lead)" : ""));
    field("paragraphs", p.paragraphs == t.paragraphs, std::to_string(p.paragraphs));
    field("first", p.first == t.first, p.first);
    field("last", p.last == t.last, p.last);
    std::string photos;
    for (const auto& [c, cr] : p.photos) photos += clip(c) + "|" + cr + " ";
    field("photos", p.photos == t.photos, photos);
    std::string subheads;
    for (const auto& h : p.subheads) subheads += h + " ";
    field("subheads", p.subheads == t.subheads, subheads);
    field("jumps", p.from == t.from && p.on == t.on, std::to_string(p.from) + "/" + std::to_string(p.on));
  }
  for (std::size_t i = 0; i < predicted.size(); ++i) {
    if (!used[i])
      s.notes.push_back("spurious: " +
                        clip(predicted[i].headline.empty() ? predicted[i].first : predicted[i].headline));
  }
  return s;
}

std::vector<page> find_pages(const std::string& dir) {
  namespace fs = std::filesystem;
  std::vector<page> out;
  for (const auto& paper : fs::directory_iterator(dir)) {
    if (!paper.is_directory()) continue;
    for (const auto& f : fs::directory_iterator(paper.path())) {
      const std::string file = f.path().filename().string();
      const std::string suffix = ".truth.json";
      if (file.size() <= suffix.size() ||
          file.compare(file.size() - suffix.size(), suffix.size(), suffix) != 0)
        continue;
      page p;
      p.paper = paper.path().filename().string();
      p.name = file.substr(0, file.size() - suffix.size());
      p.truth_path = f.path().string();
      p.input_path = (paper.path() / (p.name + ".txt")).string();
      out.push_back(std::move(p));
    }
  }
  std::sort(out.begin(), out.end(), [](const page& a, const page& b) {
    return std::tie(a.paper, a.name) < std::tie(b.paper, b.name);
  });
  return out;
}

namespace {
std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}
}  // namespace

score run_page(const page& p) {
  const std::string truth = slurp(p.truth_path);
  const std::string input = slurp(p.input_path);
  split_options o;
  o.source_name = p.paper + "/" + p.name + ".txt";
  o.paper_code = p.paper;
  try {
    const split_result r = split_issue(input, o);
    return score_page(truth, &r);
  } catch (const split_error& e) {
    return score_page(truth, nullptr, e.what());
  }
}

std::vector<detail::chunk_label> gold_labels(const std::vector<detail::chunk>& chunks,
                                             const std::string& truth_json) {
  using detail::chunk_label;
  const auto truth = nlohmann::json::parse(truth_json);
  std::vector<std::string> titles;
  std::set<std::string> subheads;
  for (const auto& a : truth.value("articles", nlohmann::json::array())) {
    for (const char* key : {"kicker", "headline", "subheadline"}) {
      const std::string t = normalise(a.value(key, std::string()));
      if (!t.empty()) titles.push_back(t);
    }
    for (const auto& h : a.value("subheads", nlohmann::json::array()))
      subheads.insert(normalise(h.get<std::string>()));
  }
  std::vector<chunk_label> labels(chunks.size(), chunk_label::other);
  for (std::size_t i = 0; i < chunks.size(); ++i) {
    const auto& c = chunks[i];
    labels[i] = detail::observed_label(c);
    if (c.kind != detail::chunk_kind::text) continue;
    std::string t = normalise(c.text);
    while (t.starts_with("—")) t.erase(0, std::string_view("—").size());
    labels[i] = chunk_label::body;
    if (subheads.count(t) != 0) {
      labels[i] = chunk_label::subhead;
      continue;
    }
    for (const auto& title : titles) {
      // Title lines printed as two chunks (a question sub-title over two lines) are parts of one.
      if (title == t || (t.size() >= 12 && title.find(t) != std::string::npos)) {
        labels[i] = chunk_label::title;
        break;
      }
    }
  }
  return labels;
}

namespace {

/// A page chunked as the splitter chunks it, up to the assembler.
std::vector<detail::chunk> page_chunks(const page& p) {
  const std::string source = p.paper + "/" + p.name + ".txt";
  const auto input = detail::decode_input(slurp(p.input_path), source);
  auto chunks = detail::make_chunks(input.lines);
  (void)detail::read_masthead(chunks, input.lines, split_options{}.papers, source);
  detail::classify_chunks(chunks);
  detail::split_bare_credits(chunks);
  detail::pair_captions(chunks);
  std::vector<syndication::v1::SplitWarning> warnings;
  detail::drop_garbled(chunks, warnings);
  return chunks;
}

}  // namespace

tally labeller_accuracy(const std::vector<page>& pages, bool lopo, std::vector<std::string>* notes) {
  tally t;
  for (const auto& p : pages) {
    try {
      const std::string who = lopo ? p.paper : std::string();  // outlives the guard's view of it
      const detail::withhold_origin guard(who);
      const detail::use_counts weights(train_labeller(pages, who));
      const auto chunks = page_chunks(p);
      const auto gold = gold_labels(chunks, slurp(p.truth_path));
      const auto got = detail::label_chunks(chunks);
      for (std::size_t i = 0; i < chunks.size(); ++i) {
        if (chunks[i].dropped || chunks[i].kind != detail::chunk_kind::text) continue;
        t.add(got.labels[i] == gold[i]);
        if (notes != nullptr && got.labels[i] != gold[i]) {
          static constexpr const char* names[] = {"title",  "subhead", "body", "byline",
                                                  "closer", "photo",   "other"};
          char margin[32];
          std::snprintf(margin, sizeof margin, "%.1f", static_cast<double>(got.margins[i]));
          notes->push_back(p.paper + "/" + p.name + ": " + names[static_cast<int>(got.labels[i])] +
                           " (margin " + margin + ") for " + names[static_cast<int>(gold[i])] + ": " +
                           chunks[i].text.substr(0, 60));
        }
      }
    } catch (const split_error&) {
    }
  }
  return t;
}

detail::label_counts train_labeller(const std::vector<page>& pages, const std::string& withheld) {
  detail::label_counts counts;
  for (const auto& p : pages) {
    if (p.paper == withheld) continue;
    try {
      const auto chunks = page_chunks(p);
      counts.add_page(chunks, gold_labels(chunks, slurp(p.truth_path)));
    } catch (const split_error&) {
      // A page the splitter refuses teaches nothing here.
    }
  }
  return counts;
}

}  // namespace syn::producer::corpus
