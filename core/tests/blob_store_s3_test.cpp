// The blob store's S3 backend against a real S3-protocol server (moto in server mode with IAM
// authentication on: tests/s3/s3.sh starts it, creates a user, its access key and the bucket):
// the contract suite, then what only S3 shows (a wrong secret is refused: the signature is
// checked; prefixes keep stores apart). Needs SYN_TEST_S3_ENDPOINT, SYN_TEST_S3_BUCKET,
// SYN_TEST_S3_ACCESS_KEY_ID and SYN_TEST_S3_SECRET_ACCESS_KEY; fails, never skips, without them.
#include <cstdlib>

#include "blob_store_contract.hpp"

namespace syn::blob::test {
namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') {
    ADD_FAILURE() << name
                  << " is not set: start the S3 test server with tests/s3/s3.sh (scripts/test.sh does)";
    return {};
  }
  return v;
}

s3_options options_from_env() {
  s3_options o;
  o.endpoint = env("SYN_TEST_S3_ENDPOINT");
  o.bucket = env("SYN_TEST_S3_BUCKET");
  o.access_key_id = env("SYN_TEST_S3_ACCESS_KEY_ID");
  o.secret_access_key = env("SYN_TEST_S3_SECRET_ACCESS_KEY");
  return o;
}

struct s3_backend {
  // Each test in a prefix of its own (the scratch path's name is unique).
  static std::unique_ptr<store> open(const std::filesystem::path& scratch) {
    auto o = options_from_env();
    o.prefix = "test/" + scratch.parent_path().filename().string();
    auto s = open_s3(o);
    EXPECT_TRUE(s) << s.error().to_string();
    return s ? std::move(s).value() : nullptr;
  }
};

INSTANTIATE_TYPED_TEST_SUITE_P(S3, BlobStoreContract, s3_backend);

TEST(S3Store, AWrongSecretIsRefusedNotRetried) {
  auto o = options_from_env();
  o.secret_access_key += "x";
  auto s = open_s3(o);
  ASSERT_TRUE(s) << s.error().to_string();
  auto r = s.value()->put("signed with the wrong secret");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().value(), errc::refused) << r.error().to_string();
  EXPECT_FALSE(r.error().retriable());
  EXPECT_NE(r.error().message().find("HTTP 403"), std::string::npos) << r.error().message();
}

TEST(S3Store, AMissingBucketIsRefusedNotNotFound) {
  auto o = options_from_env();
  o.bucket = "syn-no-such-bucket";
  auto s = open_s3(o);
  ASSERT_TRUE(s);
  auto r = s.value()->put("x");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().value(), errc::refused) << r.error().to_string();
}

TEST(S3Store, PrefixesKeepStoresApart) {
  auto a_opts = options_from_env();
  a_opts.prefix = "prefix-a-" + std::to_string(std::random_device{}());
  auto b_opts = a_opts;
  b_opts.prefix += "-b";
  auto a = open_s3(a_opts);
  auto b = open_s3(b_opts);
  ASSERT_TRUE(a && b);
  auto r = a.value()->put("only in a");
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_TRUE(a.value()->size(r.value().sha256));
  auto missing = b.value()->size(r.value().sha256);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().value(), errc::not_found);
}

}  // namespace
}  // namespace syn::blob::test
