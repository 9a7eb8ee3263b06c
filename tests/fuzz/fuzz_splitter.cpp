// libFuzzer target for the issue splitter: any bytes in, a result or a split_error out; never a
// crash, a hang, a sanitizer report or an inconsistent result.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "syn/contract/content_hash.hpp"
#include "syn/producer/splitter.hpp"

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const auto papers = syn::producer::default_papers();
  syn::producer::split_options options;
  options.source_name = "fuzz";
  options.papers = papers;
  // The first byte picks the overrides, so both the masthead paths and the override paths run.
  if (size > 0 && (data[0] & 1U) != 0) {
    options.paper_code = "fz";
    options.issue_date = "2024-01-30";
  }
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  try {
    const auto r = syn::producer::split_issue(bytes, options);
    check(!r.articles.empty());
    check(r.manifest.article_ids_size() == static_cast<int>(r.articles.size()));
    check(r.manifest.article_hashes_size() == static_cast<int>(r.articles.size()));
    for (std::size_t i = 0; i < r.articles.size(); ++i) {
      const auto& a = r.articles[i];
      check(a.id() == r.manifest.article_ids(static_cast<int>(i)));
      check(a.content_sha256() == syn::contract::content_sha256(a));
      // Text, or photo news (docs/SPLITTING.md): a headline over a captioned photo, no text.
      check(a.blocks_size() > 0 ||
            (!a.headline().empty() && a.photos_size() > 0 && !a.photos(0).caption().empty()));
      for (const auto& p : a.photos()) check(p.after_block() <= static_cast<std::uint32_t>(a.blocks_size()));
    }
    // Serialisers must cope with whatever the splitter produced (valid UTF-8 everywhere).
    check(!syn::producer::to_json(r).empty());
    check(!syn::producer::to_text(r).empty());
  } catch (const syn::producer::split_error& e) {
    check(e.what()[0] != '\0');
  }
  return 0;
}
