#include "split/classify.hpp"

#include <algorithm>
#include <array>
#include <vector>

#include "split/lexicon.hpp"
#include "split/text.hpp"

namespace syn::producer::detail {

namespace {

using Contributor = syndication::v1::Contributor;

/// The role words grouped by their first character, each group in table order (longest first
/// where one is a prefix of another), so a lookup tries only the words that can match.
struct role_index {
  std::vector<std::pair<char32_t, std::vector<const role_word*>>> groups;
  role_index() {
    for (const auto& w : role_words()) {
      std::size_t k = 0;
      const char32_t c = next_cp(w.word, k);
      auto it = std::find_if(groups.begin(), groups.end(), [c](const auto& g) { return g.first == c; });
      if (it == groups.end()) {
        groups.push_back({c, {}});
        it = groups.end() - 1;
      }
      it->second.push_back(&w);
    }
  }
  [[nodiscard]] const std::vector<const role_word*>* find(char32_t c) const noexcept {
    for (const auto& g : groups) {
      if (g.first == c) return &g.second;
    }
    return nullptr;
  }
};

/// The role word at `s[i]` (spaces inside it tolerated), and where it ends. The words are the
/// data table `role_words()` (lexicon.cpp).
const role_word* role_at(std::string_view s, std::size_t i, std::size_t* end = nullptr) noexcept {
  static const role_index index;
  if (i >= s.size()) return nullptr;
  std::size_t k = i;
  const auto* group = index.find(next_cp(s, k));
  if (group == nullptr) return nullptr;
  for (const role_word* w : *group) {
    const std::size_t e = match_loose(s, i, w->word);
    if (e != std::string_view::npos && lexicon_active(w->origin)) {
      if (end != nullptr) *end = e;
      return w;
    }
  }
  return nullptr;
}

/// An outlet's name right before a role word at `s[i]` (`德州晚报全媒体记者`, `读创/深圳商报记者`,
/// `大众日报客户端记者`): where the role word starts, or npos. The name is a run of 2 to 16 Han
/// characters (one `/` allowed inside) ending in one of `outlet_suffixes()`.
std::size_t outlet_end(std::string_view s, std::size_t i) noexcept {
  static constexpr std::u32string_view suffix_ends = U"报社端网台心媒";
  std::size_t j = i;
  std::size_t n = 0;
  bool slash = false;
  while (j < s.size() && n < 16) {
    std::size_t k = j;
    const char32_t c = next_cp(s, k);
    if (c == U'/' || c == U'／') {
      if (slash || n == 0) return std::string_view::npos;
      slash = true;
      j = k;
      continue;
    }
    if (!is_han(c)) return std::string_view::npos;
    j = k;
    if (++n < 2 || suffix_ends.find(c) == std::u32string_view::npos || role_at(s, j) == nullptr) continue;
    if (ends_in_outlet(s.substr(i, j - i))) return j;
  }
  return std::string_view::npos;
}

bool is_name_char(char32_t c) noexcept {
  return is_han(c) || c == U'·' || c == U'•' || c == U'・' || c == U'▪';
}

bool is_list_separator(char32_t c) noexcept {
  return c == U'、' || c == U'，' || c == U',' || c == U'；' || c == U';' || c == U'/' || c == U'／' ||
         c == U'：' || c == U':';
}

bool is_marker(char32_t c) noexcept {
  for (const char32_t m : marker_chars()) {
    if (c == m) return true;
  }
  return false;
}

/// Rejoins one space-separated run of name pieces: single characters pair up (`杨 鹤`), a
/// lone single joins a short previous name (`毛著 魏`) or the next one.
std::vector<std::string> merge_names(std::vector<std::string>& pieces) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    const std::size_t len = visible_length(pieces[i]);
    if (len == 1 && i + 1 < pieces.size() && visible_length(pieces[i + 1]) == 1) {
      out.push_back(pieces[i] + pieces[i + 1]);
      ++i;
    } else if (len == 1 && !out.empty() && visible_length(out.back()) <= 2) {
      out.back() += pieces[i];
    } else if (len == 1 && i + 1 < pieces.size()) {
      pieces[i + 1] = pieces[i] + pieces[i + 1];
    } else {
      out.push_back(pieces[i]);
    }
  }
  pieces.clear();
  return out;
}

bool valid_name(std::string_view name) noexcept {
  const std::size_t len = visible_length(name);
  if (len < 2) return false;
  const bool dotted = name.find("·") != std::string_view::npos || name.find("•") != std::string_view::npos ||
                      name.find("・") != std::string_view::npos;
  return dotted ? len <= 20 : len <= 4;
}

bool is_bracket_open(char32_t c) noexcept { return c == U'（' || c == U'(' || c == U'【' || c == U'['; }
bool is_bracket_close(char32_t c) noexcept { return c == U'）' || c == U')' || c == U'】' || c == U']'; }

/// Removes one pair of enclosing brackets, if `s` is wholly enclosed.
std::string_view strip_brackets(std::string_view s) noexcept {
  s = trim(s);
  if (is_bracket_open(first_cp(s)) && is_bracket_close(last_cp(s))) {
    std::size_t b = 0;
    next_cp(s, b);
    std::size_t e = s.size();
    prev_cp(s, e);
    if (b <= e) return trim(s.substr(b, e - b));
  }
  return s;
}

/// A dateline naming an outlet at `raw[i]`: `羊城晚报讯`, `福州新闻网7月23日讯`, `中原网讯`: a Han run
/// of 2 to 10 characters ending in a paper's or outlet's name suffix, or in `网`, then up to 12
/// characters of place and date, then 讯 or 电 followed by a space, a bracket, a colon or the end.
/// Returns where it ends (npos if it is none); `own_paper` when the outlet is a paper.
std::size_t outlet_dateline(std::string_view raw, std::size_t i, bool& own_paper) noexcept {
  std::size_t j = i;
  std::size_t name_end = std::string_view::npos;
  bool paper = false;
  for (std::size_t n = 0; j < raw.size() && n < 10; ++n) {
    std::size_t k = j;
    const char32_t c = next_cp(raw, k);
    if (!is_han(c)) break;
    j = k;
    if (n < 1) continue;
    const std::string_view run = raw.substr(i, j - i);
    const bool is_paper = ends_in_paper_name(run);
    if (is_paper || ends_with(run, "网")) {
      name_end = j;
      paper = is_paper;
    }
  }
  if (name_end == std::string_view::npos) return std::string_view::npos;
  std::size_t k = name_end;
  for (std::size_t n = 0; k < raw.size() && n < 13; ++n) {
    std::size_t m = k;
    const char32_t c = next_cp(raw, m);
    if (c == U'讯' || c == U'电') {
      if (m < raw.size()) {
        std::size_t q = m;
        const char32_t after = next_cp(raw, q);
        if (!(is_space(after) || is_bracket_open(after) || is_bracket_close(after) || after == U'：' ||
              after == U':')) {
          return std::string_view::npos;
        }
      }
      own_paper = paper;
      return m;
    }
    if (!(is_han(c) || is_digit(c))) return std::string_view::npos;
    k = m;
  }
  return std::string_view::npos;
}

