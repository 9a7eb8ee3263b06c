#include "mt_server.hpp"

#include <algorithm>
#include <array>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <stdexcept>
#include <vector>

#include "syn/core/http_server.hpp"

namespace syn::mt {
namespace {

using nlohmann::json;

constexpr std::size_t kLogSize = 100;

/// What LibreTranslate's test instances typically load, plus both Chinese spellings.
constexpr std::array<std::string_view, 14> kLanguages{"ar", "de", "en", "es", "fr", "it",      "ja",
                                                      "ko", "pt", "ru", "ug", "zh", "zh-Hans", "zh-Hant"};

std::size_t code_points(std::string_view s) {
  return static_cast<std::size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0U) != 0x80U; }));
}

bool blank(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; });
}

http::response json_response(unsigned status, const json& body) {
  http::response r;
  r.status = status;
  r.body = body.dump() + "\n";
  return r;
}

struct fault {
  unsigned status = 500;
  std::chrono::milliseconds hang{0};
  std::optional<long> retry_after;
  std::string message;
};

}  // namespace

std::string fake_translate(std::string_view text, std::string_view target) {
  if (blank(text)) return {};
  std::string out;
  out.reserve(text.size() + target.size() + 3);
  out.append("[").append(target).append("] ").append(text);
  return out;
}

struct mt_server::impl {
  mt_server_options options;
  mutable std::mutex mutex;
  std::condition_variable wake;
  bool stopping = false;
  std::deque<fault> faults;
  /// `fail_always`: every /translate request not taken by `faults` answers this, until cleared.
  std::optional<fault> outage;
  /// What /languages lists and /translate accepts.
  std::vector<std::string> languages;
  std::uint64_t requests = 0, ok = 0, failed = 0, injected = 0, texts = 0, total_chars = 0;
  std::size_t max_request_chars = 0, max_request_texts = 0;
  std::deque<json> log;
  std::unique_ptr<http::server> server;  // last: stopped before the state above goes away

  explicit impl(mt_server_options o) : options(std::move(o)) {
    languages = options.languages.empty() ? std::vector<std::string>(kLanguages.begin(), kLanguages.end())
                                          : options.languages;
  }

  bool supported(std::string_view code) const {
    const std::lock_guard lock(mutex);
    return std::find(languages.begin(), languages.end(), code) != languages.end();
  }

  void record(json entry, unsigned status) {
    const std::lock_guard lock(mutex);
    entry["status"] = status;
    (status == 200 ? ok : failed) += 1;
    log.push_back(std::move(entry));
    while (log.size() > kLogSize) log.pop_front();
  }

  http::response fail(json entry, unsigned status, const std::string& message) {
    record(std::move(entry), status);
    return http::response::json_error(status, message);
  }

