#include "split/assemble.hpp"

#include "split/lexicon.hpp"
#include "split/repair.hpp"
#include "split/text.hpp"

namespace syn::producer::detail {

namespace {

using syndication::v1::Article;
using syndication::v1::Block;

/// Longest text that can be a headline or sub-head (code points, spaces not counted).
constexpr std::size_t max_heading = 40;
/// Longest headline ending in ？ or ！ (longer ones are sentences).
constexpr std::size_t max_question_heading = 24;
/// A heading in the body longer than this, with no other evidence, is not a sub-head (those are
/// short: `创新驱动`) but the headline of an article without byline, or, if it has a clause
/// break, the first half of a paragraph cut by a blank line.
constexpr std::size_t max_subhead = 18;
/// Longest caption printed without a credit between a headline and its dateline lead.
constexpr std::size_t max_caption_guess = 40;
/// How far the assembler looks ahead for a byline or dateline.
constexpr std::size_t max_lookahead = 6;

/// Quotes or brackets opened and not closed: the text is the start of a sentence, not a title.
bool unbalanced(std::string_view t) noexcept {
  int quotes = 0;
  int brackets = 0;
  int ascii_quotes = 0;
  for (std::size_t i = 0; i < t.size();) {
    switch (next_cp(t, i)) {
      case U'“':
      case U'「':
      case U'『':
        ++quotes;
        break;
      case U'”':
      case U'」':
      case U'』':
        --quotes;
        break;
      case U'（':
      case U'(':
      case U'《':
      case U'【':
        ++brackets;
        break;
      case U'）':
      case U')':
      case U'》':
      case U'】':
        --brackets;
        break;
      case U'"':
        ++ascii_quotes;
        break;
      default:
        break;
    }
  }
  return quotes > 0 || brackets > 0 || ascii_quotes % 2 != 0;
}

bool is_closer(char32_t c) noexcept {
  return c == U'”' || c == U'’' || c == U'」' || c == U'』' || c == U'）' || c == U')' || c == U'"' ||
         c == U'》';
}

/// Only closing quotes and brackets: a question quoted as a title (`“…怎么这么费劲?”`) ends with it.
bool only_closers(std::string_view rest) noexcept {
  for (std::size_t i = 0; i < rest.size();) {
    if (!is_closer(next_cp(rest, i))) return false;
  }
  return true;
}

/// `t` less the closing quotes and brackets at its end.
std::string_view trim_closers(std::string_view t) noexcept {
  std::size_t e = t.size();
  while (e > 0) {
    std::size_t k = e;
    if (!is_closer(prev_cp(t, k))) break;
    e = k;
  }
  return t.substr(0, e);
}

/// A whole quotation ending a sentence inside its quotes (`“看个电视怎么这么麻烦!”`): speech.
bool is_quoted_sentence(std::string_view t) noexcept {
  const char32_t first = first_cp(t);
  if (first != U'“' && first != U'「') return false;
  const std::string_view inner = trim_closers(t);
  if (inner.size() == t.size()) return false;
  return ends_sentence(last_cp(inner));
}

bool is_heading(const chunk& c) {
  if (c.kind != chunk_kind::text || c.text.empty()) return false;
  // Shape is judged on the words: `<script>alert(1);</script>` in a headline is neither length
  // nor a sentence end (nor the quotes of `onerror="..."` an open quotation).
  const bool markup = has_markup(c.text);
  const std::string plain = markup ? without_markup(c.text) : std::string();
  const std::string_view t = markup ? std::string_view(plain) : std::string_view(c.text);
  const std::size_t len = markup ? visible_length(t) : c.length;
  if (len > max_heading || unbalanced(t)) return false;
  // A sentence end inside, or a second clause break: a sentence, not a title.
  std::size_t clauses = 0;
  for (std::size_t i = 0; i < t.size();) {
    switch (next_cp(t, i)) {
      case U'。':
      case U'；':
      case U';':
        return false;
      case U'？':
      case U'！':
      case U'?':
      case U'!':
        if (!only_closers(t.substr(i))) return false;
        break;
      case U'，':
      case U',':
        if (++clauses > 1) return false;
        break;
      default:
        break;
    }
  }
  const char32_t last = last_cp(trim_closers(t));
  switch (last) {
    case U'；':
    case U';':
    case U'：':
    case U':':
    case U'，':
    case U',':
    case U'、':
    case U'…':
      return false;
    case U'？':
    case U'！':
    case U'?':
    case U'!':
      if (len > max_question_heading) return false;
      break;
    default:
      break;
  }
  return !c.lead;
}

/// An overline (引题) that does not look like a heading because of how it ends: a short line
/// ending in `：` or `……` (`公安部交管局提醒广大驾乘人员:`, `邻居帮忙收大葱、搬车子、捎垃圾……`).
/// Taken as a kicker when a heading follows it.
bool is_overline(const chunk& c) {
  if (c.kind != chunk_kind::text || c.lead || c.length == 0 || c.length > 30) return false;
  const std::string_view t = c.text;
  const char32_t last = last_cp(t);
  if (!(last == U'：' || last == U':' || last == U'…')) return false;
  for (std::size_t i = 0; i < t.size();) {
    const char32_t ch = next_cp(t, i);
    if (ch == U'。' || ch == U'；' || ch == U';' || ch == U'！' || ch == U'？') return false;
  }
  return !unbalanced(t);
}

/// `一、`, `（一）`, `1.`: numbered sub-heads.
bool is_numbered(std::string_view t) {
  const char32_t c = first_cp(t);
  if (c == U'（' || c == U'(') return true;
  std::size_t i = 0;
  next_cp(t, i);
  const char32_t d = i < t.size() ? next_cp(t, i) : 0;
  return (parse_number(t.substr(0, t.size() > 3 ? 3 : t.size())) >= 0 || is_digit(c)) &&
         (d == U'、' || d == U'.' || d == U'．' || d == U'是');
}

bool starts_with_dash(std::string_view s) {
  const char32_t c = first_cp(s);
  return c == U'—' || c == U'-' || c == U'－' || c == U'―' || c == U'–';
}

std::string strip_leading_dashes(std::string_view s) {
  while (!s.empty()) {
    const char32_t c = first_cp(s);
    if (!(c == U'—' || c == U'-' || c == U'－' || c == U'―' || c == U'–' || is_space(c))) break;
    std::size_t i = 0;
    next_cp(s, i);
    s.remove_prefix(i);
  }
  return std::string(s);
}

class assembler {
 public:
  assembler(const std::vector<chunk>& chunks, std::vector<syndication::v1::SplitWarning>& warnings)
      : chunks_(chunks), warnings_(warnings) {}