// ---------------------------------------------------------------- kickers, labels

constexpr std::size_t max_kicker = 30;

bool is_kicker_marker(char32_t c) noexcept {
  return c == U'»' || c == U'>' || c == U'》' || c == U'►' || c == U'▶' || c == U'▷' || c == U'➤' ||
         c == U'＞' || c == U'›' || c == U'≫';
}

/// The kicker text of a kicker line, if it is one.
std::optional<std::string_view> kicker_text(std::string_view line) noexcept {
  line = trim(line);
  std::size_t i = 0;
  bool arrow = false;
  while (i < line.size()) {
    std::size_t j = i;
    const char32_t c = next_cp(line, j);
    if (is_kicker_marker(c))
      arrow = true;
    else if (!(c == U'(' || c == U')' || c == U'（' || c == U'）' || is_space(c)))
      break;
    i = j;
  }
  std::string_view rest;
  // A lone `》` glued to the text is the end of a book title the column wrap cut off (`《钱江晚报` /
  // `》创刊时…`), not an arrow; the arrow is doubled (`》》`) or set off by a space.
  if (arrow && i == std::string_view("》").size() && starts_with(line, "》")) arrow = false;
  if (arrow) {
    rest = trim(line.substr(i));
  } else if (starts_with(line, "【") && ends_with(line, "】")) {
    rest = strip_brackets(line);
  } else {
    return std::nullopt;
  }
  const std::size_t len = visible_length(rest, max_kicker);
  if (len == 0 || len > max_kicker || rest.find("。") != std::string_view::npos) return std::nullopt;
  return rest;
}

bool is_editor_label(std::string_view line, std::string_view* rest = nullptr) noexcept {
  std::string_view s = strip_brackets(strip_marker(line));
  for (std::string_view label : editor_labels()) {
    if (!starts_with(s, label)) continue;
    std::string_view after = s.substr(label.size());
    // `【编者按】text`: the bracket closes after the label.
    if (starts_with(after, "】")) after.remove_prefix(std::string_view("】").size());
    if (starts_with(after, "]")) after.remove_prefix(1);
    after = trim(after);
    if (starts_with(after, "："))
      after.remove_prefix(std::string_view("：").size());
    else if (starts_with(after, ":"))
      after.remove_prefix(1);
    after = trim(after);
    if (rest != nullptr) *rest = after;
    return true;
  }
  return false;
}

bool is_briefs_label(std::string_view line) {
  if (visible_length(line, 16) > 16) return false;
  const std::string s = remove_spaces(strip_brackets(strip_marker(line)));
  const std::size_t len = visible_length(s);
  if (len < 2 || len > 8) return false;
  for (std::size_t i = 0; i < s.size();) {
    if (!is_han(next_cp(s, i))) return false;
  }
  for (std::string_view tail : briefs_labels()) {
    if (ends_with(s, tail)) return true;
  }
  return false;
}

// ---------------------------------------------------------------- jumps

/// Matches a jump marker starting at `s[at]` (after an optional bracket); returns its end.
std::optional<jump> match_jump(std::string_view s, std::size_t at) {
  jump j;
  j.begin = at;
  std::size_t i = at;
  auto take = [&](std::string_view w) {
    if (starts_with(s.substr(i), w)) {
      i += w.size();
      return true;
    }
    return false;
  };
  auto skip_spaces = [&] {
    while (i < s.size()) {
      std::size_t k = i;
      if (!is_space(next_cp(s, k))) break;
      i = k;
    }
  };
  bool bracket = false;
  {
    std::size_t k = i;
    if (i < s.size() && is_bracket_open(next_cp(s, k))) {
      i = k;
      bracket = true;
    }
  }
  skip_spaces();
  if (take("下转") || take("转至") || take("转")) {
    j.out = true;
  } else if (take("上接") || take("紧接") || take("接")) {
    j.out = false;
  } else {
    return std::nullopt;
  }
  skip_spaces();
  take("第");
  skip_spaces();
  if (i < s.size() && is_ascii_alpha(static_cast<unsigned char>(s[i]))) ++i;  // A2版
  const std::size_t num_begin = i;
  std::size_t count = 0;
  while (i < s.size() && count < 6) {
    std::size_t k = i;
    const char32_t c = next_cp(s, k);
    if (!(is_digit(c) || c == U'一' || c == U'二' || c == U'三' || c == U'四' || c == U'五' || c == U'六' ||
          c == U'七' || c == U'八' || c == U'九' || c == U'十' || c == U'〇' || c == U'零')) {
      break;
    }
    i = k;
    ++count;
  }
  const long page = parse_number(s.substr(num_begin, i - num_begin));
  if (page <= 0 || page > 999) return std::nullopt;
  skip_spaces();
  if (!take("版")) return std::nullopt;
  skip_spaces();
  if (bracket) {
    std::size_t k = i;
    if (i < s.size() && is_bracket_close(next_cp(s, k))) i = k;
  }
  j.page = static_cast<std::uint32_t>(page);
  j.end = i;
  return j;
}

/// A source credit on its own: `据新华社`, `（据人民网）`, `据《工人日报》`: `据` and an outlet's name.
bool is_source_credit(std::string_view line) {
  line = trim(line);
  const char32_t first = first_cp(line);
  if (first != U'据' && !is_bracket_open(first)) return false;  // every source credit opens with 据
  std::string_view s = strip_brackets(line);
  if (visible_length(s, 14) > 12) return false;
  for (const auto& e : source_credit_prefixes()) {
    if (s == e.word && lexicon_active(e.origin)) return true;
  }
  // The general form of the table's entries (base: 人民网, 央视新闻, 中新网; 齐鲁晚报 printed 据新华社):
  // `据` and any outlet's name.
  if (!starts_with(s, "据") || !lexicon_active("base qilu-wanbao")) return false;
  std::string name;
  for (std::size_t i = std::string_view("据").size(); i < s.size();) {
    const std::size_t at = i;
    const char32_t c = next_cp(s, i);
    if (c == U'《' || c == U'》' || is_space(c)) continue;
    if (!is_han(c)) return false;
    name.append(s.substr(at, i - at));
  }
  if (visible_length(name) < 2) return false;
  if (ends_in_outlet(name)) return true;
  return ends_with(name, "社") || ends_with(name, "网");
}

