// libFuzzer target for the editor's correction files (producer/src/corrections.cpp): any bytes as a
// correction file, parsed and, when it parses, applied to a small issue of four articles; a
// result or a correction_error out, never a crash, a hang, a sanitizer report or an issue left
// inconsistent (manifest ids and hashes parallel to the articles).
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "syn/producer/corrections.hpp"

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

syn::producer::split_result sample_issue() {
  syn::producer::split_result issue;
  issue.manifest.set_issue_id("cjrb-20240130");
  issue.manifest.set_confidence(0.6F);
  for (int n = 1; n <= 4; ++n) {
    auto& a = issue.articles.emplace_back();
    a.set_id("cjrb-20240130-01-0" + std::to_string(n));
    a.set_sequence(static_cast<std::uint32_t>(n));
    a.set_headline("标题" + std::to_string(n));
    a.set_confidence(0.6F);
    for (int k = 0; k < n + 1; ++k) {
      auto* b = a.add_blocks();
      b->set_kind(k == 2 ? syndication::v1::Block::SUBHEAD : syndication::v1::Block::PARAGRAPH);
      b->set_text("第" + std::to_string(k) + "段。责任编辑：王五");
    }
    auto* p = a.add_photos();
    p->set_caption("图");
    p->set_after_block(static_cast<std::uint32_t>(n % 3));
    issue.manifest.add_article_ids(a.id());
  }
  return issue;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const auto base = sample_issue();
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  try {
    const auto set = syn::producer::parse_corrections(bytes, "fuzz.yaml");
    check(bytes.size() <= syn::producer::max_corrections_bytes);
    auto issue = base;
    try {
      syn::producer::apply_corrections(set, issue);
      check(issue.manifest.article_ids_size() == static_cast<int>(issue.articles.size()));
      check(issue.manifest.article_hashes_size() == static_cast<int>(issue.articles.size()));
      for (const auto& a : issue.articles) {
        for (const auto& p : a.photos())
          check(p.after_block() <= static_cast<std::uint32_t>(a.blocks_size()));
      }
    } catch (const syn::producer::correction_error& e) {
      check(issue.manifest.SerializeAsString() == base.manifest.SerializeAsString());  // all or nothing
      check(!e.message().empty());
    }
  } catch (const syn::producer::correction_error& e) {
    check(!e.message().empty());
  }
  return 0;
}
