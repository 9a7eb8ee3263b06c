#include "split/masthead.hpp"

#include <cstdint>
#include <cstdio>

#include "split/lexicon.hpp"
#include "split/text.hpp"

namespace syn::producer::detail {

namespace {

constexpr std::size_t max_masthead_chunk = 300;
constexpr std::size_t max_masthead_chunks = 24;

bool contains(std::string_view s, std::string_view w) noexcept { return s.find(w) != std::string_view::npos; }

/// Reads a run of ASCII/full-width digits at `i`; -1 if none.
long read_digits(std::string_view s, std::size_t& i, std::size_t max_digits = 9) noexcept {
  long v = 0;
  std::size_t n = 0;
  while (i < s.size() && n < max_digits) {
    std::size_t k = i;
    const int d = digit_value(next_cp(s, k));
    if (d < 0) break;
    v = v * 10 + d;
    i = k;
    ++n;
  }
  return n == 0 ? -1 : v;
}

void skip_spaces(std::string_view s, std::size_t& i) noexcept {
  while (i < s.size()) {
    std::size_t k = i;
    const char32_t c = next_cp(s, k);
    if (!is_space(c) && c != '\n') break;
    i = k;
  }
}

/// `YYYY年M月` (day optional: mastheads print it large, on a line of its own).
bool has_year_month(std::string_view s) noexcept {
  for (std::size_t at = s.find("年"); at != std::string_view::npos; at = s.find("年", at + 1)) {
    if (at < 4) continue;
    std::size_t i = at - 4;
    if (read_digits(s, i, 4) < 1900 || i != at) continue;
    i = at + std::string_view("年").size();
    if (read_digits(s, i, 2) > 0 && starts_with(s.substr(i), "月")) return true;
  }
  return false;
}

bool is_short_number(std::string_view s) noexcept {
  std::size_t i = 0;
  const long v = read_digits(s, i, 2);
  return v > 0 && i == s.size();
}

/// The number between `prefix` and `suffix`, e.g. 今日 8 版.
long number_between(std::string_view s, std::string_view prefix, std::string_view suffix) {
  for (std::size_t at = s.find(prefix); at != std::string_view::npos; at = s.find(prefix, at + 1)) {
    std::size_t i = at + prefix.size();
    skip_spaces(s, i);
    const std::size_t b = i;
    for (std::size_t n = 0; n < 8 && i < s.size(); ++n) {
      std::size_t k = i;
      const char32_t c = next_cp(s, k);
      if (!(is_digit(c) || parse_number(s.substr(i, k - i)) >= 0 || c == U'十' || c == U'百')) break;
      i = k;
    }
    const long v = parse_number(s.substr(b, i - b));
    skip_spaces(s, i);
    if (v > 0 && starts_with(s.substr(i), suffix)) return v;
  }
  return -1;
}

/// A page label (`第3版`, `04版`, `A03`) at the start of `s` or after a space: the page, or 0.
std::uint32_t page_label_in(std::string_view s) noexcept {
  bool at_start = true;
  for (std::size_t i = 0; i < s.size();) {
    std::size_t k = i;
    const char32_t c = next_cp(s, k);
    if (is_space(c) || c == U'\n') {
      at_start = true;
      i = k;
      continue;
    }
    if (at_start) {
      if (const std::uint32_t page = page_label_at(s, i)) return page;
    }
    at_start = false;
    i = k;
  }
  return 0;
}

/// A paper's name opening a page-header line: `太原晚报　2023年11月6日`, `人民日报`: a run of 3 to
/// 10 Han characters ending in a paper's name suffix (`paper_suffixes()`), followed by a space, a
/// digit or the end of the line. Empty if there is none.
std::string_view leading_paper_name(std::string_view s) noexcept {
  std::string_view best;
  std::size_t j = 0;
  for (std::size_t n = 1; j < s.size() && n <= 10; ++n) {
    std::size_t k = j;
    if (!is_han(next_cp(s, k))) break;
    j = k;
    if (n < 3) continue;
    std::size_t m = j;
    const char32_t after = j < s.size() ? next_cp(s, m) : U' ';
    if (!(is_space(after) || after == U'\n' || is_digit(after))) continue;
    if (ends_in_paper_name(s.substr(0, j))) best = s.substr(0, j);
  }
  return best;
}

bool masthead_like(std::string_view s, const std::vector<known_paper>& papers, bool day_missing) {
  if (s.size() > max_masthead_chunk * 3 || contains(s, "。") || find_jump(s, true)) return false;
  for (std::string_view w : masthead_words()) {
    if (contains(s, w)) return true;
  }
  if (has_year_month(s)) return true;
  // A page header: `04版　关注降雪`, `A03　综合`, `第02版:要闻·综合`.
  if (visible_length(s, 40) <= 40 && page_label_in(s) != 0) return true;
  if (is_short_number(s)) return day_missing || s.size() <= 2;
  if (number_between(s, "今日", "版") > 0 || number_between(s, "第", "版") > 0) return true;
  if (visible_length(s, 24) > 24) return false;
  const std::string compact = remove_spaces(s);
  for (const auto& p : papers) {
    if (compact == p.name) return true;
    for (const auto& a : p.aliases) {
      if (compact == a) return true;
    }
  }
  // A bare paper name: `昌吉日报`, `北疆晚报`, `北方新报` (suffixes: `paper_suffixes()`).
  if (visible_length(compact, 9) > 8) return false;
  return ends_in_paper_name(compact);
}

std::string normalise_dashes(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t at = i;
    const char32_t c = next_cp(s, i);
    if (c == U'—' || c == U'–' || c == U'－' || c == U'‐' || c == U'−' || c == U'―' || c == U'一') {
      out.push_back('-');
    } else {
      out.append(s.substr(at, i - at));
    }
  }
  return out;
}

/// An ASCII token (letters, digits and `allowed`) starting at `i`.
std::string ascii_token(std::string_view s, std::size_t i, std::string_view allowed) {
  std::size_t e = i;
  while (e < s.size()) {
    const char c = s[e];
    if (!(is_ascii_alpha(static_cast<unsigned char>(c)) || is_ascii_digit(static_cast<unsigned char>(c)) ||
          allowed.find(c) != std::string_view::npos)) {
      break;
    }
    ++e;
  }
  std::string t(s.substr(i, e - i));
  while (!t.empty() && (t.back() == '.' || t.back() == '-')) t.pop_back();
  return t;
}

std::string ascii_token_after(std::string_view s, std::string_view key, std::string_view allowed) {
  const std::size_t at = s.find(key);
  if (at == std::string_view::npos) return {};
  std::size_t i = at + key.size();
  for (std::size_t n = 0; n < 8 && i < s.size(); ++n) {
    std::size_t k = i;
    const char32_t c = next_cp(s, k);
    if (is_ascii_digit(c) || is_ascii_alpha(c)) break;
    if (!(is_space(c) || c == U':' || c == U'：')) return {};
    i = k;
  }
  return ascii_token(s, i, allowed);
}

bool is_stem(char32_t c) noexcept {
  return std::u32string_view(U"甲乙丙丁戊己庚辛壬癸").find(c) != std::u32string_view::npos;
}
bool is_branch(char32_t c) noexcept {
  return std::u32string_view(U"子丑寅卯辰巳午未申酉戌亥").find(c) != std::u32string_view::npos;
}

std::string_view token_at(std::string_view s, std::size_t i) noexcept {
  std::size_t e = i;
  while (e < s.size()) {
    std::size_t k = e;
    const char32_t c = next_cp(s, k);
    if (is_space(c) || c == '\n' || is_cjk(c) != is_han(c)) break;  // stop at space or punctuation
    e = k;
  }
  return s.substr(i, e - i);
}

void read_lunar(std::string_view s, masthead& m) {
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t at = i;
    const char32_t c = next_cp(s, i);
    if (!is_stem(c) || i >= s.size()) continue;
    std::size_t k = i;
    if (!is_branch(next_cp(s, k)) || !starts_with(s.substr(k), "年")) continue;
    m.lunar_date = std::string(token_at(s, at));
    return;
  }
  if (const std::size_t at = s.find("农历"); at != std::string_view::npos) {
    std::size_t i = at + std::string_view("农历").size();
    skip_spaces(s, i);
    m.lunar_date = std::string(token_at(s, i));
  }
}