/// A byline glued to the start of a paragraph: `城市快报记者 张清 通讯员 焦轩 昨日是…`. Returns the
/// people and where the text starts; the text must start after a space and be a sentence, not
/// one more name.
std::optional<std::pair<std::vector<person>, std::size_t>> leading_byline(std::string_view raw) {
  if (!lexicon_active("chengshi-kuaibao")) return std::nullopt;
  if (role_at(raw, 0) == nullptr && outlet_end(raw, 0) == std::string_view::npos) return std::nullopt;
  std::optional<std::vector<person>> best;
  std::size_t best_end = 0;
  std::size_t i = 0;
  for (int n = 0; n < 12 && i < raw.size(); ++n) {
    while (i < raw.size()) {
      std::size_t k = i;
      if (!is_space(next_cp(raw, k))) break;
      i = k;
    }
    std::size_t e = i;
    std::size_t len = 0;
    bool punct = false;
    while (e < raw.size() && len <= 16) {
      std::size_t k = e;
      const char32_t c = next_cp(raw, k);
      if (is_space(c)) break;
      punct = punct || !(is_name_char(c) || c == U'/' || c == U'／');
      e = k;
      ++len;
    }
    if (punct || len > 16 || e == i) break;
    // A prefix ending in a role word (`城市快报记者`) names nobody yet: read on.
    if (auto people = parse_people(raw.substr(0, e), Contributor::REPORTER, true)) {
      best = std::move(people);
      best_end = e;
    } else if (role_at(raw, i) == nullptr && outlet_end(raw, i) == std::string_view::npos) {
      break;
    }
    i = e;
  }
  if (!best || best_end >= raw.size()) return std::nullopt;
  std::size_t k = best_end;
  if (!is_space(next_cp(raw, k))) return std::nullopt;
  if (visible_length(trim(raw.substr(best_end)), 9) < 8) return std::nullopt;
  return std::make_pair(std::move(*best), best_end);
}

/// `…共同上演水上速度与激情。周社根 顾秀文 毛晓华 摄影报道`: the names after the last sentence
/// end, before `摄影报道`, wrote and photographed; read on the raw text, where the spaces between
/// names are still there.
void take_trailing_report_credit(chunk& c) {
  const std::string_view s = c.raw;
  for (std::string_view tail : photo_credit_suffixes().first(2)) {
    if (!ends_with(s, tail)) continue;
    std::size_t b = s.size() - tail.size();
    for (int n = 0; n < 40 && b > 0; ++n) {
      std::size_t k = b;
      const char32_t ch = prev_cp(s, k);
      if (ends_sentence(ch) || ch == U'”') break;
      b = k;
    }
    if (b == 0) return;
    auto people = parse_people(s.substr(b, s.size() - tail.size() - b), Contributor::REPORTER, false);
    if (!people) return;
    for (auto& p : *people) {
      c.people.push_back({p.name, Contributor::REPORTER});
      c.people.push_back({p.name, Contributor::PHOTOGRAPHER});
    }
    c.raw = std::string(trim(s.substr(0, b)));
    c.text = normalise_body(c.raw, &c.length);
    return;
  }
}

/// Moves a byline glued to the start of a text chunk into its people.
void take_leading_byline(chunk& c) {
  if (auto b = leading_byline(c.raw)) {
    c.people = std::move(b->first);
    c.raw = std::string(trim(std::string_view(c.raw).substr(b->second)));
    c.text = normalise_body(c.raw, &c.length);
  }
}

// ---------------------------------------------------------------- chunking

bool is_indented(std::string_view line) noexcept {
  return starts_with(line, "  ") || starts_with(line, "\t") || starts_with(line, "\xE3\x80\x80");
}

constexpr std::size_t max_structural_line = 80;
/// Longest line of a stacked title.
constexpr std::size_t max_stacked_heading = 30;
/// Longest chunk that can be anything but text (a caption with its credit).
constexpr std::size_t max_short_chunk = 200;

/// `line` less an e-paper's publication stamp at its end, `《光明日报》( 2012年10月27日 06版)`: a paper's
/// name in `《》`, then in brackets its date or page. (光明日报 prints it after the author line.)
std::string_view without_stamp(std::string_view line) noexcept {
  line = trim(line);
  if (line.empty() || line.find("》") == std::string_view::npos || !lexicon_active("guangming-ribao"))
    return line;
  std::size_t e = line.size();
  if (!is_bracket_close(prev_cp(line, e))) return line;
  const std::size_t open = line.rfind("《");
  if (open == std::string_view::npos || open == 0) return line;
  const std::size_t close = line.find("》", open);
  if (close == std::string_view::npos) return line;
  const std::string_view name = line.substr(open + std::string_view("《").size(), close - open - 3);
  if (!ends_in_paper_name(name)) return line;
  std::size_t i = close + std::string_view("》").size();
  while (i < line.size() && line[i] == ' ') ++i;
  std::size_t k = i;
  if (k >= line.size() || !is_bracket_open(next_cp(line, k))) return line;
  const std::string_view inside = line.substr(k, e - k);
  if (inside.find("版") == std::string_view::npos && inside.find("年") == std::string_view::npos) return line;
  return trim(line.substr(0, open));
}

/// Lines that stand alone: never part of a wrapped paragraph, before or after.
bool is_standalone(std::string_view line) {
  line = trim(line);
  if (line.size() > 4 * max_structural_line ||
      visible_length(line, max_structural_line) > max_structural_line) {
    return false;
  }
  const std::string_view unmarked = strip_marker(line);
  bool marked = false;
  if (strip_marker(line, &marked).size() <= 4 * 20 && marked && visible_length(line, 20) <= 20 &&
      line.find("。") == std::string_view::npos && line.find("，") == std::string_view::npos) {
    return true;
  }
  return kicker_text(line) || is_editor_label(line) || is_briefs_label(line) || find_jump(line, true) ||
         is_furniture(line) || is_source_credit(line) || find_credit(line) ||
         parse_people(unmarked, Contributor::REPORTER, true) ||
         (without_stamp(line).size() != line.size() &&
          parse_people(strip_marker(without_stamp(line)), Contributor::REPORTER, true)) ||
         parse_people(strip_brackets(unmarked), Contributor::REPORTER, true);
}

/// Lines that start a new paragraph but may wrap onto the next: a `本报讯` lead, a marked line.
/// (A marked short line without sentence punctuation, `●链接`, is a sub-head: it stands alone.)
bool starts_paragraph(std::string_view line) {
  bool marked = false;
  const std::string_view unmarked = strip_marker(line, &marked);
  return marked || parse_dateline(unmarked).has_value();
}

}  // namespace

