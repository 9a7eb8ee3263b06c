// Caption and credit as photo desks embed them (IPTC IIM, XMP), read with Exiv2.
#include <exiv2/exiv2.hpp>
#include <mutex>

#include "syn/core/log.hpp"
#include "syn/producer/photos.hpp"

namespace syn::producer::photos {
namespace {

void init_exiv2() {
  static std::once_flag once;
  std::call_once(once, [] {
    Exiv2::LogMsg::setLevel(Exiv2::LogMsg::mute);  // its warnings would go to stderr
    Exiv2::XmpParser::initialize();                // must precede XMP use from several threads
  });
}

std::string trimmed(std::string s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return {};
  s.erase(s.find_last_not_of(" \t\r\n") + 1);
  s.erase(0, first);
  return s;
}

std::string iptc_value(const Exiv2::IptcData& d, const char* key) {
  const auto it = d.findKey(Exiv2::IptcKey(key));
  return it == d.end() ? std::string() : trimmed(it->toString());
}

/// An XMP value; a language alternative (`dc:description`) or a list (`dc:creator`) gives its
/// first entry.
std::string xmp_value(const Exiv2::XmpData& d, const char* key) {
  const auto it = d.findKey(Exiv2::XmpKey(key));
  if (it == d.end() || it->count() == 0) return {};
  std::string v = it->toString(0);
  // A langAlt's toString(0) may carry its `lang="x-default" ` prefix.
  if (v.rfind("lang=", 0) == 0) {
    const auto space = v.find(' ');
    v = space == std::string::npos ? std::string() : v.substr(space + 1);
  }
  return trimmed(v);
}

}  // namespace

embedded_text read_embedded(const std::filesystem::path& file) {
  init_exiv2();
  embedded_text out;
  try {
    auto image = Exiv2::ImageFactory::open(file.string());
    if (image.get() == nullptr) return out;
    image->readMetadata();
    const auto& iptc = image->iptcData();
    const auto& xmp = image->xmpData();
    out.caption = iptc_value(iptc, "Iptc.Application2.Caption");
    if (out.caption.empty()) out.caption = xmp_value(xmp, "Xmp.dc.description");
    for (const char* key : {"Iptc.Application2.Credit", "Iptc.Application2.Byline"}) {
      if (out.credit.empty()) out.credit = iptc_value(iptc, key);
    }
    for (const char* key : {"Xmp.photoshop.Credit", "Xmp.dc.creator"}) {
      if (out.credit.empty()) out.credit = xmp_value(xmp, key);
    }
  } catch (const std::exception& e) {
    // No metadata is no caption: matching falls back to the sidecar and the order.
    log::get("photos").debug("{}: no embedded caption read: {}", file.string(), e.what());
  }
  return out;
}

}  // namespace syn::producer::photos