void read_date(std::string_view s, const std::vector<std::pair<std::size_t, std::uint32_t>>& lines,
               masthead& m, const std::string& source) {
  auto line_at = [&](std::size_t offset) {
    std::uint32_t line = 0;
    for (const auto& [o, l] : lines) {
      if (o <= offset) line = l;
    }
    return line;
  };
  for (std::size_t at = s.find("年"); at != std::string_view::npos; at = s.find("年", at + 1)) {
    if (at < 4) continue;
    std::size_t i = at - 4;
    const long year = read_digits(s, i, 4);
    if (year < 1900 || i != at) continue;
    i = at + std::string_view("年").size();
    skip_spaces(s, i);
    const long month = read_digits(s, i, 2);
    skip_spaces(s, i);
    if (month < 0 || !starts_with(s.substr(i), "月")) continue;
    i += std::string_view("月").size();
    skip_spaces(s, i);
    const long day = read_digits(s, i, 2);
    char buf[80];
    std::snprintf(buf, sizeof buf, "%04ld-%02ld-%02ld", year % 10000, month % 100, day < 0 ? 0L : day % 100);
    m.date_line = line_at(at);
    if (day < 0 || !valid_iso_date(buf)) {
      throw split_error(source, m.date_line, "masthead date is not a calendar date");
    }
    m.date = buf;
    return;
  }
}