std::uint32_t page_label_at(std::string_view s, std::size_t i, std::size_t* end) noexcept {
  std::size_t k = i;
  bool di = false;
  if (starts_with(s.substr(k), "第")) {
    k += std::string_view("第").size();
    di = true;
  }
  // A section letter, also inside `第…版` (`第A08版`, `第B0012版`: zero-padded to four digits there).
  bool letter = false;
  if (k < s.size() && s[k] >= 'A' && s[k] <= 'Z') {
    ++k;
    letter = true;
  }
  long page = 0;
  std::size_t digits = 0;
  while (k < s.size() && digits < (di ? 4U : 3U)) {
    std::size_t m = k;
    const int d = digit_value(next_cp(s, m));
    if (d < 0) break;
    page = page * 10 + d;
    k = m;
    ++digits;
  }
  if (digits == 0 || page == 0 || (letter && !di && digits > 2)) return 0;
  const bool ban = starts_with(s.substr(k), "版");
  if (ban) k += std::string_view("版").size();
  if (di && !ban) return 0;
  if (!ban && !letter) return 0;  // `3` alone is a number, `第3` no label
  if (k < s.size()) {
    std::size_t m = k;
    const char32_t c = next_cp(s, m);
    if (!(is_space(c) || c == U'\n' || c == U':' || c == U'：' || (ban && is_han(c)))) return 0;
  }
  if (end != nullptr) *end = k;
  return static_cast<std::uint32_t>(page);
}

bool is_furniture(std::string_view line) {
  line = trim(line);
  if (line.empty()) return false;
  // Quick reject: furniture opens with a digit, a capital, 第, a bracket or a furniture word.
  static const std::u32string starts = [] {
    std::u32string out = U"第（(【[";
    for (const auto& w : furniture_words()) {
      std::size_t k = 0;
      const char32_t c = next_cp(w.word, k);
      if (out.find(c) == std::u32string::npos) out.push_back(c);
    }
    return out;
  }();
  const char32_t first = first_cp(line);
  if (!(is_digit(first) || (first >= U'A' && first <= U'Z') || starts.find(first) != std::u32string::npos)) {
    return false;
  }
  if (visible_length(line, 40) > 40) return false;
  // A stray page number: one to three digits alone.
  {
    std::size_t i = 0;
    std::size_t digits = 0;
    while (i < line.size() && is_digit(next_cp(line, i))) ++digits;
    if (i == line.size() && digits > 0 && digits <= 3) return true;
  }
  // A page label alone or with a section name: `A03`, `04版`, `第3版:要闻·综合`.
  std::size_t end = 0;
  if (page_label_at(line, 0, &end) != 0) {
    std::string_view rest = trim(line.substr(end));
    if (starts_with(rest, ":")) rest = trim(rest.substr(1));
    if (starts_with(rest, "：")) rest = trim(rest.substr(std::string_view("：").size()));
    if (visible_length(rest, 12) <= 10 && rest.find("。") == std::string_view::npos) return true;
  }
  // An editor's or proofreader's credit: `责任编辑：X`, `（审读:X Y）`, `本版编辑/X`.
  const std::string_view inner = strip_brackets(line);
  for (const auto& w : furniture_words()) {
    if (!starts_with(inner, w.word) || !lexicon_active(w.origin)) continue;
    std::string_view rest = trim(inner.substr(w.word.size()));
    const char32_t c = first_cp(rest);
    if (c == U':' || c == U'：' || c == U'/' || c == U'／') return true;
  }
  return false;
}

std::string_view strip_marker(std::string_view s, bool* had_marker) noexcept {
  s = trim(s);
  bool had = false;
  while (!s.empty()) {
    std::size_t i = 0;
    if (!is_marker(next_cp(s, i))) break;
    had = true;
    s = trim(s.substr(i));
  }
  if (had_marker != nullptr) *had_marker = had;
  return s;
}

namespace {

/// Gives the people from `from` on each of `extra` roles too.
void add_roles(std::vector<person>& out, std::size_t from, const std::vector<role_t>& extra) {
  const std::size_t end = out.size();
  for (std::size_t g = from; g < end; ++g) {
    for (const role_t r : extra) out.push_back({out[g].name, r});
  }
}

/// Roles are distinct per name: identical pairs once (`文/图 本报记者 X` lists X once each).
std::vector<person> distinct(std::vector<person> out) {
  std::vector<person> unique;
  for (auto& p : out) {
    bool seen = false;
    for (const auto& q : unique) seen = seen || q == p;
    if (!seen) unique.push_back(std::move(p));
  }
  return unique;
}

}  // namespace

