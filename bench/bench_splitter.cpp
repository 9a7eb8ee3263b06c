// Splitter throughput on the real fixture (page 1 of 昌吉日报), in MB/s of input.
#include "syn/producer/splitter.hpp"

#include <benchmark/benchmark.h>

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

namespace {

std::string read_issue(const char* name) {
  const std::string path = std::string(SYN_SOURCE_DIR) + "/tests/data/issues/" + name;
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void run(benchmark::State& state, const char* name, bool json) {
  const std::string bytes = read_issue(name);
  syn::producer::split_options options;
  options.source_name = name;
  options.papers = syn::producer::default_papers();
  options.paper_code = "bench";  // the test issues are not all in the default papers
  options.issue_date = "2024-01-30";
  for (auto _ : state) {
    auto r = syn::producer::split_issue(bytes, options);
    if (json) {
      auto out = syn::producer::to_json(r);
      benchmark::DoNotOptimize(out);
    }
    benchmark::DoNotOptimize(r);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(bytes.size()));
}

void BM_SplitFixture(benchmark::State& s) { run(s, "changji-daily-2024-01-30-p1.txt", false); }
void BM_SplitFixtureToJson(benchmark::State& s) { run(s, "changji-daily-2024-01-30-p1.txt", true); }
void BM_SplitGb18030(benchmark::State& s) { run(s, "hexi-business-2024-05-20-p3.txt", false); }

}  // namespace

BENCHMARK(BM_SplitFixture);
BENCHMARK(BM_SplitFixtureToJson);
BENCHMARK(BM_SplitGb18030);
BENCHMARK_MAIN();
