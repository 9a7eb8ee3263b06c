// Splitter throughput on the real fixture (page 1 of 昌吉日报), in MB/s of input; and on the four
// test issues together, the mix bench/gen_issues.py makes `publish`'s input of (bench/run.sh
// takes the split's CPU for its floor from that one).
#include <benchmark/benchmark.h>

#include <array>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
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

syn::producer::split_options options_for(const char* name) {
  syn::producer::split_options options;
  options.source_name = name;
  options.papers = syn::producer::default_papers();
  options.paper_code = "bench";  // the test issues are not all in the default papers
  options.issue_date = "2024-01-30";
  return options;
}

void run(benchmark::State& state, const char* name, bool json) {
  const std::string bytes = read_issue(name);
  const auto options = options_for(name);
  for (auto _ : state) {
    auto r = syn::producer::split_issue(bytes, options);
    if (json) {
      auto out = syn::producer::to_json(r);
      benchmark::DoNotOptimize(out);
    }
    benchmark::DoNotOptimize(r);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(bytes.size()));
}

void BM_SplitFixture(benchmark::State& s) { run(s, "changji-daily-2024-01-30-p1.txt", false); }
void BM_SplitFixtureToJson(benchmark::State& s) { run(s, "changji-daily-2024-01-30-p1.txt", true); }
void BM_SplitGb18030(benchmark::State& s) { run(s, "hexi-business-2024-05-20-p3.txt", false); }

void BM_SplitTestIssues(benchmark::State& state) {
  const std::array names{"beijiang-daily-2024-03-12-p1.txt", "binhai-metro-2024-06-18-p2.txt",
                         "changji-daily-2024-01-30-p1.txt", "hexi-business-2024-05-20-p3.txt"};
  std::vector<std::pair<std::string, syn::producer::split_options>> issues;
  std::int64_t bytes = 0;
  for (const char* name : names) {
    issues.emplace_back(read_issue(name), options_for(name));
    bytes += static_cast<std::int64_t>(issues.back().first.size());
  }
  for (auto _ : state) {
    for (const auto& [raw, options] : issues) {
      auto r = syn::producer::split_issue(raw, options);
      benchmark::DoNotOptimize(r);
    }
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * bytes);
}

/// Hostile input of N repeated units (the shapes of producer/tests/api_test.cpp
/// Api.HostileInputIsAnswered): the split must stay linear in N. Google Benchmark fits the
/// complexity over the sizes (reported as `BM_SplitHostile_*_BigO`; expected: N).
void hostile(benchmark::State& state, const char* unit) {
  std::string bytes = "昌吉日报社出版\n\n2024年1月30日\n\n标题\n\n";
  for (std::int64_t i = 0; i < state.range(0); ++i) bytes += unit;
  const auto options = options_for("hostile.txt");
  for (auto _ : state) {
    try {
      auto r = syn::producer::split_issue(bytes, options);
      benchmark::DoNotOptimize(r);
    } catch (const syn::producer::split_error&) {
    }
  }
  state.SetComplexityN(state.range(0));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(bytes.size()));
}
void BM_SplitHostilePhotoCredits(benchmark::State& s) { hostile(s, "□本报记者 杨 鹤摄\n\n"); }
void BM_SplitHostileHeadings(benchmark::State& s) { hostile(s, "这是一个标题\n\n"); }
void BM_SplitHostileCutParagraphs(benchmark::State& s) { hostile(s, "没有标点的半句话\n\n"); }
void BM_SplitHostileOneLongByline(benchmark::State& s) { hostile(s, "本报记者 杨 鹤 "); }
void BM_SplitHostileOneLongLine(benchmark::State& s) { hostile(s, "中"); }

}  // namespace

BENCHMARK(BM_SplitHostilePhotoCredits)->RangeMultiplier(4)->Range(1 << 8, 1 << 14)->Complexity();
BENCHMARK(BM_SplitHostileHeadings)->RangeMultiplier(4)->Range(1 << 8, 1 << 14)->Complexity();
BENCHMARK(BM_SplitHostileCutParagraphs)->RangeMultiplier(4)->Range(1 << 8, 1 << 14)->Complexity();
BENCHMARK(BM_SplitHostileOneLongByline)->RangeMultiplier(4)->Range(1 << 8, 1 << 14)->Complexity();
BENCHMARK(BM_SplitHostileOneLongLine)->RangeMultiplier(4)->Range(1 << 10, 1 << 18)->Complexity();
BENCHMARK(BM_SplitFixture);
BENCHMARK(BM_SplitFixtureToJson);
BENCHMARK(BM_SplitGb18030);
BENCHMARK(BM_SplitTestIssues);
BENCHMARK_MAIN();
