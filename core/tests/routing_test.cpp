// syn::routing: the one place route rules are matched (feed accounts, translation targets).
#include "syn/core/routing.hpp"

#include <gtest/gtest.h>

namespace {

namespace routing = syn::routing;

TEST(Routing, NormalisesLabels) {
  EXPECT_EQ(routing::normalise_label("典范地州 • 典范行动"), "典范地州·典范行动");
  EXPECT_EQ(routing::normalise_label("典范地州・典范行动"), "典范地州·典范行动");
  EXPECT_EQ(routing::normalise_label("AI Weekly"), "aiweekly");
}

// Thin, zero-width, medium mathematical and zero-width no-break spaces are spaces to a label, as
// ideographic space and NBSP are (the feed once kept the first four).
TEST(Routing, LabelSpacesIncludeThinAndZeroWidthSpaces) {
  for (const char* s :
       {"\u2009", "\u200B", "\u2000", "\u202F", "\u205F", "\uFEFF", "\u3000", "\u00A0", "\t"}) {
    EXPECT_EQ(routing::normalise_label(std::string("两会") + s + "快讯"), "两会快讯") << s;
  }
  EXPECT_FALSE(routing::is_label_space(0x200C));  // zero-width non-joiner: not a space
}

TEST(Routing, EmptyLanguagesMeanTheDefaultLanguageOrAny) {
  syndication::v1::Article a;
  a.set_language("en");
  EXPECT_TRUE(routing::matches(a, {}));
  EXPECT_FALSE(routing::matches(a, {}, "zh-Hans"));
  a.clear_language();  // counts as zh-Hans
  EXPECT_TRUE(routing::matches(a, {}, "zh"));
}

}  // namespace