  std::vector<draft> run() {
    for (i_ = 0; i_ < chunks_.size(); ++i_) {
      const chunk& c = chunks_[i_];
      if (c.dropped || c.kind == chunk_kind::masthead) continue;
      switch (c.kind) {
        case chunk_kind::kicker:
          on_kicker(c);
          break;
        case chunk_kind::briefs_label:
          on_briefs(c);
          break;
        case chunk_kind::byline:
          on_byline(c);
          break;
        case chunk_kind::attribution:
          on_attribution(c);
          break;
        case chunk_kind::photo:
          on_photo(c);
          break;
        case chunk_kind::jump:
          on_jump(c);
          break;
        case chunk_kind::editor_label:
          note_next_ = true;
          break;
        case chunk_kind::text:
          on_text(c);
          break;
        case chunk_kind::masthead:
        case chunk_kind::furniture:
          break;
      }
    }
    return finish();
  }

 private:
  struct state {
    bool closed = false;          // ended by a jump-out line or a closing attribution
    bool open_paragraph = false;  // last paragraph was cut mid-sentence
    bool from_briefs = false;
  };

  Article* cur() { return drafts_.empty() ? nullptr : &drafts_.back().article; }
  static bool has_body(const Article& a) { return a.blocks_size() > 0; }
  /// A headline over one short sentence and nothing else (no byline, dateline or photo): when a
  /// dateline lead follows, that sentence is a caption without credit (福州晚报 only).
  static bool caption_under_headline(const Article& a) {
    if (a.headline().empty() || a.blocks_size() != 1 || a.photos_size() != 0 || has_byline(a) ||
        !a.dateline().empty() || !lexicon_active("fuzhou-wanbao")) {
      return false;
    }
    const std::string& t = a.blocks(0).text();
    return visible_length(t, max_caption_guess + 1) <= max_caption_guess && ends_sentence(last_cp(t)) &&
           t.find("。") == t.rfind("。");
  }
  /// Contributors other than photographers (who may come from a photo above the title).
  static bool has_byline(const Article& a) {
    for (const auto& c : a.contributors()) {
      if (c.role() != syndication::v1::Contributor::PHOTOGRAPHER) return true;
    }
    return false;
  }
  static bool has_head(const Article& a) {
    return !a.headline().empty() || !a.kicker().empty() || a.contributors_size() > 0 || !a.dateline().empty();
  }

