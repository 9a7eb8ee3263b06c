#pragma once
/// The one small interface every consumer's sink implements. The runner in core owns poll,
/// decode, dispatch, commit, rebalance, retries and dead-lettering; a sink only takes records.
///
/// Contract:
/// - write() is called on the runner's thread with a batch of decoded records, in partition order.
/// - `verdict::ok`: every record of the batch not listed in `rejected` is durable in the sink (the
///   runner commits offsets after this). Rejected records go to the dead-letter topic.
/// - `verdict::retry`: nothing of the batch may be assumed durable; the runner pauses, backs off
///   (capped exponential, jitter) and calls write() again with the same batch. Writes must
///   therefore be idempotent on (article id, content hash): a replay never posts twice.
/// - `verdict::permanent`: the whole batch cannot be taken (the runner dead-letters every record).
/// - write() never throws.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "syndication/v1/article.pb.h"
#include "syndication/v1/delivery.pb.h"
#include "syndication/v1/issue.pb.h"
#include "syndication/v1/translation.pb.h"

namespace syn::sink {

/// One consumed record, decoded by the runner according to its `schema` header.
struct envelope {
  std::string_view topic;
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  std::string_view key;
  std::string_view raw_value;  ///< the undecoded bytes
  std::variant<syndication::v1::Article, syndication::v1::IssueManifest, syndication::v1::TranslationJob>
      payload;
};

struct verdict {
  enum kind_t { ok, retry, permanent };
  kind_t kind = ok;
  /// Why (retry / permanent), for logs, metrics and the dead letter.
  std::string reason;
  /// With `ok`: indexes into the batch of records the sink rejected permanently, and why.
  std::vector<std::pair<std::size_t, std::string>> rejected;

  static verdict success() { return {}; }
  static verdict transient(std::string why) { return {retry, std::move(why), {}}; }
  static verdict fatal(std::string why) { return {permanent, std::move(why), {}}; }
};

class sink {
 public:
  virtual ~sink() = default;
  /// Takes `batch` durably (see the contract above). Never throws.
  virtual verdict write(std::span<const envelope> batch) = 0;
  /// Short name for logs and metrics (`archive`, `feed`, ...).
  [[nodiscard]] virtual std::string_view name() const = 0;
  /// The delivery receipts (syn/core/receipts.hpp) of what the sink did since the last call:
  /// the runner calls it after every write() and when idle, produces them to the deliveries
  /// topic and waits for their delivery before it commits the batch's offsets. Receipts about a
  /// batch must be returned by the write() that takes it (at least once: a replayed batch yields
  /// them again). Never throws; thread-safe against the sink's own background work.
  virtual std::vector<syndication::v1::DeliveryReceipt> take_receipts() { return {}; }
};

}  // namespace syn::sink
