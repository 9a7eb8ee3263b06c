#include "syn/core/sha256.hpp"

#include <gtest/gtest.h>

// Known-answer vectors from FIPS 180-2.
TEST(Sha256, EmptyInput) {
  EXPECT_EQ(syn::sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Sha256, Abc) {
  EXPECT_EQ(syn::sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}
