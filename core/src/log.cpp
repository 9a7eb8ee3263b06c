#include "syn/core/log.hpp"

#include <spdlog/spdlog.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace syn::log {

spdlog::logger& get(std::string_view name) {
  static std::mutex mu;
  // Kept here as well as in spdlog's registry: spdlog::drop_all() must not leave a caller with a
  // dangling reference.
  static std::map<std::string, std::shared_ptr<spdlog::logger>, std::less<>> loggers;
  std::lock_guard lock(mu);
  if (const auto it = loggers.find(name); it != loggers.end()) return *it->second;
  auto l = spdlog::get(std::string(name));
  if (!l) {
    const auto& sinks = spdlog::default_logger_raw()->sinks();
    l = std::make_shared<spdlog::logger>(std::string(name), sinks.begin(), sinks.end());
    spdlog::initialize_logger(l);  // the registry's level and formatter; registers it
  }
  return *loggers.emplace(std::string(name), std::move(l)).first->second;
}

}  // namespace syn::log
