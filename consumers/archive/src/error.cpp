#include "syn/archive/error.hpp"

#include <string>

namespace syn::archive {
namespace {

class category final : public std::error_category {
 public:
  [[nodiscard]] const char* name() const noexcept override { return "archive"; }
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
      case errc::schema:
        return "archive schema problem";
      case errc::invalid_record:
        return "invalid record";
      case errc::not_found:
        return "not found";
      case errc::bad_argument:
        return "bad argument";
      case errc::read_only:
        return "archive opened read-only";
    }
    return "archive error " + std::to_string(ev);
  }
};

}  // namespace

const std::error_category& archive_category() noexcept {
  static const category instance;
  return instance;
}

bool is_retriable(std::error_code ec) noexcept {
  if (ec.category() != archive_category()) return false;
#pragma GCC diagnostic push
#pragma GCC diagnostic error "-Wswitch-enum"
#pragma GCC diagnostic error "-Wswitch"
  switch (static_cast<errc>(ec.value())) {
    // The database, not the record: a new connection or a later attempt can succeed.
    case errc::unavailable:
    case errc::busy:
    case errc::storage:
      return true;
    // Retrying the same call gives the same answer.
    case errc::ok:
    case errc::schema:
    case errc::invalid_record:
    case errc::not_found:
    case errc::bad_argument:
    case errc::read_only:
      return false;
  }
#pragma GCC diagnostic pop
  return false;
}

}  // namespace syn::archive
