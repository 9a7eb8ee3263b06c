#pragma once
// A small work pool for the feed sink's push step (internal to syn_feed).

#include <atomic>
#include <cstddef>
#include <functional>

namespace syn::feed::detail {

/// Runs `fn(k)` once for each k in [0, n), taken in order by up to `threads` threads (1: on the
/// calling thread); no k is taken once `stop` is set. Returns when every taken k is done. `fn`
/// must not throw.
void run_pool(std::size_t n, std::size_t threads, const std::atomic<bool>& stop,
              const std::function<void(std::size_t)>& fn);

}  // namespace syn::feed::detail