  Article& start(const chunk& c) {
    note_open_end();
    drafts_.push_back({});
    drafts_.back().line = c.line;
    st_ = {};
    note_next_ = false;
    stacked_kicker_ = false;
    if (in_briefs_) {
      drafts_.back().article.set_kicker(briefs_label_);
      st_.from_briefs = true;
    }
    Article& a = drafts_.back().article;
    for (auto& p : pending_photos_) *a.add_photos() = std::move(p);
    pending_photos_.clear();
    add_people(a, pending_people_);
    pending_people_.clear();
    return a;
  }

  /// The current article's text ends mid-sentence (a paragraph left open).
  void note_open_end() {
    if (!drafts_.empty() && st_.open_paragraph && has_body(drafts_.back().article)) {
      drafts_.back().doubts.emplace_back(doubt::ends_mid_sentence);
    }
  }

  void add_people(Article& a, const std::vector<person>& people) {
    for (const auto& p : people) {
      bool seen = false;
      for (const auto& q : a.contributors()) seen = seen || (q.name() == p.name && q.role() == p.role);
      if (seen) continue;
      auto* c = a.add_contributors();
      c->set_name(p.name);
      c->set_role(p.role);
    }
  }

  void on_kicker(const chunk& c) {
    in_briefs_ = false;
    Article* a = cur();
    // Two kickers in a row, or a kicker under an empty 上接 draft: reuse it.
    if (a == nullptr || has_body(*a) || !a->headline().empty() || a->contributors_size() > 0 ||
        !a->kicker().empty()) {
      a = &start(c);
    }
    a->set_kicker(c.text);
  }

  void on_briefs(const chunk& c) {
    in_briefs_ = true;
    briefs_label_ = c.text;
    if (Article* a = cur()) {
      if (has_body(*a) || !a->headline().empty()) st_.closed = true;
      if (!has_body(*a) && a->headline().empty() && a->kicker().empty()) {
        a->set_kicker(briefs_label_);  // label under a bare 上接 draft
      }
    }
    st_.open_paragraph = false;
  }

  void on_byline(const chunk& c) {
    Article* a = cur();
    if (a == nullptr) a = &start(c);
    if (!has_body(*a) && st_.from_briefs) {
      // A brief with a byline of its own is a regular article: the briefs column has ended.
      if (a->kicker() == briefs_label_) a->clear_kicker();
      in_briefs_ = false;
      st_.from_briefs = false;
    }
    add_people(*a, c.people);
    st_.open_paragraph = false;
  }

  void on_attribution(const chunk& c) {
    Article* a = cur();
    if (a == nullptr) return;
    add_people(*a, c.people);
    st_.closed = true;
    st_.open_paragraph = false;
  }

  void on_photo(const chunk& c) {
    syndication::v1::Photo p;
    p.set_caption(c.text);
    p.set_credit(c.credit);
    Article* a = cur();
    if (a == nullptr) {
      // Before any article: belongs to the first one.
      pending_photos_.push_back(std::move(p));
      pending_people_.insert(pending_people_.end(), c.people.begin(), c.people.end());
      return;
    }
    p.set_after_block(static_cast<std::uint32_t>(a->blocks_size()));
    *a->add_photos() = std::move(p);
    add_people(*a, c.people);
    // A caption dropped into a paragraph leaves the paragraph open: do not touch open_paragraph.
  }

  void on_jump(const chunk& c) {
    Article* a = cur();
    if (c.jump_out) {
      if (a != nullptr) a->set_continued_on_page(c.jump_page);
      st_.closed = true;
      st_.open_paragraph = false;
      return;
    }
    if (a == nullptr || has_body(*a) || st_.closed) a = &start(c);
    a->set_continued_from_page(c.jump_page);
  }

