#include "syn/producer/spool.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

#include "syn/core/log.hpp"

namespace syn::producer {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

constexpr const char* kKeyLog = "idempotency.log";
constexpr const char* kSuffix = ".issue";

[[noreturn]] void fail(const fs::path& p, std::string_view what) {
  throw std::runtime_error("spool: " + p.string() + ": " + std::string(what) + ": " + std::strerror(errno));
}

void write_all(int fd, std::string_view bytes, const fs::path& p) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      fail(p, "cannot write");
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

void fsync_dir(const fs::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) fail(dir, "cannot open directory");
  const int r = ::fsync(fd);
  ::close(fd);
  if (r != 0) fail(dir, "cannot fsync directory");
}

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string key_line(const std::string& key, const idempotent_answer& a, std::int64_t at) {
  return json{{"key", key},
              {"request", a.request_sha256},
              {"issueId", a.issue_id},
              {"articleIds", a.article_ids},
              {"at", at}}
             .dump() +
         "\n";
}

}  // namespace

void write_durably(const fs::path& dir, const std::string& name, std::string_view bytes) {
  const fs::path tmp = dir / ("." + name + ".tmp");
  const fs::path target = dir / name;
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) fail(tmp, "cannot create");
  try {
    write_all(fd, bytes, tmp);
    if (::fsync(fd) != 0) fail(tmp, "cannot fsync");
  } catch (...) {
    ::close(fd);
    ::unlink(tmp.c_str());
    throw;
  }
  ::close(fd);
  if (::rename(tmp.c_str(), target.c_str()) != 0) {
    ::unlink(tmp.c_str());
    fail(target, "cannot rename into place");
  }
  fsync_dir(dir);
}

spool::spool(fs::path dir, std::chrono::seconds key_ttl, std::size_t max_keys)
    : dir_(std::move(dir)), key_ttl_(key_ttl), max_keys_(std::max<std::size_t>(1, max_keys)) {
  std::error_code ec;
  fs::create_directories(dir_ / "failed", ec);
  if (ec)
    throw std::runtime_error("spool: cannot create " + (dir_ / "failed").string() + ": " + ec.message());
  // Leftovers of writes a crash interrupted were never acknowledged: drop them.
  for (const auto& e : fs::directory_iterator(dir_)) {
    const std::string name = e.path().filename().string();
    if (name.starts_with('.') && name.ends_with(".tmp")) fs::remove(e.path(), ec);
  }
  // The keys still in their time to live, newest last; then the log rewritten with only those.
  const std::int64_t now = unix_now();
  std::ifstream in(dir_ / kKeyLog);
  std::string line;
  while (std::getline(in, line)) {
    // A line cut by a crash was never acknowledged; parse errors are skipped, not fatal.
    const json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object() || !j.contains("key") || !j.contains("at")) continue;
    key_entry e;
    e.at = j.value("at", std::int64_t{0});
    e.answer.request_sha256 = j.value("request", "");
    e.answer.issue_id = j.value("issueId", "");
    e.answer.article_ids = j.value("articleIds", std::vector<std::string>{});
    const std::string key = j.value("key", "");
    keys_[key] = e;
    key_order_.emplace_back(e.at, key);
  }
  evict_keys(now);
  compact_keys();
}

spool::~spool() {
  if (key_log_fd_ >= 0) ::close(key_log_fd_);
}

void spool::evict_keys(std::int64_t now) {
  while (!key_order_.empty() &&
         (keys_.size() > max_keys_ || key_order_.front().first + key_ttl_.count() < now)) {
    const auto& [at, key] = key_order_.front();
    // Only the entry this position stands for (a key re-recorded later has a newer one).
    if (auto it = keys_.find(key); it != keys_.end() && it->second.at == at) keys_.erase(it);
    key_order_.pop_front();
  }
}

