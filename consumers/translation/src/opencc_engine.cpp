#include "syn/translation/opencc_engine.hpp"

#include <opencc.h>

#include <cstdint>

namespace syn::translation {
namespace {

opencc_t as_handle(void* p) noexcept { return p; }

bool failed(opencc_t h) noexcept {
  // opencc_open() reports failure as (opencc_t)-1, not as nullptr.
  return h == nullptr || h == reinterpret_cast<opencc_t>(static_cast<std::intptr_t>(-1));  // NOLINT
}

}  // namespace

result<std::unique_ptr<opencc_engine>> opencc_engine::open(config::opencc_variant variant,
                                                           const std::string& data_dir) {
  std::string file = std::string(config::to_string(variant)) + ".json";
  if (!data_dir.empty()) file = data_dir + (data_dir.ends_with('/') ? "" : "/") + file;
  opencc_t h = opencc_open(file.c_str());
  if (failed(h)) {
    const char* why = opencc_error();
    return error(errc::engine_config, "OpenCC cannot open " + file +
                                          (why != nullptr && *why != '\0' ? std::string(": ") + why : ""));
  }
  return std::unique_ptr<opencc_engine>(new opencc_engine(h, variant));
}

opencc_engine::~opencc_engine() {
  if (!failed(as_handle(handle_))) opencc_close(as_handle(handle_));
}

result<std::string> opencc_engine::convert_locked(std::string_view text) {
  if (text.empty()) return std::string();
  char* out = opencc_convert_utf8(as_handle(handle_), text.data(), text.size());
  // Failure is nullptr or (char*)-1 depending on the OpenCC release.
  if (out == nullptr || out == reinterpret_cast<char*>(static_cast<std::intptr_t>(-1))) {  // NOLINT
    const char* why = opencc_error();
    return error(errc::conversion_failed,
                 std::string("OpenCC ") + std::string(config::to_string(variant_)) + " failed" +
                     (why != nullptr && *why != '\0' ? std::string(": ") + why : ""));
  }
  std::string converted(out);
  opencc_convert_utf8_free(out);
  return converted;
}

result<std::string> opencc_engine::convert(std::string_view text) {
  const std::lock_guard lock(mutex_);
  return convert_locked(text);
}

result<std::vector<std::string>> opencc_engine::translate(const syndication::v1::TranslationJob& job) {
  std::vector<std::string> out;
  out.reserve(static_cast<std::size_t>(job.segments_size()));
  const std::lock_guard lock(mutex_);
  for (const auto& s : job.segments()) {
    auto r = convert_locked(s.text());
    if (!r) return error(r.error().value(), job.job_id() + " " + s.path() + ": " + r.error().message());
    out.push_back(std::move(r).value());
  }
  return out;
}

}  // namespace syn::translation
