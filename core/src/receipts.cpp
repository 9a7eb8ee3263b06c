#include "syn/core/receipts.hpp"

#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <cctype>

#include "syn/contract/headers.hpp"
#include "syn/contract/schema.hpp"
#include "syn/core/kafka/admin.hpp"
#include "syn/core/log.hpp"

namespace syn::receipts {

namespace {
std::string lower_name(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}
}  // namespace

std::string sink_name(receipt::Sink s) { return lower_name(receipt::Sink_Name(s)); }
std::string state_name(receipt::State s) { return lower_name(receipt::State_Name(s)); }

receipt::Sink sink_of(std::string_view name) noexcept {
  if (name == "archive") return receipt::ARCHIVE;
  if (name == "feed") return receipt::FEED;
  if (name == "translation" || name == "translator") return receipt::TRANSLATION;
  return receipt::SINK_UNSPECIFIED;
}

void seal(receipt& r) {
  std::string id = sink_name(r.sink());
  id.append(":").append(state_name(r.state()));
  id.append(":").append(r.article_id());
  id.append(":").append(r.content_sha256());
  const std::string& qualifier = !r.account().empty() ? r.account() : r.target_language();
  if (!qualifier.empty()) id.append(":").append(qualifier);
  r.set_receipt_id(std::move(id));
}

receipt make(receipt::Sink sink, receipt::State state, std::string_view article_id, std::string_view issue_id,
             std::string_view content_sha256, std::string_view group) {
  receipt r;
  r.set_sink(sink);
  r.set_state(state);
  r.set_article_id(std::string(article_id));
  r.set_issue_id(std::string(issue_id));
  r.set_content_sha256(std::string(content_sha256));
  r.set_consumer_group(std::string(group));
  *r.mutable_time() = google::protobuf::util::TimeUtil::GetCurrentTime();
  seal(r);
  return r;
}

receipt make(receipt::Sink sink, receipt::State state, const syndication::v1::Article& article,
             std::string_view group) {
  return make(sink, state, article.id(), article.issue_id(), article.content_sha256(), group);
}

bool dead_lettered(const kafka::message& m, receipt::Sink sink, std::string_view group, std::string_view why,
                   receipt& out) {
  const auto schema = m.header_value(contract::header_name::schema);
  if (!schema || *schema != contract::schema::article) return false;
  syndication::v1::Article a;
  if (!a.ParseFromArray(m.value().data(), static_cast<int>(m.value().size())) || a.id().empty()) return false;
  out = make(sink, receipt::DEAD_LETTERED, a, group);
  out.set_detail(std::string(why));
  return true;
}

transform::output as_output(const config::kafka_config& kafka, receipt r) {
  seal(r);
  transform::output o;
  o.topic = kafka.topics.deliveries.name;
  o.key = r.article_id();
  for (const auto& h : contract::record_headers(contract::schema::delivery_receipt, r.issue_id(), ""))
    o.headers.emplace_back(h.name, h.value);
  // Keyed by article id: an article's receipts stay in order on one partition.
  o.partition_key = r.article_id();
  o.value = r.SerializeAsString();
  return o;
}

bool topic_exists(const config::kafka_config& kafka, kafka::deadline d) {
  if (!enabled(kafka)) return false;
  auto admin = kafka::admin::create(kafka, "syndicate-receipts-check");
  if (!admin) return true;
  auto t = admin.value().describe_topic(kafka.topics.deliveries.name, d);
  if (t) return true;
  if (!(t.error() == kafka::errc::unknown_topic_or_partition) && !(t.error() == kafka::errc::unknown_topic))
    return true;
  log::get("receipts")
      .error(
          "kafka.topics.deliveries: topic {} does not exist; no delivery receipts are written by this "
          "process "
          "(`syndicate topics create` creates it; docs/TOPICS.md)",
          kafka.topics.deliveries.name);
  return false;
}

void add_to(std::vector<transform::output>& outputs, const config::kafka_config& kafka, receipt r) {
  if (enabled(kafka)) outputs.push_back(as_output(kafka, std::move(r)));
}

}  // namespace syn::receipts
