// A bundle's images matched to the issue's captions, stored and referenced (syn/producer/photos.hpp).
#include <algorithm>
#include <map>

#include "syn/contract/content_hash.hpp"
#include "syn/core/log.hpp"
#include "syn/core/utf8.hpp"
#include "syn/producer/photos.hpp"

namespace syn::producer::photos {
namespace {

namespace fs = std::filesystem;

/// Caption text as compared: no white space (ASCII or ideographic), full-width ASCII forms folded
/// to ASCII (`，` and `,` are one), so a desk's caption matches the extracted one.
std::string caption_key(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t at = i;
    const char32_t c = utf8::next(s, i);
    if (c == U' ' || c == U'\t' || c == U'\r' || c == U'\n' || c == 0x3000) continue;
    if (c >= 0xFF01 && c <= 0xFF5E) {
      out.push_back(static_cast<char>(c - 0xFEE0));
    } else {
      out.append(s, at, i - at);
    }
  }
  return out;
}

/// One photo of the text: article `article`, its photo number `photo` (0-based).
struct caption_slot {
  std::size_t article = 0;
  int photo = 0;
  std::string key;
  std::optional<std::size_t> image;  // index into the bundle's images
};

struct checked_image {
  fs::path file;
  image_info info;
  embedded_text embedded;
  std::optional<std::size_t> slot;
};

result<std::vector<checked_image>> check_all(const bundle& b, const config::blobs_config& limits) {
  if (b.images.size() > limits.max_images_per_issue) {
    return error(errc::too_large, std::to_string(b.images.size()) +
                                      " images, over blobs.max_images_per_issue (" +
                                      std::to_string(limits.max_images_per_issue) + ")");
  }
  std::vector<checked_image> out;
  std::uint64_t total = 0;
  for (const auto& file : b.images) {
    auto info = check_image(file, limits);
    if (!info) return info.error();
    total += info.value().bytes;
    if (total > limits.max_issue_bytes) {
      return error(errc::too_large, file.string() + ": the issue's images reach " + std::to_string(total) +
                                        " bytes, over blobs.max_issue_bytes (" +
                                        std::to_string(limits.max_issue_bytes) + ")");
    }
    out.push_back({file, std::move(info).value(), read_embedded(file), std::nullopt});
  }
  return out;
}

void assign(std::vector<caption_slot>& slots, std::vector<checked_image>& images, std::size_t s,
            std::size_t i) {
  slots[s].image = i;
  images[i].slot = s;
}

/// The sidecar's entries, applied to the images the embedded captions left unmatched.
result<void> match_sidecar(const fs::path& sidecar, const split_result& issue,
                           std::vector<caption_slot>& slots, std::vector<checked_image>& images) {
  auto entries = read_sidecar(sidecar);
  if (!entries) return entries.error();
  const auto where = [&](const sidecar_entry& e, std::string_view field, const std::string& what) {
    return error(errc::bad_sidecar,
                 sidecar.string() + ":" + std::to_string(e.line) + ": " + std::string(field) + ": " + what);
  };
  for (const auto& e : entries.value()) {
    const auto img = std::find_if(images.begin(), images.end(),
                                  [&](const checked_image& c) { return c.file.filename() == e.file; });
    if (img == images.end()) return where(e, "file", "`" + e.file + "` is not an image of the bundle");
    if (img->slot) continue;  // its embedded caption matched first
    const auto i = static_cast<std::size_t>(img - images.begin());
    if (!e.caption.empty()) {
      const std::string key = caption_key(e.caption);
      const auto free = std::find_if(slots.begin(), slots.end(),
                                     [&](const caption_slot& s) { return !s.image && s.key == key; });
      if (free != slots.end()) {
        assign(slots, images, static_cast<std::size_t>(free - slots.begin()), i);
      } else if (std::none_of(slots.begin(), slots.end(),
                              [&](const caption_slot& s) { return s.key == key; })) {
        return where(e, "caption", "no photo caption of the text reads \"" + e.caption + "\"");
      }
      continue;
    }
    const auto s = std::find_if(slots.begin(), slots.end(), [&](const caption_slot& c) {
      return issue.articles[c.article].id() == e.article && c.photo + 1 == static_cast<int>(e.photo);
    });
    if (s == slots.end()) {
      return where(e, "photo", "article " + e.article + " has no photo " + std::to_string(e.photo));
    }
    if (s->image) {
      return where(e, "photo", "already taken by " + images[*s->image].file.filename().string());
    }
    assign(slots, images, static_cast<std::size_t>(s - slots.begin()), i);
  }
  return boost::outcome_v2::success();
}

/// Embedded captions first, then the sidecar, then the order of appearance.
result<std::vector<caption_slot>> match(const split_result& issue, const bundle& b,
                                        std::vector<checked_image>& images) {
  std::vector<caption_slot> slots;
  for (std::size_t a = 0; a < issue.articles.size(); ++a) {
    for (int p = 0; p < issue.articles[a].photos_size(); ++p) {
      slots.push_back({a, p, caption_key(issue.articles[a].photos(p).caption()), std::nullopt});
    }
  }
  for (std::size_t i = 0; i < images.size(); ++i) {
    if (images[i].embedded.caption.empty()) continue;
    const std::string key = caption_key(images[i].embedded.caption);
    const auto free = std::find_if(slots.begin(), slots.end(),
                                   [&](const caption_slot& s) { return !s.image && s.key == key; });
    if (free != slots.end()) assign(slots, images, static_cast<std::size_t>(free - slots.begin()), i);
  }
  if (b.sidecar) {
    if (auto r = match_sidecar(*b.sidecar, issue, slots, images); !r) return r.error();
  }
  auto next_free = slots.begin();
  for (std::size_t i = 0; i < images.size(); ++i) {
    if (images[i].slot) continue;
    next_free = std::find_if(next_free, slots.end(), [](const caption_slot& s) { return !s.image; });
    if (next_free == slots.end()) break;
    assign(slots, images, static_cast<std::size_t>(next_free - slots.begin()), i);
  }
  return slots;
}

void warn(split_result& issue, std::string reason, std::string text) {
  auto* w = issue.manifest.add_warnings();
  w->set_line(0);
  w->set_reason(std::move(reason));
  w->set_text(std::move(text));
}

}  // namespace