  /// Is there a byline or a dateline lead right after chunk `i`, possibly behind one or two more
  /// headings (the rest of a title stack)? That makes the heading at `i` a headline.
  bool new_article_follows(std::size_t i) const {
    std::size_t headings = 0;
    std::size_t seen = 0;
    // Bounded in chunks too, photos included, so a run of photos cannot make this quadratic.
    for (std::size_t j = i + 1; j < chunks_.size() && j <= i + 4 * max_lookahead && seen < max_lookahead;
         ++j) {
      const chunk& n = chunks_[j];
      if (n.dropped || n.kind == chunk_kind::photo || n.kind == chunk_kind::furniture) continue;
      ++seen;
      switch (n.kind) {
        case chunk_kind::byline:
        case chunk_kind::editor_label:
          return true;
        case chunk_kind::jump:
          return !n.jump_out;
        case chunk_kind::text:
          if (n.lead) return true;
          // Up to two more title lines: a stack of three is overline, headline, sub-headline.
          if ((is_heading(n) || is_overline(n)) && headings < 2) {
            ++headings;
            continue;
          }
          return false;
        default:
          return false;
      }
    }
    return false;
  }

  void add_block(Article& a, Block::Kind kind, std::string text) {
    auto* b = a.add_blocks();
    b->set_kind(kind);
    b->set_text(std::move(text));
  }

  void on_heading(const chunk& c) {
    const std::string h = normalise_heading(c.raw);
    Article* a = cur();
    if (a == nullptr) {
      start(c).set_headline(h);
      return;
    }
    // (A photo credit above the title names photographers only: the title is still open.)
    const bool bare = !has_body(*a) && !has_byline(*a) && a->dateline().empty();
    if (bare && a->headline().empty()) {
      a->set_headline(h);
      return;
    }
    if (bare && !st_.closed) {
      if (a->subheadline().empty() && a->kicker().empty() && !starts_with_dash(h)) {
        // Two title lines, the second not led by a dash: an overline (引题) and the headline
        // (`邻居帮忙收大葱、搬车子、捎垃圾……` / `雨天无寒意 邻里处处暖`). A third line is the
        // sub-headline.
        a->set_kicker(a->headline());
        a->set_headline(h);
        stacked_kicker_ = true;
        drafts_.back().doubts.emplace_back(doubt::stacked_overline);
      } else if (a->subheadline().empty()) {
        a->set_subheadline(strip_leading_dashes(h));
      } else if (a->kicker().empty() || (st_.from_briefs && a->kicker() == briefs_label_)) {
        // Three headings before the byline: kicker, headline, sub-headline.
        a->set_kicker(a->headline());
        a->set_headline(a->subheadline());
        a->set_subheadline(strip_leading_dashes(h));
      } else {
        add_block(*a, Block::SUBHEAD, h);
      }
      return;
    }
    bool fresh = st_.closed || in_briefs_ || new_article_follows(i_);
    const std::string words = without_markup(h);  // as is_heading judges it
    if (!fresh && has_body(*a) && !c.marked && !is_numbered(c.text) && visible_length(words) > max_subhead) {
      // Too long for a sub-head. A clause break says it is the first half of a paragraph cut by a
      // blank line; otherwise it is the headline of an article without byline.
      const bool clause = words.find("，") != std::string::npos || words.find(',') != std::string::npos ||
                          words.find("、") != std::string::npos;
      if (clause) {
        finish_paragraph(*a, c.text, Block::PARAGRAPH, false);
        return;
      }
      start(c).set_headline(h);
      drafts_.back().doubts.emplace_back(doubt::length_headline);
      return;
    }
    if (fresh) {
      start(c).set_headline(h);
      return;
    }
    if (!a->headline().empty() && is_quoted_sentence(c.text) && lexicon_active("fazhi-ribao")) {
      // `“看个电视怎么这么麻烦!”` under the byline: someone speaking, the first paragraph.
      finish_paragraph(*a, c.text, Block::PARAGRAPH, false);
      return;
    }
    add_block(*a, Block::SUBHEAD, h);
  }