std::optional<std::vector<person>> parse_people(std::string_view s, role_t default_role, bool require_role,
                                                std::string* printed) {
  std::vector<person> out;
  std::vector<std::string> pieces;
  std::vector<role_t> roles{default_role};
  bool names_since_role = true;
  bool had_role = false;
  bool outlet_before_role = false;
  bool labelled = false;  // the last role word was followed by a colon
  std::string print;
  std::size_t group_start = 0;  // where the names of the last group start in `out`
  auto flush = [&] {
    if (!pieces.empty()) group_start = out.size();
    for (auto& name : merge_names(pieces)) {
      if (!valid_name(name)) return false;
      for (const role_t r : roles) out.push_back({name, r});
      print += ' ';
      print += name;
      names_since_role = true;
    }
    return true;
  };
  s = trim(s);
  if (s.empty() || s.size() > 4 * max_structural_line ||
      visible_length(s, max_structural_line) > max_structural_line) {
    return std::nullopt;
  }
  std::size_t i = 0;
  while (i < s.size()) {
    std::size_t k = i;
    const char32_t c = next_cp(s, k);
    if (is_space(c)) {
      i = k;
      continue;
    }
    std::size_t word_end = 0;
    if (const role_word* w = role_at(s, i, &word_end)) {
      if (!flush()) return std::nullopt;
      // `文/图 本报记者 X`: the second role word adds to the first instead of replacing it; after a
      // role labelled with a colon (`摄影:本报记者 X`, `本版文字:本报记者 Y`) the second is the
      // person's title, not what they did.
      if (!names_since_role && had_role) {
        if (!labelled) {
          roles.push_back(w->primary);
          if (w->also_photographer) roles.push_back(Contributor::PHOTOGRAPHER);
        }
      } else {
        roles.assign(1, w->primary);
        if (w->also_photographer) roles.push_back(Contributor::PHOTOGRAPHER);
      }
      std::size_t after = word_end;
      while (after < s.size() && s[after] == ' ') ++after;
      labelled = starts_with(s.substr(after), ":") || starts_with(s.substr(after), "：");
      had_role = true;
      names_since_role = false;
      if (!print.empty() && !outlet_before_role) print += ' ';
      outlet_before_role = false;
      std::string_view word = w->word;
      while (!word.empty() && (word.back() == '/' || ends_with(word, "／"))) {
        word.remove_suffix(word.back() == '/' ? 1 : std::string_view("／").size());
      }
      print += word;
      i = word_end;
      continue;
    }
    // The reporter's outlet before the role word: kept in the printed credit, not a name.
    if (const std::size_t e = outlet_end(s, i); e != std::string_view::npos) {
      if (!flush()) return std::nullopt;
      if (!print.empty()) print += ' ';
      print += remove_spaces(s.substr(i, e - i));
      outlet_before_role = true;
      i = e;
      continue;
    }
    // `报道` closes the names of a credit: `（记者 X 通讯员 Y 报道 策划 Z）`.
    if (had_role && lexicon_active("dazhong-ribao")) {
      if (const std::size_t e = match_loose(s, i, "报道"); e != std::string_view::npos) {
        if (!flush()) return std::nullopt;
        i = e;
        continue;
      }
    }
    // A byline starts with its role: `本报讯 记者X` is not a list of names.
    if (require_role && !had_role) return std::nullopt;
    if (is_list_separator(c)) {
      if (!flush()) return std::nullopt;
      i = k;
      continue;
    }
    if (!is_name_char(c)) return std::nullopt;
    // A name piece: name characters up to a space, separator or role word.
    std::size_t end = i;
    std::size_t length = 0;
    while (end < s.size()) {
      std::size_t m = end;
      const char32_t d = next_cp(s, m);
      if (!is_name_char(d) || (end > i && role_at(s, end) != nullptr)) break;
      if (++length > 20) return std::nullopt;  // no name is that long: a sentence
      end = m;
    }
    pieces.emplace_back(s.substr(i, end - i));
    i = end;
  }
  if (!flush()) return std::nullopt;
  if (out.empty() || (require_role && !had_role)) return std::nullopt;
  // A role word after the names (`记者 陈木易 文/摄`): what they did, added to the names before it.
  if (!names_since_role) add_roles(out, group_start, roles);
  if (printed != nullptr) *printed = std::string(trim(print));
  return distinct(std::move(out));
}

namespace {

/// Where a news agency's name (`news_agencies()`) at `raw[i]` ends, spaces inside tolerated; npos.
std::size_t agency_at(std::string_view raw, std::size_t i) noexcept {
  for (std::string_view a : news_agencies()) {
    if (const std::size_t e = match_loose(raw, i, a); e != std::string_view::npos) return e;
  }
  return std::string_view::npos;
}

}  // namespace

std::optional<dateline> parse_dateline(std::string_view raw) {
  raw = trim(raw);
  dateline d;
  std::size_t i = 0;
  // `【新华社重庆十四日电】`: the dateline in brackets.
  std::size_t open = 0;
  for (std::string_view b : {"【", "["}) {
    if (starts_with(raw, b) && lexicon_active("renmin-ribao")) open = b.size();
  }
  // The place/date part between the agency and 讯/电: Han, digits, spaces; bounded.
  auto scan_to = [&](std::size_t from, std::size_t limit) -> std::size_t {
    std::size_t k = from;
    std::size_t n = 0;
    while (k < raw.size() && n < limit) {
      std::size_t m = k;
      const char32_t c = next_cp(raw, m);
      if (c == U'讯' || c == U'电') return m;
      if (!(is_han(c) || is_digit(c) || is_space(c))) return std::string::npos;
      k = m;
      ++n;
    }
    return std::string::npos;
  };
  if (const std::size_t e = match_loose(raw, 0, "本报讯"); e != std::string_view::npos) {
    i = e;
    d.own_paper = true;
  } else if (const std::size_t b = match_loose(raw, 0, "本报"); b != std::string_view::npos) {
    i = scan_to(b, 12);
    if (i == std::string::npos) return std::nullopt;
    const std::string_view middle = raw.substr(0, i);
    if (middle.find("记者") != std::string_view::npos || middle.find("通讯员") != std::string_view::npos) {
      return std::nullopt;
    }
    d.own_paper = true;
  } else if (const std::size_t x = agency_at(raw, open); x != std::string_view::npos) {
    i = scan_to(x, 20);
    if (i == std::string::npos) return std::nullopt;
  } else if (const std::size_t o = outlet_dateline(raw, open, d.own_paper); o != std::string_view::npos) {
    i = o;
  } else {
    return std::nullopt;
  }
  // 讯/电 closes the dateline: a word goes on after it only in running text (`…电子版`).
  if (i < raw.size() && open == 0) {
    std::size_t k = i;
    const char32_t after = next_cp(raw, k);
    if (is_han(after) && !d.own_paper) return std::nullopt;
  }
  d.text = remove_spaces(raw.substr(open, i - open));
  if (open != 0) {
    std::size_t k = i;
    if (i < raw.size() && is_bracket_close(next_cp(raw, k)))
      i = k;
    else
      return std::nullopt;
  }
  auto skip_spaces = [&] {
    while (i < raw.size()) {
      std::size_t k = i;
      if (!is_space(next_cp(raw, k))) break;
      i = k;
    }
  };
  skip_spaces();
  std::size_t k = i;
  if (i < raw.size() && is_bracket_open(next_cp(raw, k))) {
    // `（记者 X 通讯员 Y）`
    std::size_t close = k;
    std::size_t n = 0;
    while (close < raw.size() && n < 60) {
      std::size_t m = close;
      if (is_bracket_close(next_cp(raw, m))) break;
      close = m;
      ++n;
    }
    if (close < raw.size()) {
      if (auto people = parse_people(raw.substr(k, close - k), Contributor::REPORTER, false)) {
        d.people = std::move(*people);
        i = close;
        next_cp(raw, i);
      }
    }
  } else {
    // `记者杨鹤、通讯员毛著 魏报道:`
    std::size_t n = 0;
    for (std::size_t at = i; at < raw.size() && n < 48; ++n) {
      const std::size_t e = match_loose(raw, at, "报道");
      if (e != std::string_view::npos) {
        if (auto people = parse_people(raw.substr(i, at - i), Contributor::REPORTER, true)) {
          d.people = std::move(*people);
          i = e;
        }
        break;
      }
      next_cp(raw, at);
    }
  }
  skip_spaces();
  if (starts_with(raw.substr(i), "："))
    i += std::string_view("：").size();
  else if (starts_with(raw.substr(i), ":"))
    ++i;
  skip_spaces();
  d.consumed = i;
  return d;
}

