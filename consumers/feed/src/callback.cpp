#include "syn/feed/callback.hpp"

#include <expat.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include <algorithm>
#include <charconv>
#include <limits>
#include <memory>
#include <stdexcept>
#include <vector>

#include "syn/feed/nonce_journal.hpp"

namespace syn::feed::callback {
namespace {

template <std::size_t N>
std::string to_hex(const std::array<unsigned char, N>& md) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(md.size() * 2);
  for (unsigned char c : md) {
    out += hex[c >> 4];
    out += hex[c & 0xf];
  }
  return out;
}

template <std::size_t N>
std::string sorted_sha1(std::array<std::string_view, N> parts) {
  std::sort(parts.begin(), parts.end());
  std::string joined;
  for (auto p : parts) joined += p;
  std::array<unsigned char, SHA_DIGEST_LENGTH> md{};
  SHA1(reinterpret_cast<const unsigned char*>(joined.data()), joined.size(), md.data());
  return to_hex(md);
}

bool same(std::string_view got, const std::string& want) {
  return got.size() == want.size() && CRYPTO_memcmp(got.data(), want.data(), want.size()) == 0;
}

/// The fields of a pushed message, collected by libexpat's callbacks: the children of <xml>, the
/// children of <xml><PublishEventInfo>, and the repeated <fail_idx>. Direct text only.
struct collector {
  XML_Parser parser = nullptr;
  xml_limits limits;
  int depth = 0;
  std::size_t elements = 0;
  std::string error;
  std::string level2;  ///< the open child of <xml>
  bool has_info = false;
  std::map<std::string, std::string> top;
  std::map<std::string, std::string> info;
  std::vector<std::string> fail_idx;
  std::string* capture = nullptr;
  int capture_depth = 0;

  void fail(std::string why) {
    if (error.empty()) error = std::move(why);
    XML_StopParser(parser, XML_FALSE);
  }

  static void on_start(void* self, const XML_Char* name_c, const XML_Char** /*attrs*/) {
    auto& c = *static_cast<collector*>(self);
    if (!c.error.empty()) return;
    const std::string_view name(name_c);
    ++c.depth;
    if (++c.elements > c.limits.max_elements) {
      return c.fail("more than " + std::to_string(c.limits.max_elements) + " elements");
    }
    if (c.depth > c.limits.max_depth) {
      return c.fail("elements nested deeper than " + std::to_string(c.limits.max_depth));
    }
    c.capture = nullptr;
    auto field = [&c](std::map<std::string, std::string>& where, std::string_view n) {
      auto [it, fresh] = where.emplace(std::string(n), std::string());
      if (!fresh) {
        // Appended, not `"<" + std::string(n)`: GCC 12 at -O3 reports that operator+(const char*,
        // string&&) may overlap (-Wrestrict, GCC PR 105329), which -Werror turns into a broken
        // release build.
        std::string why = "<";
        why.append(n).append("> appears twice");
        return c.fail(why);
      }
      c.capture = &it->second;
      c.capture_depth = c.depth;
    };
    if (c.depth == 1) {
      if (name != "xml") c.fail("the root element is not <xml>");
    } else if (c.depth == 2) {
      c.level2 = name;
      if (name == "PublishEventInfo") {
        if (c.has_info) return c.fail("<PublishEventInfo> appears twice");
        c.has_info = true;
      } else {
        field(c.top, name);
      }
    } else if (c.depth == 3 && c.level2 == "PublishEventInfo") {
      if (name == "fail_idx") {
        c.fail_idx.emplace_back();
        c.capture = &c.fail_idx.back();
        c.capture_depth = c.depth;
      } else {
        field(c.info, name);
      }
    }
  }

  static void on_end(void* self, const XML_Char* /*name*/) {
    auto& c = *static_cast<collector*>(self);
    if (c.capture != nullptr && c.depth == c.capture_depth) c.capture = nullptr;
    --c.depth;
  }

  static void on_text(void* self, const XML_Char* s, int len) {
    auto& c = *static_cast<collector*>(self);
    if (c.capture != nullptr && c.depth == c.capture_depth)
      c.capture->append(s, static_cast<std::size_t>(len));
  }

