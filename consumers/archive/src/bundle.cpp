// `syndicate archive export --issue ID --format bundle -o DIR` (issue 18): the issue back as the
// bundle `syndicate publish DIR` takes (docs/OPERATIONS.md "Photos with an issue"): the archived
// source text, the images from the blob store (verified against their SHA-256), photos.yaml
// mapping each image file to its caption, and issue.json (manifest and articles).
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "render.hpp"
#include "syn/core/blob_store.hpp"

namespace syn::archive::cmd {
namespace {

namespace fs = std::filesystem;

/// The photos a bundle holds at most: the producer's own limit is blobs.max_image_bytes.
constexpr std::uint64_t max_photo_bytes = 256U << 20U;

result<void> write_file(const fs::path& p, std::string_view bytes) {
  std::ofstream f(p, std::ios::binary | std::ios::trunc);
  if (!f) return error(errc::bad_argument, p.string() + ": cannot write");
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  f.close();
  if (!f) return error(errc::unavailable, p.string() + ": write failed");
  return success();
}

/// A plain file name from a recorded one: its last component, no leading dot; else `fallback`.
std::string safe_name(const std::string& recorded, const std::string& fallback) {
  std::string n = fs::path(recorded).filename().string();
  if (n.empty() || n.front() == '.' || n.find_first_of("/\\:") != std::string::npos) return fallback;
  return n;
}

std::string extension_of(const std::string& media_type) {
  if (media_type == "image/jpeg") return ".jpg";
  if (media_type == "image/png") return ".png";
  if (media_type == "image/gif") return ".gif";
  if (media_type == "image/webp") return ".webp";
  return ".img";
}

/// The images of the issue's articles, once each, under their recorded file names (made unique);
/// the sidecar entries (file, caption) in article order. Errors name the photo and the article.
result<void> write_images(const issue_export& e, blob::store& blobs, const fs::path& dir, YAML::Emitter& side,
                          std::ostream& out) {
  std::map<std::string, std::string> file_of;  // sha256 -> file name
  std::set<std::string> taken;
  for (const auto& sa : e.articles) {
    const auto& a = sa.article;
    for (int i = 0; i < a.photos_size(); ++i) {
      const auto& p = a.photos(i);
      if (p.sha256().empty()) continue;
      auto [it, fresh] = file_of.emplace(p.sha256(), std::string());
      if (fresh) {
        auto bytes = blobs.get(p.sha256(), max_photo_bytes);
        if (!bytes) {
          return error(
              bytes.error().retriable() ? errc::unavailable : errc::not_found,
              "article " + a.id() + " photo " + std::to_string(i + 1) + ": " + bytes.error().to_string());
        }
        std::string name =
            safe_name(p.source_name(), p.sha256().substr(0, 16) + extension_of(p.media_type()));
        if (!taken.insert(name).second) {
          std::string unique = p.sha256().substr(0, 16);
          unique.push_back('-');
          unique.append(name);
          name = std::move(unique);
        }
        taken.insert(name);
        BOOST_OUTCOME_TRY(write_file(dir / name, bytes.value()));
        out << "image " << name << "  " << bytes.value().size() << " bytes  sha256 " << p.sha256() << '\n';
        it->second = name;
      }
      side << YAML::BeginMap << YAML::Key << "file" << YAML::Value << it->second << YAML::Key << "caption"
           << YAML::Value << YAML::DoubleQuoted << p.caption() << YAML::EndMap;
    }
  }
  return success();
}

}  // namespace

result<void> export_bundle(store& s, blob::store& blobs, const std::string& issue_id, const std::string& dir,
                           std::ostream& out) {
  const fs::path d(dir);
  std::error_code ec;
  if (fs::exists(d, ec) && !fs::is_empty(d, ec)) {
    return error(errc::bad_argument, dir + ": not empty (a bundle is written into a new or empty folder)");
  }
  fs::create_directories(d, ec);
  if (ec) return error(errc::bad_argument, dir + ": " + ec.message());
  BOOST_OUTCOME_TRY(e, s.export_issue(issue_id));
  const auto& m = e.issue.manifest;
  if (!e.missing.empty()) {
    return error(errc::not_found,
                 "issue " + issue_id + ": article " + e.missing.front() + " is not archived");
  }
  // The text: the archived source, byte for byte (what the producer split).
  auto raw = s.raw(m.source_sha256());
  if (!raw) {
    if (raw.error() == errc::not_found) {
      return error(errc::not_found, "issue " + issue_id + ": its source text " + m.source_sha256() +
                                        " is not archived (`archive put-raw FILE` archives it)");
    }
    return std::move(raw).error();
  }
  const std::string text_name = safe_name(m.source_name(), issue_id + ".txt");
  BOOST_OUTCOME_TRY(write_file(d / text_name, raw.value()));
  out << "text " << text_name << "  " << raw.value().size() << " bytes  sha256 " << m.source_sha256() << '\n';

  YAML::Emitter side;
  side << YAML::BeginSeq;
  BOOST_OUTCOME_TRY(write_images(e, blobs, d, side, out));
  side << YAML::EndSeq;
  if (side.size() > 2) {  // not just "[]"
    BOOST_OUTCOME_TRY(write_file(d / "photos.yaml", std::string(side.c_str()) + "\n"));
    out << "sidecar photos.yaml\n";
  }
  std::ostringstream js;
  BOOST_OUTCOME_TRY(export_issue(s, issue_id, format::json, js));
  BOOST_OUTCOME_TRY(write_file(d / "issue.json", js.str()));
  out << "json issue.json  " << e.articles.size() << " articles\n";
  return success();
}

}  // namespace syn::archive::cmd
