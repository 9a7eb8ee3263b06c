#pragma once
/// Stage 3, repair passes over classified chunks, before articles are assembled. Each pass
/// undoes one kind of extraction damage; what a pass removes is reported as a warning, never
/// dropped silently. (Column-wrap spaces are repaired by the normalisers in text.hpp, split
/// names by `parse_people`, and paragraphs cut by a blank line by the assembler, which knows
/// where a paragraph is open.)

#include <optional>
#include <string>
#include <vector>

#include "split/classify.hpp"
#include "syndication/v1/issue.pb.h"

namespace syn::producer::detail {

/// Gives a credit-only photo chunk (`□本报记者 杨 鹤摄` on its own) the caption printed just
/// before it: the previous text chunk, if it is caption-sized (at most 150 characters) and not a
/// dateline lead. That chunk is marked dropped (it is not body text).
void pair_captions(std::vector<chunk>& chunks);

/// Splits a closing credit of bare names off the end of a paragraph (`…各自国家。 张丹`): the
/// paragraph keeps its text, an attribution chunk with the names follows it and closes the article.
/// The bracketed form (`…猛料。(张小磊)`) is taken by take_trailing_attribution.
void split_bare_credits(std::vector<chunk>& chunks);

/// Drops garbage OCR left in the text, with a warning each:
///  - a chunk that repeats the previous paragraph;
///  - a leading sentence that is a garbled copy of the end of the previous paragraph
///    (`不思工、生产年间负责人朱佰鑫说。` after `...技术总工、生产车间负责人朱佰鑫说。`): at least six
///    characters whose character bigrams match the previous paragraph's tail at least 60%;
///  - a chunk that is mostly replacement, private-use or control characters.
void drop_garbled(std::vector<chunk>& chunks, std::vector<syndication::v1::SplitWarning>& warnings);

/// Bigram Dice similarity of two short strings (code points, at most 64 of each are compared).
double bigram_similarity(std::string_view a, std::string_view b);

/// Takes a closing attribution off the end of a paragraph: `……举行。（记者 王磊）`. Returns the
/// people, and shortens `text`, if there is one.
std::optional<std::vector<person>> take_trailing_attribution(std::string& text);

}  // namespace syn::producer::detail