  static void on_doctype(void* self, const XML_Char*, const XML_Char*, const XML_Char*, int) {
    // No DTD, so no entity can be declared, expanded or fetched (billion laughs, XXE).
    static_cast<collector*>(self)->fail("a DOCTYPE is not allowed");
  }
};

collector collect(std::string_view xml, const xml_limits& limits) {
  if (xml.size() > limits.max_bytes) {
    throw std::invalid_argument("message of " + std::to_string(xml.size()) + " bytes: more than " +
                                std::to_string(limits.max_bytes));
  }
  collector c;
  c.limits = limits;
  const std::unique_ptr<XML_ParserStruct, decltype(&XML_ParserFree)> parser(XML_ParserCreate("UTF-8"),
                                                                            XML_ParserFree);
  if (!parser) throw std::runtime_error("XML_ParserCreate failed");
  c.parser = parser.get();
  XML_SetUserData(c.parser, &c);
  XML_SetElementHandler(c.parser, &collector::on_start, &collector::on_end);
  XML_SetCharacterDataHandler(c.parser, &collector::on_text);
  XML_SetStartDoctypeDeclHandler(c.parser, &collector::on_doctype);
  const auto status = XML_Parse(c.parser, xml.data(), static_cast<int>(xml.size()), XML_TRUE);
  if (!c.error.empty()) throw std::invalid_argument(c.error);
  if (status != XML_STATUS_OK) {
    throw std::invalid_argument(std::string("malformed XML: ") + XML_ErrorString(XML_GetErrorCode(c.parser)) +
                                " (line " + std::to_string(XML_GetCurrentLineNumber(c.parser)) + ", column " +
                                std::to_string(XML_GetCurrentColumnNumber(c.parser)) + ")");
  }
  return c;
}

std::string get(const std::map<std::string, std::string>& m, const char* key) {
  const auto it = m.find(key);
  return it == m.end() ? std::string() : it->second;
}

bool base64_char(char ch) {
  return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '+' ||
         ch == '/';
}

std::string base64_decode(std::string_view in) {
  std::size_t pad = 0;
  while (pad < in.size() && pad < 2 && in[in.size() - 1 - pad] == '=') ++pad;
  if (in.empty() || in.size() % 4 != 0 ||
      !std::all_of(in.begin(), in.end() - static_cast<std::ptrdiff_t>(pad), base64_char)) {
    throw std::invalid_argument("Encrypt is not Base64");
  }
  std::string out(in.size() / 4 * 3, '\0');
  const int n =
      EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                      reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
  if (n < 0) throw std::invalid_argument("Encrypt is not Base64");
  // EVP_DecodeBlock keeps the padding's zero bytes.
  out.resize(static_cast<std::size_t>(n) - pad);
  return out;
}

}  // namespace

std::string signature(std::string_view token, std::string_view timestamp, std::string_view nonce) {
  return sorted_sha1<3>({token, timestamp, nonce});
}

bool signature_valid(std::string_view token, std::string_view timestamp, std::string_view nonce,
                     std::string_view sig) {
  return !token.empty() && same(sig, signature(token, timestamp, nonce));
}

std::string msg_signature(std::string_view token, std::string_view timestamp, std::string_view nonce,
                          std::string_view encrypt) {
  return sorted_sha1<4>({token, timestamp, nonce, encrypt});
}

bool msg_signature_valid(std::string_view token, std::string_view timestamp, std::string_view nonce,
                         std::string_view encrypt, std::string_view sig) {
  return !token.empty() && same(sig, msg_signature(token, timestamp, nonce, encrypt));
}

std::optional<publish_event> parse_message(std::string_view xml, const xml_limits& limits) {
  const collector c = collect(xml, limits);
  if (get(c.top, "MsgType") != "event" || get(c.top, "Event") != "PUBLISHJOBFINISH") return std::nullopt;
  if (!c.has_info) throw std::invalid_argument("PUBLISHJOBFINISH without <PublishEventInfo>");
  publish_event e;
  e.to_user = get(c.top, "ToUserName");
  e.from_user = get(c.top, "FromUserName");
  const std::string ct = get(c.top, "CreateTime");
  std::from_chars(ct.data(), ct.data() + ct.size(), e.create_time);
  e.publish_id = get(c.info, "publish_id");
  if (e.publish_id.empty()) throw std::invalid_argument("PUBLISHJOBFINISH without publish_id");
  const std::string st = get(c.info, "publish_status");
  int status = -1;
  const auto [end, ec] = std::from_chars(st.data(), st.data() + st.size(), status);
  if (ec != std::errc() || end != st.data() + st.size() || status < 0 || status > 6) {
    std::string shown = st.substr(0, 32);  // outside input in a log line: no control characters
    std::replace_if(
        shown.begin(), shown.end(), [](char ch) { return static_cast<unsigned char>(ch) < 0x20U; }, '?');
    throw std::invalid_argument("PUBLISHJOBFINISH publish_status is not 0..6: '" + shown + "'");
  }
  e.publish_status = status;
  e.article_id = get(c.info, "article_id");
  // fail_idx: one element per failed article (the documentation shows repeated <fail_idx>).
  for (const auto& idx : c.fail_idx) {
    if (!e.fail_idx.empty()) e.fail_idx += ',';
    e.fail_idx += idx;
  }
  return e;
}

