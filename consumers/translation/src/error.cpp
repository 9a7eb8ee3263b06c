#include "syn/translation/error.hpp"

#include <string>

namespace syn::translation {
namespace {

class category final : public std::error_category {
 public:
  [[nodiscard]] const char* name() const noexcept override { return "translation"; }
  [[nodiscard]] std::string message(int ev) const override {
    switch (static_cast<errc>(ev)) {
      case errc::ok:
        return "ok";
      case errc::invalid_article:
        return "article cannot be translated";
      case errc::invalid_job:
        return "invalid translation job";
      case errc::stale_source:
        return "job made for another revision of the article";
      case errc::engine_unavailable:
        return "translation engine unreachable";
      case errc::engine_failed:
        return "translation engine failed";
      case errc::rate_limited:
        return "translation engine rate limit";
      case errc::timed_out:
        return "translation engine timed out";
      case errc::rejected:
        return "translation engine rejected the request";
      case errc::bad_response:
        return "malformed translation engine response";
      case errc::deadline_exceeded:
        return "job deadline exceeded";
      case errc::engine_config:
        return "translation engine misconfigured";
      case errc::conversion_failed:
        return "OpenCC conversion failed";
      case errc::store_unavailable:
        return "done store unavailable";
      case errc::store_busy:
        return "done store busy";
      case errc::store_corrupt:
        return "done store error";
    }
    return "translation error " + std::to_string(ev);
  }
};

}  // namespace

const std::error_category& translation_category() noexcept {
  static const category instance;
  return instance;
}

bool is_retriable(std::error_code ec) noexcept {
  if (ec.category() != translation_category()) return false;
#pragma GCC diagnostic push
#pragma GCC diagnostic error "-Wswitch-enum"
#pragma GCC diagnostic error "-Wswitch"
  switch (static_cast<errc>(ec.value())) {
    // The engine or the store, not the job: a later attempt can succeed.
    case errc::engine_unavailable:
    case errc::engine_failed:
    case errc::rate_limited:
    case errc::timed_out:
    // A 200 that is not a LibreTranslate answer is the engine's (or a proxy's) fault, not the
    // job's; the job's deadline bounds the retries.
    case errc::bad_response:
    case errc::store_unavailable:
    case errc::store_busy:
      return true;
    // The same call gives the same answer until the job, the article or the config changes.
    case errc::ok:
    case errc::invalid_article:
    case errc::invalid_job:
    case errc::stale_source:
    case errc::rejected:
    case errc::deadline_exceeded:
    case errc::engine_config:
    case errc::conversion_failed:
    case errc::store_corrupt:
      return false;
  }
#pragma GCC diagnostic pop
  return false;
}

}  // namespace syn::translation