  void on_text(const chunk& c) {
    Article* a = cur();
    const bool dateline_start = c.lead;
    // The second half of a paragraph cut by a blank line (or by a dropped-in caption).
    // (A paragraph opened by an item marker, `● 网络电视…`, is never the rest of the one before.)
    if (a != nullptr && st_.open_paragraph && !dateline_start &&
        !(c.marked && lexicon_active("issue fazhi-ribao")) && !(is_heading(c) && new_article_follows(i_))) {
      Block* last = a->mutable_blocks(a->blocks_size() - 1);
      std::string text = *last->mutable_text();
      append_joined(text, c.text);
      finish_paragraph(*a, std::move(text), last->kind(), true);
      return;
    }
    if (note_next_ && a != nullptr) {
      note_next_ = false;
      finish_paragraph(*a, c.text, Block::EDITOR_NOTE, false);
      return;
    }
    std::string_view inline_note;
    if (a != nullptr && is_editor_label_text(c.raw, inline_note)) {
      finish_paragraph(*a, normalise_body(inline_note), Block::EDITOR_NOTE, false);
      return;
    }
    if (is_overline(c) && next_is_heading(i_)) {
      // Start the title stack: kicker now, the heading after it is the headline.
      if (a == nullptr || has_body(*a) || !a->headline().empty() || a->contributors_size() > 0 ||
          st_.closed) {
        a = &start(c);
      }
      a->set_kicker(normalise_heading(c.raw));
      return;
    }
    if (is_heading(c)) {
      on_heading(c);
      return;
    }
    if (a != nullptr && is_question_subtitle(c) && !has_body(*a) && !a->headline().empty() &&
        a->contributors_size() == 0 && a->dateline().empty()) {
      // `是因陋就简,满足更多人的需要?还是富丽堂皇,只够少数人享用?` under a question headline:
      // more title, not text.
      a->set_subheadline(a->subheadline() + normalise_heading(c.raw));
      return;
    }
    std::string text = c.text;
    if (dateline_start) {
      const auto d = parse_dateline(c.raw);
      if (a != nullptr && caption_under_headline(*a)) {
        // `福州晚报记者(右)走访高新区水西林村。` between the headline and the dateline: a photo's caption
        // printed without a credit, not the article's text.
        syndication::v1::Photo p;
        p.set_caption(a->blocks(0).text());
        a->clear_blocks();
        *a->add_photos() = std::move(p);
      }
      if (a == nullptr || has_body(*a) || st_.closed || !a->dateline().empty()) a = &start(c);
      a->set_dateline(d->text);
      a->set_dateline_lead(d->own_paper);
      add_people(*a, d->people);
      text = normalise_body(std::string_view(c.raw).substr(d->consumed));
    } else if (a == nullptr || (st_.closed && has_body(*a)) || (in_briefs_ && c.marked && has_body(*a))) {
      a = &start(c);
    }
    add_people(*a, c.people);  // a byline glued to the paragraph's start
    finish_paragraph(*a, std::move(text), Block::PARAGRAPH, false);
  }

  /// Is the next chunk that counts (photos and furniture skipped) a heading?
  bool next_is_heading(std::size_t i) const {
    for (std::size_t j = i + 1; j < chunks_.size() && j <= i + 8; ++j) {
      const chunk& n = chunks_[j];
      if (n.dropped || n.kind == chunk_kind::photo || n.kind == chunk_kind::furniture) continue;
      return is_heading(n);
    }
    return false;
  }

  /// Title lines that ask: at most 80 characters (two printed lines), ending in `？`/`?`, no
  /// sentence end but `？`.
  static bool is_question_subtitle(const chunk& c) {
    if (c.kind != chunk_kind::text || c.lead || c.length > 80 || !lexicon_active("renmin-ribao"))
      return false;
    const std::string_view t = c.text;
    const char32_t last = last_cp(t);
    if (last != U'？' && last != U'?') return false;
    return t.find("。") == std::string_view::npos && t.find("；") == std::string_view::npos;
  }

