#include "syn/core/http_client.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "syn/core/http_server.hpp"

using namespace std::chrono_literals;
using syn::http::client;
using syn::http::client_options;
using syn::http::client_request;
using syn::http::errc;

namespace {

syn::http::response text(std::string body) { return {200, "text/plain", std::move(body), {}}; }

client_request get(std::string url) {
  client_request r;
  r.url = std::move(url);
  return r;
}

std::string base(const syn::http::server& s) { return "http://127.0.0.1:" + std::to_string(s.port()); }

}  // namespace

TEST(FeedHttpClient, ParsesUrls) {
  auto u = syn::http::url::parse("https://api.weixin.qq.com/cgi-bin/draft/add?access_token=x#frag");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->scheme, "https");
  EXPECT_EQ(u->host, "api.weixin.qq.com");
  EXPECT_EQ(u->port, "443");
  EXPECT_EQ(u->target, "/cgi-bin/draft/add?access_token=x");
  u = syn::http::url::parse("http://[::1]:8080");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->host, "::1");
  EXPECT_EQ(u->port, "8080");
  EXPECT_EQ(u->target, "/");
  EXPECT_FALSE(syn::http::url::parse("ftp://x/"));
  EXPECT_FALSE(syn::http::url::parse("http://user@x/"));
  EXPECT_FALSE(syn::http::url::parse("http://x:99999/"));
  EXPECT_FALSE(syn::http::url::parse("http:///path"));
}

TEST(FeedHttpClient, BuildsMultipartBodies) {
  const syn::http::form_part p{"media", "cover.jpg", "image/jpeg",
                               "\xFF\xD8\xFF"
                               "data"};
  const auto body = syn::http::multipart_body("BOUND", std::span<const syn::http::form_part>(&p, 1));
  EXPECT_EQ(body,
            "--BOUND\r\nContent-Disposition: form-data; name=\"media\"; filename=\"cover.jpg\"\r\n"
            "Content-Type: image/jpeg\r\n\r\n\xFF\xD8\xFF"
            "data\r\n--BOUND--\r\n");
  EXPECT_NE(syn::http::make_boundary(), syn::http::make_boundary());
  EXPECT_EQ(syn::http::percent_encode("a b/é"), "a%20b%2F%C3%A9");
}

TEST(FeedHttpClient, KeepsConnectionsAlive) {
  std::atomic<int> hits{0};
  syn::http::server s({}, [&](const syn::http::request& r) {
    ++hits;
    return text(r.method + " " + r.target + " " + r.body);
  });
  client c;
  for (int i = 0; i < 20; ++i) {
    client_request r;
    r.method = "POST";
    r.url = base(s) + "/x?i=" + std::to_string(i);
    r.body = "b" + std::to_string(i);
    auto resp = c.send(r, 2s);
    ASSERT_TRUE(resp) << resp.error().message;
    EXPECT_EQ(resp.value().status, 200U);
    EXPECT_EQ(resp.value().body, "POST /x?i=" + std::to_string(i) + " b" + std::to_string(i));
    EXPECT_EQ(resp.value().header("content-type"), "text/plain");
  }
  EXPECT_EQ(hits.load(), 20);
  EXPECT_EQ(c.connections_opened(), 1U);
}

// Regression: a keep-alive connection the server closed while idle must not fail the next
// request (the server never saw it); it is sent again once on a fresh connection.
TEST(FeedHttpClient, ServerClosingAnIdleConnectionIsNotAnError) {
  syn::http::server_options so;
  so.io_timeout = 150ms;  // the server drops idle connections after this
  syn::http::server s(so, [](const syn::http::request&) { return text("ok"); });
  client_options o;
  o.idle_timeout = 10s;  // the client would reuse them
  client c(o);
  ASSERT_TRUE(c.send(get(base(s) + "/a"), 2s));
  std::this_thread::sleep_for(400ms);
  auto r = c.send(get(base(s) + "/b"), 2s);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r.value().body, "ok");
  EXPECT_EQ(c.connections_opened(), 2U);
}

// Regression: a server that accepts the request but never answers must not block the caller
// past its deadline (the runner thread would stall and the partition with it).
TEST(FeedHttpClient, DeadlineBoundsAStalledResponse) {
  std::atomic<bool> release{false};
  syn::http::server_options so;
  so.threads = 2;
  syn::http::server s(so, [&](const syn::http::request&) {
    for (int i = 0; i < 300 && !release; ++i) std::this_thread::sleep_for(10ms);
    return text("late");
  });
  client c;
  const auto t0 = std::chrono::steady_clock::now();
  auto r = c.send(get(base(s) + "/slow"), 200ms);
  const auto took = std::chrono::steady_clock::now() - t0;
  release = true;
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::timed_out);
  EXPECT_TRUE(r.error().request_sent);  // ambiguous: the server may act on it
  EXPECT_TRUE(syn::http::is_retriable(r.error().code));
  EXPECT_LT(took, 1s);
  EXPECT_GE(took, 190ms);
}

// Regression: nothing listening (127.0.0.1:1) fails fast with connect_failed, not a hang.
TEST(FeedHttpClient, RefusedConnectionFailsFast) {
  client c;
  const auto t0 = std::chrono::steady_clock::now();
  auto r = c.send(get("http://127.0.0.1:1/"), 2s);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::connect_failed);
  EXPECT_FALSE(r.error().request_sent);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);
}

