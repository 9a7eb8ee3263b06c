#pragma once
/// Keeps a console::index up to date: reads what is new on the issues and deliveries topics
/// (read_committed, an assign-only reader: it joins no group and commits nothing) and the review
/// dir, once per refresh, on its own thread.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "syn/console/index.hpp"
#include "syn/core/config.hpp"

namespace syn::console {

class tail {
 public:
  /// `cfg` must outlive the tail.
  tail(const config::root& cfg, index& idx);
  ~tail();
  tail(const tail&) = delete;
  tail& operator=(const tail&) = delete;

  /// Reads what is new once; "" or the last problem (a topic missing, the broker unreachable).
  std::string read_once(std::chrono::milliseconds budget);
  /// read_once() every `every` on a thread of its own until stop() or destruction.
  void start(std::chrono::milliseconds every);
  void stop();
  /// The last problem of read_once ("" when the last read went through); for the pages.
  [[nodiscard]] std::string problem() const;

 private:
  std::string read_topic(const std::string& topic, std::chrono::milliseconds budget);
  void read_review_dir();

  const config::root& cfg_;
  index& index_;
  std::map<std::pair<std::string, std::int32_t>, std::int64_t> next_;  ///< next offset per partition
  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::string problem_;
  std::thread thread_;
};

}  // namespace syn::console
