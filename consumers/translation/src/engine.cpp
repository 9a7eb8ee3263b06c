#include "syn/translation/engine.hpp"

#include <algorithm>

#include "syn/translation/http_engine.hpp"
#include "syn/translation/opencc_engine.hpp"

namespace syn::translation {

result<std::unique_ptr<translation_engine>> make_engine(const config::translation_target& target,
                                                        const engine_options& options) {
  switch (target.engine) {
    case config::translation_engine::opencc: {
      auto e = opencc_engine::open(target.opencc, options.opencc_data_dir, options.opencc_threads);
      if (!e) return e.error();
      return std::unique_ptr<translation_engine>(std::move(e).value());
    }
    case config::translation_engine::http: {
      http_engine_options h;
      h.url = target.url;
      h.target_language = target.engine_language;
      h.source_language = target.engine_source_language.empty() ? options.engine_source_language
                                                                : target.engine_source_language;
      if (target.api_key.configured()) {
        h.api_key = target.api_key.resolve();
        if (!h.api_key) {
          return error(errc::engine_config, "target " + target.language + ": api_key_env " +
                                                target.api_key.env + " is not set in the environment");
        }
      }
      h.request_timeout = target.request_timeout;
      // The target's limits, unless the caller asks for smaller ones (tests).
      h.max_chars_per_request = std::min(options.max_chars_per_request, target.max_chars_per_request);
      h.max_segments_per_request =
          std::min(options.max_segments_per_request, target.max_segments_per_request);
      h.retry = options.retry;
      h.verify_peer = options.verify_peer;
      h.ca_file = options.ca_file;
      h.sleep = options.sleep;
      auto e = http_engine::create(std::move(h));
      if (!e) return error(e.error().value(), "target " + target.language + ": " + e.error().message());
      return std::unique_ptr<translation_engine>(std::move(e).value());
    }
  }
  return error(errc::engine_config, "target " + target.language + ": unknown engine");
}

}  // namespace syn::translation
