// The sidecar file of a bundle (`photos.yaml`, docs/OPERATIONS.md "Photos with an issue").
#include <yaml-cpp/yaml.h>

#include <fstream>
#include <set>

#include "syn/producer/photos.hpp"

namespace syn::producer::photos {
namespace {

constexpr std::uint64_t max_sidecar_bytes = 1U << 20U;

/// `FILE:LINE: field: message`.
error sidecar_error(const std::filesystem::path& file, int line0, std::string_view field,
                    std::string_view what) {
  std::string m = file.string();
  m.push_back(':');
  m.append(std::to_string(std::max(0, line0) + 1));
  m.append(": ");
  if (!field.empty()) {
    m.append(field);
    m.append(": ");
  }
  m.append(what);
  return {errc::bad_sidecar, std::move(m)};
}

result<sidecar_entry> read_entry(const std::filesystem::path& file, const YAML::Node& n, std::size_t index) {
  // Appended, not `"[" + std::to_string(index)`: GCC 12 -O3 warns -Wrestrict on that (PR 105329).
  std::string where(1, '[');
  where.append(std::to_string(index)).push_back(']');
  if (!n.IsMap())
    return sidecar_error(file, n.Mark().line, where, "expected a mapping (file, caption | article + photo)");
  sidecar_entry e;
  e.line = static_cast<std::uint32_t>(std::max(0, n.Mark().line) + 1);
  for (const auto& kv : n) {
    const auto key = kv.first.as<std::string>("");
    const int line = kv.first.Mark().line;
    const std::string field = std::string(where).append(".").append(key);
    if (!kv.second.IsScalar()) return sidecar_error(file, line, field, "expected a single value");
    const auto value = kv.second.as<std::string>();
    if (key == "file") {
      e.file = value;
    } else if (key == "caption") {
      e.caption = value;
    } else if (key == "article") {
      e.article = value;
    } else if (key == "photo") {
      const auto number = kv.second.as<std::int64_t>(0);
      if (number < 1 || number > 1000) {
        return sidecar_error(file, line, where + ".photo",
                             "expected the photo's number in its article, from 1");
      }
      e.photo = static_cast<std::uint32_t>(number);
    } else {
      return sidecar_error(file, line, field, "unknown field (file, caption, article, photo)");
    }
  }
  const int line = n.Mark().line;
  if (e.file.empty() || e.file.find('/') != std::string::npos || e.file.front() == '.') {
    return sidecar_error(file, line, where + ".file",
                         "expected an image's file name in the bundle (no folder)");
  }
  if (e.caption.empty() == e.article.empty()) {
    return sidecar_error(file, line, where, "expected either caption or article (with photo)");
  }
  if (!e.article.empty() && e.photo == 0) return sidecar_error(file, line, where + ".photo", "missing");
  if (e.article.empty() && e.photo != 0) return sidecar_error(file, line, where + ".article", "missing");
  return e;
}

}  // namespace

result<std::vector<sidecar_entry>> read_sidecar(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return sidecar_error(file, -1, "", "cannot read");
  std::string text(max_sidecar_bytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  return parse_sidecar(text, file);
}

result<std::vector<sidecar_entry>> parse_sidecar(std::string_view text, const std::filesystem::path& file) {
  if (text.size() > max_sidecar_bytes) return sidecar_error(file, -1, "", "over 1 MiB, not a sidecar");
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    return sidecar_error(file, e.mark.line, "", e.msg);
  }
  std::vector<sidecar_entry> out;
  if (root.IsNull()) return out;
  if (!root.IsSequence()) return sidecar_error(file, root.Mark().line, "", "expected a list of photos");
  std::set<std::string, std::less<>> seen;
  try {
    for (std::size_t i = 0; i < root.size(); ++i) {
      auto e = read_entry(file, root[i], i);
      if (!e) return e.error();
      if (!seen.insert(e.value().file).second) {
        std::string field(1, '[');
        field.append(std::to_string(i)).append("].file");
        std::string why(1, '`');
        why.append(e.value().file).append("` is named twice");
        return sidecar_error(file, static_cast<int>(e.value().line) - 1, field, why);
      }
      out.push_back(std::move(e).value());
    }
  } catch (const YAML::Exception& e) {
    return sidecar_error(file, e.mark.line, "", e.msg);
  }
  return out;
}

}  // namespace syn::producer::photos
