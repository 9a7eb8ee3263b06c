#include "syn/translation/opencc_engine.hpp"

#include <opencc.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <thread>

namespace syn::translation {
namespace {

opencc_t as_handle(void* p) noexcept { return p; }

bool failed(opencc_t h) noexcept {
  // opencc_open() reports failure as (opencc_t)-1, not as nullptr.
  return h == nullptr || h == reinterpret_cast<opencc_t>(static_cast<std::intptr_t>(-1));  // NOLINT
}

unsigned thread_count(unsigned asked) {
  constexpr unsigned most = 8;
  if (asked == 0) asked = std::max(1U, std::thread::hardware_concurrency());
  return std::min(asked, most);
}

}  // namespace

result<std::unique_ptr<opencc_engine>> opencc_engine::open(config::opencc_variant variant,
                                                           const std::string& data_dir, unsigned threads) {
  std::string file = std::string(config::to_string(variant)) + ".json";
  if (!data_dir.empty()) file = data_dir + (data_dir.ends_with('/') ? "" : "/") + file;
  std::vector<void*> handles;
  const unsigned n = thread_count(threads);
  for (unsigned i = 0; i < n; ++i) {
    opencc_t h = opencc_open(file.c_str());
    if (failed(h)) {
      for (void* open : handles) opencc_close(as_handle(open));
      const char* why = opencc_error();
      return error(errc::engine_config, "OpenCC cannot open " + file +
                                            (why != nullptr && *why != '\0' ? std::string(": ") + why : ""));
    }
    handles.push_back(h);
  }
  return std::unique_ptr<opencc_engine>(new opencc_engine(std::move(handles), variant));
}

opencc_engine::~opencc_engine() {
  for (void* h : handles_) opencc_close(as_handle(h));
}

result<std::string> opencc_engine::convert_with(void* handle, std::string_view text) {
  if (text.empty()) return std::string();
  char* out = opencc_convert_utf8(as_handle(handle), text.data(), text.size());
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

result<std::vector<std::string>> opencc_engine::translate_with(void* handle,
                                                               const syndication::v1::TranslationJob& job) {
  std::vector<std::string> out;
  out.reserve(static_cast<std::size_t>(job.segments_size()));
  for (const auto& s : job.segments()) {
    auto r = convert_with(handle, s.text());
    if (!r) return error(r.error().value(), job.job_id() + " " + s.path() + ": " + r.error().message());
    out.push_back(std::move(r).value());
  }
  return out;
}

result<std::string> opencc_engine::convert(std::string_view text) {
  const std::lock_guard lock(mutex_);
  return convert_with(handles_.front(), text);
}

result<std::vector<std::string>> opencc_engine::translate(const syndication::v1::TranslationJob& job) {
  const std::lock_guard lock(mutex_);
  return translate_with(handles_.front(), job);
}

std::vector<result<std::vector<std::string>>> opencc_engine::translate_batch(
    std::span<const syndication::v1::TranslationJob* const> jobs) {
  std::vector<result<std::vector<std::string>>> out(jobs.size(),
                                                    error(errc::conversion_failed, "not converted"));
  const std::lock_guard lock(mutex_);  // handles_[0] is this thread's
  std::atomic<std::size_t> next{0};
  auto work = [&](void* handle) {
    for (std::size_t i = next++; i < jobs.size(); i = next++) out[i] = translate_with(handle, *jobs[i]);
  };
  // One thread per handle beyond the first, never more than there are jobs to share.
  const std::size_t helpers = std::min(handles_.size(), jobs.size()) - (jobs.empty() ? 0 : 1);
  std::vector<std::jthread> threads;
  threads.reserve(helpers);
  for (std::size_t t = 1; t <= helpers; ++t) threads.emplace_back(work, handles_[t]);
  work(handles_.front());
  threads.clear();  // joins: every result is written before `out` is moved out
  return out;
}

}  // namespace syn::translation
