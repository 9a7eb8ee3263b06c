#include "syn/core/test_hooks.hpp"

#include <cstdlib>

namespace syn::test_hooks {
namespace {

#ifdef SYN_TEST_HOOKS
std::optional<std::uint64_t> env_number(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return std::nullopt;
  return std::strtoull(v, nullptr, 10);
}
#endif

crash_points initial() {
  crash_points p;
#ifdef SYN_TEST_HOOKS
  if (auto n = env_number("SYNDICATE_TEST_EXIT_AFTER_RECORDS"))
    p.exit_after_records = static_cast<std::size_t>(*n);
  p.exit_in_transaction = env_number("SYNDICATE_TEST_EXIT_IN_TRANSACTION");
#endif
  return p;
}

crash_points& current() noexcept {
  static crash_points p = initial();
  return p;
}

}  // namespace

const crash_points& points() noexcept { return current(); }

void set_points(const crash_points& p) noexcept { current() = p; }

bool from_environment() noexcept {
#ifdef SYN_TEST_HOOKS
  return true;
#else
  return false;
#endif
}

}  // namespace syn::test_hooks
