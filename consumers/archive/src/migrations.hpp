#pragma once
// The archive schema as numbered migrations, one list for both backends: each migration carries
// its SQLite and its PostgreSQL script side by side, so the two schemas stay one schema.

#include <span>
#include <string_view>

namespace syn::archive {

struct migration {
  int version;
  std::string_view name;
  std::string_view sqlite;
  std::string_view postgres;
};

/// Every migration, in version order (1, 2, ...). Never edit an applied migration: add one.
std::span<const migration> migrations() noexcept;

}  // namespace syn::archive
