#pragma once
/// Client of the WeChat Official Account API (api.weixin.qq.com): access tokens, permanent image
/// material, body images, drafts, publishing. docs/FEED.md cites the API pages.
///
/// Access tokens. One client owns the token of each AppID: it takes it from cgi-bin/stable_token
/// (normal mode), caches it, refreshes it once `refresh_at` (80%) of its lifetime has passed, and
/// when a call fails with 40001 / 40014 / 42001 it fetches it again and repeats the call once.
/// stable_token, unlike cgi-bin/token, does not invalidate the token other instances hold, so
/// several syndicate processes can share an AppID; force_refresh is used only when the platform
/// keeps returning a token it rejects, at most once per 30 s (the platform allows 20 a day).
///
/// Errors. Every call returns result<T>. The error carries the WeChat errcode / errmsg (category
/// `wechat`), an HTTP status (category `wechat_http`) or a transport failure (category
/// `http_client`), and whether repeating the call later can succeed (`retriable()`): system busy
/// (-1), rate limits (45009 daily, 45011 per minute), HTTP 5xx / 429, timeouts and connection
/// failures are retriable; everything else (IP not whitelisted 40164, limits exceeded, invalid
/// media...) is permanent. Retriable failures are retried inside the call with capped
/// exponential backoff (`retry`), within `retry_budget`; draft/add and freepublish/submit are
/// never repeated after an ambiguous failure (the request may have been acted on: timeout after
/// the request was sent, HTTP 5xx): the error says `ambiguous()` and the caller reconciles
/// (find_draft()).
///
/// Thread-safe: calls for different AppIDs proceed in parallel; the token of one AppID is
/// fetched by one thread at a time.

#include <atomic>
#include <boost/outcome/basic_result.hpp>
#include <boost/outcome/policy/terminate.hpp>
#include <boost/outcome/success_failure.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "syn/core/config.hpp"
#include "syn/feed/composer.hpp"

namespace syn::http {
class client;
}

namespace syn::feed::wechat {

/// WeChat errcodes this code base names (the value is the errcode; any errcode is a valid value
/// of the `wechat` category).
enum class errc : int {
  ok = 0,
  system_busy = -1,
  invalid_credential = 40001,  ///< AppSecret wrong, or access_token invalid / not the latest
  invalid_media_type = 40004,
  invalid_file_type = 40005,
  invalid_media_id = 40007,
  invalid_image_size = 40009,
  invalid_appid = 40013,
  invalid_access_token = 40014,
  invalid_appsecret = 40125,
  ip_not_whitelisted = 40164,
  access_token_missing = 41001,
  access_token_expired = 42001,
  require_post = 43002,
  empty_media_data = 44001,
  empty_post_data = 44002,
  empty_news_data = 44003,
  empty_content = 44004,
  media_size_out_of_limit = 45001,
  content_size_out_of_limit = 45002,
  title_size_out_of_limit = 45003,
  description_size_out_of_limit = 45004,
  url_size_out_of_limit = 45005,
  article_size_out_of_limit = 45008,
  daily_quota_reached = 45009,   ///< "reach max api daily quota limit"
  minute_quota_reached = 45011,  ///< "api minute-quota reach limit, must slower, retry next minute"
  author_size_out_of_limit = 45110,
  data_format_error = 47001,
  clear_quota_limit = 48006,  ///< "forbid to clear quota because of reaching the limit" (10 a month)
  api_unauthorized = 48001,
  api_forbidden = 48004,
};

const std::error_category& wechat_category() noexcept;
/// HTTP status of a response that was not a WeChat JSON answer (value = status).
const std::error_category& wechat_http_category() noexcept;
inline std::error_code make_error_code(errc e) noexcept { return {static_cast<int>(e), wechat_category()}; }

/// Whether repeating a call that failed with `ec` can succeed later. One exhaustive list for the
/// `wechat` category; HTTP 5xx, 408 and 429; retriable transport failures. Token errors
/// (40001 / 40014 / 42001) count as retriable here: the client already refreshed the token once,
/// and another instance may have force-refreshed it meanwhile.
[[nodiscard]] bool is_retriable(std::error_code ec) noexcept;

/// Whether `ec` is a daily-quota answer: 45009 ("reach max api daily quota limit"; the platform
/// resets the counts daily, or on clear_quota). Such a call cannot succeed before the reset: the
/// sink pauses that account's calls of that API instead of retrying (docs/FEED.md "Quotas").
[[nodiscard]] bool is_daily_quota(std::error_code ec) noexcept;

/// Whether `ec` says the access token was rejected (40001, 40014, 42001).
[[nodiscard]] bool is_token_error(std::error_code ec) noexcept;

/// A failed API call. Cheap to copy.
class error {
 public:
  error() = default;
  error(std::error_code code, std::string message, bool retriable, bool ambiguous = false)
      : code_(code), message_(std::move(message)), retriable_(retriable), ambiguous_(ambiguous) {}

  [[nodiscard]] const std::error_code& code() const noexcept { return code_; }
  /// One line: `wechat draft/add (appid wx123): errcode 45003: title size out of limit rid: ...`.
  [[nodiscard]] const std::string& message() const noexcept { return message_; }
  [[nodiscard]] bool retriable() const noexcept { return retriable_; }
  /// The request may have been acted on although the call failed.
  [[nodiscard]] bool ambiguous() const noexcept { return ambiguous_; }
  /// The WeChat errcode, or 0 when the failure was not a WeChat answer.
  [[nodiscard]] int errcode() const noexcept;

