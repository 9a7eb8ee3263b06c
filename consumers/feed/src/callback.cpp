#include "syn/feed/callback.hpp"

#include <boost/property_tree/ptree.hpp>
#include <boost/property_tree/xml_parser.hpp>
#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <sstream>
#include <stdexcept>

namespace syn::feed::callback {

std::string signature(std::string_view token, std::string_view timestamp, std::string_view nonce) {
  std::array<std::string_view, 3> parts{token, timestamp, nonce};
  std::sort(parts.begin(), parts.end());
  std::string joined;
  for (auto p : parts) joined += p;
  std::array<unsigned char, SHA_DIGEST_LENGTH> md{};
  SHA1(reinterpret_cast<const unsigned char*>(joined.data()), joined.size(), md.data());
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(md.size() * 2);
  for (unsigned char c : md) {
    out += hex[c >> 4];
    out += hex[c & 0xf];
  }
  return out;
}

bool signature_valid(std::string_view token, std::string_view timestamp, std::string_view nonce, std::string_view sig) {
  if (token.empty()) return false;
  const std::string want = signature(token, timestamp, nonce);
  return sig.size() == want.size() && CRYPTO_memcmp(sig.data(), want.data(), want.size()) == 0;
}

std::optional<publish_event> parse_message(std::string_view xml) {
  namespace pt = boost::property_tree;
  pt::ptree tree;
  try {
    std::istringstream in{std::string(xml)};
    pt::read_xml(in, tree, pt::xml_parser::no_comments);
  } catch (const pt::xml_parser_error& e) {
    throw std::invalid_argument(std::string("malformed XML: ") + e.message() + " (line " +
                                std::to_string(e.line()) + ")");
  }
  if (tree.size() != 1 || tree.begin()->first != "xml") throw std::invalid_argument("the root element is not <xml>");
  const pt::ptree& root = tree.begin()->second;
  auto text = [](const pt::ptree& t, const char* key) { return t.get<std::string>(key, ""); };
  if (text(root, "MsgType") != "event" || text(root, "Event") != "PUBLISHJOBFINISH") return std::nullopt;
  const auto info = root.get_child_optional("PublishEventInfo");
  if (!info) throw std::invalid_argument("PUBLISHJOBFINISH without <PublishEventInfo>");
  publish_event e;
  e.to_user = text(root, "ToUserName");
  e.from_user = text(root, "FromUserName");
  const std::string ct = text(root, "CreateTime");
  std::from_chars(ct.data(), ct.data() + ct.size(), e.create_time);
  e.publish_id = text(*info, "publish_id");
  if (e.publish_id.empty()) throw std::invalid_argument("PUBLISHJOBFINISH without publish_id");
  const std::string st = text(*info, "publish_status");
  int status = -1;
  const auto [end, ec] = std::from_chars(st.data(), st.data() + st.size(), status);
  if (ec != std::errc() || end != st.data() + st.size() || status < 0 || status > 6) {
    throw std::invalid_argument("PUBLISHJOBFINISH publish_status is not 0..6: '" + st + "'");
  }
  e.publish_status = status;
  e.article_id = text(*info, "article_id");
  // fail_idx: one element per failed article (the documentation shows repeated <fail_idx>).
  for (const auto& [key, child] : *info) {
    if (key != "fail_idx") continue;
    if (!e.fail_idx.empty()) e.fail_idx += ',';
    e.fail_idx += child.data();
  }
  return e;
}

std::string publish_event_xml(const publish_event& e) {
  std::string x = "<xml><ToUserName><![CDATA[" + e.to_user + "]]></ToUserName><FromUserName><![CDATA[" + e.from_user +
                  "]]></FromUserName><CreateTime>" + std::to_string(e.create_time) +
                  "</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[PUBLISHJOBFINISH]]></Event>"
                  "<PublishEventInfo><publish_id>" +
                  e.publish_id + "</publish_id><publish_status>" + std::to_string(e.publish_status) +
                  "</publish_status>";
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
