// corpus_score: splits every page of the development corpus (tests/data/corpus/) and scores it
// against its hand-written truth. Prints a report per paper and overall; with --floor FILE,
// exits 1 when an overall figure falls below the floor written there (the CTest regression
// gate, see docs/SPLITTING.md). With --notes, prints what went wrong on each page. With --lopo,
// adds the leave-one-paper-out table: each paper scored with the lexicon entries and rules that
// only its own pages motivated withheld (split/lexicon.hpp).
//
//   corpus_score [--notes] [--lopo] [--dump PAPER/PAGE] [--floor FILE] CORPUS_DIR

#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>

#include "corpus_score.hpp"
#include "split/lexicon.hpp"

namespace {

using syn::producer::corpus::score;

void row(const std::string& name, std::size_t pages, const score& s) {
  const auto all = s.all_fields();
  std::printf("%-20s %5zu %8zu %6zu %8zu %6.2f %6.2f %7.1f%%  (%zu/%zu)\n", name.c_str(), pages,
              s.truth_articles, s.matched, s.predicted_articles - s.matched, s.precision(), s.recall(),
              100.0 * all.rate(), all.right, all.total);
}

int usage() {
  std::cerr
      << "usage: corpus_score [--notes] [--lopo] [--dump PAPER/PAGE] [--floor FILE] [--train] CORPUS_DIR\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir;
  std::string floor_file;
  bool notes = false;
  bool lopo = false;
  bool train = false;
  std::string dump;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--dump" && i + 1 < argc) {
      dump = argv[++i];
    } else if (a == "--train") {
      train = true;
    } else if (a == "--lopo") {
      lopo = true;
    } else if (a == "--notes") {
      notes = true;
    } else if (a == "--floor" && i + 1 < argc) {
      floor_file = argv[++i];
    } else if (!a.empty() && a[0] != '-' && dir.empty()) {
      dir = a;
    } else {
      return usage();
    }
  }
  if (dir.empty()) return usage();

  const auto pages = syn::producer::corpus::find_pages(dir);
  if (pages.empty()) {
    std::cerr << "corpus_score: no *.truth.json pages under " << dir << "\n";
    return 2;
  }
  if (train) {
    // The sequence labeller's weights, learnt from every page: the content of
    // producer/src/split/labeller_weights.inc.
    std::cout << syn::producer::corpus::train_labeller(pages).to_table();
    const auto all = syn::producer::corpus::labeller_accuracy(pages, false);
    std::vector<std::string> mistakes;
    const auto held = syn::producer::corpus::labeller_accuracy(pages, true, notes ? &mistakes : nullptr);
    for (const auto& m : mistakes) std::fprintf(stderr, "withheld %s\n", m.c_str());
    std::fprintf(stderr, "labeller: text chunks labelled right %zu/%zu all in, %zu/%zu leave-one-paper-out\n",
                 all.right, all.total, held.right, held.total);
    return 0;
  }
  if (!dump.empty()) {
    // The split of one page (`--dump taiyuan-wanbao/2023-11-06-p4`), to see what the scorer saw.
    for (const auto& p : pages) {
      if (p.paper + "/" + p.name != dump) continue;
      std::ifstream in(p.input_path, std::ios::binary);
      std::ostringstream bytes;
      bytes << in.rdbuf();
      syn::producer::split_options o;
      o.source_name = dump;
      o.paper_code = p.paper;
      try {
        std::cout << syn::producer::to_text(syn::producer::split_issue(bytes.str(), o));
      } catch (const std::exception& e) {
        std::cout << e.what() << "\n";
      }
      return 0;
    }
    std::cerr << "corpus_score: no page " << dump << "\n";
    return 2;
  }
  std::map<std::string, score> per_paper;
  std::map<std::string, std::size_t> page_count;
  score overall;
  for (const auto& p : pages) {
    const score s = syn::producer::corpus::run_page(p);
    if (notes) {
      for (const auto& n : s.notes) std::printf("%s/%s: %s\n", p.paper.c_str(), p.name.c_str(), n.c_str());
    }
    per_paper[p.paper] += s;
    ++page_count[p.paper];
    overall += s;
  }
  if (notes) std::printf("\n");
  std::printf("%-20s %5s %8s %6s %8s %6s %6s %8s\n", "paper", "pages", "articles", "found", "spurious",
              "prec", "recall", "fields");
  for (const auto& [paper, s] : per_paper) row(paper, page_count[paper], s);
  row("overall", pages.size(), overall);
  std::printf("\nrefused pages: %zu\nfield accuracy:", overall.refused);
  for (const auto& [name, t] : overall.fields)
    std::printf(" %s %.0f%% (%zu/%zu);", name.c_str(), 100.0 * t.rate(), t.right, t.total);
  std::printf("\n");

  if (lopo) {
    // Leave one paper out: each paper scored with what only its own pages taught withheld.
    // The labeller's weights are learnt again without the paper's pages.
    std::map<std::string, score> withheld;
    for (const auto& p : pages) {
      const syn::producer::detail::withhold_origin guard(p.paper);
      const syn::producer::detail::use_counts weights(syn::producer::corpus::train_labeller(pages, p.paper));
      const score s = syn::producer::corpus::run_page(p);
      if (notes) {
        for (const auto& n : s.notes)
          std::printf("withheld %s/%s: %s\n", p.paper.c_str(), p.name.c_str(), n.c_str());
      }
      withheld[p.paper] += s;
    }
    std::printf("\nleave-one-paper-out (paper withheld from the lexicon, rules and labeller weights):\n");
    std::printf("%-20s %8s %6s %8s %8s %8s\n", "paper", "articles", "found", "spurious", "fields", "all-in");
    score total;
    for (const auto& [paper, s] : withheld) {
      total += s;
      std::printf("%-20s %8zu %6zu %8zu %7.1f%% %7.1f%%\n", paper.c_str(), s.truth_articles, s.matched,
                  s.predicted_articles - s.matched, 100.0 * s.all_fields().rate(),
                  100.0 * per_paper[paper].all_fields().rate());
    }
    std::printf("%-20s %8zu %6zu %8zu %7.1f%% %7.1f%%\n", "overall", total.truth_articles, total.matched,
                total.predicted_articles - total.matched, 100.0 * total.all_fields().rate(),
                100.0 * overall.all_fields().rate());
  }

  if (floor_file.empty()) return 0;
  std::ifstream in(floor_file);
  if (!in) {
    std::cerr << "corpus_score: cannot open floor file " << floor_file << "\n";
    return 2;
  }
  int status = 0;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream ls(line);
    std::string key;
    double floor = 0;
    if (!(ls >> key >> floor)) {
      std::cerr << "corpus_score: bad floor line: " << line << "\n";
      return 2;
    }
    double got = 0;
    if (key == "precision")
      got = overall.precision();
    else if (key == "recall")
      got = overall.recall();
    else if (key == "fields")
      got = overall.all_fields().rate();
    else {
      std::cerr << "corpus_score: unknown floor key: " << key << "\n";
      return 2;
    }
    // Figures are compared as printed (two decimals for rates), so a floor copied from the
    // report is met by the run that printed it.
    if (got + 1e-9 < floor) {
      std::printf("BELOW FLOOR: %s %.4f < %.4f\n", key.c_str(), got, floor);
      status = 1;
    } else {
      std::printf("floor ok: %s %.4f >= %.4f\n", key.c_str(), got, floor);
    }
  }
  return status;
}
