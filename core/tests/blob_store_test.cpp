// The blob store's folder backend: the contract suite, and what only a folder can show
// (corruption on disk, no temporary files left, the layout).
#include <sys/stat.h>

#include "blob_store_contract.hpp"

namespace syn::blob::test {
namespace {

struct folder_backend {
  static std::unique_ptr<store> open(const std::filesystem::path& root) {
    auto s = open_folder(root);
    EXPECT_TRUE(s) << s.error().to_string();
    return s ? std::move(s).value() : nullptr;
  }
};

INSTANTIATE_TYPED_TEST_SUITE_P(Folder, BlobStoreContract, folder_backend);

class FolderStore : public BlobStoreContract<folder_backend> {};

TEST_F(FolderStore, LaysBlobsOutByTheirHashAndLeavesNoTemporaryFile) {
  const std::string bytes = random_bytes(1000, 7);
  auto r = store_->put(bytes);
  ASSERT_TRUE(r);
  const auto& h = r.value().sha256;
  EXPECT_TRUE(
      std::filesystem::is_regular_file(scratch_ / "store" / "sha256" / h.substr(0, 2) / h.substr(2, 2) / h));
  EXPECT_TRUE(std::filesystem::is_empty(scratch_ / "store" / "tmp"));
}

TEST_F(FolderStore, BytesDamagedOnDiskAreCorruptNotReturned) {
  const std::string bytes = random_bytes(1000, 8);
  auto r = store_->put(bytes);
  ASSERT_TRUE(r);
  const auto& h = r.value().sha256;
  const auto path = scratch_ / "store" / "sha256" / h.substr(0, 2) / h.substr(2, 2) / h;
  std::string damaged = bytes;
  damaged[500] = static_cast<char>(damaged[500] ^ 1);
  std::ofstream(path, std::ios::binary | std::ios::trunc) << damaged;
  auto g = store_->get(h, 1 << 20);
  ASSERT_FALSE(g);
  EXPECT_EQ(g.error().value(), errc::corrupt) << g.error().to_string();
  // Storing the right bytes again repairs it.
  ASSERT_TRUE(store_->put(bytes));
  auto again = store_->get(h, 1 << 20);
  ASSERT_TRUE(again) << again.error().to_string();
  EXPECT_EQ(again.value(), bytes);
}

TEST_F(FolderStore, ARootThatCannotBeCreatedIsRefused) {
  const auto file = write_file("not-a-dir", "x");
  auto s = open_folder(file / "blobs");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().value(), errc::refused);
  EXPECT_NE(s.error().message().find("not-a-dir"), std::string::npos) << s.error().message();
}

TEST(BlobNames, Sha256HexIsSixtyFourLowercaseHexDigits) {
  EXPECT_TRUE(is_sha256_hex(std::string(64, 'a')));
  EXPECT_TRUE(is_sha256_hex("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"));
  EXPECT_FALSE(is_sha256_hex(std::string(64, 'A')));
  EXPECT_FALSE(is_sha256_hex(std::string(65, 'a')));
  EXPECT_FALSE(is_sha256_hex(""));
}

TEST(BlobS3Options, BadOptionsAreRefusedWithTheReason) {
  s3_options o;
  o.endpoint = "s3.example.com";
  o.bucket = "b";
  o.access_key_id = "k";
  o.secret_access_key = "s";
  auto a = open_s3(o);
  ASSERT_FALSE(a);
  EXPECT_NE(a.error().message().find("not a URL"), std::string::npos);
  o.endpoint = "http://127.0.0.1:1";
  o.bucket.clear();
  auto b = open_s3(o);
  ASSERT_FALSE(b);
  EXPECT_NE(b.error().message().find("bucket"), std::string::npos);
  o.bucket = "b";
  o.secret_access_key.clear();
  auto c = open_s3(o);
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message().find("credentials"), std::string::npos);
}

TEST(BlobS3Options, AnEndpointNobodyListensOnIsUnavailableAndRetriable) {
  s3_options o;
  o.endpoint = "http://127.0.0.1:9";  // discard port: nothing listens
  o.bucket = "b";
  o.access_key_id = "k";
  o.secret_access_key = "s";
  o.connect_timeout_ms = 2000;
  auto s = open_s3(o);
  ASSERT_TRUE(s) << s.error().to_string();
  auto r = s.value()->put("bytes");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().value(), errc::unavailable) << r.error().to_string();
  EXPECT_TRUE(r.error().retriable());
}

}  // namespace
}  // namespace syn::blob::test
