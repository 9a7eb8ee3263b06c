#include "syn/core/component_error.hpp"

#include <gtest/gtest.h>

#include <string>
#include <system_error>
#include <type_traits>

namespace demo {

enum class errc : int { ok = 0, busy = 1, broken = 2 };

const std::error_category& demo_category() noexcept {
  class category final : public std::error_category {
   public:
    [[nodiscard]] const char* name() const noexcept override { return "demo"; }
    [[nodiscard]] std::string message(int ev) const override { return ev == 1 ? "demo busy" : "demo broken"; }
  };
  static const category instance;
  return instance;
}

std::error_code make_error_code(errc e) noexcept { return {static_cast<int>(e), demo_category()}; }

bool is_retriable(std::error_code ec) noexcept { return ec == make_error_code(errc::busy); }

using error = syn::component_error<errc>;
template <class T>
using result = syn::component_result<T, error>;

}  // namespace demo

template <>
struct std::is_error_code_enum<demo::errc> : std::true_type {};

TEST(ComponentError, EmptyMessageIsTheCodesDescriptionAndToStringNamesTheCategory) {
  const demo::error e(demo::errc::busy, "");
  EXPECT_EQ(e.message(), "demo busy");
  EXPECT_EQ(e.to_string(), "demo: demo busy");
  EXPECT_EQ(e.code(), demo::make_error_code(demo::errc::busy));
  EXPECT_EQ(e.value(), demo::errc::busy);
  EXPECT_TRUE(e == demo::errc::busy);
  EXPECT_EQ(demo::error(demo::errc::broken, "disk on fire").to_string(), "demo: disk on fire");
}

TEST(ComponentError, RetriableIsTheComponentsIsRetriable) {
  EXPECT_TRUE(demo::error(demo::errc::busy, "x").retriable());
  EXPECT_FALSE(demo::error(demo::errc::broken, "x").retriable());
  EXPECT_EQ(demo::error().value(), demo::errc::ok);
}

TEST(ComponentError, ResultHoldsAValueOrTheError) {
  const demo::result<int> ok = 7;
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok.value(), 7);
  const demo::result<int> bad = demo::error(demo::errc::broken, "no");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().to_string(), "demo: no");
}
