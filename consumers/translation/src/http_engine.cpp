#include "syn/translation/http_engine.hpp"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cmath>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "http_post.hpp"
#include "syn/core/utf8.hpp"
#include "syn/translation/job_builder.hpp"
#include "text.hpp"

namespace syn::translation {
namespace {

using sys_clock = std::chrono::system_clock;
using std::chrono::milliseconds;

bool is_sentence_end(char32_t c) noexcept {
  switch (c) {
    case U'。':
    case U'！':
    case U'？':
    case U'；':
    case U'!':
    case U'?':
    case U';':
    case U'\n':
    case U'…':
      return true;
    default:
      return false;
  }
}

bool is_closing(char32_t c) noexcept {
  switch (c) {
    case U'”':
    case U'’':
    case U'」':
    case U'』':
    case U'）':
    case U')':
    case U'"':
    case U'\'':
    case U'】':
    case U'》':
      return true;
    default:
      return false;
  }
}

bool ascii_alnum(char c) noexcept { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

double random_unit() {
  thread_local std::mt19937_64 gen{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(gen);
}

/// An engine's own error text, shortened to one line.
std::string engine_message(const std::string& body) {
  std::string msg;
  try {
    const auto doc = nlohmann::json::parse(body);
    if (doc.is_object() && doc.contains("error") && doc["error"].is_string())
      msg = doc["error"].get<std::string>();
  } catch (const nlohmann::json::exception&) {
  }
  if (msg.empty()) msg = body;
  std::replace_if(
      msg.begin(), msg.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
  if (msg.size() > 200) {
    msg = std::string(syn::utf8::prefix_bytes(msg, 200)) + "...";  // cut on a character boundary
  }
  return msg;
}

std::optional<milliseconds> parse_retry_after(const std::string& v) {
  if (v.empty() || v.size() > 6 ||
      !std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;  // HTTP-dates are not worth the parsing here
  }
  return milliseconds(std::stol(v) * 1000);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Planning

std::vector<std::string> split_long_text(std::string_view s, std::size_t max_chars) {
  std::vector<std::string> out;
  if (max_chars == 0) max_chars = 1;
  std::size_t start = 0;
  std::size_t count = 0;
  std::size_t last_break = std::string_view::npos;
  std::size_t count_at_break = 0;
  bool after_break = false;
  for (std::size_t i = 0; i < s.size();) {
    const auto d = detail::decode_at(s, i);
    i += d.bytes;
    ++count;
    if (is_sentence_end(d.cp) || (after_break && is_closing(d.cp))) {
      last_break = i;
      count_at_break = count;
      after_break = true;
    } else {
      after_break = false;
    }
    if (count == max_chars && i < s.size()) {
      const bool at_break = last_break != std::string_view::npos && last_break > start;
      const std::size_t cut = at_break ? last_break : i;
      out.emplace_back(s.substr(start, cut - start));
      count = at_break ? count - count_at_break : 0;
      start = cut;
      last_break = std::string_view::npos;
      after_break = false;
    }
  }
  if (start < s.size()) out.emplace_back(s.substr(start));
  return out;
}

std::string join_pieces(const std::vector<std::string>& pieces) {
  std::string out;
  for (const auto& p : pieces) {
    if (!out.empty() && !p.empty()) {
      const char last = out.back();
      const char first = p.front();
      const bool last_ascii_text =
          static_cast<unsigned char>(last) < 0x80U && std::isspace(static_cast<unsigned char>(last)) == 0;
      if (last_ascii_text && ascii_alnum(first)) out.push_back(' ');
    }
    out += p;
  }
  return out;
}

std::vector<request_plan> plan_requests(const std::vector<std::string>& segments, std::size_t max_chars,
                                        std::size_t max_texts) {
  if (max_chars == 0) max_chars = 1;
  if (max_texts == 0) max_texts = 1;
  std::vector<request_plan> plans;
  request_plan current;
  std::size_t current_chars = 0;
  auto flush = [&] {
    if (current.texts.empty()) return;
    plans.push_back(std::move(current));
    current = {};
    current_chars = 0;
  };
  for (std::size_t seg = 0; seg < segments.size(); ++seg) {
    const auto& text = segments[seg];
    if (text.empty()) continue;  // translates to "" without asking
    std::vector<std::string> pieces;
    if (code_points(text) > max_chars) {
      pieces = split_long_text(text, max_chars);
    } else {
      pieces.push_back(text);
    }
    for (auto& piece : pieces) {
      const std::size_t n = code_points(piece);
      if (!current.texts.empty() && (current_chars + n > max_chars || current.texts.size() >= max_texts))
        flush();
      current.texts.push_back(std::move(piece));
      current.segment_of.push_back(seg);
      current_chars += n;
    }
  }
  flush();
  return plans;
}

milliseconds backoff_delay(const config::retry_config& retry, int n, double unit) noexcept {
  const double initial = static_cast<double>(retry.initial_backoff.count());
  const double cap = static_cast<double>(retry.max_backoff.count());
  const double grown = initial * std::pow(std::max(retry.multiplier, 1.0), std::max(n, 0));
  const double base = std::min(cap, std::isfinite(grown) ? grown : cap);
  const double jitter = std::clamp(retry.jitter, 0.0, 1.0);
  const double factor = 1.0 - jitter + 2.0 * jitter * std::clamp(unit, 0.0, 1.0);
  return milliseconds(static_cast<std::int64_t>(std::llround(base * factor)));
}

// ---------------------------------------------------------------------------------------------
// Engine

struct http_engine::impl {
  http_engine_options options;
  detail::http_url url;
  std::atomic<std::uint64_t> requests{0};
  std::atomic<std::uint64_t> retries{0};
  std::atomic<std::uint64_t> failures{0};

  struct attempt_error {
    error err;
    std::optional<milliseconds> retry_after;
  };

  void sleep(milliseconds d) const {
    if (options.sleep) {
      options.sleep(d);
    } else {
      std::this_thread::sleep_for(d);
    }
  }

  /// One request: the translations, or the error of this attempt (and its Retry-After).
  result<std::vector<std::string>> send_once(const std::vector<std::string>& texts, const std::string& source,
                                             const std::string& target, milliseconds timeout,
                                             failure_info& info) {
    nlohmann::json body{{"q", texts}, {"source", source}, {"target", target}, {"format", "text"}};
    if (options.api_key) body["api_key"] = *options.api_key;
    requests.fetch_add(1, std::memory_order_relaxed);
    auto reply = detail::post_json(url, body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                                   timeout, {options.verify_peer, options.ca_file});
    if (!reply) return reply.error();
    const auto& r = reply.value();
    info.http_status = static_cast<int>(r.status);
    const std::string what = "POST " + url.str() + ": HTTP " + std::to_string(r.status);
    if (r.status == 200) {
      try {
        const auto doc = nlohmann::json::parse(r.body);
        const auto it = doc.is_object() ? doc.find("translatedText") : doc.end();
        if (it == doc.end()) return error(errc::bad_response, what + ": no translatedText in the answer");
        std::vector<std::string> out;
        if (it->is_string() && texts.size() == 1) {
          out.push_back(it->get<std::string>());
        } else if (it->is_array() && it->size() == texts.size() &&
                   std::all_of(it->begin(), it->end(), [](const auto& v) { return v.is_string(); })) {
          out = it->get<std::vector<std::string>>();
        } else {
          return error(errc::bad_response, what + ": translatedText is not an array of " +
                                               std::to_string(texts.size()) + " strings");
        }
        return out;
      } catch (const nlohmann::json::exception& e) {
        return error(errc::bad_response, what + ": answer is not JSON: " + e.what());
      }
    }
    const std::string msg = what + ": " + engine_message(r.body);
    if (r.status == 429) {
      info.retry_after = parse_retry_after(r.retry_after);
      return error(errc::rate_limited, msg);
    }
    if (r.status == 408) return error(errc::timed_out, msg);
    if (r.status >= 500) {
      info.retry_after = parse_retry_after(r.retry_after);
      return error(errc::engine_failed, msg);
    }
    return error(errc::rejected, msg);
  }

  result<std::vector<std::string>> send(const std::vector<std::string>& texts, const std::string& source,
                                        const std::string& target,
                                        std::optional<sys_clock::time_point> deadline, failure_info& info) {
    const int attempts = std::max(options.retry.max_attempts, 1);
    for (int attempt = 0;; ++attempt) {
      milliseconds timeout = options.request_timeout;
      if (deadline) {
        const auto left = std::chrono::duration_cast<milliseconds>(*deadline - sys_clock::now());
        if (left <= milliseconds::zero()) return error(errc::deadline_exceeded, "job deadline passed");
        timeout = std::min(timeout, left);
      }
      if (attempt > 0) retries.fetch_add(1, std::memory_order_relaxed);
      info = {};
      auto r = send_once(texts, source, target, timeout, info);
      if (r || !r.error().retriable()) return r;
      if (attempt + 1 >= attempts) {
        return error(r.error().value(),
                     r.error().message() + " (gave up after " + std::to_string(attempts) + " attempts)");
      }
      auto delay = backoff_delay(options.retry, attempt, random_unit());
      if (info.retry_after) delay = std::max(delay, std::min(*info.retry_after, options.retry.max_backoff));
      if (deadline && sys_clock::now() + delay >= *deadline) {
        return error(errc::deadline_exceeded,
                     "job deadline passes before the next attempt; last error: " + r.error().message());
      }
      sleep(delay);
    }
  }
};

http_engine::http_engine(std::unique_ptr<impl> p) noexcept : impl_(std::move(p)) {}
http_engine::~http_engine() = default;

result<std::unique_ptr<http_engine>> http_engine::create(http_engine_options options) {
  auto url = detail::http_url::parse(options.url);
  if (!url) return error(errc::engine_config, "not an http(s) URL: \"" + options.url + "\"");
  if (options.max_chars_per_request == 0 || options.max_segments_per_request == 0) {
    return error(errc::engine_config, "max_chars_per_request and max_segments_per_request must be positive");
  }
  if (options.request_timeout <= milliseconds::zero()) {
    return error(errc::engine_config, "request_timeout must be positive");
  }
  auto p = std::make_unique<impl>();
  p->options = std::move(options);
  p->url = std::move(*url);
  return std::unique_ptr<http_engine>(new http_engine(std::move(p)));
}

result<void> http_engine::check_languages(const std::string& source, const std::string& target) {
  const std::string& src = impl_->options.source_language.empty() ? source : impl_->options.source_language;
  const std::string& tgt = impl_->options.target_language.empty() ? target : impl_->options.target_language;
  detail::http_url url = impl_->url;
  // LibreTranslate serves /languages beside /translate (https://libretranslate.com/docs).
  const auto slash = url.target.rfind('/');
  url.target = (slash == std::string::npos ? std::string() : url.target.substr(0, slash)) + "/languages";
  auto reply = detail::send_request(url, "GET", {}, impl_->options.request_timeout,
                                    {impl_->options.verify_peer, impl_->options.ca_file});
  if (!reply) return reply.error();
  const std::string what = "GET " + url.str();
  if (reply.value().status != 200) {
    return error(errc::engine_failed, what + ": HTTP " + std::to_string(reply.value().status));
  }
  std::vector<std::string> codes;
  bool pair = false;
  try {
    const auto doc = nlohmann::json::parse(reply.value().body);
    if (!doc.is_array()) return error(errc::bad_response, what + ": not a JSON array of languages");
    for (const auto& lang : doc) {
      if (!lang.is_object() || !lang.contains("code") || !lang["code"].is_string()) continue;
      const auto code = lang["code"].get<std::string>();
      codes.push_back(code);
      if (code != src) continue;
      // Without a `targets` list (older releases), any listed language is a target.
      const auto t = lang.find("targets");
      pair = t == lang.end() || !t->is_array() || std::find(t->begin(), t->end(), tgt) != t->end();
    }
  } catch (const nlohmann::json::exception& e) {
    return error(errc::bad_response, what + ": answer is not JSON: " + e.what());
  }
  const bool knows_target = std::find(codes.begin(), codes.end(), tgt) != codes.end();
  if (pair && knows_target) return success();
  std::string known;
  for (const auto& c : codes) known += (known.empty() ? "" : " ") + c;
  return error(errc::engine_config, "the engine at " + url.str() + " does not translate " + src + " -> " +
                                        tgt + " (its languages: " + known +
                                        "); set engine_source_language / engine_language to its codes");
}

http_engine::counters http_engine::stats() const noexcept {
  return {impl_->requests.load(std::memory_order_relaxed), impl_->retries.load(std::memory_order_relaxed),
          impl_->failures.load(std::memory_order_relaxed)};
}

result<std::vector<std::string>> http_engine::translate(const syndication::v1::TranslationJob& job) {
  failure_info ignored;
  return translate_reporting(job, ignored);
}

result<std::vector<std::string>> http_engine::translate_reporting(const syndication::v1::TranslationJob& job,
                                                                  failure_info& info) {
  const auto deadline = job_deadline(job);
  if (deadline && *deadline <= sys_clock::now()) {
    impl_->failures.fetch_add(1, std::memory_order_relaxed);
    return error(errc::deadline_exceeded, job.job_id() + ": deadline passed before translation");
  }
  const std::string& source =
      impl_->options.source_language.empty() ? job.source_language() : impl_->options.source_language;
  const std::string& target =
      impl_->options.target_language.empty() ? job.target_language() : impl_->options.target_language;

  std::vector<std::string> texts;
  texts.reserve(static_cast<std::size_t>(job.segments_size()));
  for (const auto& s : job.segments()) texts.push_back(s.text());
  const auto plans =
      plan_requests(texts, impl_->options.max_chars_per_request, impl_->options.max_segments_per_request);

  std::vector<std::vector<std::string>> pieces(texts.size());
  for (std::size_t i = 0; i < plans.size(); ++i) {
    auto r = impl_->send(plans[i].texts, source, target, deadline, info);
    if (!r) {
      impl_->failures.fetch_add(1, std::memory_order_relaxed);
      return error(r.error().value(), job.job_id() + ": request " + std::to_string(i + 1) + "/" +
                                          std::to_string(plans.size()) + ": " + r.error().message());
    }
    auto& translated = r.value();
    for (std::size_t k = 0; k < translated.size(); ++k)
      pieces[plans[i].segment_of[k]].push_back(std::move(translated[k]));
  }
  std::vector<std::string> out;
  out.reserve(texts.size());
  for (const auto& p : pieces) out.push_back(join_pieces(p));
  return out;
}

}  // namespace syn::translation
