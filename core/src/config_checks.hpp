#pragma once
// The value checks the config sections share (internal to syn_core): each section's schema
// (config_<section>.cpp) builds its fields' checks from these.

#include <algorithm>
#include <cctype>
#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config_schema.hpp"

namespace syn::config::detail {

template <class T>
check<T> positive(std::string expected = "a positive integer") {
  return expect<T>(std::move(expected), [](const T& v) { return v > T{}; });
}
template <class T>
check<T> non_negative(std::string expected = "a non-negative integer") {
  return expect<T>(std::move(expected), [](const T& v) { return v >= T{}; });
}
inline check<int> in_range(int lo, int hi) {
  return expect<int>("an integer from " + std::to_string(lo) + " to " + std::to_string(hi),
                     [lo, hi](int v) { return v >= lo && v <= hi; });
}
inline check<std::chrono::milliseconds> positive_ms() {
  return positive<std::chrono::milliseconds>("a positive number of milliseconds");
}
inline check<std::chrono::milliseconds> non_negative_ms() {
  return non_negative<std::chrono::milliseconds>("a non-negative number of milliseconds");
}
inline check<std::string> not_empty(std::string expected = "a non-empty string") {
  return expect<std::string>(std::move(expected), [](const std::string& s) { return !s.empty(); });
}

inline bool all_of_chars(std::string_view s, std::string_view extra) {
  return std::all_of(s.begin(), s.end(), [&](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || extra.find(c) != std::string_view::npos;
  });
}

struct host_port {
  std::string host;
  int port = -1;
};

/// `host:port`, `[v6]:port`; port 0-65535 (0: any free port, for tests).
inline std::optional<host_port> parse_host_port(std::string_view s) {
  host_port hp;
  std::string_view port;
  if (s.starts_with('[')) {
    const auto close = s.find(']');
    if (close == std::string_view::npos || close + 1 >= s.size() || s[close + 1] != ':') return std::nullopt;
    hp.host = std::string(s.substr(0, close + 1));
    if (!all_of_chars(s.substr(1, close - 1), ":.") || close == 1) return std::nullopt;
    port = s.substr(close + 2);
  } else {
    const auto colon = s.rfind(':');
    if (colon == std::string_view::npos || colon == 0) return std::nullopt;
    hp.host = std::string(s.substr(0, colon));
    if (!all_of_chars(hp.host, ".-_")) return std::nullopt;
    port = s.substr(colon + 1);
  }
  int p = -1;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
  if (port.empty() || ec != std::errc{} || end != port.data() + port.size() || p < 0 || p > 65535) {
    return std::nullopt;
  }
  hp.port = p;
  return hp;
}

inline bool is_loopback(std::string_view host) {
  return host == "localhost" || host.starts_with("127.") || host == "[::1]";
}

inline check<std::string> listen_address(bool optional = false) {
  return expect<std::string>(
      optional ? "a listen address host:port, or empty to disable" : "a listen address host:port",
      [optional](const std::string& s) { return (optional && s.empty()) || parse_host_port(s).has_value(); });
}

inline check<std::string> http_url() {
  return {"an http:// or https:// URL", [](const std::string& s, validator& v, const std::string& path) {
            std::string_view rest = s;
            if (rest.starts_with("https://")) {
              rest.remove_prefix(8);
            } else if (rest.starts_with("http://")) {
              rest.remove_prefix(7);
            } else {
              v.error(path, "expected an http:// or https:// URL, got " + quote(s));
              return;
            }
            const std::string_view authority = rest.substr(0, rest.find('/'));
            if (authority.find('@') != std::string_view::npos) {
              // Credentials in a URL are an inline secret; not echoed.
              v.error(path,
                      "credentials in URLs are not allowed: secrets come only from environment variables "
                      "named by `*_env` keys");
            } else if (authority.empty() || s.find_first_of(" \t\n") != std::string::npos) {
              v.error(path, "expected an http:// or https:// URL, got " + quote(s));
            }
          }};
}

inline check<std::string> optional_http_url() {
  const auto url = http_url();
  return {"", [url](const std::string& s, validator& v, const std::string& path) {
            if (!s.empty()) url.run(s, v, path);
          }};
}

inline bool is_language_tag(std::string_view s) {
  // BCP 47, loosely: a 2-3 letter primary subtag, then subtags of 1-8 alphanumerics.
  std::size_t i = 0;
  bool first = true;
  while (true) {
    const auto dash = s.find('-', i);
    const std::string_view sub =
        s.substr(i, dash == std::string_view::npos ? std::string_view::npos : dash - i);
    if (first) {
      if (sub.size() < 2 || sub.size() > 3 || !std::all_of(sub.begin(), sub.end(), [](char c) {
            return std::isalpha(static_cast<unsigned char>(c));
          })) {
        return false;
      }
    } else if (sub.empty() || sub.size() > 8 || !all_of_chars(sub, "")) {
      return false;
    }
    first = false;
    if (dash == std::string_view::npos) return true;
    i = dash + 1;
  }
}

inline check<std::string> language_tag() {
  return expect<std::string>("a BCP 47 language tag such as zh-Hant",
                             [](const std::string& s) { return is_language_tag(s); });
}

inline bool is_paper_code(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(),
                                   [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); });
}

inline check<std::string> paper_code() {
  // Article ids are `<code>-<date>-<page>-<seq>`: a dash in the code would make them ambiguous.
  return expect<std::string>("a paper code of lowercase letters and digits",
                             [](const std::string& s) { return is_paper_code(s); });
}

inline check<std::string> url_safe_name() {
  return expect<std::string>("a name of lowercase letters, digits, - and _", [](const std::string& s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    });
  });
}

inline check<std::string> subfolder_name() {
  return expect<std::string>("a folder name (no /)", [](const std::string& s) {
    return !s.empty() && s != "." && s != ".." && s.find('/') == std::string::npos;
  });
}

inline check<std::string> topic_name() {
  return expect<std::string>(
      "a Kafka topic name (letters, digits, . _ -; at most 249)", [](const std::string& s) {
        return !s.empty() && s.size() <= 249 && s != "." && s != ".." && all_of_chars(s, "._-");
      });
}

inline check<std::string> bootstrap_servers() {
  return expect<std::string>("host:port[,host:port...] or `embedded`", [](const std::string& s) {
    if (s == "embedded") return true;
    if (s.empty()) return false;
    std::size_t i = 0;
    while (i <= s.size()) {
      const auto comma = s.find(',', i);
      std::string_view one =
          std::string_view(s).substr(i, comma == std::string::npos ? std::string::npos : comma - i);
      while (!one.empty() && one.front() == ' ') one.remove_prefix(1);
      while (!one.empty() && one.back() == ' ') one.remove_suffix(1);
      if (!parse_host_port(one)) return false;
      if (comma == std::string::npos) break;
      i = comma + 1;
    }
    return true;
  });
}

template <class T>
void report_duplicates(const std::vector<T>& items, const std::function<std::string(const T&)>& key_of,
                       validator& v, const std::string& path, std::string_view field, std::string_view what) {
  std::map<std::string, std::size_t> first;
  for (std::size_t i = 0; i < items.size(); ++i) {
    const std::string k = key_of(items[i]);
    if (k.empty()) continue;
    if (const auto [it, fresh] = first.emplace(k, i); !fresh) {
      v.error(join_path(index_path(path, i), field), "duplicate " + std::string(what) + " " + quote(k) +
                                                         " (also " + index_path(path, it->second) + ")");
    }
  }
}

inline constexpr std::string_view kSourceLanguage = "zh-Hans";

}  // namespace syn::config::detail