void read_paper(std::string_view s, const std::vector<known_paper>& papers, masthead& m) {
  std::size_t best = 0;
  for (const auto& p : papers) {
    auto consider = [&](const std::string& name) {
      if (!name.empty() && name.size() > best && contains(s, name)) {
        best = name.size();
        m.paper_code = p.code;
        m.paper_name = p.name;
      }
    };
    consider(p.name);
    for (const auto& a : p.aliases) consider(a);
  }
  if (const std::size_t at = s.find("出版"); at != std::string_view::npos) {
    std::size_t b = at;
    while (b > 0) {
      std::size_t k = b;
      if (!is_han(prev_cp(s, k))) break;
      b = k;
    }
    m.publisher = std::string(s.substr(b, at - b));
  }
  if (m.paper_name.empty()) {
    if (ends_with(m.publisher, "社")) {
      m.paper_name = m.publisher.substr(0, m.publisher.size() - std::string_view("社").size());
    }
  }
}

/// A masthead chunk that is just a paper's name: `河西商报`.
bool is_bare_paper_name(std::string_view s) {
  const std::string compact = remove_spaces(s);
  const std::size_t len = visible_length(compact);
  if (len < 3 || len > 8) return false;
  for (std::size_t i = 0; i < compact.size();) {
    if (!is_han(next_cp(compact, i))) return false;
  }
  return ends_in_paper_name(compact);
}

}  // namespace

bool valid_iso_date(std::string_view d) noexcept {
  if (d.size() != 10 || d[4] != '-' || d[7] != '-') return false;
  for (std::size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (d[i] < '0' || d[i] > '9') return false;
  }
  const int y = (d[0] - '0') * 1000 + (d[1] - '0') * 100 + (d[2] - '0') * 10 + (d[3] - '0');
  const int mo = (d[5] - '0') * 10 + (d[6] - '0');
  const int da = (d[8] - '0') * 10 + (d[9] - '0');
  if (y < 1900 || mo < 1 || mo > 12 || da < 1) return false;
  static constexpr int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return da <= days[mo - 1] + ((mo == 2 && leap) ? 1 : 0);
}

