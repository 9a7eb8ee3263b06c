// `syndicate review list|show|release|reject`: held issues (review.hpp), from the command line.
#include <cstring>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "syn/core/config.hpp"
#include "syn/core/instance.hpp"
#include "syn/core/log.hpp"
#include "syn/core/service.hpp"
#include "syn/producer/commands.hpp"
#include "syn/producer/corrections.hpp"
#include "syn/producer/publisher.hpp"
#include "syn/producer/review.hpp"
#include "syn/producer/trigger.hpp"

namespace syn::producer {

namespace {

std::vector<known_paper> papers_from(const config::root& cfg) {
  std::vector<known_paper> out;
  for (const auto& p : cfg.papers) out.push_back({p.code, p.name, p.aliases});
  return out;
}

struct review_args {
  std::string config_path;
  std::string id;
  std::string corrections;
  std::string reason;
  std::string instance;
  bool as_json = false;
};

int run_list(const review_args& a) {
  const config::root cfg = config::load(a.config_path);
  const review_store store(cfg.producer.review.dir);
  const auto held = store.list();
  if (a.as_json) {
    std::string out = "[";
    for (std::size_t i = 0; i < held.size(); ++i) out.append(i ? "," : "").append(summary_json(held[i]));
    std::cout << out << "]\n";
    return cli::ok;
  }
  if (held.empty()) std::cout << "no issue held for review in " << store.dir().string() << "\n";
  for (const auto& h : held) {
    std::cout << h.issue_id << "  " << h.state << "  confidence " << h.confidence << "  " << h.warnings
              << " warning(s)  held " << h.held_at << " via " << h.via << "  " << h.source << "\n";
  }
  return cli::ok;
}

/// The held issue `id` split again as it was, or one line on stderr and nullopt.
std::optional<std::pair<held_issue, split_result>> load(const review_store& store, const std::string& id,
                                                        const config::root& cfg) {
  auto h = store.find(id);
  if (!h) {
    cli::print_error("no issue " + id + " held for review in " + store.dir().string());
    return std::nullopt;
  }
  if (h->state == "released" || h->state == "rejected") return std::pair{*h, split_result{}};
  split_result issue = split_issue(h->body, options_of(*h, papers_from(cfg)));
  issue.manifest.set_source(h->body);
  return std::pair{std::move(*h), std::move(issue)};
}

int run_show(const review_args& a) {
  const config::root cfg = config::load(a.config_path);
  const review_store store(cfg.producer.review.dir);
  auto loaded = load(store, a.id, cfg);
  if (!loaded) return cli::bad_input;
  auto& [h, issue] = *loaded;
  const bool decided = h.state == "released" || h.state == "rejected";
  if (a.as_json) {
    std::cout << review_json(h, decided ? nullptr : &issue, cfg.producer.review.min_confidence);
  } else if (decided) {
    std::cout << h.issue_id << ": " << h.state << " at " << h.decided_at
              << (h.reason.empty() ? "" : " (" + h.reason + ")") << "\n";
  } else {
    std::cout << review_text(h, issue, cfg.producer.review.min_confidence);
  }
  return cli::ok;
}

int run_release(const review_args& a) {
  const config::root cfg = config::load(a.config_path);
  service::setup_logging(cfg.observability);
  std::optional<correction_set> corrections;
  if (!a.corrections.empty()) corrections = read_correction_file(a.corrections);  // bad: exit 2, nothing sent
  review_store store(cfg.producer.review.dir);
  const auto claim = store.try_claim(a.id);
  if (!claim) {
    cli::print_error("issue " + a.id + " is being released or rejected by another process; try again");
    return cli::failure;
  }
  auto loaded = load(store, a.id, cfg);
  if (!loaded) return cli::bad_input;
  auto& [h, issue] = *loaded;
  if (h.state == "released") {
    std::cout << h.issue_id << ": already released at " << h.decided_at << " (" << h.outcome
              << "); nothing published\n";
    return cli::ok;
  }
  if (h.state == "rejected") {
    cli::print_error("issue " + a.id + " was rejected at " + h.decided_at +
                     "; publish it again to hold it anew");
    return cli::bad_input;
  }
  if (!corrections && !h.corrections.empty()) {  // held by `publish --corrections`: still wanted
    corrections = parse_corrections(h.corrections, h.issue_id + ": stored corrections");
  }
  if (corrections) {
    apply_corrections(*corrections, issue);
    h.corrections = corrections->text;
  }
  const auto lease = instance::acquire("review", a.instance);
  publisher_options po;
  po.instance = lease.given() ? lease.id() : "review-" + lease.id();
  publisher pub(cfg.kafka, po);
  const publish_outcome o = pub.publish(issue);
  log_publication("review", po.instance, o);
  if (o.state == publish_outcome::status::failed) {
    std::cout << h.issue_id << ": NOT released, transaction not committed: " << o.error << "\n";
    return cli::failure;
  }
  h.outcome = std::string(to_string(o.state));
  h.decided_at = utc_now_iso8601();
  h.sent.clear();
  for (std::size_t i = 0; i < o.article_ids.size() && o.articles_sent > 0; ++i)
    h.sent.push_back(o.article_ids[i]);
  store.released(*claim, h);
  std::cout << h.issue_id << ": released, " << to_string(o.state) << " (" << o.articles_sent << " of "
            << o.article_ids.size() << " articles sent, " << o.revisions << " revised)\n";
  return cli::ok;
}

int run_reject(const review_args& a) {
  const config::root cfg = config::load(a.config_path);
  review_store store(cfg.producer.review.dir);
  const auto claim = store.try_claim(a.id);
  if (!claim) {
    cli::print_error("issue " + a.id + " is being released or rejected by another process; try again");
    return cli::failure;
  }
  auto h = store.find(a.id);
  if (!h || h->state == "released" || h->state == "rejected") {
    cli::print_error(h ? "issue " + a.id + " is already " + h->state
                       : "no issue " + a.id + " held for review");
    return cli::bad_input;
  }
  h->reason = a.reason;
  h->decided_at = utc_now_iso8601();
  store.rejected(*claim, *h);
  log::get("review").info("issue {} rejected: {}", a.id, nlohmann::json(a.reason).dump());
  std::cout << a.id << ": rejected; nothing published (kept in " << (store.dir() / "rejected").string()
            << ")\n";
  return cli::ok;
}

}  // namespace

void register_review_commands(CLI::App& root, cli::dispatcher& dispatch) {
  auto* review = root.add_subcommand(
      "review",
      "Issues held for review (confidence below producer.review.min_confidence): list, show, release "
      "(publish, optionally with a correction file), reject.");
  review->require_subcommand(1);
  const auto add = [&](const char* name, const char* what, int (*run)(const review_args&), bool needs_id) {
    auto args = std::make_shared<review_args>();
    auto* sub = review->add_subcommand(name, what);
    cli::add_config_option(sub, args->config_path);
    if (needs_id) sub->add_option("ID", args->id, "issue id (as `review list` prints it)")->required();
    dispatch.on(sub, [args, run] {
      try {
        return run(*args);
      } catch (const correction_error& e) {  // a bad correction file: one line, exit 2, nothing sent
        cli::print_error(e.what());
        return static_cast<int>(cli::bad_input);
      }
    });
    return std::pair{sub, args};
  };
  auto [list, list_args] = add("list", "List the held issues, oldest first.", run_list, false);
  list->add_flag("--json", list_args->as_json, "print JSON");
  auto [show, show_args] =
      add("show", "Show a held issue, its warnings and its articles, the doubtful ones marked '?'.", run_show,
          true);
  show->add_flag("--json", show_args->as_json, "print JSON");
  auto [release, release_args] =
      add("release",
          "Publish a held issue (exactly once: a second release publishes nothing), optionally corrected.",
          run_release, true);
  release
      ->add_option("--corrections", release_args->corrections,
                   "correction file (YAML, docs/SPLITTING.md \"Editor corrections\")")
      ->check(CLI::ExistingFile);
  release->add_option("--instance", release_args->instance,
                      "publisher instance name (default review-<host>-<N>)");
  auto [reject, reject_args] = add("reject", "Reject a held issue: it is never published.", run_reject, true);
  reject->add_option("--reason", reject_args->reason, "why, for the record");
}

}  // namespace syn::producer