result<attach_report> attach(split_result& issue, const bundle& b, blob::store& store,
                             const config::blobs_config& limits) {
  auto checked = check_all(b, limits);
  if (!checked) return checked.error();
  auto& images = checked.value();
  auto matched = match(issue, b, images);
  if (!matched) return matched.error();
  const auto& slots = matched.value();

  // The claim check: every blob is stored (durably) before any record names it.
  attach_report report;
  std::map<std::size_t, blob::ref> refs;
  for (std::size_t i = 0; i < images.size(); ++i) {
    if (!images[i].slot) continue;
    auto r = store.put_file(images[i].file);
    if (!r) {
      return error(blob::is_retriable(r.error().code()) ? errc::store_unavailable : errc::store_failed,
                   images[i].file.string() + ": " + r.error().to_string());
    }
    if (r.value().bytes != images[i].info.bytes) {
      return error(errc::corrupt, images[i].file.string() + ": changed while it was read");
    }
    report.bytes += r.value().bytes;
    refs.emplace(i, std::move(r).value());
  }

  std::vector<bool> changed(issue.articles.size(), false);
  for (const auto& [i, ref] : refs) {
    const auto& img = images[i];
    const auto& slot = slots[*img.slot];
    auto* p = issue.articles[slot.article].mutable_photos(slot.photo);
    p->set_sha256(ref.sha256);
    p->set_media_type(img.info.media_type);
    p->set_bytes(ref.bytes);
    p->set_width(img.info.width);
    p->set_height(img.info.height);
    p->set_source_name(img.file.filename().string());
    if (p->credit().empty() && !img.embedded.credit.empty()) p->set_credit(img.embedded.credit);
    changed[slot.article] = true;
    ++report.stored;
  }
  for (const auto& img : images) {
    if (img.slot) continue;
    ++report.unmatched;
    warn(issue, "photo without a caption: no caption of the text is left for this image (not stored)",
         img.file.filename().string() + (img.embedded.caption.empty() ? "" : ": " + img.embedded.caption));
  }
  for (const auto& s : slots) {
    if (s.image) continue;
    ++report.uncaptured;
    warn(issue,
         "caption without an image: no image of the bundle matches it (" + issue.articles[s.article].id() +
             ")",
         issue.articles[s.article].photos(s.photo).caption());
  }
  // The image is part of the article's content: its hash changes when the bytes do.
  for (std::size_t a = 0; a < issue.articles.size(); ++a) {
    if (!changed[a]) continue;
    auto& art = issue.articles[a];
    art.set_content_sha256(contract::content_sha256(art));
    if (static_cast<int>(a) < issue.manifest.article_hashes_size()) {
      issue.manifest.set_article_hashes(static_cast<int>(a), art.content_sha256());
    }
  }
  log::get("photos").debug(
      "{}: {} image(s) stored ({} bytes), {} without a caption, {} caption(s) without an image",
      issue.manifest.issue_id(), report.stored, report.bytes, report.unmatched, report.uncaptured);
  return report;
}

}  // namespace syn::producer::photos