std::optional<jump> find_jump(std::string_view s, bool whole) {
  s = strip_marker(s);
  // Every jump marker starts with a bracket or 上/下/紧/接/转 and ends with 版 or a bracket.
  static constexpr std::u32string_view heads = U"(（[【上下紧接转";
  static constexpr std::u32string_view tails = U")）]】版";
  const bool head = heads.find(first_cp(s)) != std::u32string_view::npos;
  const bool tail = tails.find(last_cp(s)) != std::u32string_view::npos;
  if (whole ? !(head && tail) : !(head || tail)) return std::nullopt;
  if (whole) {
    auto j = match_jump(s, 0);
    if (j && trim(s.substr(j->end)).empty()) return j;
    return std::nullopt;
  }
  // 上接 at the head of a paragraph.
  if (auto j = head ? match_jump(s, 0) : std::nullopt; j && !j->out) return j;
  if (!tail) return std::nullopt;
  // 下转 at the tail: look at the last few brackets only.
  const std::size_t from = s.size() > 48 ? s.size() - 48 : 0;
  for (std::size_t i = from; i < s.size(); ++i) {
    const auto b = static_cast<unsigned char>(s[i]);
    if ((b & 0xC0U) == 0x80U) continue;  // not a code point start
    if (s[i] != '(' && !starts_with(s.substr(i), "（") && !starts_with(s.substr(i), "下转")) continue;
    if (auto j = match_jump(s, i); j && j->out && trim(s.substr(j->end)).empty()) return j;
  }
  return std::nullopt;
}

namespace {

/// The prefix forms of a photo credit: the whole chunk (`图/本报记者 杨鹤`, `摄影：杨鹤`) or after
/// the caption on the same line (`…进行了深入采访。 摄影/记者 袁永红`).
std::optional<credit_split> prefix_credit(std::string_view s) {
  std::string_view unmarked = strip_marker(s);
  for (std::string_view p : photo_credit_prefixes()) {
    if (starts_with(unmarked, p) && visible_length(unmarked, 30) <= 30) {
      credit_split c;
      if (auto people =
              parse_people(unmarked.substr(p.size()), Contributor::PHOTOGRAPHER, false, &c.credit)) {
        for (auto& q : *people) c.people.push_back({q.name, Contributor::PHOTOGRAPHER});
        return c;
      }
    }
  }
  // A prefix form after the caption on the same line: `…进行了深入采访。 摄影/记者 袁永红`.
  if (lexicon_active("beifang-xinbao") && s.find('/') != std::string_view::npos) {
    std::size_t from = s.size();
    for (int n = 0; n < 40 && from > 0; ++n) prev_cp(s, from);
    for (std::string_view p : photo_credit_prefixes().first(2)) {
      const std::size_t at = s.find(p, from);
      if (at == std::string_view::npos || at == 0) continue;
      std::size_t k = at;
      const char32_t before = prev_cp(s, k);
      if (!(is_space(before) || ends_sentence(before))) continue;
      credit_split c;
      if (auto people = parse_people(s.substr(at + p.size()), Contributor::PHOTOGRAPHER, false, &c.credit)) {
        for (auto& q : *people) c.people.push_back({q.name, Contributor::PHOTOGRAPHER});
        c.caption = std::string(trim(s.substr(0, at)));
        return c;
      }
    }
  }
  return std::nullopt;
}

/// A credit without role word before `摄`: a bare name after a space, a marker, a bracket or at
/// the start (`杨 鹤摄`). Returns where it starts (npos if there is none) and fills `people`.
std::size_t bare_credit_start(std::string_view s, std::vector<person>& people, std::string& printed) {
  // No role word: a bare name after a space, a marker, a bracket or at the start.
  std::size_t b = s.size();
  while (b > 0) {
    std::size_t k = b;
    const char32_t c = prev_cp(s, k);
    if (!is_name_char(c)) break;
    b = k;
  }
  // `杨 鹤摄`: a one-character piece before a space joins the name.
  std::size_t before = b;
  while (before > 0) {
    std::size_t k = before;
    if (!is_space(prev_cp(s, k))) break;
    before = k;
  }
  if (before < b && visible_length(s.substr(b)) == 1) {
    std::size_t k = before;
    const char32_t c = prev_cp(s, k);
    std::size_t k2 = k;
    const char32_t c2 = k > 0 ? prev_cp(s, k2) : 0;
    if (is_name_char(c) && !is_name_char(c2)) b = k;
  }
  const std::string_view name = s.substr(b);
  if (b > 0) {
    std::size_t k = b;
    const char32_t c = prev_cp(s, k);
    if (!(is_space(c) || is_marker(c) || is_bracket_open(c))) return std::string_view::npos;
  }
  auto p = parse_people(name, Contributor::PHOTOGRAPHER, false, &printed);
  if (!p || p->size() != 1) return std::string_view::npos;
  people = std::move(*p);
  return b;
}

}  // namespace

std::optional<credit_split> find_credit(std::string_view raw) {
  std::string_view s = trim(raw);
  if (s.empty() || s.size() > 600) return std::nullopt;
  if (auto c = prefix_credit(s)) return c;
  // `… 本报记者 X 摄影报道`: photographed and written by. On its own line a credit; after a long
  // text, the closing credit of a report (see take_trailing_attribution), not a caption.
  bool reported = false;
  for (std::string_view tail : photo_credit_suffixes().first(2)) {
    if (ends_with(s, tail)) {
      s.remove_suffix(tail.size());
      reported = true;
      break;
    }
  }
  // Suffix forms: `... 本报记者 杨鹤摄`, `...（记者 X 摄）`.
  bool bracketed = false;
  if (!reported && is_bracket_close(last_cp(s))) {
    std::size_t e = s.size();
    prev_cp(s, e);
    s = trim(s.substr(0, e));
    bracketed = true;
  }
  if (!reported) {
    bool cut = false;
    for (std::string_view tail : photo_credit_suffixes().subspan(2)) {
      if (!ends_with(s, tail)) continue;
      s.remove_suffix(tail.size());
      cut = true;
      break;
    }
    if (!cut) return std::nullopt;
  }
  s = trim(s);
  while (ends_with(s, "/")) s = trim(s.substr(0, s.size() - 1));
  if (s.empty()) return std::nullopt;

  // Candidate starts: role words in the last 60 code points; the earliest that parses wins.
  std::size_t from = s.size();
  for (int n = 0; n < 60 && from > 0; ++n) prev_cp(s, from);
  std::size_t start = std::string_view::npos;
  std::vector<person> people;
  std::string printed;
  for (std::size_t i = from; i < s.size();) {
    if (role_at(s, i) != nullptr || outlet_end(s, i) != std::string_view::npos) {
      if (auto p = parse_people(s.substr(i), Contributor::PHOTOGRAPHER, false, &printed)) {
        start = i;
        people = std::move(*p);
        break;
      }
    }
    next_cp(s, i);
  }
  if (start == std::string_view::npos) {
    start = bare_credit_start(s, people, printed);
    if (start == std::string_view::npos) return std::nullopt;
  }
  credit_split c;
  c.credit = printed;
  for (auto& q : people) {
    if (reported) c.people.push_back({q.name, Contributor::REPORTER});
    c.people.push_back({q.name, Contributor::PHOTOGRAPHER});
  }
  std::string_view caption = trim(s.substr(0, start));
  // Drop the marker or bracket that introduced the credit.
  while (!caption.empty()) {
    std::size_t e = caption.size();
    const char32_t ch = prev_cp(caption, e);
    if (!(is_marker(ch) || (bracketed && is_bracket_open(ch)))) break;
    caption = trim(caption.substr(0, e));
  }
  // A long text before `摄影报道` is a report with its closing credit, not a caption.
  if (reported && visible_length(caption, 61) > 60) return std::nullopt;
  c.caption = std::string(caption);
  return c;
}

