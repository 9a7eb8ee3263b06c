// OpenCC by itself on the text `translate` converts (issue 24): the translation segments (kicker,
// headline, subheadline, each block, each photo caption: translation's segments_of) of the four
// test issues' articles, one opencc_convert_utf8() call per segment as the OpenCC engine makes
// them, with the s2t configuration `translate` uses. Reports MB/s of input and articles (= jobs)/s,
// to set beside `translate`'s jobs/s in bench/run.sh (BENCHMARKS.md).
#include <benchmark/benchmark.h>
#include <opencc.h>

#include <array>
#include <cstdint>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "syn/producer/splitter.hpp"

namespace {

std::string read_issue(const char* name) {
  const std::string path = std::string(SYN_SOURCE_DIR) + "/tests/data/issues/" + name;
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

struct corpus {
  std::vector<std::string> segments;
  std::int64_t bytes = 0;
  std::int64_t articles = 0;
};

corpus test_issue_segments() {
  corpus c;
  const auto add = [&](const std::string& text) {
    if (text.empty()) return;
    c.segments.push_back(text);
    c.bytes += static_cast<std::int64_t>(text.size());
  };
  for (const char* name : {"beijiang-daily-2024-03-12-p1.txt", "binhai-metro-2024-06-18-p2.txt",
                           "changji-daily-2024-01-30-p1.txt", "hexi-business-2024-05-20-p3.txt"}) {
    syn::producer::split_options o;
    o.source_name = name;
    o.paper_code = "bench";
    o.issue_date = "2024-01-30";
    for (const auto& a : syn::producer::split_issue(read_issue(name), o).articles) {
      ++c.articles;
      add(a.kicker());
      add(a.headline());
      add(a.subheadline());
      for (const auto& b : a.blocks()) add(b.text());
      for (const auto& p : a.photos()) add(p.caption());
    }
  }
  return c;
}

void BM_OpenccS2tTestIssues(benchmark::State& state) {
  const corpus c = test_issue_segments();
  opencc_t h = opencc_open("s2t.json");
  if (h == reinterpret_cast<opencc_t>(static_cast<std::intptr_t>(-1))) {  // NOLINT
    state.SkipWithError("opencc_open(s2t.json) failed");
    return;
  }
  for (auto _ : state) {
    for (const auto& s : c.segments) {
      char* out = opencc_convert_utf8(h, s.data(), s.size());
      benchmark::DoNotOptimize(out);
      opencc_convert_utf8_free(out);
    }
  }
  opencc_close(h);
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * c.bytes);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * c.articles);
}

}  // namespace

BENCHMARK(BM_OpenccS2tTestIssues);
BENCHMARK_MAIN();