  http::response translate(const http::request& req) {
    std::optional<fault> f;
    {
      const std::lock_guard lock(mutex);
      ++requests;
      if (!faults.empty()) {
        f = faults.front();
        faults.pop_front();
        ++injected;
      } else if (outage) {
        f = outage;
        ++injected;
      }
    }
    json entry = json::object();
    if (f) {
      entry["injected"] = true;
      if (f->hang.count() > 0) {
        std::unique_lock lock(mutex);
        wake.wait_for(lock, f->hang, [this] { return stopping; });
      }
      if (f->status != 200) {
        std::string msg = f->message;
        if (msg.empty()) {
          msg = f->status == 429   ? "Slowdown: 1 per 1 minute"
                : f->status >= 500 ? "Cannot translate text: injected failure"
                                   : "Invalid request: injected failure";
        }
        auto res = fail(std::move(entry), f->status, msg);
        if (f->retry_after) res.headers.emplace_back("Retry-After", std::to_string(*f->retry_after));
        return res;
      }
    }

    json doc;
    try {
      doc = json::parse(req.body);
    } catch (const json::exception&) {
      return fail(std::move(entry), 400, "Invalid JSON format");
    }
    if (!doc.is_object()) return fail(std::move(entry), 400, "Invalid JSON format");

    const auto str = [&](const char* key) -> std::string {
      const auto it = doc.find(key);
      return it != doc.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    const std::string api_key = str("api_key");
    const std::string source = str("source");
    const std::string target = str("target");
    std::string format = str("format");
    entry["source"] = source;
    entry["target"] = target;
    entry["api_key"] = !api_key.empty();

    if (options.api_key) {
      if (!api_key.empty() && api_key != *options.api_key)
        return fail(std::move(entry), 403, "Invalid API key");
      if (api_key.empty()) {
        return fail(std::move(entry), 400, "Please contact the server operator to get an API key");
      }
    }

    const auto q = doc.find("q");
    const bool batch = q != doc.end() && q->is_array();
    std::vector<std::string> in;
    if (q != doc.end() && q->is_string()) {
      in.push_back(q->get<std::string>());
    } else if (batch) {
      for (const auto& v : *q) {
        if (!v.is_string()) return fail(std::move(entry), 400, "Invalid request: q must hold strings");
        in.push_back(v.get<std::string>());
      }
    }
    if (in.empty() || (!batch && in.front().empty())) {
      return fail(std::move(entry), 400, "Invalid request: missing q parameter");
    }
    if (source.empty()) return fail(std::move(entry), 400, "Invalid request: missing source parameter");
    if (target.empty()) return fail(std::move(entry), 400, "Invalid request: missing target parameter");

    std::size_t chars = 0;
    for (const auto& t : in) chars += code_points(t);
    entry["texts"] = in.size();
    entry["chars"] = chars;
    {
      const std::lock_guard lock(mutex);
      max_request_chars = std::max(max_request_chars, chars);
      max_request_texts = std::max(max_request_texts, in.size());
    }
    if (batch && options.batch_limit != -1 && static_cast<long>(in.size()) > options.batch_limit) {
      return fail(std::move(entry), 400,
                  "Invalid request: request (" + std::to_string(in.size()) + ") exceeds text limit (" +
                      std::to_string(options.batch_limit) + ")");
    }
    if (options.char_limit != -1 && static_cast<long>(chars) > options.char_limit) {
      return fail(std::move(entry), 400,
                  "Invalid request: request (" + std::to_string(chars) + ") exceeds text limit (" +
                      std::to_string(options.char_limit) + ")");
    }
    if (source != "auto" && !supported(source))
      return fail(std::move(entry), 400, source + " is not supported");
    if (!supported(target)) return fail(std::move(entry), 400, target + " is not supported");
    if (format.empty()) format = "text";
    if (format != "text" && format != "html")
      return fail(std::move(entry), 400, format + " format is not supported");

    json out = json::object();
    if (batch) {
      json arr = json::array();
      for (const auto& t : in) arr.push_back(fake_translate(t, target));
      out["translatedText"] = std::move(arr);
    } else {
      out["translatedText"] = fake_translate(in.front(), target);
    }
    if (source == "auto") out["detectedLanguage"] = {{"confidence", 90.0}, {"language", "zh-Hans"}};
    {
      const std::lock_guard lock(mutex);
      texts += in.size();
      total_chars += chars;
    }
    record(std::move(entry), 200);
    return json_response(200, out);
  }

  http::response list_languages() const {
    std::vector<std::string> codes;
    {
      const std::lock_guard lock(mutex);
      codes = languages;
    }
    json arr = json::array();
    for (const auto& code : codes) {
      json targets = json::array();
      for (const auto& t : codes) {
        if (t != code) targets.push_back(t);
      }
      arr.push_back({{"code", code}, {"name", code}, {"targets", targets}});
    }
    return json_response(200, arr);
  }

  http::response handle(const http::request& req) {
    if (req.path == "/translate") {
      if (req.method != "POST") return http::response::json_error(405, "use POST");
      return translate(req);
    }
    if (req.path == "/languages" && req.method == "GET") return list_languages();
    if (req.path == "/__state" && req.method == "GET") return json_response(200, state());
    if (req.path == "/__control" && req.method == "POST") {
      json cmd;
      try {
        cmd = json::parse(req.body);
      } catch (const json::exception& e) {
        return http::response::json_error(400, std::string("invalid JSON: ") + e.what());
      }
      try {
        return json_response(200, control(cmd));
      } catch (const std::invalid_argument& e) {
        return http::response::json_error(400, e.what());
      }
    }
    if (req.path == "/healthz") return json_response(200, {{"ok", true}});
    return http::response::json_error(404, "no such endpoint: " + req.path);
  }

  json control(const json& cmd) {
    if (!cmd.is_object()) throw std::invalid_argument("control command must be a JSON object");
    const auto integer = [&](const char* key, long fallback) -> long {
      const auto it = cmd.find(key);
      if (it == cmd.end()) return fallback;
      if (!it->is_number_integer() || it->get<long>() < 0) {
        throw std::invalid_argument(std::string(key) + " must be a non-negative integer");
      }
      return it->get<long>();
    };
    const std::lock_guard lock(mutex);
    if (cmd.value("reset", false)) {
      faults.clear();
      outage.reset();
      requests = ok = failed = injected = texts = total_chars = 0;
      max_request_chars = max_request_texts = 0;
      log.clear();
    }
    if (cmd.contains("languages")) {
      const auto& l = cmd["languages"];
      if (!l.is_array() || l.empty() ||
          !std::all_of(l.begin(), l.end(), [](const json& v) { return v.is_string(); })) {
        throw std::invalid_argument("languages must be a non-empty array of codes");
      }
      languages = l.get<std::vector<std::string>>();
    }
    if (cmd.contains("fail_always") && !cmd["fail_always"].is_boolean()) {
      throw std::invalid_argument("fail_always must be true or false");
    }
    const bool always = cmd.value("fail_always", false);
    if (cmd.contains("fail_always") && !always) outage.reset();
    const bool any = cmd.contains("fail_next") || always || cmd.contains("status") || cmd.contains("hang_ms");
    if (any) {
      fault f;
      f.status = static_cast<unsigned>(integer("status", 500));
      if (f.status < 200 || f.status > 599) throw std::invalid_argument("status must be an HTTP status");
      f.hang = std::chrono::milliseconds(integer("hang_ms", 0));
      if (cmd.contains("retry_after")) f.retry_after = integer("retry_after", 0);
      if (cmd.contains("error") && cmd["error"].is_string()) f.message = cmd["error"].get<std::string>();
      if (always) {
        outage = f;
      } else {
        const long n = integer("fail_next", 1);
        for (long i = 0; i < n; ++i) faults.push_back(f);
      }
    }
    return {{"ok", true}, {"pending_faults", faults.size()}, {"fail_always", outage.has_value()}};
  }

  json state() const {
    const std::lock_guard lock(mutex);
    return {{"requests", requests},
            {"ok", ok},
            {"failed", failed},
            {"injected", injected},
            {"texts", texts},
            {"chars", total_chars},
            {"max_request_chars", max_request_chars},
            {"max_request_texts", max_request_texts},
            {"pending_faults", faults.size()},
            {"fail_always", outage ? json(outage->status) : json(nullptr)},
            {"log", json(log)}};
  }

  void stop() {
    {
      const std::lock_guard lock(mutex);
      stopping = true;
    }
    wake.notify_all();
    if (server) server->stop();
  }
};

mt_server::mt_server(mt_server_options options) : impl_(std::make_unique<impl>(std::move(options))) {
  http::server_options so;
  so.address = impl_->options.address;
  so.port = impl_->options.port;
  so.threads = std::max(impl_->options.threads, 2U);
  impl_->server =
      std::make_unique<http::server>(so, [p = impl_.get()](const http::request& r) { return p->handle(r); });
}

mt_server::~mt_server() { stop(); }

std::uint16_t mt_server::port() const noexcept { return impl_->server->port(); }

std::string mt_server::translate_url() const {
  return "http://" + impl_->options.address + ":" + std::to_string(port()) + "/translate";
}

nlohmann::json mt_server::control(const nlohmann::json& command) { return impl_->control(command); }
nlohmann::json mt_server::state() const { return impl_->state(); }
void mt_server::stop() { impl_->stop(); }

}  // namespace syn::mt
