#include "syn/core/sql.hpp"

#include <string>

namespace syn::sql {
namespace {

class category final : public std::error_category {
 public:
  [[nodiscard]] const char* name() const noexcept override { return "sql"; }
  [[nodiscard]] std::string message(int ev) const override {
    switch (static_cast<errc>(ev)) {
      case errc::ok:
        return "ok";
      case errc::unavailable:
        return "database unavailable";
      case errc::busy:
        return "database busy";
      case errc::storage:
        return "database error";
      case errc::read_only:
        return "database opened read-only";
    }
    return "sql error " + std::to_string(ev);
  }
};

}  // namespace

const std::error_category& sql_category() noexcept {
  static const category instance;
  return instance;
}

bool is_retriable(std::error_code ec) noexcept {
  if (ec.category() != sql_category()) return false;
#pragma GCC diagnostic push
#pragma GCC diagnostic error "-Wswitch-enum"
#pragma GCC diagnostic error "-Wswitch"
  switch (static_cast<errc>(ec.value())) {
    case errc::unavailable:
    case errc::busy:
    case errc::storage:
      return true;
    case errc::ok:
    case errc::read_only:
      return false;
  }
#pragma GCC diagnostic pop
  return false;
}

}  // namespace syn::sql
