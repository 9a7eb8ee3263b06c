#include "split/repair.hpp"

#include <algorithm>
#include <array>
#include <cstdint>

#include "split/lexicon.hpp"
#include "split/text.hpp"

namespace syn::producer::detail {

namespace {

constexpr std::size_t max_caption = 150;
constexpr std::size_t max_headline_guess = 40;
constexpr std::size_t max_lookback = 4;
constexpr std::size_t min_garbled = 6;
constexpr std::size_t max_garbled = 64;
constexpr double garbled_similarity = 0.6;

using Contributor = syndication::v1::Contributor;

/// A few code points, without allocating.
struct short_text {
  std::array<char32_t, max_garbled + 2> cp{};
  std::size_t size = 0;
};

/// Up to `max` (at most max_garbled + 2) non-space code points of `s`, from the start or the end.
short_text code_points(std::string_view s, std::size_t max, bool from_end) {
  short_text out;
  max = std::min(max, out.cp.size());
  if (from_end) {
    std::size_t e = s.size();
    while (e > 0 && out.size < max) {
      const char32_t c = prev_cp(s, e);
      if (!is_space(c)) out.cp[out.size++] = c;
    }
    std::reverse(out.cp.begin(), out.cp.begin() + static_cast<std::ptrdiff_t>(out.size));
  } else {
    for (std::size_t i = 0; i < s.size() && out.size < max;) {
      const char32_t c = next_cp(s, i);
      if (!is_space(c)) out.cp[out.size++] = c;
    }
  }
  return out;
}

/// Dice coefficient of the two texts' character-bigram multisets (sorted, then merged).
double dice(const short_text& a, const short_text& b) {
  if (a.size < 2 || b.size < 2) return 0.0;
  auto bigrams = [](const short_text& t, std::array<std::uint64_t, max_garbled + 2>& out) {
    for (std::size_t i = 0; i + 1 < t.size; ++i) out[i] = (std::uint64_t{t.cp[i]} << 32U) | t.cp[i + 1];
    std::sort(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(t.size - 1));
    return t.size - 1;
  };
  std::array<std::uint64_t, max_garbled + 2> x{};
  std::array<std::uint64_t, max_garbled + 2> y{};
  const std::size_t nx = bigrams(a, x);
  const std::size_t ny = bigrams(b, y);
  std::size_t common = 0;
  for (std::size_t i = 0, j = 0; i < nx && j < ny;) {
    if (x[i] == y[j]) {
      ++common;
      ++i;
      ++j;
    } else if (x[i] < y[j]) {
      ++i;
    } else {
      ++j;
    }
  }
  return 2.0 * static_cast<double>(common) / static_cast<double>(nx + ny);
}

bool is_junk(char32_t c) noexcept {
  return c == 0xFFFD || (c >= 0xE000 && c <= 0xF8FF) || c < 0x20 || (c >= 0x7F && c < 0xA0);
}

/// Cheap byte-level pre-check for junk code points: U+FFFD (EF BF BD), the private use area
/// (EE .., EF 80..A3), C1 controls (C2 80..9F), C0 controls and DEL.
bool may_hold_junk(std::string_view s) noexcept {
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto b = static_cast<unsigned char>(s[i]);
    if (b >= 0x20 && b < 0xC2) continue;
    const auto n = i + 1 < s.size() ? static_cast<unsigned char>(s[i + 1]) : 0;
    if (b < 0x20 || b == 0x7F || b == 0xEE || (b == 0xEF && (n <= 0xA3 || n == 0xBF)) ||
        (b == 0xC2 && n <= 0x9F)) {
      return true;
    }
  }
  return false;
}

bool mostly_junk(std::string_view s) noexcept {
  std::size_t junk = 0;
  std::size_t total = 0;
  for (std::size_t k = 0; k < s.size();) {
    ++total;
    if (is_junk(next_cp(s, k))) ++junk;
  }
  return junk * 4 >= total;
}

/// End (byte offset) of the first sentence of `s`, within `max_garbled` code points; npos if none.
std::size_t first_sentence_end(std::string_view s) noexcept {
  std::size_t n = 0;
  for (std::size_t i = 0; i < s.size() && n < max_garbled; ++n) {
    const char32_t c = next_cp(s, i);
    if (c == U'。' || c == U'！' || c == U'？' || c == U'!' || c == U'?') return i;
  }
  return std::string_view::npos;
}

syndication::v1::SplitWarning warning(std::uint32_t line, std::string reason, std::string text) {
  syndication::v1::SplitWarning w;
  w.set_line(line);
  w.set_reason(std::move(reason));
  w.set_text(std::move(text));
  return w;
}

}  // namespace

double bigram_similarity(std::string_view a, std::string_view b) {
  return dice(code_points(a, max_garbled, false), code_points(b, max_garbled, false));
}

