// Stage 5, the serialiser: canonical JSON and the text view (the content hash is syn::contract's).
#include <google/protobuf/util/json_util.h>

#include <nlohmann/json.hpp>

#include "split/text.hpp"
#include "syn/producer/splitter.hpp"

namespace syn::producer {

namespace {

using syndication::v1::Article;
using syndication::v1::Block;
using syndication::v1::Contributor;

std::string json_of(const google::protobuf::Message& m) {
  std::string out;
  google::protobuf::util::JsonPrintOptions opts;
  opts.preserve_proto_field_names = false;
  const auto status = google::protobuf::util::MessageToJsonString(m, &out, opts);
  if (!status.ok())
    throw std::runtime_error("cannot print " + m.GetTypeName() + " as JSON: " + status.ToString());
  return out;
}

std::string role_name(Contributor::Role r) {
  std::string s = Contributor::Role_Name(r);
  for (char& c : s) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return s;
}

}  // namespace

std::string to_json(const split_result& r) {
  nlohmann::ordered_json doc;
  doc["manifest"] = nlohmann::ordered_json::parse(json_of(r.manifest));
  auto& articles = doc["articles"] = nlohmann::ordered_json::array();
  for (const auto& a : r.articles) articles.push_back(nlohmann::ordered_json::parse(json_of(a)));
  return doc.dump(2) + "\n";
}

std::string to_text(const split_result& r) {
  const auto& m = r.manifest;
  std::string out;
  auto line = [&out](std::string_view label, std::string_view value) {
    if (value.empty()) return;
    out.append(label);
    out.append(value);
    out.push_back('\n');
  };
  line("issue        ", m.issue_id());
  line("paper        ", m.paper().name() + " (" + m.paper().code() + ")");
  line("publisher    ", m.paper().publisher());
  line("date         ", m.issue_date() + (m.weekday().empty() ? "" : " " + m.weekday()) +
                            (m.lunar_date().empty() ? "" : " " + m.lunar_date()));
  if (m.issue_number() != 0) line("number       ", "总第" + std::to_string(m.issue_number()) + "期");
  if (m.page_count() != 0) line("pages        ", std::to_string(m.page_count()));
  line("cn           ", m.paper().cn_number());
  line("postal code  ", m.paper().postal_code());
  line("website      ", m.paper().website());
  line("email        ", m.paper().email());
  line("hotline      ", m.paper().hotline());
  line("source       ", m.source_name() + " sha256:" + m.source_sha256());
  line("articles     ", std::to_string(r.articles.size()));
  for (const auto& w : m.warnings()) {
    out += "warning      line " + std::to_string(w.line()) + ": " + w.reason() + ": " + w.text() + "\n";
  }
  for (const auto& a : r.articles) {
    out += "\n== " + a.id() + " (page " + std::to_string(a.page()) + ", #" + std::to_string(a.sequence()) +
           ")\n";
    line("kicker       ", a.kicker());
    line("headline     ", a.headline());
    line("subheadline  ", a.subheadline());
    for (const auto& c : a.contributors()) line("contributor  ", c.name() + " (" + role_name(c.role()) + ")");
    if (!a.dateline().empty())
      line("dateline     ", a.dateline() + (a.dateline_lead() ? " (本报讯 lead)" : ""));
    if (a.continued_from_page() != 0)
      line("continued    ", "from page " + std::to_string(a.continued_from_page()));
    std::size_t photo = 0;
    for (int b = 0; b <= a.blocks_size(); ++b) {
      while (photo < static_cast<std::size_t>(a.photos_size()) &&
             a.photos(static_cast<int>(photo)).after_block() <= static_cast<std::uint32_t>(b)) {
        const auto& p = a.photos(static_cast<int>(photo++));
        out += "  [photo] " + p.caption() + (p.credit().empty() ? "" : " / " + p.credit()) + "\n";
      }
      if (b == a.blocks_size()) break;
      const auto& blk = a.blocks(b);
      switch (blk.kind()) {
        case Block::SUBHEAD:
          out += "  ## " + blk.text() + "\n";
          break;
        case Block::EDITOR_NOTE:
          out += "  [编者按] " + blk.text() + "\n";
          break;
        default:
          out += "  " + blk.text() + "\n";
          break;
      }
    }
    if (a.continued_on_page() != 0) line("continued    ", "on page " + std::to_string(a.continued_on_page()));
    line("sha256       ", a.content_sha256());
  }
  return out;
}

}  // namespace syn::producer
