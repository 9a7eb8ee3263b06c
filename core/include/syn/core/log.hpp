#pragma once
/// One named spdlog logger per module ("feed", "translator", "trigger", "runner", ...): the name
/// is the `logger` field of JSON logs and the `[name]` of text logs, so messages carry no hand
/// prefix. Created on first use, writing where the default logger writes, at the level and in the
/// format service::setup_logging() set (spdlog applies both to every registered logger). A logger
/// registered under the name already (core's "kafka" logger) is returned as it is.
///
/// Thread-safe. The reference stays valid for the life of the process.

#include <spdlog/logger.h>

#include <string_view>

namespace syn::log {

[[nodiscard]] spdlog::logger& get(std::string_view name);

}  // namespace syn::log
