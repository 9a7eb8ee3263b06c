#pragma once
/// zh-Hans -> zh-Hant with OpenCC (libopencc, fully offline).
///
/// Variants (the name of OpenCC's `<variant>.json`):
/// - `s2t`:   OpenCC's standard Traditional characters (軟件, 鼠標, 爲了, 裏面);
/// - `s2tw`:  Taiwan character forms only (軟件, 鼠標, 為了, 裡面);
/// - `s2twp`: Taiwan forms and Taiwan vocabulary (軟體, 滑鼠, 資訊, 網路);
/// - `s2hk`:  Hong Kong character forms (軟件, 鼠標, 為了, 説話).
///
/// \warning An OpenCC handle is not thread-safe (its converter keeps per-call state). Each engine
/// owns one handle, opened in open() and closed in the destructor, and serialises its own calls
/// with a mutex: sharing one engine between threads is safe but serial; for parallel conversion
/// give each worker thread its own engine.

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "syn/core/config.hpp"
#include "syn/translation/engine.hpp"

namespace syn::translation {

class opencc_engine final : public translation_engine {
 public:
  /// Opens OpenCC's `<variant>.json` (from `data_dir` when non-empty, else OpenCC's default search
  /// path). Fails with errc::engine_config naming the file and OpenCC's reason.
  [[nodiscard]] static result<std::unique_ptr<opencc_engine>> open(config::opencc_variant variant,
                                                                   const std::string& data_dir = {});
  ~opencc_engine() override;

  /// Converts every segment; fails with errc::conversion_failed if OpenCC refuses a text.
  [[nodiscard]] result<std::vector<std::string>> translate(
      const syndication::v1::TranslationJob& job) override;
  [[nodiscard]] std::string_view name() const noexcept override { return "opencc"; }

  /// Converts one text. Thread-safe (serialised).
  [[nodiscard]] result<std::string> convert(std::string_view text);

  [[nodiscard]] config::opencc_variant variant() const noexcept { return variant_; }

 private:
  opencc_engine(void* handle, config::opencc_variant variant) noexcept : handle_(handle), variant_(variant) {}
  [[nodiscard]] result<std::string> convert_locked(std::string_view text);

  void* handle_;  ///< opencc_t, owned
  config::opencc_variant variant_;
  std::mutex mutex_;
};

}  // namespace syn::translation
