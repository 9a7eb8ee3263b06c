#include "syn/archive/sink.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <exception>
#include <utility>
#include <variant>
#include <vector>

#include "syn/core/log.hpp"
#include "syn/core/receipts.hpp"

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

archive_sink::~archive_sink() {
  if (!index_started_) return;
  // No drain here: a stop (SIGTERM, --until-caught-up) is as quick as the last batch, whatever the
  // backlog. Queued articles are searchable (by substring) and the next start indexes them.
  stop_indexer();
  if (!store_) return;
  if (auto left = store_->queued_for_index(); left && left.value() > 0) {
    log::get("archive").info(
        "{} article(s) queued for the search index; the next start indexes them "
        "(`syndicate archive index` does it now); search finds them meanwhile",
        left.value());
  }
}

result<void> archive_sink::connect() {
  if (store_) return success();
  auto opened = open_();
  if (!opened) return std::move(opened).error();
  store_ = std::move(opened).value();
  if (store_->indexes_behind()) start_indexer();
  return success();
}

void archive_sink::start_indexer() {
  const std::lock_guard lock(index_mutex_);
  if (index_started_) return;
  index_started_ = true;
  index_dirty_ = true;  // whatever an earlier process left queued
  indexer_ = std::thread([this] { run_indexer(); });
}

void archive_sink::stop_indexer() noexcept {
  {
    const std::lock_guard lock(index_mutex_);
    index_stop_ = true;
  }
  index_wake_.notify_all();
  if (indexer_.joinable()) indexer_.join();
}

// Its own connection: SQLite serialises its transactions with the consumer's (busy timeout).
// A failure drops the connection and retries after a pause; the queue is durable, so nothing is
// lost meanwhile and search still finds queued articles.
void archive_sink::run_indexer() {
  using namespace std::chrono_literals;
  std::unique_ptr<store> idx;
  const auto drain = [&]() -> result<void> {
    if (!idx) {
      BOOST_OUTCOME_TRY(opened, open_());
      idx = std::move(opened);
    }
    for (;;) {
      while (writers_waiting_.load() > 0) std::this_thread::sleep_for(1ms);
      std::int64_t n = 0;
      {
        const std::lock_guard db(db_mutex_);
        BOOST_OUTCOME_TRY(moved, idx->index_pending(index_batch));
        n = moved;
      }
      if (n < index_batch) return success();
      const std::lock_guard lock(index_mutex_);
      if (index_stop_) return success();
    }
  };
  std::chrono::milliseconds pause = 0ms;
  for (;;) {
    {
      std::unique_lock lock(index_mutex_);
      index_wake_.wait_for(lock, pause > 0ms ? pause : 1000ms,
                           [&] { return index_stop_ || (pause == 0ms && index_dirty_); });
      // While the consumer is catching up (writes keep coming), stay out of its way unless the
      // queue grows long: indexing in its gaps costs it more than indexing after it.
      while (!index_stop_ && queued_since_index_ < index_backlog &&
             std::chrono::steady_clock::now() - last_write_ < index_idle) {
        index_wake_.wait_for(lock, index_idle);
      }
      if (index_stop_) return;
      index_dirty_ = false;
      queued_since_index_ = 0;
    }
    result<void> r = success();
    try {
      r = drain();
    } catch (const std::exception& e) {  // e.g. bad_alloc: drop the connection, retry like an outage
      r = error(errc::unavailable, std::string("search indexer: ") + e.what());
    }
    if (!r) {
      if (!r.error().retriable()) {
        log::get("archive").error("search indexer stopped: {}", r.error().to_string());
        return;
      }
      idx.reset();
      pause = pause == 0ms ? 200ms : std::min<std::chrono::milliseconds>(pause * 2, 5000ms);
      log::get("archive").warn("search indexer: {} (retrying in {} ms)", r.error().to_string(),
                               pause.count());
    } else {
      pause = 0ms;
    }
  }
}

result<std::int64_t> index_all(store& s) {
  std::int64_t total = 0;
  for (;;) {
    BOOST_OUTCOME_TRY(n, s.index_pending(archive_sink::index_flush_batch));
    total += n;
    if (n < archive_sink::index_flush_batch) return total;
  }
}

result<std::int64_t> archive_sink::flush_index() {
  stop_indexer();
  BOOST_OUTCOME_TRY(connect());
  return index_all(*store_);
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
    ++writers_waiting_;
    std::unique_lock db(db_mutex_);
    --writers_waiting_;
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
    if (index_started_) {
      {
        const std::lock_guard lock(index_mutex_);
        index_dirty_ = true;
        last_write_ = std::chrono::steady_clock::now();
        queued_since_index_ += static_cast<std::int64_t>(records.size());
      }
      index_wake_.notify_one();
    }
    for (std::size_t i = 0; i < outcomes.value().size(); ++i) {
      auto& o = outcomes.value()[i];
      if (o.kind == record_outcome::rejected) {
        v.rejected.emplace_back(index[i], std::move(o.reason));
      } else if (const auto* a = std::get_if<const syndication::v1::Article*>(&records[i])) {
        auto r = receipts::make(receipts::receipt::ARCHIVE, receipts::receipt::STORED, **a, "");
        r.set_revision(static_cast<std::uint32_t>(o.revision));
        receipts_.push_back(std::move(r));
      }
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
