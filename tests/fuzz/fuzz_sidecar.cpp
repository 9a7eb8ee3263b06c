// libFuzzer target for the photo sidecar (`photos.yaml` of a bundle, outside input on `publish DIR`
// and the hot folder; producer/src/photos/sidecar.cpp): any bytes parsed into entries or one
// error `FILE:LINE: field: message`, never a crash, a hang or a sanitizer report; every entry it
// returns names a plain file name and either a caption or an article with a photo number.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "syn/producer/photos.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto r = syn::producer::photos::parse_sidecar(text, "photos.yaml");
  if (!r) {
    if (r.error().message().rfind("photos.yaml:", 0) != 0) std::abort();
    return 0;
  }
  for (const auto& e : r.value()) {
    if (e.file.empty() || e.file.find('/') != std::string::npos || e.file.front() == '.') std::abort();
    if (e.caption.empty() == e.article.empty()) std::abort();
    if (!e.article.empty() && e.photo == 0) std::abort();
  }
  return 0;
}
