#include "syn/ops/datetime.hpp"

#include <array>
#include <cstdio>

namespace syn::ops {

namespace {

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

bool leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int days_in_month(int y, int m) {
  static constexpr std::array<int, 12> days{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && leap(y) ? 29 : days[static_cast<std::size_t>(m - 1)];
}

/// Reads exactly `n` digits at `pos`.
bool digits(std::string_view s, std::size_t& pos, std::size_t n, int& out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const char c = s[pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  pos += n;
  out = v;
  return true;
}

}  // namespace

std::optional<std::int64_t> parse_datetime(std::string_view text, std::string& error) {
  // Not `"`" + std::string(text)`: GCC 12 -O3 reports a false -Wrestrict in
  // operator+(const char*, string&&) (GCC PR 105329).
  std::string shown = "`";
  shown.append(text).append("`");
  const std::string expected = " (expected e.g. 2024-01-30T00:00:00+08:00)";
  std::size_t pos = 0;
  int year = 0;
  int month = 0;
  int day = 0;
  int hour = 0;
  int minute = 0;
  int second = 0;
  if (!digits(text, pos, 4, year) || pos >= text.size() || text[pos++] != '-' ||
      !digits(text, pos, 2, month) || pos >= text.size() || text[pos++] != '-' ||
      !digits(text, pos, 2, day)) {
    error = "not a date-time: " + shown + expected;
    return std::nullopt;
  }
  if (pos == text.size()) {
    error = "date-time " + shown + " has no time and UTC offset" + expected;
    return std::nullopt;
  }
  if (text[pos] != 'T' && text[pos] != 't' && text[pos] != ' ') {
    error = "not a date-time: " + shown + expected;
    return std::nullopt;
  }
  ++pos;
  if (!digits(text, pos, 2, hour) || pos >= text.size() || text[pos++] != ':' ||
      !digits(text, pos, 2, minute)) {
    error = "not a date-time: " + shown + expected;
    return std::nullopt;
  }
  if (pos < text.size() && text[pos] == ':') {
    ++pos;
    if (!digits(text, pos, 2, second)) {
      error = "not a date-time: " + shown + expected;
      return std::nullopt;
    }
  }
  int millis = 0;
  if (pos < text.size() && (text[pos] == '.' || text[pos] == ',')) {
    ++pos;
    std::size_t n = 0;
    int scale = 100;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (n < 3) millis += (text[pos] - '0') * scale;
      scale /= 10;
      ++pos;
      ++n;
    }
    if (n == 0) {
      error = "not a date-time: " + shown + expected;
      return std::nullopt;
    }
  }
  if (month < 1 || month > 12 || day < 1 || day > days_in_month(year, month)) {
    error = "no such date: " + shown;
    return std::nullopt;
  }
  if (hour > 23 || minute > 59 || second > 59) {
    error = "no such time of day: " + shown;
    return std::nullopt;
  }
  if (pos == text.size()) {
    error = "date-time " + shown + " has no UTC offset: add Z or e.g. +08:00";
    return std::nullopt;
  }
  int offset_minutes = 0;
  if (text[pos] == 'Z' || text[pos] == 'z') {
    ++pos;
  } else if (text[pos] == '+' || text[pos] == '-') {
    const int sign = text[pos] == '-' ? -1 : 1;
    ++pos;
    int oh = 0;
    int om = 0;
    if (!digits(text, pos, 2, oh)) {
      error = "bad UTC offset in " + shown + " (expected Z, +08:00, +0800 or +08)";
      return std::nullopt;
    }
    const bool colon = pos < text.size() && text[pos] == ':';
    if (colon) ++pos;
    if ((colon || pos < text.size()) && !digits(text, pos, 2, om)) {
      error = "bad UTC offset in " + shown + " (expected Z, +08:00, +0800 or +08)";
      return std::nullopt;
    }
    if (oh > 23 || om > 59) {
      error = "bad UTC offset in " + shown;
      return std::nullopt;
    }
    offset_minutes = sign * (oh * 60 + om);
  } else {
    error = "bad UTC offset in " + shown + " (expected Z, +08:00, +0800 or +08)";
    return std::nullopt;
  }
  if (pos != text.size()) {
    error = "unexpected text after the date-time: " + shown;
    return std::nullopt;
  }
  const std::int64_t days = days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  const std::int64_t seconds = days * 86400 + hour * 3600 + minute * 60 + second - offset_minutes * 60;
  return seconds * 1000 + millis;
}

std::string format_utc(std::int64_t epoch_ms) {
  std::int64_t secs = epoch_ms / 1000;
  std::int64_t ms = epoch_ms % 1000;
  if (ms < 0) {
    ms += 1000;
    --secs;
  }
  std::int64_t days = secs / 86400;
  std::int64_t rem = secs % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  // civil_from_days (Howard Hinnant).
  const std::int64_t z = days + 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2 ? 1 : 0);
  std::array<char, 48> buf{};
  std::snprintf(buf.data(), buf.size(), "%04lld-%02u-%02uT%02lld:%02lld:%02lld.%03lldZ",
                static_cast<long long>(y), m, d, static_cast<long long>(rem / 3600),
                static_cast<long long>(rem % 3600 / 60), static_cast<long long>(rem % 60),
                static_cast<long long>(ms));
  return buf.data();
}

}  // namespace syn::ops
