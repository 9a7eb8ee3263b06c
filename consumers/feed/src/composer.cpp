#include "syn/feed/composer.hpp"

#include <algorithm>
#include <cctype>

#include "syn/core/http_client.hpp"
#include "syn/feed/text.hpp"

namespace syn::feed {
namespace {

using syndication::v1::Article;
using syndication::v1::Block;
using syndication::v1::Contributor;

/// Words the rendering needs, per script. Translations into other languages get the English set.
struct labels {
  std::string_view reporter, correspondent, photographer, editor, intern;
  std::string_view editor_note;
  std::string_view photo_by;  ///< after a photo credit
  std::string_view untitled;
  std::string_view read_more;       ///< the truncation notice
  std::string_view continued_next;  ///< end of a split part
  std::string_view continued_prev;  ///< start of a split part
  std::string_view continued_on;    ///< "(continued on page N)": prefix, suffix
  std::string_view continued_on_suffix;
};

constexpr labels hans{"记者",
                      "通讯员",
                      "摄影",
                      "编辑",
                      "实习生",
                      "编者按",
                      "摄",
                      "（无标题）",
                      "（全文较长，未完部分请点击“阅读原文”查看）",
                      "（未完，接下篇）",
                      "（接上篇）",
                      "（下转第",
                      "版）"};
constexpr labels hant{"記者",
                      "通訊員",
                      "攝影",
                      "編輯",
                      "實習生",
                      "編者按",
                      "攝",
                      "（無標題）",
                      "（全文較長，未完部分請點擊「閱讀原文」查看）",
                      "（未完，接下篇）",
                      "（接上篇）",
                      "（下轉第",
                      "版）"};
constexpr labels en{"Reporter",
                    "Correspondent",
                    "Photo",
                    "Editor",
                    "Intern",
                    "Editor's note",
                    "photo",
                    "(untitled)",
                    "(This article continues: tap \"Read more\" for the full text.)",
                    "(continued in the next part)",
                    "(continued from the previous part)",
                    "(continued on page ",
                    ")"};

const labels& labels_for(std::string_view language) {
  auto starts = [&](std::string_view p) {
    if (language.size() < p.size()) return false;
    const auto same = [](char a, char b) {
      return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
    };
    if (!std::equal(p.begin(), p.end(), language.begin(), same)) return false;
    return language.size() == p.size() || language[p.size()] == '-';
  };
  if (language.empty() || starts("zh-Hans") || starts("zh-CN") || starts("zh-SG") || language == "zh")
    return hans;
  if (starts("zh")) return hant;  // zh-Hant, zh-TW, zh-HK, zh-MO
  return en;
}

std::string_view role_label(const labels& l, Contributor::Role r) {
  switch (r) {
    case Contributor::REPORTER:
      return l.reporter;
    case Contributor::CORRESPONDENT:
      return l.correspondent;
    case Contributor::PHOTOGRAPHER:
      return l.photographer;
    case Contributor::EDITOR:
      return l.editor;
    case Contributor::INTERN:
      return l.intern;
    case Contributor::OTHER:
    case Contributor::ROLE_UNSPECIFIED:
    default:
      return {};
  }
}

/// Writers first (reporters, correspondents, interns), then editors, photographers, others.
int role_rank(Contributor::Role r) {
  switch (r) {
    case Contributor::REPORTER:
      return 0;
    case Contributor::CORRESPONDENT:
      return 1;
    case Contributor::INTERN:
      return 2;
    case Contributor::EDITOR:
      return 3;
    case Contributor::PHOTOGRAPHER:
      return 4;
    default:
      return 5;
  }
}

std::vector<const Contributor*> ordered_contributors(const Article& a) {
  std::vector<const Contributor*> out;
  for (const auto& c : a.contributors()) {
    if (!text::trim(c.name()).empty()) out.push_back(&c);
  }
  std::stable_sort(out.begin(), out.end(), [](const Contributor* x, const Contributor* y) {
    return role_rank(x->role()) < role_rank(y->role());
  });
  return out;
}

bool is_http_url(std::string_view u) { return u.rfind("https://", 0) == 0 || u.rfind("http://", 0) == 0; }

std::string esc(std::string_view s) { return text::html_escape(text::trim(s)); }

// Inline styles only: WeChat strips <style> and class attributes from article content.
constexpr std::string_view p_open = "<p style=\"margin:0 0 1em;line-height:1.75;text-align:justify;\">";
constexpr std::string_view meta_open = "<p style=\"margin:0 0 0.5em;color:#888;font-size:14px;\">";
constexpr std::string_view subhead_open = "<p style=\"margin:1.5em 0 0.75em;font-size:17px;\"><strong>";
constexpr std::string_view note_open =
    "<section style=\"margin:0 0 1.5em;padding:12px 16px;background:#f6f6f6;border-left:4px solid #b22;"
    "font-size:15px;line-height:1.7;color:#444;\">";
constexpr std::string_view quote_open =
    "<blockquote style=\"margin:0 0 1em;padding:8px 16px;border-left:3px solid #ccc;color:#555;\">";
constexpr std::string_view caption_open =
    "<p style=\"margin:0.25em 0 1.25em;color:#888;font-size:13px;text-align:center;line-height:1.5;\">";
constexpr std::string_view notice_open = "<p style=\"margin:1.5em 0 0;color:#888;font-size:14px;\">";

/// One renderable piece of content; content is cut only between units.
struct unit {
  std::string html;
  bool essential = false;  ///< header units: kept in every part
};

/// Splits `s` into pieces of at most `max_len` (wechat_length), at sentence boundaries where
/// possible, else at character boundaries.
std::vector<std::string_view> split_text(std::string_view s, std::size_t max_len) {
  std::vector<std::string_view> out;
  while (text::wechat_length(s) > max_len) {
    auto head = text::sentence_prefix_within(s, max_len);
    if (head.empty()) head = text::prefix_within(s, max_len);
    if (head.empty()) break;  // max_len < 2 and a supplementary character: give up splitting
    out.push_back(head);
    s.remove_prefix(head.size());
  }
  if (!s.empty()) out.push_back(s);
  return out;
}

/// Appends the units for one text block, splitting a very long one so that every unit fits.
void add_text_units(std::vector<unit>& units, std::string_view open, std::string_view close,
                    std::string_view raw, std::size_t unit_budget, std::string_view lead_html = {}) {
  const auto body = text::trim(raw);
  std::string whole(open);
  whole += lead_html;
  whole += text::html_escape(body);
  whole += close;
  if (text::wechat_length(whole) <= unit_budget) {
    units.push_back({std::move(whole), false});
    return;
  }
  // Rare: one block longer than a unit may be. Split its text at sentence boundaries; escaping can
  // grow text up to 6x (`"` becomes `&quot;`), so budget the raw pieces conservatively.
  const std::size_t overhead = text::wechat_length(open) + text::wechat_length(close) + lead_html.size();
  const std::size_t room = unit_budget > overhead + 6 * 64 ? (unit_budget - overhead) / 6 : 64;
  bool first = true;
  for (auto piece : split_text(body, room)) {
    std::string h(open);
    if (first) h += lead_html;
    h += text::html_escape(piece);
    h += close;
    units.push_back({std::move(h), false});
    first = false;
  }
}

std::size_t html_len(const std::string& s) { return text::wechat_length(s); }

/// Header, body and photo units of one article.
std::vector<unit> render_units(const Article& a, const compose_options& o, const labels& l,
                               bool title_was_cut, std::size_t unit_budget) {
  std::vector<unit> units;
  if (title_was_cut) {
    units.push_back({"<p style=\"margin:0 0 0.75em;font-size:20px;font-weight:bold;line-height:1.4;\">" +
                         esc(a.headline()) + "</p>",
                     true});
  }
  if (!text::trim(a.kicker()).empty())
    units.push_back({std::string(meta_open) + esc(a.kicker()) + "</p>", true});
  if (!text::trim(a.subheadline()).empty()) {
    units.push_back(
        {"<p style=\"margin:0 0 0.75em;font-size:16px;color:#555;\">" + esc(a.subheadline()) + "</p>", true});
  }
  if (const auto by = make_byline(a); !by.empty()) {
    units.push_back({std::string(meta_open) + text::html_escape(by) + "</p>", true});
  }

  // Photos by position: photo i goes after block `after_block` (0 = before the first block).
  std::vector<std::vector<int>> photos_after(static_cast<std::size_t>(a.blocks_size()) + 1);
  for (int i = 0; i < a.photos_size(); ++i) {
    const auto at =
        std::min<std::size_t>(a.photos(i).after_block(), static_cast<std::size_t>(a.blocks_size()));
    photos_after[at].push_back(i);
  }
  bool in_list = false;
  auto add_photos = [&](std::size_t at) {
    if (photos_after[at].empty()) return;
    if (in_list) {
      units.back().html += "</ul>";
      in_list = false;
    }
    for (const int i : photos_after[at]) {
      const auto& p = a.photos(i);
      std::string h;
      if (const auto it = o.photo_urls.find(photo_key(a.id(), static_cast<std::size_t>(i)));
          it != o.photo_urls.end() && is_http_url(it->second)) {
        h += "<p style=\"margin:1em 0 0;text-align:center;\"><img src=\"" + text::html_escape(it->second) +
             "\" style=\"max-width:100%;\" alt=\"" + esc(p.caption()) + "\"/></p>";
      }
      std::string caption = esc(p.caption());
      if (!text::trim(p.credit()).empty()) {
        if (!caption.empty()) caption += "　";
        caption += esc(p.credit());
        caption += " ";
        caption += l.photo_by;
      }
      if (caption.empty() && h.empty()) continue;
      if (!caption.empty()) h += std::string(caption_open) + caption + "</p>";
      units.push_back({std::move(h), false});
    }
  };

  add_photos(0);
  bool first_paragraph = true;
  for (int b = 0; b < a.blocks_size(); ++b) {
    const auto& block = a.blocks(b);
    if (block.kind() != Block::LIST_ITEM && in_list) {
      units.back().html += "</ul>";
      in_list = false;
    }
    switch (block.kind()) {
      case Block::SUBHEAD:
        add_text_units(units, subhead_open, "</strong></p>", block.text(), unit_budget);
        break;
      case Block::EDITOR_NOTE: {
        // The label is set apart; the note's text excludes it (article.proto).
        const std::string lead =
            "<strong style=\"color:#b22;\">" + text::html_escape(l.editor_note) + "</strong>　";
        add_text_units(units, std::string(note_open) + "<p style=\"margin:0;\">", "</p></section>",
                       block.text(), unit_budget, lead);
        break;
      }
      case Block::QUOTE:
        add_text_units(units, std::string(quote_open) + "<p style=\"margin:0;\">", "</p></blockquote>",
                       block.text(), unit_budget);
        break;
      case Block::LIST_ITEM:
        // Consecutive items form one list; each item is its own unit (cut points between items).
        if (!in_list) units.push_back({"<ul style=\"margin:0 0 1em;padding-left:1.5em;\">", false});
        add_text_units(units, "<li>", "</li>", block.text(), unit_budget);
        in_list = true;
        break;
      case Block::PARAGRAPH:
      case Block::KIND_UNSPECIFIED:
      default: {
        std::string lead;
        if (first_paragraph && !text::trim(a.dateline()).empty()) {
          lead = "<strong>" + esc(a.dateline()) + "</strong>　";
        }
        add_text_units(units, p_open, "</p>", block.text(), unit_budget, lead);
        first_paragraph = false;
        break;
      }
    }
    add_photos(static_cast<std::size_t>(b) + 1);
  }
  if (in_list) units.back().html += "</ul>";
  if (a.continued_on_page() > 0) {
    units.push_back({std::string(meta_open) + std::string(l.continued_on) +
                         std::to_string(a.continued_on_page()) + std::string(l.continued_on_suffix) + "</p>",
                     false});
  }
  return units;
}

struct budget {
  std::size_t chars;  ///< maximum wechat_length (inclusive)
  std::size_t bytes;  ///< maximum bytes (inclusive)
};

bool fits(std::size_t chars, std::size_t bytes, const budget& b) {
  return chars <= b.chars && bytes <= b.bytes;
}

}  // namespace

std::string article_url(std::string_view base, std::string_view id) {
  while (!base.empty() && base.back() == '/') base.remove_suffix(1);
  std::string out(base);
  out += "/articles/";
  out += http::percent_encode(id);
  return out;
}

std::string photo_key(std::string_view article_id, std::size_t photo_index) {
  return std::string(article_id) + "#" + std::to_string(photo_index);
}

std::string make_title(const Article& a, std::size_t max_len) {
  std::string_view t = text::trim(a.headline());
  if (t.empty()) t = text::trim(a.kicker());
  if (t.empty()) t = labels_for(a.language()).untitled;
  return text::cut(text::sanitize_utf8(t), max_len);
}

std::string make_author(const Article& a, std::size_t max_len) {
  std::string out;
  for (const auto* c : ordered_contributors(a)) {
    const auto name = text::sanitize_utf8(text::trim(c->name()));
    if (out.empty()) {
      if (text::wechat_length(name) > max_len) return text::cut(name, max_len);
      out = name;
      continue;
    }
    if (out.find(name) != std::string::npos) continue;  // the same person credited twice
    if (text::wechat_length(out) + 1 + text::wechat_length(name) > max_len) break;
    out += ' ';
    out += name;
  }
  return out;
}

std::string make_digest(const Article& a, std::size_t max_len) {
  for (const auto& b : a.blocks()) {
    if (b.kind() != Block::PARAGRAPH && b.kind() != Block::KIND_UNSPECIFIED) continue;
    auto t = text::sanitize_utf8(text::trim(b.text()));
    if (t.empty()) continue;
    if (text::wechat_length(t) <= max_len) return t;
    if (const auto s = text::sentence_prefix_within(t, max_len); !s.empty()) return std::string(s);
    return text::cut(t, max_len);
  }
  return {};
}

std::string make_byline(const Article& a) {
  const auto& l = labels_for(a.language());
  std::string out;
  std::string_view last_label;
  bool have_label = false;
  for (const auto* c : ordered_contributors(a)) {
    const auto label = role_label(l, c->role());
    if (!have_label || label != last_label) {
      if (!label.empty()) {
        if (!out.empty()) out += ' ';
        out += label;
      }
      last_label = label;
      have_label = true;
    }
    if (!out.empty()) out += ' ';
    out += text::sanitize_utf8(text::trim(c->name()));
  }
  return out;
}

/// oversize_policy::split: the article in parts of `whole` each, "(i/n)" in every title.
std::vector<draft_article> split_drafts(const draft_article& base, const std::vector<unit>& units,
                                        const budget& whole, const labels& l, const std::string& full_title,
                                        const wechat_limits& lim) {
  // oversize_policy::split: header units repeat in every part; body units are packed greedily.
  std::string header;
  std::vector<const unit*> body;
  for (const auto& u : units) {
    if (u.essential) {
      header += u.html;
    } else {
      body.push_back(&u);
    }
  }
  const std::string next = std::string(notice_open) + text::html_escape(l.continued_next) + "</p>";
  const std::string prev = std::string(notice_open) + text::html_escape(l.continued_prev) + "</p>";
  const std::size_t fixed_chars = html_len(header) + html_len(next) + html_len(prev);
  const std::size_t fixed_bytes = header.size() + next.size() + prev.size();
  const budget room{whole.chars - std::min(whole.chars, fixed_chars),
                    whole.bytes - std::min(whole.bytes, fixed_bytes)};
  std::vector<std::string> parts;
  std::string cur;
  std::size_t cur_chars = 0;
  for (const auto* u : body) {
    const auto c = html_len(u->html);
    if (!cur.empty() && !fits(cur_chars + c, cur.size() + u->html.size(), room)) {
      parts.push_back(std::move(cur));
      cur.clear(), cur_chars = 0;
    }
    cur += u->html, cur_chars += c;
  }
  if (!cur.empty() || parts.empty()) parts.push_back(std::move(cur));

  std::vector<draft_article> out;
  const std::size_t n = parts.size();
  for (std::size_t i = 0; i < n; ++i) {
    draft_article d = base;
    d.part = i + 1;
    d.parts = n;
    const std::string suffix = "（" + std::to_string(i + 1) + "/" + std::to_string(n) + "）";
    const auto suffix_len = text::wechat_length(suffix);
    d.title =
        (suffix_len < lim.title ? text::cut(full_title, lim.title - suffix_len) : std::string()) + suffix;
    std::string content = header;
    if (i > 0) content += prev;
    content += parts[i];
    if (i + 1 < n) content += next;
    // Close a list left open at a part boundary; reopen it in the next part.
    if (const auto open = content.rfind("<ul");
        open != std::string::npos && content.find("</ul>", open) == std::string::npos) {
      content += "</ul>";
    }
    if (const auto li = content.find("<li>"); li != std::string::npos) {
      const auto ul = content.find("<ul");
      if (ul == std::string::npos || ul > li)
        content.insert(li, "<ul style=\"margin:0 0 1em;padding-left:1.5em;\">");
    }
    d.content = std::move(content);
    out.push_back(std::move(d));
  }
  return out;
}

std::vector<draft_article> compose_article(const Article& a, const compose_options& o) {
  const auto& l = labels_for(a.language());
  const auto& lim = o.limits;
  // "必须少于2万字符，小于1M": strictly less than either limit.
  const budget whole{lim.content_chars > 0 ? lim.content_chars - 1 : 0,
                     lim.content_bytes > 0 ? lim.content_bytes - 1 : 0};

  const auto full_title = make_title(a, static_cast<std::size_t>(-1));
  const auto title = make_title(a, lim.title);
  const bool title_cut = title != full_title;

  draft_article base;
  base.author = make_author(a, lim.author);
  base.digest = make_digest(a, lim.digest);
  base.content_source_url = article_url(o.public_base_url, a.id());
  if (base.content_source_url.size() > lim.source_url_bytes) base.content_source_url.clear();
  base.thumb_media_id = o.thumb_media_id;
  base.need_open_comment = o.need_open_comment ? 1 : 0;
  base.only_fans_can_comment = o.only_fans_can_comment ? 1 : 0;
  base.article_id = a.id();
  base.content_sha256 = a.content_sha256();

  // A unit never exceeds a quarter of the budget, so cutting between units loses little.
  const std::size_t unit_budget = std::max<std::size_t>(std::min(whole.chars, whole.bytes / 3) / 4, 256);
  auto units = render_units(a, o, l, title_cut, unit_budget);

  std::size_t total_chars = 0;
  std::size_t total_bytes = 0;
  for (const auto& u : units) total_chars += html_len(u.html), total_bytes += u.html.size();

  if (fits(total_chars, total_bytes, whole)) {
    std::string content;
    content.reserve(total_bytes);
    for (auto& u : units) content += u.html;
    base.title = title;
    base.content = std::move(content);
    return {std::move(base)};
  }

  if (o.oversize == oversize_policy::truncate) {
    // Keep whole units while they fit with the notice. The notice is text that points to the
    // "阅读原文" link WeChat shows under the article (content_source_url): the platform keeps only
    // links to WeChat articles in content, so a link to our feed server would be removed.
    std::string notice = std::string(notice_open) + text::html_escape(l.read_more) + "</p>";
    const budget room{whole.chars - std::min(whole.chars, html_len(notice)),
                      whole.bytes - std::min(whole.bytes, notice.size())};
    std::string content;
    std::size_t chars = 0;
    for (const auto& u : units) {
      const auto c = html_len(u.html);
      if (!fits(chars + c, content.size() + u.html.size(), room)) break;
      content += u.html, chars += c;
    }
    // A list cut mid-way is left open; close it so the HTML stays well-formed.
    if (const auto open = content.rfind("<ul");
        open != std::string::npos && content.find("</ul>", open) == std::string::npos) {
      content += "</ul>";
    }
    content += notice;
    base.title = title;
    base.content = std::move(content);
    base.truncated = true;
    return {std::move(base)};
  }

  return split_drafts(base, units, whole, l, full_title, lim);
}

std::vector<draft> compose_drafts(std::span<const Article* const> articles, const compose_options& o) {
  std::vector<const Article*> sorted(articles.begin(), articles.end());
  std::erase(sorted, nullptr);
  std::stable_sort(sorted.begin(), sorted.end(), [](const Article* x, const Article* y) {
    if (x->sequence() != y->sequence()) return x->sequence() < y->sequence();
    return x->id() < y->id();
  });
  const std::size_t per = std::clamp<std::size_t>(o.max_articles_per_draft, 1,
                                                  std::max<std::size_t>(o.limits.articles_per_draft, 1));
  std::vector<draft> out;
  auto start = [&](const Article& a) {
    draft d;
    d.issue_id = a.issue_id();
    d.index = out.size();
    out.push_back(std::move(d));
  };
  for (const auto* a : sorted) {
    auto parts = compose_article(*a, o);
    // Keep an article's parts together when they fit in one draft.
    if (out.empty() ||
        (out.back().articles.size() + parts.size() > per && !out.back().articles.empty() &&
         parts.size() <= per) ||
        out.back().articles.size() >= per) {
      start(*a);
    }
    for (auto& p : parts) {
      if (out.back().articles.size() >= per) start(*a);
      out.back().articles.push_back(std::move(p));
    }
  }
  // "图文消息的摘要，仅有单图文消息才有摘要，多图文此处为空" (draft/add [1]): a digest only on
  // single-article drafts.
  for (auto& d : out) {
    if (d.articles.size() > 1) {
      for (auto& a : d.articles) a.digest.clear();
    }
  }
  return out;
}

}  // namespace syn::feed