std::string parse_encrypted_envelope(std::string_view xml, const xml_limits& limits) {
  const collector c = collect(xml, limits);
  std::string encrypt = get(c.top, "Encrypt");
  if (encrypt.empty()) throw std::invalid_argument("encrypted message without <Encrypt>");
  return encrypt;
}

aes_key decode_aes_key(std::string_view encoding_aes_key) {
  const bool alnum = std::all_of(encoding_aes_key.begin(), encoding_aes_key.end(), [](char ch) {
    return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
  });
  if (encoding_aes_key.size() != 43 || !alnum) {
    throw std::invalid_argument("an EncodingAESKey is 43 characters of a-z, A-Z, 0-9 (got " +
                                std::to_string(encoding_aes_key.size()) + " characters)");
  }
  const std::string bytes = base64_decode(std::string(encoding_aes_key) + "=");
  aes_key key{};
  std::copy_n(bytes.begin(), key.size(), key.begin());
  return key;
}

std::string decrypt(const aes_key& key, std::string_view encrypt, std::string_view app_id) {
  const std::string cipher = base64_decode(encrypt);
  if (cipher.empty() || cipher.size() % 32 != 0) {
    throw std::invalid_argument("Encrypt is " + std::to_string(cipher.size()) +
                                " bytes, not a multiple of 32");
  }
  const std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)> ctx(EVP_CIPHER_CTX_new(),
                                                                            EVP_CIPHER_CTX_free);
  std::string plain(cipher.size() + 32, '\0');
  int n = 0;
  int tail = 0;
  // The padding is PKCS#7 to 32 bytes (pad bytes 1..32), which EVP's 16-byte padding check would
  // refuse: EVP decrypts unpadded, the padding is checked below.
  if (!ctx || EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_cbc(), nullptr, key.data(), key.data()) != 1 ||
      EVP_CIPHER_CTX_set_padding(ctx.get(), 0) != 1 ||
      EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()), &n,
                        reinterpret_cast<const unsigned char*>(cipher.data()),
                        static_cast<int>(cipher.size())) != 1 ||
      EVP_DecryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()) + n, &tail) != 1) {
    throw std::invalid_argument("AES-256-CBC decryption failed");
  }
  plain.resize(static_cast<std::size_t>(n) + static_cast<std::size_t>(tail));
  const auto pad = static_cast<unsigned char>(plain.back());
  if (pad < 1 || pad > 32 || pad > plain.size() ||
      !std::all_of(plain.end() - pad, plain.end(),
                   [pad](char ch) { return static_cast<unsigned char>(ch) == pad; })) {
    throw std::invalid_argument("bad PKCS#7 padding (wrong EncodingAESKey?)");
  }
  // A copy rather than resize(): GCC 12 at -O3 cannot see that this shrinks and reports a
  // possible overlapping memcpy (-Wrestrict, GCC PR 105329).
  plain = std::string(plain.data(), plain.size() - pad);
  if (plain.size() < 20)
    throw std::invalid_argument("decrypted message shorter than random(16) + msg_len(4)");
  std::uint32_t len = 0;
  for (int i = 16; i < 20; ++i)
    len = (len << 8U) | static_cast<unsigned char>(plain[static_cast<std::size_t>(i)]);
  if (len > plain.size() - 20) {
    throw std::invalid_argument("msg_len " + std::to_string(len) + " is beyond the decrypted " +
                                std::to_string(plain.size() - 20) + " bytes");
  }
  const std::string_view rest = std::string_view(plain).substr(20 + len);
  if (!app_id.empty() && rest != app_id) throw std::invalid_argument("the message is for another AppID");
  return plain.substr(20, len);
}