TEST(FeedHttpClient, BadUrlIsPermanent) {
  client c;
  auto r = c.send(get("ftp://example.com/"), 1s);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::bad_url);
  EXPECT_FALSE(syn::http::is_retriable(r.error().code));
}

TEST(FeedHttpClient, ResponseLargerThanTheLimitIsRefused) {
  syn::http::server s({}, [](const syn::http::request&) { return text(std::string(4096, 'x')); });
  client_options o;
  o.max_response_bytes = 1000;
  client c(o);
  auto r = c.send(get(base(s) + "/big"), 2s);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::response_too_large);
}

TEST(FeedHttpClient, HttpsToAPlainHttpPortFailsTheHandshakeInTime) {
  syn::http::server s({}, [](const syn::http::request&) { return text("plain"); });
  client c;
  auto r = c.send(get("https://127.0.0.1:" + std::to_string(s.port()) + "/"), 2s);
  ASSERT_FALSE(r);
  EXPECT_TRUE(r.error().code == errc::tls_failed || r.error().code == errc::timed_out) << r.error().message;
}

// ---- TLS against a local server with a freshly made self-signed certificate ----

namespace {

struct self_signed {
  std::string cert_pem;
  std::string key_pem;
};

self_signed make_cert(const char* cn) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* x = X509_new();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
  X509_gmtime_adj(X509_getm_notBefore(x), -60);
  X509_gmtime_adj(X509_getm_notAfter(x), 3600);
  X509_set_pubkey(x, key);
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn), -1, -1, 0);
  X509_set_issuer_name(x, name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, x, x, nullptr, nullptr, 0);
  const std::string san = std::string("DNS:") + cn;
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, san.c_str());
  X509_add_ext(x, ext, -1);
  X509_EXTENSION_free(ext);
  X509_sign(x, key, EVP_sha256());
  auto pem = [](auto write) {
    BIO* b = BIO_new(BIO_s_mem());
    write(b);
    char* data = nullptr;
    const long n = BIO_get_mem_data(b, &data);
    std::string s(data, static_cast<std::size_t>(n));
    BIO_free(b);
    return s;
  };
  self_signed out{pem([&](BIO* b) { PEM_write_bio_X509(b, x); }), pem([&](BIO* b) {
                    PEM_write_bio_PrivateKey(b, key, nullptr, nullptr, 0, nullptr, nullptr);
                  })};
  X509_free(x);
  EVP_PKEY_free(key);
  return out;
}

/// Serves `connections` TLS connections, one request each, on a thread.
class tls_server {
 public:
  tls_server(const self_signed& cert, int connections)
      : ctx_(boost::asio::ssl::context::tls_server),
        acceptor_(ioc_, {boost::asio::ip::make_address("127.0.0.1"), 0}) {
    ctx_.use_certificate_chain(boost::asio::buffer(cert.cert_pem));
    ctx_.use_private_key(boost::asio::buffer(cert.key_pem), boost::asio::ssl::context::pem);
    thread_ = std::thread([this, connections] {
      namespace bhttp = boost::beast::http;
      for (int i = 0; i < connections; ++i) {
        boost::system::error_code ec;
        boost::asio::ip::tcp::socket sock(ioc_);
        acceptor_.accept(sock, ec);
        if (ec) return;
        boost::asio::ssl::stream<boost::asio::ip::tcp::socket> s(std::move(sock), ctx_);
        s.handshake(boost::asio::ssl::stream_base::server, ec);
        if (ec) continue;  // the client rejected us
        boost::beast::flat_buffer buf;
        bhttp::request<bhttp::string_body> req;
        bhttp::read(s, buf, req, ec);
        if (ec) continue;
        bhttp::response<bhttp::string_body> res{bhttp::status::ok, 11};
        res.body() = "secure " + std::string(req.target());
        res.keep_alive(false);
        res.prepare_payload();
        bhttp::write(s, res, ec);
        s.shutdown(ec);
      }
    });
  }
  ~tls_server() {
    boost::system::error_code ec;
    acceptor_.close(ec);
    thread_.join();
  }
  [[nodiscard]] std::uint16_t port() const { return acceptor_.local_endpoint().port(); }

 private:
  boost::asio::io_context ioc_;
  boost::asio::ssl::context ctx_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::thread thread_;
};

}  // namespace

TEST(FeedHttpClient, HttpsVerifiesTheCertificateAndHostName) {
  const auto cert = make_cert("localhost");
  const auto ca =
      std::filesystem::temp_directory_path() / ("feed-test-ca-" + std::to_string(::getpid()) + ".pem");
  std::ofstream(ca) << cert.cert_pem;
  tls_server server(cert, 3);
  const auto url = "https://localhost:" + std::to_string(server.port()) + "/hello";
  {
    client_options o;
    o.ca_file = ca.string();
    client c(o);
    auto r = c.send(get(url), 5s);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r.value().body, "secure /hello");
  }
  {
    client c;  // system CAs: our self-signed certificate is not trusted
    auto r = c.send(get(url), 5s);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, errc::certificate_rejected) << r.error().message;
    EXPECT_FALSE(syn::http::is_retriable(r.error().code));
  }
  {
    client_options o;
    o.ca_file = ca.string();
    client c(o);  // trusted, but the certificate does not name 127.0.0.1
    auto r = c.send(get("https://127.0.0.1:" + std::to_string(server.port()) + "/"), 5s);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, errc::certificate_rejected) << r.error().message;
  }
  std::filesystem::remove(ca);
}