  /// An editor's note with its text on the same line: `【编者按】…`, `编者按：…`, `编后 …` (labels:
  /// `editor_labels()`).
  static bool is_editor_label_text(std::string_view raw, std::string_view& rest) {
    std::string_view s = strip_marker(raw);
    std::string_view close;
    if (starts_with(s, "【")) {
      s.remove_prefix(std::string_view("【").size());
      close = "】";
    } else if (starts_with(s, "[")) {
      s.remove_prefix(1);
      close = "]";
    }
    for (std::string_view label : editor_labels()) {
      if (!starts_with(s, label)) continue;
      std::string_view after = s.substr(label.size());
      if (!close.empty()) {
        if (!starts_with(after, close)) return false;
        after.remove_prefix(close.size());
      } else if (starts_with(after, "：")) {
        after.remove_prefix(std::string_view("：").size());
      } else if (starts_with(after, ":") || starts_with(after, " ")) {
        after.remove_prefix(1);
      } else {
        return false;
      }
      rest = trim(after);
      return !rest.empty();
    }
    return false;
  }

  /// Adds (or, when `replace_last`, rewrites) a paragraph, taking jump markers and a closing
  /// attribution off it and noting whether it was cut mid-sentence.
  void finish_paragraph(Article& a, std::string text, Block::Kind kind, bool replace_last) {
    if (!has_body(a) || replace_last) {
      if (auto j = find_jump(text, false); j && !j->out) {
        a.set_continued_from_page(j->page);
        text = std::string(trim(std::string_view(text).substr(j->end)));
      }
    }
    if (auto j = find_jump(text, false); j && j->out) {
      a.set_continued_on_page(j->page);
      text = std::string(trim(std::string_view(text).substr(0, j->begin)));
      st_.closed = true;
    }
    if (auto people = take_trailing_attribution(text)) {
      add_people(a, *people);
      st_.closed = true;
    }
    if (replace_last) {
      Block* last = a.mutable_blocks(a.blocks_size() - 1);
      if (text.empty()) {
        a.mutable_blocks()->RemoveLast();
      } else {
        last->set_text(text);
      }
    } else if (!text.empty()) {
      add_block(a, kind, text);
    }
    st_.open_paragraph = !st_.closed && !text.empty() && continues_sentence(last_cp(text));
  }

  std::vector<draft> finish() {
    note_open_end();
    std::vector<draft> out;
    out.reserve(drafts_.size());
    for (auto& d : drafts_) {
      Article& a = d.article;
      // Photo news: a headline over a captioned photo and no text of its own.
      const bool photo_news = !a.headline().empty() && a.photos_size() > 0 &&
                              !a.photos(0).caption().empty() && lexicon_active("ningbo-wanbao yanan-ribao");
      if (!has_body(a) && !photo_news) {
        if (has_head(a) || a.photos_size() > 0) {
          warnings_.push_back(make_warning(d.line, "heading without article text; dropped",
                                           a.headline().empty() ? a.kicker() : a.headline()));
        }
        continue;
      }
      if (a.headline().empty()) {
        warnings_.push_back(
            make_warning(d.line, "article without a headline", a.blocks(0).text().substr(0, 60)));
      }
      out.push_back(std::move(d));
    }
    return out;
  }

  static syndication::v1::SplitWarning make_warning(std::uint32_t line, std::string reason,
                                                    std::string text) {
    syndication::v1::SplitWarning w;
    w.set_line(line);
    w.set_reason(std::move(reason));
    // Never cut a UTF-8 sequence in half.
    while (!text.empty() && find_invalid_utf8(text) != std::string::npos) text.pop_back();
    w.set_text(std::move(text));
    return w;
  }

  const std::vector<chunk>& chunks_;
  std::vector<syndication::v1::SplitWarning>& warnings_;
  std::vector<draft> drafts_;
  std::vector<syndication::v1::Photo> pending_photos_;
  std::vector<person> pending_people_;
  std::size_t i_ = 0;
  state st_;
  bool stacked_kicker_ = false;  ///< the current article's kicker is the overline of a title stack
  bool in_briefs_ = false;
  bool note_next_ = false;
  std::string briefs_label_;
};

}  // namespace

std::vector<draft> assemble_articles(const std::vector<chunk>& chunks,
                                     std::vector<syndication::v1::SplitWarning>& warnings) {
  return assembler(chunks, warnings).run();
}

}  // namespace syn::producer::detail
