#include "syn/producer/encode.hpp"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/wire_format_lite.h>

#include <stdexcept>

namespace syn::producer {
namespace {

using syndication::v1::Article;
using syndication::v1::IssueManifest;

/// The offset of the first top-level field of `bytes` numbered above `field` (its size if none):
/// where a serialiser, which writes fields in number order, puts `field`.
std::size_t place_of(std::string_view bytes, int field) {
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const std::uint8_t*>(bytes.data()),
                                            static_cast<int>(bytes.size()));
  while (true) {
    const int at = in.CurrentPosition();
    const std::uint32_t tag = in.ReadTag();
    if (tag == 0) return bytes.size();
    if (google::protobuf::internal::WireFormatLite::GetTagFieldNumber(tag) > field)
      return static_cast<std::size_t>(at);
    if (!google::protobuf::internal::WireFormatLite::SkipField(&in, tag)) {
      throw std::logic_error("encode: a message we serialised does not parse back");
    }
  }
}

encoded_record encode_article(const Article& a, std::uint32_t count) {
  encoded_record r;
  if (a.has_published_at() || a.issue_article_count() != 0) {
    Article bare = a;
    bare.clear_published_at();
    bare.clear_issue_article_count();
    bare.SerializeToString(&r.bytes);
  } else {
    a.SerializeToString(&r.bytes);
  }
  if (count != 0) {
    Article only;
    only.set_issue_article_count(count);
    r.bytes.insert(place_of(r.bytes, Article::kIssueArticleCountFieldNumber), only.SerializeAsString());
  }
  r.stamp_at = place_of(r.bytes, Article::kPublishedAtFieldNumber);
  return r;
}

encoded_record encode_manifest(const IssueManifest& m) {
  encoded_record r;
  if (m.has_published_at()) {
    IssueManifest bare = m;
    bare.clear_published_at();
    bare.SerializeToString(&r.bytes);
  } else {
    m.SerializeToString(&r.bytes);
  }
  r.stamp_at = place_of(r.bytes, IssueManifest::kPublishedAtFieldNumber);
  return r;
}

}  // namespace

encoded_issue encode_issue(const split_result& issue) {
  encoded_issue out;
  out.articles.reserve(issue.articles.size());
  const auto count = static_cast<std::uint32_t>(issue.articles.size());
  for (const auto& a : issue.articles) out.articles.push_back(encode_article(a, count));
  out.manifest = encode_manifest(issue.manifest);
  return out;
}

publish_stamp::publish_stamp(const google::protobuf::Timestamp& at) {
  Article a;
  *a.mutable_published_at() = at;
  article = a.SerializeAsString();
  IssueManifest m;
  *m.mutable_published_at() = at;
  manifest = m.SerializeAsString();
}

void stamp(const encoded_record& record, std::string_view field, std::string& out) {
  const std::string_view bytes = record.bytes;
  out.clear();
  out.reserve(bytes.size() + field.size());
  out.append(bytes.substr(0, record.stamp_at)).append(field).append(bytes.substr(record.stamp_at));
}

}  // namespace syn::producer
