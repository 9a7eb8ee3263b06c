// syn::config: the `archive` section (SQLite or PostgreSQL).

#include <array>

#include "config_checks.hpp"
#include "config_sections.hpp"

namespace syn::config {
namespace detail {

template <>
std::span<const std::pair<archive_backend, std::string_view>> enum_names<archive_backend>() {
  static constexpr std::array<std::pair<archive_backend, std::string_view>, 2> k{
      {{archive_backend::sqlite, "sqlite"}, {archive_backend::postgres, "postgres"}}};
  return k;
}

template <>
const schema<sqlite_config>& schema_of<sqlite_config>() {
  static const schema<sqlite_config> s{{
      field("path", &sqlite_config::path, "SQLite database file (created if missing)."),
  }};
  return s;
}

template <>
const schema<postgres_config>& schema_of<postgres_config>() {
  static const schema<postgres_config> s{{
      field("conninfo_env", &postgres_config::conninfo,
            "Environment variable holding the libpq conninfo or postgresql:// URI."),
  }};
  return s;
}

template <>
const schema<archive_config>& schema_of<archive_config>() {
  static const schema<archive_config> s{
      {
          field("backend", &archive_config::backend, "Where articles are archived."),
          field("sqlite", &archive_config::sqlite, "backend: sqlite."),
          field("postgres", &archive_config::postgres, "backend: postgres."),
          field("batch_size", &archive_config::batch_size, "Records written per transaction.",
                {positive<int>()}),
          field("batch_max_wait_ms", &archive_config::batch_max_wait,
                "Bound on gathering one batch while records keep arriving; a batch is written as soon as a "
                "poll finds "
                "nothing more (no idle wait).",
                {non_negative_ms()}),
      },
      {[](const archive_config& a, validator& v, const std::string& path) {
        if (a.backend == archive_backend::sqlite && a.sqlite.path.empty()) {
          v.error(join_path(path, "sqlite.path"), "required when backend is sqlite");
        }
        if (a.backend == archive_backend::postgres && !a.postgres.conninfo.configured()) {
          v.error(join_path(path, "postgres.conninfo_env"), "required when backend is postgres");
        }
      }}};
  return s;
}

}  // namespace detail

}  // namespace syn::config
