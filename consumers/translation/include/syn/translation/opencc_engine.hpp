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
/// owns one handle per conversion thread, opened in open() and closed in the destructor.
/// convert() and translate() use the first handle under a mutex: sharing one engine between
/// threads is safe but serial. translate_batch() converts a batch of jobs on all the handles at
/// once, one thread each (OpenCC is 77% of `translate`'s instructions: BENCHMARKS.md).

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
  /// `threads`: conversion threads for translate_batch(), each with its own handle; 0 = one per
  /// core, at most 8.
  [[nodiscard]] static result<std::unique_ptr<opencc_engine>> open(config::opencc_variant variant,
                                                                   const std::string& data_dir = {},
                                                                   unsigned threads = 1);
  ~opencc_engine() override;

  /// Converts every segment; fails with errc::conversion_failed if OpenCC refuses a text.
  [[nodiscard]] result<std::vector<std::string>> translate(
      const syndication::v1::TranslationJob& job) override;
  [[nodiscard]] std::string_view name() const noexcept override { return "opencc"; }
  [[nodiscard]] bool translates_batches() const noexcept override { return handles_.size() > 1; }
  /// Each job converted whole by one of the threads; results in the jobs' order.
  [[nodiscard]] std::vector<result<std::vector<std::string>>> translate_batch(
      std::span<const syndication::v1::TranslationJob* const> jobs) override;
  /// Conversion threads (handles).
  [[nodiscard]] std::size_t threads() const noexcept { return handles_.size(); }

  /// Converts one text. Thread-safe (serialised).
  [[nodiscard]] result<std::string> convert(std::string_view text);

  [[nodiscard]] config::opencc_variant variant() const noexcept { return variant_; }

 private:
  opencc_engine(std::vector<void*> handles, config::opencc_variant variant) noexcept
      : handles_(std::move(handles)), variant_(variant) {}
  [[nodiscard]] result<std::string> convert_with(void* handle, std::string_view text);
  [[nodiscard]] result<std::vector<std::string>> translate_with(void* handle,
                                                                const syndication::v1::TranslationJob& job);

  std::vector<void*> handles_;  ///< opencc_t, owned; [0] serves convert() and translate()
  config::opencc_variant variant_;
  std::mutex mutex_;
};

}  // namespace syn::translation