namespace {

/// Whether the chunks before `prev` end in a heading: nothing, or a short text chunk (a headline)
/// or any non-text chunk, so `prev` is the only text under it.
bool only_text_under_heading(const std::vector<chunk>& chunks, std::size_t prev) {
  for (std::size_t j = prev; j-- > 0;) {
    const chunk& c = chunks[j];
    if (c.dropped || c.kind == chunk_kind::masthead || c.kind == chunk_kind::furniture) continue;
    return c.kind != chunk_kind::text || c.length <= max_headline_guess;
  }
  return true;
}

}  // namespace

namespace {

/// Whether a credit names its people as reporters too (`本报记者 X 摄影报道`).
bool reports(const chunk& credit) {
  for (const auto& p : credit.people) {
    if (p.role == Contributor::REPORTER) return true;
  }
  return false;
}

/// A numbered caption: `图①…`, `图2…`, `图三…`.
bool numbered_caption(std::string_view text) {
  if (!starts_with(text, "图")) return false;
  std::size_t i = std::string_view("图").size();
  if (i >= text.size()) return false;
  const char32_t c = next_cp(text, i);
  return (c >= U'①' && c <= U'⑳') || is_digit(c) ||
         std::u32string_view(U"一二三四五六").find(c) != std::u32string_view::npos;
}

/// Numbered captions over one credit (`图①…` / `图②…` / `本报记者 刘文华 摄影报道`): the photo at
/// `i` took the last caption; the numbered captions right before it become photos with the same
/// credit.
void share_credit(std::vector<chunk>& chunks, std::size_t i) {
  if (!lexicon_active("puyang-ribao") || !numbered_caption(chunks[i].text)) return;
  for (std::size_t j = i - 1; j-- > 0;) {
    chunk& c = chunks[j];
    if (c.dropped) continue;
    if (c.kind != chunk_kind::text || c.lead || c.length > max_caption || !numbered_caption(c.text)) break;
    c.kind = chunk_kind::photo;
    c.credit = chunks[i].credit;
    c.people = chunks[i].people;
  }
}

/// A credit whose role words the column wrap left on the caption's line (`…作业。新华社记` /
/// `者 郭绪雷摄`): once the caption is whole, the role words after its last sentence (with an
/// outlet) go to the credit, whose people are photographers.
void take_role_into_credit(chunk& photo) {
  std::string joined = photo.text;
  joined.push_back(' ');
  joined.append(photo.credit);
  const std::size_t at = byline_tail(joined, nullptr);
  if (at == std::string_view::npos || at >= photo.text.size()) return;
  std::string printed;
  auto people =
      parse_people(trim(std::string_view(joined).substr(at)), Contributor::PHOTOGRAPHER, true, &printed);
  if (!people) return;
  for (auto& q : *people) q.role = Contributor::PHOTOGRAPHER;
  photo.credit = std::move(printed);
  photo.text.resize(at);
  photo.people = std::move(*people);
}

}  // namespace

void pair_captions(std::vector<chunk>& chunks) {
  for (std::size_t i = 1; i < chunks.size(); ++i) {
    chunk& photo = chunks[i];
    if (photo.kind != chunk_kind::photo) continue;
    chunk& prev = chunks[i - 1];
    if (prev.kind != chunk_kind::text || prev.dropped || prev.text.empty()) continue;
    if (prev.lead) continue;
    if (photo.text.empty()) {
      if (prev.length > max_caption) continue;
      // `… 摄影报道` on its own line after the second paragraph of a report: the report's closing
      // credit (photographed and written by), not a caption's.
      if (reports(photo) && !numbered_caption(prev.text) && !only_text_under_heading(chunks, i - 1) &&
          lexicon_active("xiandai-kuaibao cangzhou-wanbao")) {
        photo.kind = chunk_kind::attribution;
        continue;
      }
      photo.text = prev.text;
      prev.dropped = true;
      share_credit(chunks, i);
      continue;
    }
    // A credit glued to the end of a wrapped caption (`…通行\n安全。本报记者 肖金雄 摄`): the
    // caption on the credit's line is the tail of the paragraph before it, which ends mid-sentence;
    // when that paragraph is the only text under its headline it is all caption (photo news).
    if (!lexicon_active("yanan-ribao guangming-ribao") || ends_sentence(last_cp(prev.text))) continue;
    if (prev.length <= max_headline_guess) continue;  // a headline over a caption, not its first half
    if (prev.length + visible_length(photo.text, max_caption) > max_caption) continue;
    if (!only_text_under_heading(chunks, i - 1)) continue;
    photo.text.insert(0, prev.text);
    prev.dropped = true;
    take_role_into_credit(photo);
  }
}