masthead read_masthead(std::vector<chunk>& chunks, const std::vector<source_line>& input_lines,
                       const std::vector<known_paper>& papers, const std::string& source) {
  masthead m;
  std::string all;
  std::vector<std::pair<std::size_t, std::uint32_t>> lines;
  bool day_missing = false;
  for (std::size_t n = 0; n < chunks.size() && n < max_masthead_chunks; ++n) {
    chunk& c = chunks[n];
    if (!masthead_like(c.raw, papers, day_missing)) break;
    c.kind = chunk_kind::masthead;
    lines.emplace_back(all.size(), c.line);
    all += c.raw;
    all += '\n';
    // `2024年1月` with the day on the next line.
    if (has_year_month(c.raw)) {
      const std::size_t at = c.raw.rfind("月");
      day_missing = trim(std::string_view(c.raw).substr(at + std::string_view("月").size())).empty();
    } else if (is_short_number(c.raw)) {
      day_missing = false;
    }
  }
  if (all.empty()) return m;
  const std::string_view s = all;
  read_date(s, lines, m, source);
  read_paper(s, papers, m);
  for (const chunk& c : chunks) {
    if (c.kind != chunk_kind::masthead) break;
    if (m.paper_name.empty() && is_bare_paper_name(c.raw)) m.paper_name = remove_spaces(c.raw);
  }
  // A page header names the paper at the start of a line: `太原晚报　2022年1月22日`. (Lines, not
  // chunks: a masthead's lines are often joined into one chunk.)
  std::uint32_t last_line = UINT32_MAX;
  for (const chunk& c : chunks) {
    if (c.kind != chunk_kind::masthead) {
      last_line = c.line;
      break;
    }
  }
  for (const auto& l : input_lines) {
    if (!m.paper_name.empty() || l.number >= last_line) break;
    if (const std::string_view name = leading_paper_name(trim(l.text)); !name.empty())
      m.paper_name = std::string(name);
  }
  read_lunar(s, m);
  if (const std::size_t at = s.find("星期"); at != std::string_view::npos) {
    std::size_t i = at + std::string_view("星期").size();
    const std::size_t b = i;
    if (i < s.size()) {
      const char32_t c = next_cp(s, i);
      if (std::u32string_view(U"一二三四五六日天").find(c) != std::u32string_view::npos) {
        m.weekday = "星期" + std::string(s.substr(b, i - b));
      }
    }
  }
  if (const long v = number_between(s, "总第", "期"); v > 0) m.issue_number = static_cast<std::uint32_t>(v);
  for (std::string_view p : {"今日", "本期", "本报今日"}) {
    if (m.page_count != 0) break;
    if (const long v = number_between(s, p, "版"); v > 0 && v < 1000)
      m.page_count = static_cast<std::uint32_t>(v);
  }
  for (std::size_t at = s.find("第"); at != std::string_view::npos; at = s.find("第", at + 1)) {
    if (at >= 3 && s.substr(at - 3, 3) == "总") continue;
    const long v = number_between(s.substr(at), "第", "版");
    if (v > 0 && v < 1000) {
      m.page = static_cast<std::uint32_t>(v);
      break;
    }
  }
  if (m.page == 0) m.page = page_label_in(s);  // `04版`, `A03`
  const std::string dashed = normalise_dashes(s);
  const std::string_view d = dashed;
  if (const std::size_t at = d.find("CN"); at != std::string_view::npos) {
    std::size_t i = at + 2;
    skip_spaces(d, i);
    const std::string t = ascii_token(d, i, "-");
    if (!t.empty()) m.cn_number = "CN " + t;
  }
  m.postal_code = ascii_token_after(d, "邮发代号", "-");
  for (std::string_view key : {"https://", "http://", "www."}) {
    if (const std::size_t at = d.find(key); at != std::string_view::npos) {
      m.website = ascii_token(d, at, ":/.-_~%?=&#");
      break;
    }
  }
  if (const std::size_t at = d.find('@'); at != std::string_view::npos) {
    std::size_t b = at;
    while (b > 0 && (is_ascii_alpha(static_cast<unsigned char>(d[b - 1])) ||
                     is_ascii_digit(static_cast<unsigned char>(d[b - 1])) ||
                     std::string_view("._%+-").find(d[b - 1]) != std::string_view::npos)) {
      --b;
    }
    const std::string domain = ascii_token(d, at + 1, ".-");
    if (b < at && !domain.empty()) m.email = std::string(d.substr(b, at - b)) + "@" + domain;
  }
  m.hotline = ascii_token_after(d, "热线", "-");
  return m;
}

}  // namespace syn::producer::detail
