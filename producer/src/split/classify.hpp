#pragma once
/// Stage 2, the line classifier: lines -> chunks (paragraph-sized pieces) -> what each chunk is.
/// Also the small parsers for the things a chunk can be (bylines, photo credits, datelines, jump
/// lines), which later stages reuse.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "split/decode.hpp"
#include "syndication/v1/article.pb.h"

namespace syn::producer::detail {

using role_t = syndication::v1::Contributor::Role;

/// A credited person, name with extraction spaces removed.
struct person {
  std::string name;
  role_t role = syndication::v1::Contributor::ROLE_UNSPECIFIED;
  friend bool operator==(const person&, const person&) = default;
};

/// What a chunk is.
enum class chunk_kind {
  text,          ///< headline, sub-head or paragraph: decided by the assembler from context
  kicker,        ///< `»)典范地州·典范行动`, `(>>) ...`, `【新春走基层】`
  byline,        ///< `□本报记者 杨鹤 通讯员 宋华敏`, `◎记者 王五`
  attribution,   ///< a byline in parentheses closing an article: `（记者 王磊）`
  photo,         ///< a photo credit, with its caption when on the same line
  jump,          ///< `（下转第2版）`, `（上接第1版）`
  editor_label,  ///< `编者按` on its own line
  briefs_label,  ///< `简讯` and other briefs column headings
  masthead,      ///< consumed by the masthead reader
  furniture,  ///< page furniture: `责任编辑：X`, a stray page label `A03`, `3`; not part of any article
};

/// One paragraph-sized piece of the input: a run of non-blank lines (see `make_chunks`).
struct chunk {
  chunk_kind kind = chunk_kind::text;
  std::uint32_t line = 0;       ///< first source line
  std::string raw;              ///< the lines joined, spaces as extracted, marker removed
  std::string text;             ///< normalised (`normalise_body`) payload: kicker, paragraph, caption
  bool marked = false;          ///< text started with a ■ ● ◆ ▲ ◎ ○ □ marker (now removed)
  std::vector<person> people;   ///< byline, attribution, photo credit
  std::string credit;           ///< photo: the credit as printed, `本报记者 杨鹤`
  bool jump_out = false;        ///< jump: `下转` (true) or `上接` (false)
  std::uint32_t jump_page = 0;  ///< jump: the page named
  bool dropped = false;         ///< taken out by a repair pass
  std::size_t length = 0;       ///< text: visible length of `text`, counted up to 1024
  bool lead = false;            ///< text: starts with a dateline (`本报讯`…)
};

/// Splits lines into chunks: blank lines separate chunks; inside a run of non-blank lines a new
/// chunk starts at an indented line (two spaces, a tab or an ideographic space) and around
/// structural lines (kicker, byline, credit, jump, labels, a `本报讯` lead). Other lines are
/// wrapped lines of one paragraph and are joined.
std::vector<chunk> make_chunks(const std::vector<source_line>& lines);

/// Decides the kind of every chunk not already marked `masthead` and fills its fields.
void classify_chunks(std::vector<chunk>& chunks);

/// Parses a list of people with roles: `本报记者 杨鹤 通讯员 宋华敏`, `记者杨鹤、通讯员毛著 魏`.
/// Names are Han (or `·`-joined) runs; one-character pieces split by a space are rejoined
/// (`毛著 魏` -> `毛著魏`, `杨 鹤` -> `杨鹤`). `default_role` applies to names before any role
/// word; with `require_role` a list without any role word is refused. `printed`, if given,
/// receives the list as printed with normalised spacing (`本报记者 杨鹤`). Returns nullopt if
/// `s` holds anything but roles, names and separators.
std::optional<std::vector<person>> parse_people(std::string_view s, role_t default_role, bool require_role,
                                                std::string* printed = nullptr);

/// A dateline at the start of a lead paragraph.
struct dateline {
  std::string text;            ///< `本报讯`, `本报北京1月29日电`, `新华社北京1月29日电`
  bool own_paper = false;      ///< a `本报` dateline (sets Article.dateline_lead)
  std::vector<person> people;  ///< from `（记者 X）` or `记者X报道:`
  std::size_t consumed = 0;    ///< bytes of the raw paragraph the dateline took
};

/// Recognises `本报讯`, `本报讯（记者 X 通讯员 Y）`, `本报讯 记者X报道:`, `本报北京1月29日电`,
/// `新华社…电（记者 X）` at the start of `raw`.
std::optional<dateline> parse_dateline(std::string_view raw);

/// A jump line: `（下转第2版）`, `(上接1版)`, `紧接第一版`, possibly at the end (下转) or the start
/// (上接) of a paragraph. `begin`/`end` delimit it in the string searched.
struct jump {
  bool out = false;
  std::uint32_t page = 0;
  std::size_t begin = 0;
  std::size_t end = 0;
};

/// Finds a jump marker that is all of `s` (`whole`), or its tail (下转) or head (上接).
std::optional<jump> find_jump(std::string_view s, bool whole);

/// Where a closing credit of bare names starts at the end of `raw` (`…各自国家。 张丹`,
/// `…有关问题。 张晓宁 贾天勇`): up to three names of two or three Han characters, each opening with a
/// common surname, separated from a finished sentence by a space; npos if there is none. The
/// line with one ends its paragraph; `people`, if given, receives the names (reporters).
std::size_t bare_credit_tail(std::string_view raw, std::vector<person>* people);

/// Where a byline glued to the end of a paragraph starts (`…他可能有时间。本报记者夏命群`,
/// `…几个问题。 本报记者 张瑾`): role words and names after the last finished sentence, read as
/// parse_people does with a role required; npos if there is none. `people` receives them.
std::size_t byline_tail(std::string_view raw, std::vector<person>* people);

/// Splits `raw` into caption and credit if it ends with a photo credit (`... 本报记者 杨鹤摄`,
/// `...（记者 X 摄）`). Returns nullopt if there is no credit.
struct credit_split {
  std::string caption;  ///< raw, possibly empty
  std::string credit;   ///< as printed, normalised
  std::vector<person> people;
};
std::optional<credit_split> find_credit(std::string_view raw);

/// Page furniture on a line of its own: an editor's or proofreader's credit (`责任编辑：X`,
/// `（审读:X）`), or a bare page label or number (`A03`, `04版`, `第3版:要闻`, `3`).
bool is_furniture(std::string_view line);

/// A page label at `s[i]`: `第3版`, `03版`, `A03`, `C5` (a capital and one or two digits). Returns
/// the page and sets `end` past it, or 0. Must be followed by the end, a space, a colon or a Han
/// section name.
std::uint32_t page_label_at(std::string_view s, std::size_t i, std::size_t* end = nullptr) noexcept;

/// Strips a ■ ● ◆ ▲ ◎ ○ □ ★ marker (and following spaces) from the start of `s`.
std::string_view strip_marker(std::string_view s, bool* had_marker = nullptr) noexcept;

}  // namespace syn::producer::detail
