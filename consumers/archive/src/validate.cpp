#include "syn/archive/validate.hpp"

#include <array>
#include <cstddef>

namespace syn::archive {
namespace {

constexpr std::size_t max_id_bytes = 256;

bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

/// Ids become Kafka keys, URL parts and file names: no whitespace or control characters.
std::optional<std::string> check_id(std::string_view id, std::string_view what) {
  if (id.empty()) return std::string(what) + " is empty";
  if (id.size() > max_id_bytes) {
    return std::string(what) + " is longer than " + std::to_string(max_id_bytes) + " bytes";
  }
  for (const char ch : id) {
    const auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c == 0x7f) return std::string(what) + " contains whitespace or a control character";
  }
  return std::nullopt;
}

std::optional<std::string> check_hash(std::string_view h, std::string_view what) {
  if (is_sha256_hex(h)) return std::nullopt;
  if (h.empty()) return std::string(what) + " is empty";
  return std::string(what) + " is not 64 lowercase hex digits: \"" + std::string(h.substr(0, 80)) +
         (h.size() > 80 ? "…" : "") + "\"";
}

bool is_blank(std::string_view s) noexcept {
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') continue;
    // U+3000 IDEOGRAPHIC SPACE
    if (c == 0xe3 && i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x80 &&
        static_cast<unsigned char>(s[i + 2]) == 0x80) {
      i += 2;
      continue;
    }
    return false;
  }
  return true;
}

}  // namespace

bool is_sha256_hex(std::string_view s) noexcept {
  if (s.size() != 64) return false;
  for (const char c : s) {
    if (!is_digit(c) && !(c >= 'a' && c <= 'f')) return false;
  }
  return true;
}

bool is_iso_date(std::string_view s) noexcept {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  for (const std::size_t i : {0U, 1U, 2U, 3U, 5U, 6U, 8U, 9U}) {
    if (!is_digit(s[i])) return false;
  }
  const int year = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
  const int month = (s[5] - '0') * 10 + (s[6] - '0');
  const int day = (s[8] - '0') * 10 + (s[9] - '0');
  if (month < 1 || month > 12 || day < 1) return false;
  static constexpr std::array<int, 12> days{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  const int max_day = days.at(static_cast<std::size_t>(month - 1)) + (month == 2 && leap ? 1 : 0);
  return day <= max_day;
}

std::optional<std::string> validate(const syndication::v1::Article& a) {
  if (auto e = check_id(a.id(), "article id")) return e;
  if (is_blank(a.headline())) return "article " + a.id() + ": headline is missing";
  if (auto e = check_hash(a.content_sha256(), "content_sha256")) return "article " + a.id() + ": " + *e;
  if (!a.issue_date().empty() && !is_iso_date(a.issue_date())) {
    return "article " + a.id() + ": issue_date is not an ISO date (YYYY-MM-DD): \"" + a.issue_date() + "\"";
  }
  if (a.translation_of().empty() != a.translation_of_sha256().empty()) {
    return "article " + a.id() + ": translation_of and translation_of_sha256 must be set together";
  }
  if (!a.translation_of().empty()) {
    if (auto e = check_id(a.translation_of(), "translation_of")) return "article " + a.id() + ": " + *e;
    if (auto e = check_hash(a.translation_of_sha256(), "translation_of_sha256")) {
      return "article " + a.id() + ": " + *e;
    }
    if (a.translation_of() == a.id()) return "article " + a.id() + ": is marked as a translation of itself";
  }
  return std::nullopt;
}

std::optional<std::string> validate(const syndication::v1::IssueManifest& m) {
  if (auto e = check_id(m.issue_id(), "issue id")) return e;
  const std::string who = "issue " + m.issue_id() + ": ";
  if (auto e = check_hash(m.source_sha256(), "source_sha256")) return who + *e;
  if (!m.issue_date().empty() && !is_iso_date(m.issue_date())) {
    return who + "issue_date is not an ISO date (YYYY-MM-DD): \"" + m.issue_date() + "\"";
  }
  if (m.article_ids_size() != m.article_hashes_size()) {
    return who + std::to_string(m.article_ids_size()) + " article_ids but " +
           std::to_string(m.article_hashes_size()) + " article_hashes";
  }
  for (int i = 0; i < m.article_ids_size(); ++i) {
    const std::string where = "article_ids[" + std::to_string(i) + "]";
    if (auto e = check_id(m.article_ids(i), where)) return who + *e;
    if (auto e = check_hash(m.article_hashes(i), "article_hashes[" + std::to_string(i) + "]"))
      return who + *e;
  }
  return std::nullopt;
}

}  // namespace syn::archive
