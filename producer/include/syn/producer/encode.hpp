#pragma once
/// A split issue's Kafka record values, encoded ahead of publishing (BENCHMARKS.md: `publish`
/// encodes on its split workers, so that its sending thread only sends).
///
/// Every value is the protobuf serialisation of the article or manifest the publisher sends, but
/// for `published_at`, which is only known when the issue's transaction is planned: it is spliced
/// in at the place the serialiser puts it (fields go out in field-number order), so a stamped value
/// is byte for byte `SerializeAsString()` of the message with `published_at` set.
///
/// Thread-safety: the functions keep no state; any number of threads may call them at once.

#include <google/protobuf/timestamp.pb.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "syn/producer/splitter.hpp"

namespace syn::producer {

/// A serialised message without its `published_at`, and where that field goes.
struct encoded_record {
  std::string bytes;
  std::size_t stamp_at = 0;
};

/// The values of one issue's records: its articles (in order, `issue_article_count` set to the
/// number of articles, as published) and its manifest (with `source`, the raw issue).
struct encoded_issue {
  std::vector<encoded_record> articles;
  encoded_record manifest;
};

/// Encodes `issue`'s records, all but `published_at` (which the split never sets; if set, it is
/// replaced when stamped).
encoded_issue encode_issue(const split_result& issue);

/// `published_at` = a time, as the wire bytes of that field of an Article and of a manifest.
struct publish_stamp {
  explicit publish_stamp(const google::protobuf::Timestamp& at);
  std::string article;
  std::string manifest;
};

/// `record` with `field` (a `publish_stamp` member) spliced in, into `out` (its buffer reused).
void stamp(const encoded_record& record, std::string_view field, std::string& out);

}  // namespace syn::producer