namespace {

/// The guard's key: SHA-256 (hex) of scope, timestamp and nonce, so a key has a fixed size and
/// no separator of the journal's lines in it whatever the query held.
std::string guard_key(std::string_view scope, std::string_view timestamp, std::string_view nonce) {
  std::string joined;
  joined.reserve(scope.size() + timestamp.size() + nonce.size() + 2);
  joined.append(scope).append(1, '\n').append(timestamp).append(1, '\n').append(nonce);
  std::array<unsigned char, SHA256_DIGEST_LENGTH> md{};
  SHA256(reinterpret_cast<const unsigned char*>(joined.data()), joined.size(), md.data());
  return to_hex(md);
}

}  // namespace

replay_guard::replay_guard(std::chrono::seconds window, std::size_t max_entries)
    : window_(window), max_entries_(max_entries) {}

replay_guard::~replay_guard() = default;

void replay_guard::persist(const std::filesystem::path& file, std::int64_t now) {
  const std::lock_guard lock(mu_);
  journal_ = std::make_unique<nonce_journal>(file, now, seen_);
}

freshness replay_guard::check(std::string_view scope, std::string_view timestamp, std::string_view nonce,
                              std::int64_t now) {
  std::int64_t ts = 0;
  const auto [end, ec] = std::from_chars(timestamp.data(), timestamp.data() + timestamp.size(), ts);
  if (timestamp.empty() || ec != std::errc() || end != timestamp.data() + timestamp.size() ||
      timestamp[0] == '-') {
    return freshness::bad_timestamp;
  }
  const std::int64_t w = window_.count();
  if (ts < now - w || ts > now + w) return freshness::stale;
  std::string key = guard_key(scope, timestamp, nonce);
  const std::lock_guard lock(mu_);
  if (seen_.size() >= max_entries_) std::erase_if(seen_, [now](const auto& e) { return e.second < now; });
  if (seen_.contains(key)) return freshness::replayed;
  if (seen_.size() >= max_entries_) return freshness::full;
  // Once its timestamp leaves the window the request is refused as stale: forget it then. On
  // disk first: a request taken must stay refused after a restart.
  if (journal_ && !journal_->add(key, ts + w)) return freshness::unrecorded;
  seen_.emplace(std::move(key), ts + w);
  if (journal_) {
    std::erase_if(seen_, [now](const auto& e) { return e.second < now; });
    journal_->maybe_compact(seen_);
  }
  return freshness::fresh;
}

void replay_guard::release(std::string_view scope, std::string_view timestamp, std::string_view nonce) {
  const std::string key = guard_key(scope, timestamp, nonce);
  const std::lock_guard lock(mu_);
  if (seen_.erase(key) > 0 && journal_) journal_->remove(key);
}

std::size_t replay_guard::size() const {
  const std::lock_guard lock(mu_);
  return seen_.size();
}

std::string_view freshness_name(freshness f) noexcept {
  switch (f) {
    case freshness::fresh:
      return "fresh";
    case freshness::bad_timestamp:
      return "bad timestamp";
    case freshness::stale:
      return "stale timestamp";
    case freshness::replayed:
      return "replayed nonce";
    case freshness::full:
      return "replay cache full";
    case freshness::unrecorded:
      return "nonce not recorded";
  }
  return "unknown";
}

std::string publish_event_xml(const publish_event& e) {
  std::string x =
      "<xml><ToUserName><![CDATA[" + e.to_user + "]]></ToUserName><FromUserName><![CDATA[" + e.from_user +
      "]]></FromUserName><CreateTime>" + std::to_string(e.create_time) +
      "</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[PUBLISHJOBFINISH]]></Event>"
      "<PublishEventInfo><publish_id>" +
      e.publish_id + "</publish_id><publish_status>" + std::to_string(e.publish_status) + "</publish_status>";
  if (!e.article_id.empty()) x += "<article_id><![CDATA[" + e.article_id + "]]></article_id>";
  std::string_view rest = e.fail_idx;
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    x += "<fail_idx>" + std::string(rest.substr(0, comma)) + "</fail_idx>";
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
  }
  x += "</PublishEventInfo></xml>";
  return x;
}

}  // namespace syn::feed::callback
