#include "syn/core/routing.hpp"

#include <algorithm>
#include <cctype>

#include "syn/core/utf8.hpp"

namespace syn::routing {
namespace {

char lower(char c) noexcept { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

bool any_label(const std::vector<std::string>& wanted, const std::string& have_normalised) {
  return std::any_of(wanted.begin(), wanted.end(),
                     [&](const std::string& w) { return normalise_label(w) == have_normalised; });
}

}  // namespace

bool is_label_space(char32_t c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v' || c == 0x00A0 ||
         c == 0x3000 || (c >= 0x2000 && c <= 0x200B) || c == 0x202F || c == 0x205F || c == 0xFEFF;
}

std::string normalise_label(std::string_view s) { return utf8::normalise_label(s, is_label_space); }

bool language_matches(std::string_view rule, std::string_view language) noexcept {
  if (language.empty()) language = "zh-Hans";
  if (rule.empty() || rule.size() > language.size()) return false;
  for (std::size_t i = 0; i < rule.size(); ++i) {
    if (lower(rule[i]) != lower(language[i])) return false;
  }
  // Whole subtags only: `zh` matches `zh-Hant`, not `zho`.
  return rule.size() == language.size() || language[rule.size()] == '-';
}

bool matches(const syndication::v1::Article& a, const config::route_rules& r,
             std::string_view default_language) {
  if (!r.papers.empty() && std::find(r.papers.begin(), r.papers.end(), a.paper()) == r.papers.end())
    return false;
  if (!r.pages.empty() &&
      std::find(r.pages.begin(), r.pages.end(), static_cast<int>(a.page())) == r.pages.end()) {
    return false;
  }
  if (!r.kickers.empty() && !any_label(r.kickers, normalise_label(a.kicker()))) return false;
  if (!r.headline_keywords.empty()) {
    const auto headline = normalise_label(a.headline());
    const bool hit =
        std::any_of(r.headline_keywords.begin(), r.headline_keywords.end(), [&](const std::string& k) {
          const auto key = normalise_label(k);
          return !key.empty() && headline.find(key) != std::string::npos;
        });
    if (!hit) return false;
  }
  if (r.languages.empty()) {
    if (!default_language.empty() && !language_matches(default_language, a.language())) return false;
  } else if (std::none_of(r.languages.begin(), r.languages.end(),
                          [&](const std::string& l) { return language_matches(l, a.language()); })) {
    return false;
  }
  return true;
}

}  // namespace syn::routing
