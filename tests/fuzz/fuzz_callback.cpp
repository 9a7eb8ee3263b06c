// libFuzzer target for the WeChat callback's parsers (consumers/feed/src/callback.cpp): any bytes
// as a pushed message, as a safe-mode envelope, and as an Encrypt text; a result or
// std::invalid_argument out, never a crash, a hang, a sanitizer report or an inconsistent result.
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string_view>

#include "syn/feed/callback.hpp"

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace cb = syn::feed::callback;
  static const auto key = cb::decode_aes_key("abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG");
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  cb::xml_limits limits;
  try {
    if (const auto e = cb::parse_message(bytes, limits)) {
      check(!e->publish_id.empty());
      check(e->publish_status >= 0 && e->publish_status <= 6);
      check(bytes.size() <= limits.max_bytes);
    }
  } catch (const std::invalid_argument& e) {
    check(e.what()[0] != '\0');
  }
  try {
    const std::string encrypt = cb::parse_encrypted_envelope(bytes, limits);
    check(!encrypt.empty());
    // Whatever the envelope holds goes on to the decryption, as in the feed server.
    (void)cb::decrypt(key, encrypt, "wx5823bf96d3bd56c7");
  } catch (const std::invalid_argument& e) {
    check(e.what()[0] != '\0');
  }
  try {
    const std::string msg = cb::decrypt(key, bytes, "");
    check(msg.size() + 20 <= bytes.size());
  } catch (const std::invalid_argument& e) {
    check(e.what()[0] != '\0');
  }
  return 0;
}
