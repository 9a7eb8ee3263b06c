#include "syn/archive/sink.hpp"

#include <algorithm>
#include <exception>
#include <utility>
#include <variant>
#include <vector>

namespace syn::archive {

result<std::unique_ptr<store>> open(const config::archive_config& cfg, const store_options& options) {
  switch (cfg.backend) {
    case config::archive_backend::sqlite:
      return open_sqlite(cfg.sqlite.path, options);
    case config::archive_backend::postgres: {
      auto conninfo = cfg.postgres.conninfo.resolve();
      if (!conninfo) {
        return error(errc::unavailable,
                     "archive.postgres.conninfo_env: environment variable " +
                         (cfg.postgres.conninfo.env.empty() ? std::string("(none configured)")
                                                            : cfg.postgres.conninfo.env) +
                         " is not set");
      }
      return open_postgres(*conninfo, options);
    }
  }
  return error(errc::bad_argument, "unknown archive backend");
}

archive_sink::archive_sink(config::archive_config cfg, store_options options)
    : open_([cfg = std::move(cfg), options] { return open(cfg, options); }) {}

archive_sink::archive_sink(opener open) : open_(std::move(open)) {}

result<void> archive_sink::connect() {
  if (store_) return success();
  auto opened = open_();
  if (!opened) return std::move(opened).error();
  store_ = std::move(opened).value();
  return success();
}

result<bool> archive_sink::put_raw(std::string_view sha256, std::string_view bytes,
                                   std::string_view source_name) {
  BOOST_OUTCOME_TRY(connect());
  auto r = store_->put_raw(sha256, bytes, source_name);
  if (!r && r.error().retriable()) store_.reset();
  return r;
}

syn::sink::verdict archive_sink::write(std::span<const syn::sink::envelope> batch) {
  using syn::sink::verdict;
  try {
    std::vector<record> records;
    std::vector<std::size_t> index;  // records[i] is batch[index[i]]
    records.reserve(batch.size());
    index.reserve(batch.size());
    verdict v = verdict::success();
    for (std::size_t i = 0; i < batch.size(); ++i) {
      const auto& p = batch[i].payload;
      if (const auto* a = std::get_if<syndication::v1::Article>(&p)) {
        records.emplace_back(a);
      } else if (const auto* m = std::get_if<syndication::v1::IssueManifest>(&p)) {
        records.emplace_back(m);
      } else {
        v.rejected.emplace_back(i, "the archive takes Article and IssueManifest records, not TranslationJob");
        continue;
      }
      index.push_back(i);
    }
    if (records.empty()) return v;

    auto failed = [&](const error& e) {
      if (e.retriable()) {
        store_.reset();  // reconnect on the next write
        return verdict::transient(e.to_string());
      }
      return verdict::fatal(e.to_string());
    };
    if (auto c = connect(); !c) return failed(c.error());
    // Raw issue bytes ride on the manifest (IssueManifest.source): archive them first, by hash,
    // so that a stored manifest always finds its source. put_raw is idempotent.
    for (const auto& r : records) {
      const auto* m = std::get_if<const syndication::v1::IssueManifest*>(&r);
      if (m == nullptr || (*m)->source().empty()) continue;
      if (auto put = store_->put_raw((*m)->source_sha256(), (*m)->source(), (*m)->source_name()); !put) {
        return failed(put.error());
      }
    }
    auto outcomes = store_->write(records);
    if (!outcomes) return failed(outcomes.error());
    for (std::size_t i = 0; i < outcomes.value().size(); ++i) {
      auto& o = outcomes.value()[i];
      if (o.kind == record_outcome::rejected) v.rejected.emplace_back(index[i], std::move(o.reason));
    }
    std::sort(v.rejected.begin(), v.rejected.end());
    return v;
  } catch (const std::exception& e) {
    // Nothing was committed (the store commits last); bad_alloc and the like are worth a retry.
    store_.reset();
    return verdict::transient(std::string("archive: ") + e.what());
  }
}

}  // namespace syn::archive
