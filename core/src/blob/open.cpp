// syn::blob::open: the store the `blobs` config section names.

#include <string>
#include <utility>

#include "syn/core/blob_store.hpp"

namespace syn::blob {

namespace {

result<std::string> credential(const config::secret& s, const char* key) {
  auto value = s.resolve();
  if (!value || value->empty()) {
    std::string msg = "blobs.s3.";
    msg.append(key).append(": environment variable ").append(s.env).append(" is not set");
    return error(errc::refused, std::move(msg));
  }
  return std::move(*value);
}

}  // namespace

result<std::unique_ptr<store>> open(const config::blobs_config& config) {
  if (config.backend == config::blob_backend::folder) return open_folder(config.folder);
  s3_options o;
  o.endpoint = config.s3.endpoint;
  o.bucket = config.s3.bucket;
  o.region = config.s3.region;
  o.prefix = config.s3.prefix;
  o.path_style = config.s3.path_style;
  BOOST_OUTCOME_TRY(key_id, credential(config.s3.access_key_id, "access_key_id_env"));
  BOOST_OUTCOME_TRY(key, credential(config.s3.secret_access_key, "secret_access_key_env"));
  o.access_key_id = std::move(key_id);
  o.secret_access_key = std::move(key);
  return open_s3(std::move(o));
}

}  // namespace syn::blob