namespace {

/// Letters of a line, spaces not counted, up to 128.
std::size_t letters(std::string_view line) noexcept {
  std::size_t n = 0;
  for (std::size_t i = 0; i < line.size() && n < 128;) {
    if (!is_space(next_cp(line, i))) ++n;
  }
  return n;
}

/// Does the line end a sentence (`。`, `！`, `？`, possibly inside closing quotes)?
bool ends_with_sentence(std::string_view line) noexcept {
  line = trim(line);
  std::size_t e = line.size();
  for (int n = 0; n < 3 && e > 0; ++n) {
    const char32_t c = prev_cp(line, e);
    if (ends_sentence(c)) return true;
    if (!(c == U'”' || c == U'’' || c == U'」' || c == U'』' || c == U'"' || c == U'）' || c == U')'))
      return false;
  }
  return false;
}

/// The column width of a page extracted one visual line per line: the most common length of
/// lines of 4 to 64 letters, when it is at least 12 and common enough (at least 3 lines and 30%
/// of them) to be a column rather than chance. 0 when the page has no such column.
std::size_t column_width(const std::vector<std::size_t>& line_letters) {
  std::array<std::size_t, 65> count{};
  std::size_t total = 0;
  for (const std::size_t n : line_letters) {
    if (n >= 4 && n <= 64) {
      ++count[n];
      ++total;
    }
  }
  std::size_t best = 0;
  for (std::size_t n = 4; n <= 64; ++n) {
    if (count[n] > count[best]) best = n;
  }
  return best >= 12 && count[best] >= 3 && count[best] * 10 >= total * 3 ? best : 0;
}

/// Does the line end with a photo or report credit (`… 记者 X 摄`, `… 摄影报道`)?
bool ends_with_credit(std::string_view line) noexcept {
  line = trim(line);
  for (std::string_view tail : photo_credit_suffixes()) {
    if (ends_with(line, tail)) return true;
  }
  return false;
}

/// Is every line of 30 letters or more (and there is one) a whole paragraph, ending a sentence
/// or a credit?
/// Then the page was extracted one paragraph per line.
bool lines_are_paragraphs(const std::vector<source_line>& lines,
                          const std::vector<std::size_t>& line_letters) {
  std::size_t long_lines = 0;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const auto& l = lines[i];
    if (line_letters[i] < 30) continue;
    if (!ends_with_sentence(l.text) && !ends_with_credit(l.text)) return false;
    ++long_lines;
  }
  return long_lines > 0;
}

}  // namespace

std::size_t byline_tail(std::string_view raw, std::vector<person>* people) {
  if (!lexicon_active("issue jinghua-shibao")) return std::string_view::npos;
  constexpr int max_tail = 30;  // code points: role words, an outlet and a few names
  std::size_t b = raw.size();
  for (int n = 0; n < max_tail && b > 0; ++n) {
    std::size_t k = b;
    const char32_t c = prev_cp(raw, k);
    if (ends_sentence(c)) break;
    b = k;
  }
  if (b == 0 || b == raw.size()) return std::string_view::npos;
  std::size_t k = b;
  if (!ends_sentence(prev_cp(raw, k))) return std::string_view::npos;
  std::size_t at = b;
  while (at < raw.size()) {
    std::size_t m = at;
    if (!is_space(next_cp(raw, m))) break;
    at = m;
  }
  if (role_at(raw, at) == nullptr && outlet_end(raw, at) == std::string_view::npos)
    return std::string_view::npos;
  auto p = parse_people(raw.substr(at), Contributor::REPORTER, true);
  if (!p) return std::string_view::npos;
  // A photographer's credit after a caption (`…采访。 摄影/记者 X`) is a photo credit, not a byline.
  for (const auto& q : *p) {
    if (q.role == Contributor::PHOTOGRAPHER) return std::string_view::npos;
  }
  if (people != nullptr) *people = std::move(*p);
  return b;
}

std::size_t bare_credit_tail(std::string_view raw, std::vector<person>* people) {
  if (!lexicon_active("yangcheng-wanbao anhui-shangbao")) return std::string_view::npos;
  constexpr int max_names = 3;
  std::size_t e = raw.size();
  std::vector<person> found;
  for (int n = 0; n < max_names; ++n) {
    std::size_t b = e;
    std::size_t len = 0;
    while (b > 0 && len <= 3) {
      std::size_t k = b;
      if (!is_han(prev_cp(raw, k))) break;
      b = k;
      ++len;
    }
    if (len < 2 || len > 3) return std::string_view::npos;
    const std::string_view name = raw.substr(b, e - b);
    if (common_surnames().find(first_cp(name)) == std::u32string_view::npos) return std::string_view::npos;
    found.push_back({std::string(name), Contributor::REPORTER});
    std::size_t gap = b;
    while (gap > 0) {
      std::size_t k = gap;
      if (!is_space(prev_cp(raw, k))) break;
      gap = k;
    }
    if (gap == b || gap == 0) return std::string_view::npos;  // names need a space before them
    std::size_t k = gap;
    if (ends_sentence(prev_cp(raw, k))) {
      if (people != nullptr) people->assign(found.rbegin(), found.rend());
      return gap;
    }
    e = gap;
  }
  return std::string_view::npos;
}

