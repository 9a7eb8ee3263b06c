#pragma once
// Helpers shared by the splitter tests: reading test issues, splitting with test options.

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "syn/producer/splitter.hpp"

namespace syn::producer::testing {

/// Bytes of tests/data/<rel>.
inline std::string read_data(const std::string& rel) {
  const std::string path = std::string(SYN_SOURCE_DIR) + "/tests/data/" + rel;
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline std::string fixture() { return read_data("issues/changji-daily-2024-01-30-p1.txt"); }

/// The papers of the test issues, as a config would list them. (河西商报 is deliberately absent:
/// its code is derived from its CN number.)
inline std::vector<known_paper> test_papers() {
  auto papers = default_papers();
  papers.push_back({"bjrb", "北疆日报", {"北疆日报社"}});
  papers.push_back({"bhdsb", "滨海都市报", {"滨海都市报社"}});
  return papers;
}

inline split_options options(const std::string& source = "test.txt") {
  split_options o;
  o.source_name = source;
  o.papers = test_papers();
  return o;
}

inline split_result split(const std::string& bytes, const std::string& source = "test.txt") {
  return split_issue(bytes, options(source));
}

/// The manifest's article content hashes, in article order.
inline std::vector<std::string> hashes(const split_result& r) {
  return {r.manifest.article_hashes().begin(), r.manifest.article_hashes().end()};
}

}  // namespace syn::producer::testing
