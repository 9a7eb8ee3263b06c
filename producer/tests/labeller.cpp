#include "labeller.hpp"

#include <cmath>
#include <cstdio>
#include <limits>
#include <memory>

#include "split/text.hpp"

namespace syn::producer::detail {

namespace labeller_detail {

// The committed weights: `corpus_score --train tests/data/corpus > producer/tests/labeller_weights.inc`.
#include "labeller_weights.inc"

/// Add-k smoothing of the counts: a value never seen under a label is unlikely, not impossible.
constexpr double smoothing = 0.5;

/// Naive Bayes counts the evidence of correlated features (length, punctuation, phrase gaps)
/// several times over; the emissions are scaled down against the transitions by this factor.
constexpr double emission_weight = 0.5;

/// Log-probabilities made from counts.
struct model {
  std::array<std::array<std::array<float, feature_values>, feature_count>, label_count> emit{};
  std::array<std::array<float, label_count>, label_count> trans{};

  explicit model(const label_counts& c) {
    for (std::size_t l = 0; l < label_count; ++l) {
      for (std::size_t f = 0; f < feature_count; ++f) {
        double total = 0;
        for (const auto n : c.emit[l][f]) total += n;
        for (std::size_t v = 0; v < feature_values; ++v) {
          emit[l][f][v] = static_cast<float>(
              emission_weight * std::log((c.emit[l][f][v] + smoothing) /
                                         (total + smoothing * static_cast<double>(feature_values))));
        }
      }
      double total = 0;
      for (const auto n : c.trans[l]) total += n;
      for (std::size_t m = 0; m < label_count; ++m) {
        trans[l][m] = static_cast<float>(
            std::log((c.trans[l][m] + smoothing) / (total + smoothing * static_cast<double>(label_count))));
      }
    }
  }
};

label_counts committed_counts() {
  label_counts c;
  for (std::size_t l = 0; l < label_count; ++l) {
    for (std::size_t f = 0; f < feature_count; ++f) {
      for (std::size_t v = 0; v < feature_values; ++v) c.emit[l][f][v] = committed_emit[l][f][v];
    }
    for (std::size_t m = 0; m < label_count; ++m) c.trans[l][m] = committed_trans[l][m];
  }
  return c;
}

const model& committed_model() {
  static const model m(committed_counts());
  return m;
}

thread_local std::unique_ptr<const model> override_model;

bool counts(const chunk& c) { return !c.dropped && c.kind != chunk_kind::masthead; }

/// The neighbour's kind as a feature value: 0 none, 1 byline, 2 photo, 3 text, 4 kicker or
/// label, 5 jump or furniture.
std::uint8_t kind_value(const chunk& c) {
  switch (c.kind) {
    case chunk_kind::byline:
    case chunk_kind::attribution:
      return 1;
    case chunk_kind::photo:
      return 2;
    case chunk_kind::text:
      return 3;
    case chunk_kind::kicker:
    case chunk_kind::editor_label:
    case chunk_kind::briefs_label:
      return 4;
    default:
      return 5;
  }
}

bool closes_quote(char32_t c) noexcept {
  return c == U'”' || c == U'’' || c == U'」' || c == U'』' || c == U'）' || c == U')' || c == U'"' ||
         c == U'》';
}

/// How the text ends: 0 a sentence, 1 a sentence inside closing quotes, 2 a colon, 3 a comma or
/// `、`, 4 an ellipsis, 5 a semicolon, 6 anything else (a word: titles end so).
std::uint8_t ending_value(std::string_view t) {
  std::size_t e = t.size();
  bool closers = false;
  char32_t last = 0;
  while (e > 0) {
    last = prev_cp(t, e);
    if (!closes_quote(last)) break;
    closers = true;
  }
  if (last == U'。' || last == U'！' || last == U'？' || last == U'!' || last == U'?') return closers ? 1 : 0;
  if (last == U'：' || last == U':') return 2;
  if (last == U'，' || last == U',' || last == U'、') return 3;
  if (last == U'…') return 4;
  if (last == U'；' || last == U';') return 5;
  return 6;
}

/// Commas (0, 1, 2–3, 4+), plus 4 when a sentence ends inside the text.
std::uint8_t punctuation_value(std::string_view t) {
  std::size_t commas = 0;
  bool inner_end = false;
  for (std::size_t i = 0; i < t.size();) {
    const char32_t c = next_cp(t, i);
    if (c == U'，' || c == U',') ++commas;
    if ((c == U'。' || c == U'；') && i < t.size()) inner_end = true;
  }
  const std::uint8_t n = commas == 0 ? 0 : commas == 1 ? 1 : commas <= 3 ? 2 : 3;
  return static_cast<std::uint8_t>(n + (inner_end ? 4 : 0));
}

std::uint8_t length_value(std::size_t n) {
  constexpr std::size_t bounds[] = {6, 12, 18, 24, 40, 80, 200};
  std::uint8_t v = 0;
  for (const std::size_t b : bounds) {
    if (n <= b) return v;
    ++v;
  }
  return v;
}

/// A space between two Han characters in the text as extracted: the gap between a title's phrases
/// (or a wrap space).
bool has_phrase_gap(std::string_view raw) {
  char32_t before = 0;
  bool space = false;
  for (std::size_t i = 0; i < raw.size();) {
    const char32_t c = next_cp(raw, i);
    if (is_space(c)) {
      space = before != 0;
      continue;
    }
    if (space && is_han(before) && is_han(c)) return true;
    space = false;
    before = c;
  }
  return false;
}

}  // namespace labeller_detail

chunk_label observed_label(const chunk& c) noexcept {
  switch (c.kind) {
    case chunk_kind::text:
      return chunk_label::body;
    case chunk_kind::byline:
      return chunk_label::byline;
    case chunk_kind::attribution:
      return chunk_label::closer;
    case chunk_kind::jump:
      return c.jump_out ? chunk_label::closer : chunk_label::other;
    case chunk_kind::photo:
      return chunk_label::photo;
    default:
      return chunk_label::other;
  }
}

chunk_features features_of(const std::vector<chunk>& chunks, std::size_t i) {
  using namespace labeller_detail;
  chunk_features f{};
  const chunk& c = chunks[i];
  if (c.kind != chunk_kind::text) return f;
  const std::string_view t = c.text;
  f[0] = length_value(c.length);
  f[1] = ending_value(t);
  f[2] = punctuation_value(t);
  // Quoted whole: a quoted title (1) or someone speaking, a sentence inside the quotes (2).
  const char32_t first = first_cp(t);
  const bool quoted = (first == U'“' || first == U'「') && closes_quote(last_cp(t));
  const std::uint8_t quote = quoted ? (f[1] == 1 ? 2 : 1) : 0;
  f[3] = static_cast<std::uint8_t>(quote + (c.marked ? 3 : 0));
  const chunk* prev = nullptr;
  for (std::size_t j = i; j-- > 0;) {
    if (counts(chunks[j])) {
      prev = &chunks[j];
      break;
    }
  }
  f[4] = prev == nullptr ? 0 : kind_value(*prev);
  f[5] = 6;
  for (std::size_t j = i + 1; j < chunks.size(); ++j) {
    if (counts(chunks[j])) {
      f[5] = kind_value(chunks[j]);
      break;
    }
  }
  const bool prev_open = prev != nullptr && prev->kind == chunk_kind::text && ending_value(prev->text) >= 3;
  f[6] = static_cast<std::uint8_t>(c.lead ? 2 : (prev_open ? 1 : 0));
  f[7] = has_phrase_gap(c.raw) ? 1 : 0;
  return f;
}

void label_counts::add_page(const std::vector<chunk>& chunks, const std::vector<chunk_label>& labels) {
  std::size_t prev = static_cast<std::size_t>(chunk_label::other);
  for (std::size_t i = 0; i < chunks.size() && i < labels.size(); ++i) {
    if (!labeller_detail::counts(chunks[i])) continue;
    const auto l = static_cast<std::size_t>(labels[i]);
    ++trans[prev][l];
    prev = l;
    if (chunks[i].kind != chunk_kind::text) continue;
    const chunk_features f = features_of(chunks, i);
    for (std::size_t k = 0; k < feature_count; ++k) ++emit[l][k][f[k]];
  }
}

std::string label_counts::to_table() const {
  std::string out =
      "// Generated by `corpus_score --train tests/data/corpus` (producer/tests/corpus_score.cpp):\n"
      "// emission counts [label][feature][value] and transition counts [from][to] of the sequence\n"
      "// labeller, labels title, subhead, body, byline, closer, photo, other. Do not edit by hand.\n"
      "constexpr std::uint32_t committed_emit[7][8][8] = {\n";
  char buf[32];
  for (std::size_t l = 0; l < label_count; ++l) {
    out.append("    {");
    for (std::size_t f = 0; f < feature_count; ++f) {
      out.append(f == 0 ? "{" : "     {");
      for (std::size_t v = 0; v < feature_values; ++v) {
        std::snprintf(buf, sizeof buf, v + 1 < feature_values ? "%u, " : "%u", emit[l][f][v]);
        out.append(buf);
      }
      out.append(f + 1 < feature_count ? "},\n" : "}},\n");
    }
  }
  out.append("};\nconstexpr std::uint32_t committed_trans[7][7] = {\n");
  for (std::size_t l = 0; l < label_count; ++l) {
    out.append("    {");
    for (std::size_t m = 0; m < label_count; ++m) {
      std::snprintf(buf, sizeof buf, m + 1 < label_count ? "%u, " : "%u", trans[l][m]);
      out.append(buf);
    }
    out.append("},\n");
  }
  out.append("};\n");
  return out;
}

labelling label_chunks(const std::vector<chunk>& chunks) {
  using namespace labeller_detail;
  const model& m = override_model ? *override_model : committed_model();
  constexpr float none = -std::numeric_limits<float>::infinity();
  using row = std::array<float, label_count>;
  labelling out;
  out.labels.assign(chunks.size(), chunk_label::other);
  out.margins.assign(chunks.size(), 0.0F);
  std::vector<std::size_t> at;  // the chunks that count, in order
  std::vector<row> emit;
  for (std::size_t i = 0; i < chunks.size(); ++i) {
    if (!counts(chunks[i])) continue;
    at.push_back(i);
    row r;
    r.fill(none);
    if (chunks[i].kind != chunk_kind::text) {
      r[static_cast<std::size_t>(observed_label(chunks[i]))] = 0;
    } else {
      const chunk_features f = features_of(chunks, i);
      for (std::size_t l = 0; l < text_label_count; ++l) {
        float s = 0;
        for (std::size_t k = 0; k < feature_count; ++k) s += m.emit[l][k][f[k]];
        r[l] = s;
      }
    }
    emit.push_back(r);
  }
  const std::size_t n = at.size();
  if (n == 0) return out;
  // Max-product forward (alpha) and backward (beta) passes; alpha + beta is each label's best
  // whole-page score.
  std::vector<row> alpha(n);
  std::vector<row> beta(n);
  for (std::size_t l = 0; l < label_count; ++l)
    alpha[0][l] = emit[0][l] + m.trans[static_cast<std::size_t>(chunk_label::other)][l];
  for (std::size_t t = 1; t < n; ++t) {
    for (std::size_t l = 0; l < label_count; ++l) {
      float best = none;
      for (std::size_t p = 0; p < label_count; ++p) best = std::max(best, alpha[t - 1][p] + m.trans[p][l]);
      alpha[t][l] = best + emit[t][l];
    }
  }
  beta[n - 1].fill(0);
  for (std::size_t t = n - 1; t-- > 0;) {
    for (std::size_t l = 0; l < label_count; ++l) {
      float best = none;
      for (std::size_t q = 0; q < label_count; ++q)
        best = std::max(best, m.trans[l][q] + emit[t + 1][q] + beta[t + 1][q]);
      beta[t][l] = best;
    }
  }
  for (std::size_t t = 0; t < n; ++t) {
    float best = none;
    float second = none;
    std::size_t arg = static_cast<std::size_t>(chunk_label::other);
    for (std::size_t l = 0; l < label_count; ++l) {
      const float s = alpha[t][l] + beta[t][l];
      if (s > best) {
        second = best;
        best = s;
        arg = l;
      } else if (s > second) {
        second = s;
      }
    }
    out.labels[at[t]] = static_cast<chunk_label>(arg);
    out.margins[at[t]] = second == none ? 0.0F : best - second;
  }
  return out;
}

use_counts::use_counts(const label_counts& counts) {
  labeller_detail::override_model = std::make_unique<const labeller_detail::model>(counts);
}

use_counts::~use_counts() { labeller_detail::override_model.reset(); }

}  // namespace syn::producer::detail
