#include "work_pool.hpp"

#include <thread>
#include <vector>

namespace syn::feed::detail {

void run_pool(std::size_t n, std::size_t threads, const std::atomic<bool>& stop,
              const std::function<void(std::size_t)>& fn) {
  std::atomic<std::size_t> next{0};
  auto worker = [&] {
    for (;;) {
      const std::size_t k = next++;
      if (k >= n || stop) return;
      fn(k);
    }
  };
  if (threads <= 1) {
    worker();
  } else {
    std::vector<std::jthread> pool;
    for (std::size_t t = 0; t < threads; ++t) pool.emplace_back(worker);
  }
}

}  // namespace syn::feed::detail
