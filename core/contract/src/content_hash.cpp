// The content hash's canonical form (moved from the splitter: the translator computes it too).
#include "syn/contract/content_hash.hpp"

#include "syn/contract/schema.hpp"
#include "syn/contract/text.hpp"
#include "syn/core/sha256.hpp"
#include "syn/core/utf8.hpp"

namespace syn::contract {

namespace {

using syndication::v1::Article;
using syndication::v1::Block;
using syndication::v1::Contributor;

/// Text as hashed: body spacing rules applied everywhere (so a heading's phrase space or a
/// re-extraction's wrap space does not matter), full-width ASCII variants folded to ASCII.
/// `spaced`: the text may hold spaces next to Chinese (headings); body text is already
/// normalised, and normalising is idempotent, so it is skipped there.
std::string fold(std::string_view s, bool spaced = true) {
  const std::string n = spaced ? normalise_body(s) : std::string(s);
  if (n.find('\xEF') == std::string::npos) return n;  // no full-width forms (U+FF01..U+FF5E: EF BC/BD ..)
  std::string out;
  out.reserve(n.size());
  for (std::size_t i = 0; i < n.size();) {
    const std::size_t at = i;
    const char32_t c = utf8::next(n, i);
    if (c >= 0xFF01 && c <= 0xFF5E) {
      out.push_back(static_cast<char>(c - 0xFEE0));
    } else {
      out.append(n, at, i - at);
    }
  }
  return out;
}

void field(std::string& out, std::string_view name, std::string_view value) {
  out.append(name);
  out.push_back('\t');
  out.append(value);
  out.push_back('\n');
}

}  // namespace

std::string content_sha256(const Article& a) {
  std::string s = std::string(schema::article) + " content/1\n";
  field(s, "kicker", fold(a.kicker()));
  field(s, "headline", fold(a.headline()));
  field(s, "subheadline", fold(a.subheadline()));
  for (const auto& c : a.contributors()) {
    field(s, "contributor", Contributor::Role_Name(c.role()) + "\t" + fold(c.name()));
  }
  field(s, "dateline", std::string(a.dateline_lead() ? "1" : "0") + "\t" + fold(a.dateline()));
  for (const auto& b : a.blocks()) {
    field(s, "block", Block::Kind_Name(b.kind()) + "\t" + fold(b.text(), b.kind() == Block::SUBHEAD));
  }
  for (const auto& p : a.photos()) {
    std::string photo =
        std::to_string(p.after_block()) + "\t" + fold(p.caption(), false) + "\t" + fold(p.credit());
    // The image is content too (issue 18); absent for text-only issues, whose hashes stay as before.
    if (!p.sha256().empty()) photo.append("\t").append(p.sha256());
    field(s, "photo", photo);
  }
  field(s, "jumps", std::to_string(a.continued_from_page()) + "\t" + std::to_string(a.continued_on_page()));
  return sha256_hex(s);
}

}  // namespace syn::contract
