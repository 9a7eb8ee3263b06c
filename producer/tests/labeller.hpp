#pragma once
/// The sequence labeller: a first-order hidden Markov model over the page's chunks that tells,
/// for each text chunk, whether it reads as a title line, an in-body sub-head or body text, from
/// the rule features (length, how it ends, commas, quotes, markers, a dateline, the kinds of its
/// neighbours) and from what usually follows what. Decoded over the whole page (Viterbi; max-
/// marginals give each chunk's margin), linear in the number of chunks.
///
/// The weights are counts learnt from the development corpus by `corpus_score --train`
/// (tests/data/corpus/, truth files give the labels) and committed as a table
/// (`labeller_weights.inc`); leave-one-paper-out evaluation learns them again without the withheld
/// paper (`use_counts`). It lives beside the scorer, not in the splitter: asked where the
/// assembler's rules are unsure (a short heading in running text, a long one taken as a headline
/// by its length), it changed no result on the corpus, all in or leave-one-paper-out, so the
/// splitter does not pay for it (docs/SPLITTING.md, "A sequence labeller, measured").

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "split/classify.hpp"

namespace syn::producer::detail {

/// What a chunk is, as the labeller sees it. The first three are guessed for text chunks; the
/// others are the kinds of the chunks that are not text, observed: a byline (opens an article),
/// a closer (attribution, `下转` jump: closes one), a photo credit, anything else (kicker, labels,
/// furniture, `上接`). `other` also means "no opinion" in `labelling`.
enum class chunk_label : std::uint8_t {
  title = 0,
  subhead = 1,
  body = 2,
  byline = 3,
  closer = 4,
  photo = 5,
  other = 6
};
inline constexpr std::size_t label_count = 7;
inline constexpr std::size_t text_label_count = 3;

/// The label of a chunk that is not text (its kind, observed); `body` for a text chunk.
chunk_label observed_label(const chunk& c) noexcept;

/// The discrete features of a chunk, each a small number below `feature_values`.
inline constexpr std::size_t feature_count = 8;
inline constexpr std::size_t feature_values = 8;
using chunk_features = std::array<std::uint8_t, feature_count>;

/// Features of chunk `i` (its neighbours are looked at; dropped and masthead chunks skipped).
chunk_features features_of(const std::vector<chunk>& chunks, std::size_t i);

/// The model as counts: emissions per label, feature and value; transitions from the previous
/// label (`other` at the start of the page).
struct label_counts {
  std::array<std::array<std::array<std::uint32_t, feature_values>, feature_count>, label_count> emit{};
  std::array<std::array<std::uint32_t, label_count>, label_count> trans{};
  /// Adds one page's chunks with their labels (`labels[i]` for every chunk; dropped and masthead
  /// chunks are skipped).
  void add_page(const std::vector<chunk>& chunks, const std::vector<chunk_label>& labels);
  /// The table as C++ initialisers (the content of labeller_weights.inc).
  [[nodiscard]] std::string to_table() const;
};

/// The label of each chunk and how sure the model is: the log-score gap between the chosen label
/// and the next best (max-marginals), 0 for chunks that are not text.
struct labelling {
  std::vector<chunk_label> labels;
  std::vector<float> margins;
};

/// Labels the page's chunks with the committed weights, or with those set by `use_counts` on
/// this thread.
labelling label_chunks(const std::vector<chunk>& chunks);

/// Uses `counts` instead of the committed weights on this thread until the guard goes away
/// (leave-one-paper-out: weights learnt without the withheld paper). For evaluation only.
class use_counts {
 public:
  explicit use_counts(const label_counts& counts);
  ~use_counts();
  use_counts(const use_counts&) = delete;
  use_counts& operator=(const use_counts&) = delete;
};

}  // namespace syn::producer::detail