 private:
  std::error_code code_;
  std::string message_;
  bool retriable_ = false;
  bool ambiguous_ = false;
};

template <class T>
using result = boost::outcome_v2::basic_result<T, error, boost::outcome_v2::policy::terminate>;
using boost::outcome_v2::success;

struct credentials {
  std::string app_id;
  std::string app_secret;
};

enum class token_endpoint {
  stable,   ///< POST cgi-bin/stable_token (normal mode): the default, safe with several instances
  classic,  ///< GET cgi-bin/token: each fetch invalidates the previous token (tests only)
};

struct client_options {
  /// `https://api.weixin.qq.com` (config feed.api_base_url).
  std::string api_base_url = "https://api.weixin.qq.com";
  /// Deadline of each HTTP request.
  std::chrono::milliseconds request_timeout{10000};
  /// Refresh a token once this fraction of its lifetime has passed.
  double refresh_at = 0.8;
  token_endpoint tokens = token_endpoint::stable;
  /// Retries of retriable failures inside one call (attempts in total, backoff, jitter).
  config::retry_config retry{std::chrono::milliseconds{200}, std::chrono::milliseconds{5000}, 2.0, 3, 0.2};
  /// A call stops retrying once this much time has passed since it started.
  std::chrono::milliseconds retry_budget{30000};
  /// Minimum interval between force_refresh calls for one AppID (the platform: 30 s).
  std::chrono::milliseconds force_refresh_interval{30000};
  /// Sleeps between retries; replaceable in tests.
  std::function<void(std::chrono::milliseconds)> sleep;
};

/// Permanent material (material/add_material).
struct material {
  std::string media_id;
  std::string url;
};

/// freepublish/submit's answer.
struct publish_ticket {
  std::string publish_id;
  std::string msg_data_id;
};

/// freepublish/get's answer.
struct publish_status {
  std::string publish_id;
  /// 0 published, 1 publishing, 2 original-content check failed, 3 failed, 4 rejected by review,
  /// 5 deleted by the user, 6 banned by the platform.
  int status = 1;
  std::string article_id;
  std::vector<std::string> article_urls;
};

/// openapi/quota/get's answer for one API.
struct api_quota {
  std::int64_t daily_limit = 0;
  std::int64_t used = 0;
  std::int64_t remain = 0;
};

/// A published article found by freepublish/batchget.
struct published_article {
  std::string article_id;
  std::string url;
};

/// Counters for tests and metrics.
struct client_stats {
  std::uint64_t token_fetches = 0;
  std::uint64_t token_refreshes_on_error = 0;
  std::uint64_t requests = 0;
  std::uint64_t retries = 0;
};

class client {
 public:
  /// `http` is shared (keep-alive pool); it must outlive nothing here but is kept alive by us.
  client(client_options options, std::shared_ptr<http::client> http);
  ~client();
  client(const client&) = delete;
  client& operator=(const client&) = delete;

  /// The cached access token of `c.app_id`, fetched or refreshed as needed.
  [[nodiscard]] result<std::string> access_token(const credentials& c);

  /// material/add_material?type=image: uploads a permanent image (cover). `bytes` must be a
  /// bmp/png/jpeg/gif image of at most 10 MB.
  [[nodiscard]] result<material> add_material(const credentials& c, std::string_view filename,
                                              std::string_view bytes);
  /// media/uploadimg: uploads an image for article bodies (jpg/png < 1 MB); returns its URL.
  [[nodiscard]] result<std::string> upload_image(const credentials& c, std::string_view filename,
                                                 std::string_view bytes);
  /// draft/add: returns the draft's media_id.
  [[nodiscard]] result<std::string> add_draft(const credentials& c, std::span<const draft_article> articles);
  /// freepublish/submit.
  [[nodiscard]] result<publish_ticket> submit_publish(const credentials& c, std::string_view media_id);
  /// freepublish/get.
  [[nodiscard]] result<publish_status> get_publish(const credentials& c, std::string_view publish_id);
  /// draft/batchget (newest `scan` drafts, no content): the media_id of a draft whose articles have
  /// exactly these content_source_urls, in order; nullopt if none. Reconciles an ambiguous draft/add.
  /// Pages through the draft box (`offset`, 20 a page) until the end or `scan` drafts.
  [[nodiscard]] result<std::optional<std::string>> find_draft(const credentials& c,
                                                              std::span<const std::string> source_urls,
                                                              int scan = 200);
  /// draft/get: whether the draft is still in the draft box (40007: it is not; a submitted draft
  /// leaves it).
  [[nodiscard]] result<bool> draft_exists(const credentials& c, std::string_view media_id);
  /// freepublish/batchget, paged like find_draft(): the published article whose first news item
  /// has `source_url` as its content_source_url, if any among the newest `scan`.
  [[nodiscard]] result<std::optional<published_article>> find_published(const credentials& c,
                                                                        std::string_view source_url,
                                                                        int scan = 200);
  /// clear_quota: resets the AppID's daily API call counts (the platform allows 10 a month).
  [[nodiscard]] result<bool> clear_quota(const credentials& c);
  /// openapi/quota/get for one API path (`/cgi-bin/freepublish/submit`).
  [[nodiscard]] result<api_quota> get_quota(const credentials& c, std::string_view cgi_path);

  [[nodiscard]] client_stats stats() const noexcept;

  /// draft/add's JSON body (exposed for tests).
  [[nodiscard]] static std::string draft_body(std::span<const draft_article> articles);

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// Content-Type of an image by its magic bytes (`image/jpeg`, `image/png`, `image/gif`,
/// `image/bmp`), or "" if unknown.
[[nodiscard]] std::string_view sniff_image_type(std::string_view bytes) noexcept;

}  // namespace syn::feed::wechat

template <>
struct std::is_error_code_enum<syn::feed::wechat::errc> : std::true_type {};
