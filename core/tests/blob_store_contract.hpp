#pragma once
// The blob store's contract (syn/core/blob_store.hpp), one typed suite run on every backend: the
// folder (blob_store_test.cpp, unit) and S3 against a real S3-protocol server
// (blob_store_s3_test.cpp, integration). A backend type provides `static
// std::unique_ptr<syn::blob::store> open(const std::filesystem::path& scratch)`.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "syn/core/blob_store.hpp"
#include "syn/core/sha256.hpp"

namespace syn::blob::test {

inline std::string random_bytes(std::size_t n, std::uint32_t seed) {
  std::mt19937 g(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(g() & 0xff);
  return s;
}

template <class Backend>
class BlobStoreContract : public ::testing::Test {
 protected:
  void SetUp() override {
    scratch_ = std::filesystem::temp_directory_path() /
               ("syn-blob-" + std::to_string(::getpid()) + "-" + std::to_string(std::random_device{}()));
    std::filesystem::create_directories(scratch_);
    store_ = Backend::open(scratch_ / "store");
    ASSERT_NE(store_, nullptr);
  }
  void TearDown() override { std::filesystem::remove_all(scratch_); }

  std::filesystem::path write_file(const std::string& name, const std::string& bytes) {
    const auto p = scratch_ / name;
    std::ofstream(p, std::ios::binary) << bytes;
    return p;
  }

  std::filesystem::path scratch_;
  std::unique_ptr<store> store_;
};

TYPED_TEST_SUITE_P(BlobStoreContract);

TYPED_TEST_P(BlobStoreContract, PutReturnsTheSha256AndGetReturnsTheSameBytes) {
  const std::string bytes = random_bytes(100'000, 1) + std::string("\0tail", 5);
  auto r = this->store_->put(bytes);
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(r.value().sha256, sha256_hex(bytes));
  EXPECT_EQ(r.value().bytes, bytes.size());
  auto got = this->store_->get(r.value().sha256, 1 << 20);
  ASSERT_TRUE(got) << got.error().to_string();
  EXPECT_EQ(got.value(), bytes);
  auto n = this->store_->size(r.value().sha256);
  ASSERT_TRUE(n) << n.error().to_string();
  EXPECT_EQ(n.value(), bytes.size());
}

TYPED_TEST_P(BlobStoreContract, EmptyBlobIsABlob) {
  auto r = this->store_->put("");
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(r.value().sha256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  auto got = this->store_->get(r.value().sha256, 0);
  ASSERT_TRUE(got) << got.error().to_string();
  EXPECT_EQ(got.value(), "");
}

TYPED_TEST_P(BlobStoreContract, PutFileStreamsTheFileAndMatchesPutOfItsBytes) {
  const std::string bytes = random_bytes(3 * 65536 + 17, 2);  // several read pieces, a ragged end
  const auto file = this->write_file("photo.jpg", bytes);
  auto r = this->store_->put_file(file);
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(r.value().sha256, sha256_hex(bytes));
  EXPECT_EQ(r.value().bytes, bytes.size());
  auto again = this->store_->put(bytes);
  ASSERT_TRUE(again) << again.error().to_string();
  EXPECT_EQ(again.value().sha256, r.value().sha256);
  auto got = this->store_->get(r.value().sha256, bytes.size());
  ASSERT_TRUE(got) << got.error().to_string();
  EXPECT_EQ(got.value(), bytes);
}

TYPED_TEST_P(BlobStoreContract, PutIsIdempotent) {
  const std::string bytes = random_bytes(5000, 3);
  for (int i = 0; i < 3; ++i) {
    auto r = this->store_->put(bytes);
    ASSERT_TRUE(r) << r.error().to_string();
    EXPECT_EQ(r.value().sha256, sha256_hex(bytes));
  }
  auto got = this->store_->get(sha256_hex(bytes), bytes.size());
  ASSERT_TRUE(got) << got.error().to_string();
  EXPECT_EQ(got.value(), bytes);
}

TYPED_TEST_P(BlobStoreContract, MissingBlobIsNotFound) {
  const std::string absent = sha256_hex("never stored");
  auto n = this->store_->size(absent);
  ASSERT_FALSE(n);
  EXPECT_EQ(n.error().value(), errc::not_found) << n.error().to_string();
  auto g = this->store_->get(absent, 100);
  ASSERT_FALSE(g);
  EXPECT_EQ(g.error().value(), errc::not_found) << g.error().to_string();
  EXPECT_NE(g.error().message().find(absent), std::string::npos) << "the error names the blob";
}

TYPED_TEST_P(BlobStoreContract, NamesThatAreNotSha256AreRefusedBeforeAnyRequest) {
  const std::vector<std::string> names = {"",
                                          "../../etc/passwd",
                                          std::string(64, 'G'),
                                          std::string(63, 'a'),
                                          std::string(64, 'A'),
                                          std::string("sha256/").append(57, 'a')};
  for (const auto& bad : names) {
    auto g = this->store_->get(bad, 100);
    ASSERT_FALSE(g) << bad;
    EXPECT_EQ(g.error().value(), errc::invalid) << bad;
    auto n = this->store_->size(bad);
    ASSERT_FALSE(n) << bad;
    EXPECT_EQ(n.error().value(), errc::invalid) << bad;
  }
}

TYPED_TEST_P(BlobStoreContract, GetPastTheLimitIsTooLarge) {
  const std::string bytes = random_bytes(200'000, 4);
  auto r = this->store_->put(bytes);
  ASSERT_TRUE(r) << r.error().to_string();
  auto g = this->store_->get(r.value().sha256, 199'999);
  ASSERT_FALSE(g);
  EXPECT_EQ(g.error().value(), errc::too_large) << g.error().to_string();
  auto exact = this->store_->get(r.value().sha256, 200'000);
  ASSERT_TRUE(exact) << exact.error().to_string();
}

TYPED_TEST_P(BlobStoreContract, UnreadableFileIsInvalidAndNamesTheFile) {
  const auto missing = this->scratch_ / "no-such-photo.jpg";
  auto r = this->store_->put_file(missing);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().value(), errc::invalid);
  EXPECT_NE(r.error().message().find("no-such-photo.jpg"), std::string::npos) << r.error().message();
}

TYPED_TEST_P(BlobStoreContract, ConcurrentPutsOfTheSameAndOtherBlobs) {
  std::vector<std::string> blobs;
  for (std::uint32_t i = 0; i < 4; ++i) blobs.push_back(random_bytes(20'000 + i, 10 + i));
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int k = 0; k < 5; ++k) {
        auto r = this->store_->put(blobs[static_cast<std::size_t>((t + k) % 4)]);
        if (!r) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  for (const auto& b : blobs) {
    auto g = this->store_->get(sha256_hex(b), b.size());
    ASSERT_TRUE(g) << g.error().to_string();
    EXPECT_EQ(g.value(), b);
  }
}

REGISTER_TYPED_TEST_SUITE_P(BlobStoreContract, PutReturnsTheSha256AndGetReturnsTheSameBytes, EmptyBlobIsABlob,
                            PutFileStreamsTheFileAndMatchesPutOfItsBytes, PutIsIdempotent,
                            MissingBlobIsNotFound, NamesThatAreNotSha256AreRefusedBeforeAnyRequest,
                            GetPastTheLimitIsTooLarge, UnreadableFileIsInvalidAndNamesTheFile,
                            ConcurrentPutsOfTheSameAndOtherBlobs);

}  // namespace syn::blob::test
