#pragma once
/// SHA-256 over bytes that arrive in pieces (OpenSSL EVP), for the blob store's backends.

#include <openssl/evp.h>

#include <memory>
#include <string>
#include <string_view>

namespace syn::blob::detail {

class sha256_stream {
 public:
  sha256_stream();
  void update(std::string_view bytes);
  /// Lowercase hex; the stream is done after it.
  [[nodiscard]] std::string hex();

 private:
  struct free_ctx {
    void operator()(EVP_MD_CTX* c) const noexcept { EVP_MD_CTX_free(c); }
  };
  std::unique_ptr<EVP_MD_CTX, free_ctx> ctx_;
};

}  // namespace syn::blob::detail
