// syn::config: the `blobs` section (where photos are stored, and their limits).

#include <array>

#include "config_checks.hpp"
#include "config_sections.hpp"

namespace syn::config::detail {

template <>
std::span<const std::pair<blob_backend, std::string_view>> enum_names<blob_backend>() {
  static constexpr std::array<std::pair<blob_backend, std::string_view>, 2> k{
      {{blob_backend::folder, "folder"}, {blob_backend::s3, "s3"}}};
  return k;
}

template <>
const schema<blobs_s3_config>& schema_of<blobs_s3_config>() {
  static const schema<blobs_s3_config> s{{
      field("endpoint", &blobs_s3_config::endpoint,
            "Scheme, host and port: `https://s3.eu-west-1.amazonaws.com`, `http://127.0.0.1:9000`."),
      field("bucket", &blobs_s3_config::bucket, "The bucket (it must exist)."),
      field("region", &blobs_s3_config::region, "Signing region (`us-east-1` for MinIO and most others).",
            {not_empty()}),
      field("prefix", &blobs_s3_config::prefix, "Key prefix inside the bucket, e.g. `syndicate/`."),
      field("path_style", &blobs_s3_config::path_style,
            "Path-style URLs (MinIO, Ceph); false: virtual-hosted (AWS's default)."),
      field("access_key_id_env", &blobs_s3_config::access_key_id,
            "Environment variable holding the access key id."),
      field("secret_access_key_env", &blobs_s3_config::secret_access_key,
            "Environment variable holding the secret access key."),
  }};
  return s;
}

template <>
const schema<blobs_config>& schema_of<blobs_config>() {
  static const schema<blobs_config> s{
      {
          field("backend", &blobs_config::backend,
                "Where photo bytes are stored, by SHA-256 (docs/BLOBS.md)."),
          field("folder", &blobs_config::folder,
                "backend: folder. Every role that reads or writes photos must see the same folder."),
          field("s3", &blobs_config::s3, "backend: s3."),
          field("max_image_bytes", &blobs_config::max_image_bytes, "One image file, bytes.",
                {positive<std::uint64_t>()}),
          field("max_issue_bytes", &blobs_config::max_issue_bytes, "All images of one issue together, bytes.",
                {positive<std::uint64_t>()}),
          field("max_image_pixels", &blobs_config::max_image_pixels,
                "One image's width x height; larger images are refused before they are decoded.",
                {positive<std::uint64_t>()}),
          field("max_images_per_issue", &blobs_config::max_images_per_issue, "Images in one issue.",
                {positive<std::uint32_t>()}),
      },
      {[](const blobs_config& b, validator& v, const std::string& path) {
        if (b.backend == blob_backend::folder && b.folder.empty()) {
          v.error(join_path(path, "folder"), "required when backend is folder");
        }
        if (b.backend != blob_backend::s3) return;
        if (b.s3.endpoint.empty()) v.error(join_path(path, "s3.endpoint"), "required when backend is s3");
        if (b.s3.bucket.empty()) v.error(join_path(path, "s3.bucket"), "required when backend is s3");
        if (!b.s3.access_key_id.configured()) {
          v.error(join_path(path, "s3.access_key_id_env"), "required when backend is s3");
        }
        if (!b.s3.secret_access_key.configured()) {
          v.error(join_path(path, "s3.secret_access_key_env"), "required when backend is s3");
        }
      }}};
  return s;
}

}  // namespace syn::config::detail