void drop_garbled(std::vector<chunk>& chunks, std::vector<syndication::v1::SplitWarning>& warnings) {
  std::size_t prev = chunks.size();  // index of the previous kept text chunk
  for (std::size_t i = 0; i < chunks.size(); ++i) {
    chunk& c = chunks[i];
    if (c.kind != chunk_kind::text || c.dropped) {
      // Photos may sit between the two halves; anything else ends the comparison.
      if (c.kind != chunk_kind::photo && !c.dropped) prev = chunks.size();
      continue;
    }
    // Mostly junk characters: OCR noise, not text.
    if (may_hold_junk(c.text) && mostly_junk(c.text)) {
      warnings.push_back(warning(c.line, "garbled text (unreadable characters)", c.text));
      c.dropped = true;
      continue;
    }
    if (prev < chunks.size() && i - prev <= max_lookback) {
      const chunk& p = chunks[prev];
      if (c.text == p.text) {
        warnings.push_back(warning(c.line, "duplicate of the previous paragraph", c.text));
        c.dropped = true;
        continue;
      }
      // Only a sentence repeated after a finished paragraph: `…朱佰鑫说。` then `不思工…朱佰鑫说。`.
      const std::size_t end =
          ends_sentence(last_cp(p.text)) ? first_sentence_end(c.text) : std::string_view::npos;
      if (end != std::string_view::npos) {
        const std::string_view head = std::string_view(c.text).substr(0, end);
        const short_text a = code_points(head, max_garbled, false);
        if (a.size >= min_garbled) {
          const short_text b = code_points(p.text, a.size + 2, true);
          if (dice(a, b) >= garbled_similarity) {
            warnings.push_back(
                warning(c.line, "garbled duplicate of the end of the previous paragraph", std::string(head)));
            c.text = std::string(trim(std::string_view(c.text).substr(end)));
            c.raw = c.text;
            c.length = visible_length(c.text, 1024);
            c.lead = parse_dateline(c.raw).has_value();
            if (c.text.empty()) {
              c.dropped = true;
              continue;
            }
          }
        }
      }
    }
    prev = i;
  }
}

void split_bare_credits(std::vector<chunk>& chunks) {
  std::vector<chunk> out;
  out.reserve(chunks.size());
  for (auto& c : chunks) {
    std::vector<person> people;
    const std::string_view raw = trim(c.raw);
    // The last name wrapped onto a line of its own (`…问题。 张晓宁` / `贾天勇`).
    if (!out.empty() && out.back().kind == chunk_kind::attribution && c.kind == chunk_kind::text &&
        bare_credit_tail("。 " + std::string(raw), &people) == std::string_view("。").size()) {
      for (auto& q : people) out.back().people.push_back(std::move(q));
      out.back().raw.append(" ").append(raw);
      continue;
    }
    std::size_t at = std::string_view::npos;
    if (c.kind == chunk_kind::text && !c.dropped) {
      at = bare_credit_tail(raw, &people);
      if (at == std::string_view::npos) at = byline_tail(raw, &people);
    }
    if (at == std::string_view::npos) {
      out.push_back(std::move(c));
      continue;
    }
    chunk credit;
    credit.kind = chunk_kind::attribution;
    credit.line = c.line;
    credit.raw = std::string(raw.substr(at));
    credit.people = std::move(people);
    c.raw = std::string(raw.substr(0, at));
    c.text = normalise_body(c.raw);
    c.length = visible_length(c.text, 1024);
    out.push_back(std::move(c));
    out.push_back(std::move(credit));
  }
  chunks = std::move(out);
}

std::optional<std::vector<person>> take_trailing_attribution(std::string& text) {
  const std::string_view s = text;
  const char32_t close = last_cp(s);
  if (close != U'）' && close != U')') return std::nullopt;
  std::size_t e = s.size();
  prev_cp(s, e);
  std::size_t b = e;
  for (int n = 0; n < 30 && b > 0; ++n) {
    std::size_t k = b;
    const char32_t c = prev_cp(s, k);
    if (c == U'（' || c == U'(') {
      auto people = parse_people(s.substr(b, e - b), Contributor::REPORTER, true);
      // `…猛料。(张小磊)`: names alone, after a finished sentence, each opening with a surname.
      if (!people && k > 0 && lexicon_active("yangcheng-wanbao anhui-shangbao")) {
        std::size_t q = k;
        if (ends_sentence(prev_cp(s, q))) {
          people = parse_people(s.substr(b, e - b), Contributor::REPORTER, false);
          bool all_names = people.has_value();
          for (const auto& p : people ? *people : std::vector<person>{}) {
            all_names = all_names && common_surnames().find(first_cp(p.name)) != std::u32string_view::npos;
          }
          if (!all_names) people.reset();
        }
      }
      if (!people) return std::nullopt;
      text = std::string(trim(s.substr(0, k)));
      return people;
    }
    b = k;
  }
  return std::nullopt;
}

}  // namespace syn::producer::detail
