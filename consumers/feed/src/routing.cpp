#include "syn/feed/routing.hpp"

#include "syn/feed/text.hpp"

#include <algorithm>
#include <cctype>

namespace syn::feed {
namespace {

char lower(char c) noexcept { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

bool any_of_labels(const std::vector<std::string>& wanted, const std::string& have_normalised) {
  return std::any_of(wanted.begin(), wanted.end(),
                     [&](const std::string& w) { return text::normalise_label(w) == have_normalised; });
}

}  // namespace

bool language_matches(std::string_view rule, std::string_view language) noexcept {
  if (language.empty()) language = "zh-Hans";
  if (rule.empty() || rule.size() > language.size()) return false;
  for (std::size_t i = 0; i < rule.size(); ++i) {
    if (lower(rule[i]) != lower(language[i])) return false;
  }
  // Whole subtags only: `zh` matches `zh-Hant`, not `zho`.
  return rule.size() == language.size() || language[rule.size()] == '-';
}

bool matches(const syndication::v1::Article& a, const config::route_rules& r, std::string_view account_language) {
  if (!r.papers.empty() && std::find(r.papers.begin(), r.papers.end(), a.paper()) == r.papers.end()) return false;
  if (!r.pages.empty() &&
      std::find(r.pages.begin(), r.pages.end(), static_cast<int>(a.page())) == r.pages.end()) {
    return false;
  }
  if (!r.kickers.empty() && !any_of_labels(r.kickers, text::normalise_label(a.kicker()))) return false;
  if (!r.headline_keywords.empty()) {
    const auto headline = text::normalise_label(a.headline());
    const bool hit = std::any_of(r.headline_keywords.begin(), r.headline_keywords.end(), [&](const std::string& k) {
      const auto key = text::normalise_label(k);
      return !key.empty() && headline.find(key) != std::string::npos;
    });
    if (!hit) return false;
  }
  if (r.languages.empty()) {
    // The account's own language filters by default.
    if (!account_language.empty() && !language_matches(account_language, a.language())) return false;
  } else if (std::none_of(r.languages.begin(), r.languages.end(),
                          [&](const std::string& l) { return language_matches(l, a.language()); })) {
    return false;
  }
  return true;
}

std::vector<std::size_t> route(const syndication::v1::Article& article,
                               const std::vector<config::feed_account>& accounts) {
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < accounts.size(); ++i) {
    if (routes_to(article, accounts[i])) out.push_back(i);
  }
  return out;
}

}  // namespace syn::feed
