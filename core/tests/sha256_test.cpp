#include "syn/core/sha256.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

// Known-answer vectors from FIPS 180-2.
TEST(Sha256, EmptyInput) {
  EXPECT_EQ(syn::sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Sha256, Abc) {
  EXPECT_EQ(syn::sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

// The two-block vector of FIPS 180-2, given in pieces that cut across the 64-byte blocks.
TEST(Sha256, StreamInPiecesMatchesTheKnownAnswer) {
  const std::string msg = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  const std::string want = "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1";
  EXPECT_EQ(syn::sha256_hex(msg), want);
  for (std::size_t piece : {1U, 3U, 7U, 55U, 64U}) {
    syn::sha256_stream h;
    for (std::size_t i = 0; i < msg.size(); i += piece) h.update(std::string_view(msg).substr(i, piece));
    EXPECT_EQ(h.hex(), want) << "pieces of " << piece;
  }
  syn::sha256_stream empty;
  syn::sha256_stream moved = std::move(empty);
  EXPECT_EQ(moved.hex(), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}
