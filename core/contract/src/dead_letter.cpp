#include "syn/contract/dead_letter.hpp"

#include <google/protobuf/util/time_util.h>

namespace syn::contract {

syndication::v1::DeadLetter make_dead_letter(const failed_record& r,
                                             syndication::v1::DeadLetter::Reason reason,
                                             const std::string& error, const std::string& group,
                                             std::uint32_t attempts) {
  using google::protobuf::util::TimeUtil;
  syndication::v1::DeadLetter d;
  d.set_id(std::string(r.topic) + "-" + std::to_string(r.partition) + "-" + std::to_string(r.offset) + "-" +
           group);
  d.set_topic(std::string(r.topic));
  d.set_partition(r.partition);
  d.set_offset(r.offset);
  d.set_key(std::string(r.key));
  // A dead letter must fit where an ordinary record fits (the producer's message.max.bytes and
  // the topic's max.message.bytes, 1 MB by default), or the record that is too large for its
  // consumer could never be dead-lettered and would stall the partition: keep the head only.
  if (r.value.size() > max_dead_letter_value_bytes) {
    d.set_value(std::string(r.value.substr(0, max_dead_letter_value_bytes)));
    d.set_original_value_size(r.value.size());
  } else {
    d.set_value(std::string(r.value));
  }
  for (const auto& h : r.headers) {
    auto* rh = d.add_headers();
    rh->set_key(std::string(h.name));
    rh->set_value(std::string(h.value));
  }
  d.set_reason(reason);
  d.set_error(d.original_value_size() == 0
                  ? error
                  : error + " (dead letter keeps the first " + std::to_string(max_dead_letter_value_bytes) +
                        " of " + std::to_string(r.value.size()) + " bytes)");
  d.set_consumer_group(group);
  d.set_attempts(attempts);
  const auto now = TimeUtil::GetCurrentTime();
  *d.mutable_first_failure_time() = now;
  *d.mutable_last_failure_time() = now;
  if (r.timestamp) {
    *d.mutable_record_time() = TimeUtil::MillisecondsToTimestamp(
        std::chrono::duration_cast<std::chrono::milliseconds>(r.timestamp->time_since_epoch()).count());
  }
  return d;
}

}  // namespace syn::contract