void spool::compact_keys() {
  std::string text;
  std::size_t lines = 0;
  for (const auto& [at, key] : key_order_) {
    auto it = keys_.find(key);
    if (it == keys_.end() || it->second.at != at) continue;
    text += key_line(key, it->second.answer, at);
    ++lines;
  }
  if (key_log_fd_ >= 0) {
    ::close(key_log_fd_);
    key_log_fd_ = -1;
  }
  write_durably(dir_, kKeyLog, text);
  key_log_fd_ = ::open((dir_ / kKeyLog).c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (key_log_fd_ < 0) fail(dir_ / kKeyLog, "cannot open");
  key_log_lines_ = lines;
}

fs::path spool::put(const spooled_request& r, std::string_view body) {
  const json header = {{"v", 1},
                       {"paper", r.paper},
                       {"date", r.date},
                       {"source", r.source},
                       {"who", r.who},
                       {"issueId", r.issue_id},
                       {"idempotencyKey", r.idempotency_key}};
  std::string bytes = header.dump() + "\n";
  bytes.append(body);
  // Names sort in the order of acceptance: nanoseconds since the epoch, then a counter.
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
  std::uint64_t seq = 0;
  {
    std::lock_guard lock(mu_);
    seq = ++seq_;
  }
  char name[64];
  std::snprintf(name, sizeof name, "%020lld-%08llu%s", static_cast<long long>(ns),
                static_cast<unsigned long long>(seq), kSuffix);
  write_durably(dir_, name, bytes);
  return dir_ / name;
}

void spool::done(const fs::path& file) {
  std::error_code ec;
  fs::remove(file, ec);
  if (ec)
    log::get("spool").warn("cannot remove {}: {} (it will be replayed, as a no-op)", file.string(),
                           ec.message());
}

void spool::reject(const fs::path& file, const std::string& why) {
  const fs::path target = dir_ / "failed" / file.filename();
  std::error_code ec;
  fs::rename(file, target, ec);
  if (ec) {
    log::get("spool").error("cannot move {} to failed/: {}", file.string(), ec.message());
    return;
  }
  try {
    write_durably(dir_ / "failed", file.filename().string() + ".error", why + "\n");
  } catch (const std::exception& e) {
    log::get("spool").error("{}", e.what());
  }
}

std::vector<spooled_issue> spool::pending() {
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir_)) {
    const std::string name = e.path().filename().string();
    if (e.is_regular_file() && !name.starts_with('.') && name.ends_with(kSuffix)) files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  std::vector<spooled_issue> out;
  for (const auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    std::string bytes = std::move(ss).str();
    const auto nl = bytes.find('\n');
    const json header = nl == std::string::npos ? json() : json::parse(bytes.substr(0, nl), nullptr, false);
    if (!in || !header.is_object() || header.value("v", 0) != 1) {
      reject(f, "spool: " + f.filename().string() + ": unreadable or not a spooled issue (version 1 header)");
      continue;
    }
    spooled_issue s;
    s.file = f;
    s.request.paper = header.value("paper", "");
    s.request.date = header.value("date", "");
    s.request.source = header.value("source", "");
    s.request.who = header.value("who", "");
    s.request.issue_id = header.value("issueId", "");
    s.request.idempotency_key = header.value("idempotencyKey", "");
    s.body = bytes.substr(nl + 1);
    out.push_back(std::move(s));
  }
  return out;
}

std::optional<idempotent_answer> spool::answered(const std::string& key) {
  std::lock_guard lock(mu_);
  auto it = keys_.find(key);
  if (it == keys_.end() || it->second.at + key_ttl_.count() < unix_now()) return std::nullopt;
  return it->second.answer;
}

void spool::remember(const std::string& key, const idempotent_answer& answer) {
  std::lock_guard lock(mu_);
  const std::int64_t now = unix_now();
  const std::string line = key_line(key, answer, now);
  write_all(key_log_fd_, line, dir_ / kKeyLog);
  if (::fdatasync(key_log_fd_) != 0) fail(dir_ / kKeyLog, "cannot fsync");
  keys_[key] = {answer, now};
  key_order_.emplace_back(now, key);
  ++key_log_lines_;
  evict_keys(now);
  if (key_log_lines_ > 2 * max_keys_) compact_keys();
}

}  // namespace syn::producer
