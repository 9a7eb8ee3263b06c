// The kill tests' crash points: a test-only interface, empty unless a test sets them.
#include "syn/core/test_hooks.hpp"

#include <gtest/gtest.h>

namespace {

TEST(TestHooks, SetPointsReplacesThemAndClearsThem) {
  namespace th = syn::test_hooks;
  th::set_points({3, 5});
  EXPECT_EQ(th::points().exit_after_records, 3U);
  EXPECT_EQ(th::points().exit_in_transaction, 5U);
  th::set_points({});
  EXPECT_FALSE(th::points().exit_after_records);
  EXPECT_FALSE(th::points().exit_in_transaction);
}

}  // namespace
