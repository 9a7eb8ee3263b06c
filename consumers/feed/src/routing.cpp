#include "syn/feed/routing.hpp"

namespace syn::feed {

std::vector<std::size_t> route(const syndication::v1::Article& article,
                               const std::vector<config::feed_account>& accounts) {
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < accounts.size(); ++i) {
    if (routes_to(article, accounts[i])) out.push_back(i);
  }
  return out;
}

}  // namespace syn::feed