std::vector<chunk> make_chunks(const std::vector<source_line>& lines) {
  std::vector<chunk> out;
  bool open = false;
  bool prev_structural = false;
  // In a column of wrapped lines with no blank line or indentation between paragraphs, a line
  // that ends a sentence well short of the column width is the last line of its paragraph.
  std::vector<std::size_t> line_letters;
  line_letters.reserve(lines.size());
  for (const auto& l : lines) line_letters.push_back(letters(l.text));
  const std::size_t width = column_width(line_letters);
  const bool whole_paragraphs = width == 0 && lines_are_paragraphs(lines, line_letters);
  bool prev_short_end = false;
  std::size_t stack_letters = 0;  // the longest line of the title stack being read
  // The lines of the chunk being built, while they could all be heading lines.
  std::vector<const source_line*> stack;
  auto heading_line = [](std::string_view line) {
    // Tags and script are not words (see is_heading); most lines have none and are not copied.
    std::string plain;
    std::string_view t = line;
    if (has_markup(line)) t = plain = without_markup(line);
    if (visible_length(t, max_stacked_heading) > max_stacked_heading) return false;
    for (std::size_t i = 0; i < t.size();) {
      const char32_t c = next_cp(t, i);
      if (c == U'。' || c == U'，' || c == U',' || c == U'；' || c == U';') return false;
    }
    return true;
  };
  // A closing credit at the end of a line (`…各自国家。 张丹`, `…有时间。本报记者夏命群`) ends its
  // paragraph when a title line (or nothing) follows: the next article's headline.
  auto closing_credit = [](std::string_view line) {
    return bare_credit_tail(line, nullptr) != std::string_view::npos ||
           byline_tail(line, nullptr) != std::string_view::npos;
  };
  auto next_is_title = [&](std::size_t li) {
    if (li + 1 >= lines.size()) return true;
    const std::string_view next = trim(lines[li + 1].text);
    return next.empty() || heading_line(next);
  };
  // A run of two or three short lines without sentence punctuation is a stacked title (kicker,
  // headline, sub-headline printed on consecutive lines), not one wrapped paragraph.
  auto unstack = [&] {
    if (stack.size() < 2 || stack.size() > 3) return;
    out.pop_back();
    for (const source_line* l : stack) {
      out.push_back({});
      out.back().line = l->number;
      out.back().raw = std::string(trim(l->text));
    }
  };
  for (std::size_t li = 0; li < lines.size(); ++li) {
    const auto& line = lines[li];
    const std::string_view t = trim(line.text);
    if (t.empty()) {
      unstack();
      stack.clear();
      open = false;
      prev_short_end = false;
      continue;
    }
    const bool standalone = is_standalone(t);
    const std::size_t n = line_letters[li];
    // (In a column, a line of exactly the column's width is text, not a title line; a title may be
    // wider than the column.)
    const bool column_line = width != 0 && n + 1 >= width && n <= width + 1;
    const bool heading_like = !standalone && heading_line(t) && !column_line;
    // Title lines directly above their text, no blank line between. In a column, a full-width
    // line after title lines of less than half the width starts the text; on a page whose long
    // lines are whole paragraphs, so does any longer line that is not a title line.
    const bool after_title = open && !heading_like && !stack.empty() && stack.front() != nullptr &&
                             n >= stack_letters + 4 &&
                             (width != 0 ? stack_letters * 2 < width && n + 2 >= width : whole_paragraphs);
    if (!open || is_indented(line.text) || standalone || prev_structural || prev_short_end || after_title ||
        starts_paragraph(t)) {
      unstack();
      stack.clear();
      out.push_back({});
      out.back().line = line.number;
      out.back().raw = std::string(t);
    } else {
      append_joined(out.back().raw, t);
    }
    if (heading_like) {
      if (stack.empty()) stack_letters = 0;
      if (stack.size() < 4) stack.push_back(&line);
      stack_letters = std::max(stack_letters, n);
    } else {
      stack.assign(4, nullptr);  // poisoned: a chunk with a sentence line is a paragraph
    }
    open = true;
    prev_structural = standalone;
    prev_short_end = (width != 0 && n + 2 <= width && ends_with_sentence(t)) ||
                     (whole_paragraphs && ends_with_sentence(t)) || (closing_credit(t) && next_is_title(li));
  }
  unstack();
  return out;
}

void classify_chunks(std::vector<chunk>& chunks) {
  for (auto& c : chunks) {
    if (c.kind == chunk_kind::masthead) continue;
    const std::string_view raw = c.raw;
    // Everything but plain text is short: skip those parsers for paragraphs.
    c.text = normalise_body(raw, &c.length);
    if (c.length > max_short_chunk) {
      c.kind = chunk_kind::text;
      take_leading_byline(c);
      take_trailing_report_credit(c);
      c.lead = parse_dateline(c.raw).has_value();
      continue;
    }
    c.text.clear();
    if (auto j = find_jump(raw, true)) {
      c.kind = chunk_kind::jump;
      c.jump_out = j->out;
      c.jump_page = j->page;
      continue;
    }
    if (is_furniture(raw)) {
      c.kind = chunk_kind::furniture;
      continue;
    }
    if (is_source_credit(raw)) {
      c.kind = chunk_kind::attribution;  // closes the article, names nobody
      continue;
    }
    std::string_view note;
    if (is_editor_label(raw, &note) && note.empty()) {
      c.kind = chunk_kind::editor_label;
      continue;
    }
    if (is_briefs_label(raw)) {
      c.kind = chunk_kind::briefs_label;
      c.text = remove_spaces(strip_brackets(strip_marker(raw)));
      continue;
    }
    if (auto k = kicker_text(raw)) {
      c.kind = chunk_kind::kicker;
      c.text = normalise_heading(*k);
      continue;
    }
    if (auto cr = find_credit(raw)) {
      c.kind = chunk_kind::photo;
      c.text = normalise_body(strip_marker(cr->caption));
      c.credit = std::move(cr->credit);
      c.people = std::move(cr->people);
      continue;
    }
    bool marked = false;
    const std::string_view unmarked = strip_marker(raw, &marked);
    auto people = parse_people(unmarked, Contributor::REPORTER, true);
    if (const std::string_view bare = without_stamp(raw); !people && bare.size() != trim(raw).size()) {
      people = parse_people(strip_marker(bare), Contributor::REPORTER, true);
    }
    if (people) {
      c.kind = chunk_kind::byline;
      c.people = std::move(*people);
      continue;
    }
    const std::string_view inner = strip_brackets(unmarked);
    if (inner.size() != unmarked.size()) {
      if (auto listed = parse_people(inner, Contributor::REPORTER, true)) {
        c.kind = chunk_kind::attribution;
        c.people = std::move(*listed);
        continue;
      }
    }
    c.kind = chunk_kind::text;
    c.marked = marked;
    c.raw = std::string(unmarked);
    take_leading_byline(c);
    take_trailing_report_credit(c);
    c.text = normalise_body(c.raw, &c.length);
    c.lead = parse_dateline(c.raw).has_value();
  }
}

}  // namespace syn::producer::detail
