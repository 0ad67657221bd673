#include "net/http_server.h"

#include <csignal>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>

#include "common/crypto.h"
#include "common/log.h"

namespace segue::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
using asio::awaitable;
using Clock = std::chrono::steady_clock;

namespace {
constexpr auto kTok = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kFileChunk = 256 * 1024;  // one sendfile or worker read at most
using ReusePort = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

bool sane_request_id(std::string_view v) {
  if (v.empty() || v.size() > 64) return false;
  for (char c : v)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') return false;
  return true;
}

// Reads exactly `len` bytes at `offset` from `fd` into `out`. `flags` may be RWF_NOWAIT, in
// which case the read only succeeds from the page cache and never blocks.
bool pread_exact(int fd, uint64_t offset, std::size_t len, std::string& out, int flags) {
  out.resize(len);
  std::size_t done = 0;
  while (done < len) {
    struct iovec iov{out.data() + done, len - done};
    ssize_t n = ::preadv2(fd, &iov, 1, static_cast<off_t>(offset + done), flags);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

std::size_t page_size() {
  static const std::size_t size = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  return size;
}

int64_t mtime_ns_of(const struct stat& st) {
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
}

// An open file body source, shared by a network thread's cache and the requests sending from
// it (a request keeps it open even if the cache drops it meanwhile).
//
// Page-cache residency. sendfile(2) has no "do not block" flag: if a page of the range is not
// in memory, it reads it from disk on the calling (network) thread. So before each sendfile the
// range is checked with mincore(2) on a read-only mapping of the file that is never touched
// (no page is ever faulted in through it): for a file mapping, mincore reports a page as
// present only if the page cache holds it *and it is up to date*, i.e. also not while a read of
// it (another request's, or readahead) is still in flight. cachestat(2) would avoid the mapping
// but counts pages whose read is still in flight, so a sendfile after it could wait for the
// disk; a 1-byte preadv2(RWF_NOWAIT) at the start and end says nothing about the pages between.
// The one window left is a page evicted between mincore and sendfile (microseconds; the page
// was just found up to date), which no check done before the call can close.
// mincore tells the truth about the page cache only for files this process owns or may write
// (for others it reports every page present, see mincore(2)); for those, and when the mapping
// fails, `map` stays null and the body is read with preadv2(RWF_NOWAIT) into memory and
// written from there, as before sendfile was used. Either way a range that is not resident is
// read on the worker pool.
struct OpenFile {
  int fd = -1;
  int64_t size = 0;      // fstat at open
  int64_t mtime_ns = 0;  // fstat at open
  void* map = nullptr;   // PROT_READ mapping of [0, size), only ever passed to mincore
  Clock::time_point opened;
  OpenFile() = default;
  OpenFile(const OpenFile&) = delete;
  OpenFile& operator=(const OpenFile&) = delete;
  ~OpenFile() {
    if (map) ::munmap(map, static_cast<std::size_t>(size));
    if (fd >= 0) ::close(fd);
  }
};
using OpenFilePtr = std::shared_ptr<OpenFile>;

// Opens `path` for sending. Runs on a worker thread (open and the mapping may touch the disk).
Result<OpenFilePtr> open_file(const std::string& path) {
  auto f = std::make_shared<OpenFile>();
  f->fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (f->fd < 0) return Error::not_found("cannot open file");
  struct stat st{};
  if (::fstat(f->fd, &st) != 0 || !S_ISREG(st.st_mode)) return Error::unavailable("not a regular file");
  f->size = st.st_size;
  f->mtime_ns = mtime_ns_of(st);
  f->opened = Clock::now();
  const bool mincore_truthful = st.st_uid == ::geteuid() || ::access(path.c_str(), W_OK) == 0;
  if (f->size > 0 && mincore_truthful) {
    void* m = ::mmap(nullptr, static_cast<std::size_t>(f->size), PROT_READ, MAP_SHARED, f->fd, 0);
    if (m != MAP_FAILED) f->map = m;
  }
  return f;
}

// Whether `f`'s descriptor still shows the file it was opened on, and the one the handler
// described (FileBody::size, ::mtime_ns): a file rewritten in place or replaced and rescanned
// must be reopened. One fstat, which does not touch the disk (the inode is in memory while
// the file is open).
bool still_valid(const OpenFile& f, const FileBody& fb) {
  struct stat st{};
  if (::fstat(f.fd, &st) != 0) return false;
  const int64_t mtime = mtime_ns_of(st);
  if (st.st_size != f.size || mtime != f.mtime_ns) return false;
  if (fb.size >= 0 && fb.size != f.size) return false;
  if (fb.mtime_ns >= 0 && fb.mtime_ns != f.mtime_ns) return false;
  return true;
}

constexpr std::size_t kMaxProbePages = kFileChunk / 4096 + 2;

// Whether every page of [offset, offset + len) is in the page cache and up to date (see
// OpenFile). len <= kFileChunk; the range lies within the mapping (checked by the caller).
bool resident(const OpenFile& f, uint64_t offset, std::size_t len) {
  if (!f.map || len == 0) return f.map != nullptr;
  const uint64_t page = page_size();
  const uint64_t first = offset / page * page;
  const std::size_t span = static_cast<std::size_t>(offset + len - first);
  const std::size_t pages = (span + page - 1) / page;
  unsigned char vec[kMaxProbePages];
  if (pages > kMaxProbePages) return false;
  if (::mincore(static_cast<char*>(f.map) + first, span, vec) != 0) return false;
  for (std::size_t i = 0; i < pages; ++i)
    if (!(vec[i] & 1)) return false;
  return true;
}

// A network thread's small cache of open files, like nginx's open_file_cache: serving a range
// from a cached descriptor costs one fstat (still_valid) instead of a hop to a worker for
// open+close. Entries live at most kMaxAge so a file replaced on disk is reopened soon even
// when the handler gave no size and mtime to check; only its own thread touches it.
class OpenFileCache {
 public:
  static constexpr std::size_t kCapacity = 64;
  static constexpr std::chrono::seconds kMaxAge{2};
  OpenFilePtr find(const std::string& path) const {
    for (const auto& e : entries_)
      if (e.path == path) return e.file;
    return nullptr;
  }
  void erase(const std::string& path) {
    std::erase_if(entries_, [&](const Entry& e) { return e.path == path; });
  }
  void insert(const std::string& path, OpenFilePtr file) {
    erase(path);
    if (entries_.size() >= kCapacity) return;
    entries_.push_back({path, std::move(file)});
  }
  void expire(Clock::time_point now, bool all) {
    std::erase_if(entries_, [&](const Entry& e) { return all || now - e.file->opened >= kMaxAge; });
  }
  void clear() { entries_.clear(); }

 private:
  struct Entry {
    std::string path;
    OpenFilePtr file;
  };
  std::vector<Entry> entries_;
};

// Appends the status line and header fields of `h` as HTTP/1.1 puts them on the wire.
void serialize_header(const http::response_header<>& h, std::string& out) {
  out.clear();
  out += h.version() == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
  char code[8];
  std::snprintf(code, sizeof code, "%u ", h.result_int());
  out += code;
  out += std::string_view(h.reason().data(), h.reason().size());
  out += "\r\n";
  for (const auto& f : h) {
    out += std::string_view(f.name_string().data(), f.name_string().size());
    out += ": ";
    out += std::string_view(f.value().data(), f.value().size());
    out += "\r\n";
  }
  out += "\r\n";
}

// The key a client's connections are counted under: its IPv4 address (also when it arrives
// IPv4-mapped on an IPv6 socket), or the /64 prefix of an IPv6 address (one host usually has a
// whole /64, so counting single IPv6 addresses would cap nothing).
std::string address_key(const asio::ip::address& a) {
  if (a.is_v4()) return a.to_string();
  auto v6 = a.to_v6();
  if (v6.is_v4_mapped()) return asio::ip::make_address_v4(asio::ip::v4_mapped, v6).to_string();
  auto bytes = v6.to_bytes();
  for (std::size_t i = 8; i < bytes.size(); ++i) bytes[i] = 0;
  return asio::ip::address_v6(bytes).to_string() + "/64";
}

// Every X-Forwarded-For field of a request as one list, in order (RFC 9110 5.3).
std::string forwarded_for(const http::request<http::string_body>& raw) {
  std::string out;
  auto [b, e] = raw.equal_range("X-Forwarded-For");
  for (auto it = b; it != e; ++it) {
    if (!out.empty()) out += ',';
    out += std::string_view(it->value().data(), it->value().size());
  }
  return out;
}

// "ip:port" of an endpoint as a client would write it in a Host header.
std::string endpoint_text(const tcp::endpoint& ep) {
  auto a = ep.address();
  if (a.is_v6() && a.to_v6().is_v4_mapped()) a = asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6());
  std::string host = a.is_v6() ? "[" + a.to_string() + "]" : a.to_string();
  return host + ":" + std::to_string(ep.port());
}

// Open connections per client address, across the network threads.
class AddressCounts {
 public:
  // Takes a slot for `key` unless it already holds `cap` (0: no cap).
  bool acquire(const std::string& key, std::size_t cap) {
    std::lock_guard l(mu_);
    auto [it, fresh] = counts_.try_emplace(key, 0);
    if (cap > 0 && it->second >= cap) return false;
    ++it->second;
    return true;
  }
  void release(const std::string& key) {
    std::lock_guard l(mu_);
    auto it = counts_.find(key);
    if (it != counts_.end() && --it->second == 0) counts_.erase(it);
  }

 private:
  std::mutex mu_;
  std::unordered_map<std::string, std::size_t> counts_;
};

// Which access-log lines are sampled: refusals by the rate limiter, other client errors, and
// server errors. Everything else is always logged.
enum class LogKind { kAlways = -1, kRateLimited = 0, kClientError = 1, kServerError = 2 };
constexpr const char* kLogKindNames[3] = {"429", "4xx", "5xx"};
LogKind log_kind(unsigned status) {
  if (status == 429) return LogKind::kRateLimited;
  if (status >= 500) return LogKind::kServerError;
  if (status >= 400) return LogKind::kClientError;
  return LogKind::kAlways;
}

}  // namespace

struct Session {
  beast::tcp_stream* stream;
  ServerWebSocket* ws = nullptr;  // once the connection is a WebSocket (stream is then moved from)
  bool idle = true;
  Clock::time_point idle_since = Clock::now();
  // While a file body waits for the socket to become writable: when the sweeper drops the
  // connection (ServerOptions::write_timeout).
  Clock::time_point write_deadline = Clock::time_point::max();
};

struct NetThread {
  asio::io_context ctx{1};
  std::optional<tcp::acceptor> acceptor;
  std::set<Session*> sessions;  // only touched on this thread
  asio::steady_timer* sweep_timer = nullptr;
  OpenFileCache files;
  std::string head;  // a file response's header, serialized here (reused, not per request)
  std::string access_log;  // buffered lines, flushed by the sweeper and when large
  // Access-log sampling of refused and failed requests (see ServerOptions): the current
  // second, lines written in it per kind, and lines left out since the last summary.
  int64_t log_second = 0;
  int logged[3] = {0, 0, 0};
  uint64_t suppressed[3] = {0, 0, 0};
  // Per-thread cache of metric series: (route, status) -> series.
  std::unordered_map<std::string, std::pair<Counter*, Histogram*>> series;
  std::string series_key;  // scratch for series_for
};

struct Server::Impl {
  ServerOptions opt;
  const Router& router;
  WorkerPool& workers;
  MetricsRegistry& metrics;
  std::vector<std::unique_ptr<NetThread>> threads;
  std::atomic<bool> stopping{false};
  Clock::time_point stop_deadline{};
  std::mutex stop_mu;
  std::atomic<std::size_t> open_connections{0};
  AddressCounts per_address;
  std::atomic<uint64_t> next_id{0};
  std::string id_prefix = crypto::hex_encode(crypto::random_bytes(4));
  Gauge& open_gauge;
  Counter& rejected;
  Counter& rejected_per_address;
  Counter* log_suppressed[3];
  Counter& bytes_out;
  WsMetrics ws_metrics;

  // An accepted WebSocket upgrade, handed from serve_one to session.
  struct Upgrade {
    Request req;
    std::unique_ptr<WsSession> session;
  };

  Impl(ServerOptions o, const Router& r, WorkerPool& w, MetricsRegistry& m)
      : opt(std::move(o)), router(r), workers(w), metrics(m),
        open_gauge(m.gauge("segue_http_open_connections", "Open HTTP connections")),
        rejected(m.counter("segue_http_rejected_connections_total",
                           "Connections closed at accept because the connection cap was reached")),
        rejected_per_address(m.counter("segue_http_rejected_connections_per_address_total",
                                       "Connections closed at accept because their client address "
                                       "held max_connections_per_address")),
        log_suppressed{&suppressed_counter(m, 0), &suppressed_counter(m, 1), &suppressed_counter(m, 2)},
        bytes_out(m.counter("segue_http_response_bytes_total", "Response body bytes sent")),
        ws_metrics(m) {}

  static Counter& suppressed_counter(MetricsRegistry& m, int kind) {
    return m.counter("segue_access_log_suppressed_total",
                     "Access-log lines left out by sampling (the requests are counted in segue_http_requests_total)",
                     {{"status", kLogKindNames[kind]}});
  }

  // Starts a new second of sampling when `now_s` is past the thread's current one, first
  // writing one summary line per kind whose lines were left out.
  void roll_log_second(NetThread& t, int64_t now_s, bool force = false) {
    if (now_s == t.log_second && !force) return;
    for (int k = 0; k < 3; ++k) {
      if (t.suppressed[k] > 0) {
        log::append_prefix(t.access_log, log::Level::kWarn, "requests not logged");
        log::append_field(t.access_log, "status", kLogKindNames[k]);
        log::append_field(t.access_log, "suppressed", std::to_string(t.suppressed[k]));
        log::append_field(t.access_log, "logged", std::to_string(t.logged[k]));
        t.access_log += '\n';
      }
      t.suppressed[k] = 0;
      t.logged[k] = 0;
    }
    t.log_second = now_s;
  }

  static int64_t wall_second() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  }

  // Whether the access-log line of a response with `status` is written (else it is counted).
  bool sample_access_log(NetThread& t, unsigned status) {
    const LogKind kind = log_kind(status);
    if (kind == LogKind::kAlways) return true;
    roll_log_second(t, wall_second());
    const int k = static_cast<int>(kind);
    if (t.logged[k] < opt.access_log_errors_per_second) {
      ++t.logged[k];
      return true;
    }
    ++t.suppressed[k];
    log_suppressed[k]->inc();
    return false;
  }

  std::pair<Counter*, Histogram*> series_for(NetThread& t, const std::string& route, unsigned status) {
    // The key is built in a per-thread buffer: no allocation per request once the series exist.
    std::string& key = t.series_key;
    key.assign(route);
    key += '\0';
    char code[8];
    std::snprintf(code, sizeof code, "%u", status);
    key += code;
    auto it = t.series.find(key);
    if (it != t.series.end()) return it->second;
    Labels labels = {{"route", route}, {"status", std::to_string(status)}};
    auto* c = &metrics.counter("segue_http_requests_total", "HTTP requests by route and status", labels);
    auto* h = &metrics.histogram("segue_http_request_duration_seconds",
                                 "HTTP request latency by route and status", labels,
                                 MetricsRegistry::latency_bounds_seconds());
    t.series.emplace(key, std::make_pair(c, h));
    return {c, h};
  }

  bool origin_allowed(std::string_view origin) const {
    for (const auto& o : opt.cors_origins)
      if (o == "*" || o == origin) return true;
    return false;
  }

  // Browsers send Origin on WebSocket upgrades and no CORS check applies to them: accept the
  // server's own origin and the configured CORS origins; requests without Origin are not from a
  // browser page.
  bool websocket_origin_allowed(const Request& req) const {
    std::string_view origin = req.header(http::field::origin);
    if (origin.empty() || origin_allowed(origin)) return true;
    std::string_view host = req.header(http::field::host);
    if (host.empty()) return false;
    auto scheme = origin.find("://");
    return scheme != std::string_view::npos && origin.substr(scheme + 3) == host;
  }

  awaitable<WsAccept> accept_websocket(const WsHandler& handler, Request& req) {
    try {
      co_return co_await handler(req);
    } catch (const std::exception& e) {
      log::error("websocket handler threw", {{"id", req.request_id}, {"route", req.route}, {"what", e.what()}});
    }
    co_return Response::error(500, "Internal server error");
  }

  void add_cors(const Request& req, Response& res) const {
    std::string_view origin = req.header(http::field::origin);
    if (origin.empty() || !origin_allowed(origin)) return;
    res.headers.set(http::field::access_control_allow_origin, std::string(origin));
    res.headers.set(http::field::vary, "Origin");
    res.headers.set(http::field::access_control_expose_headers,
                    "Retry-After, Content-Range, Content-Length, ETag, X-Request-Id, WWW-Authenticate");
  }

  awaitable<Response> dispatch(Request& req) {
    // CORS preflight.
    if (req.method() == http::verb::options && !req.header(http::field::origin).empty() &&
        !req.header(http::field::access_control_request_method).empty()) {
      Response res = Response::empty(204);
      std::string_view origin = req.header(http::field::origin);
      if (origin_allowed(origin)) {
        res.headers.set(http::field::access_control_allow_methods, "GET, POST, PUT, DELETE, OPTIONS");
        std::string_view hdrs = req.header(http::field::access_control_request_headers);
        res.headers.set(http::field::access_control_allow_headers,
                        hdrs.empty() ? std::string("Authorization, Content-Type") : std::string(hdrs));
        res.headers.set(http::field::access_control_max_age, "600");
      }
      req.route = "preflight";
      co_return res;
    }
    auto m = router.match(req.method(), req.path, req.params);
    switch (m.kind) {
      case Router::MatchKind::kNoRoute:
        req.route = "unmatched";
        if (const Handler* fallback = router.fallback();
            fallback && (req.method() == http::verb::get || req.method() == http::verb::head)) {
          req.route = "static";
          m.handler = fallback;
          break;
        }
        co_return Response::error(404, "Service not found");
      case Router::MatchKind::kBadEncoding:
        req.route = m.route;
        co_return Response::error(400, "Malformed percent-encoding in path");
      case Router::MatchKind::kWrongMethod: {
        req.route = m.route;
        Response res = Response::error(405, "Method not allowed");
        res.headers.set(http::field::allow, m.allow);
        co_return res;
      }
      case Router::MatchKind::kFound:
        req.route = m.route;
        break;
    }
    try {
      co_return co_await (*m.handler)(req);
    } catch (const std::exception& e) {
      log::error("handler threw", {{"id", req.request_id}, {"route", req.route}, {"what", e.what()}});
      co_return Response::error(500, "Internal server error");
    }
  }

  static void flush_access_log(NetThread& t) {
    if (t.access_log.empty()) return;
    log::write_raw(t.access_log);
    t.access_log.clear();
  }

  awaitable<void> write_simple(beast::tcp_stream& stream, unsigned status, std::string_view msg,
                               unsigned version) {
    Response r = Response::error(status, msg);
    http::response<http::string_body> res{static_cast<http::status>(status), version};
    res.set(http::field::content_type, "application/json; charset=utf-8");
    res.body() = std::move(r.body);
    res.keep_alive(false);
    res.prepare_payload();
    stream.expires_after(opt.write_timeout);
    co_await http::async_write(stream, res, kTok);
  }

  // One connection. The frame of this coroutine is all an idle keep-alive connection costs
  // (besides its socket): the parser, request and response live in serve_one's frame, which
  // exists only while a request is being handled.
  awaitable<void> session(NetThread& t, tcp::socket socket, std::string address_slot) {
    open_connections.fetch_add(1);
    open_gauge.add(1);
    // Gives the client address's slot back however the coroutine ends.
    struct SlotGuard {
      AddressCounts& counts;
      std::string key;
      ~SlotGuard() {
        if (!key.empty()) counts.release(key);
      }
    } slot{per_address, std::move(address_slot)};
    std::string remote;
    std::string local;
    {
      beast::error_code ec;
      auto ep = socket.remote_endpoint(ec);
      if (!ec) remote = ep.address().to_string();
      auto lep = socket.local_endpoint(ec);
      if (!ec) local = endpoint_text(lep);
    }
    beast::tcp_stream stream(std::move(socket));
    {
      // File bodies are written with send(2)/sendfile(2) on the descriptor (write_file_body).
      beast::error_code ignored;
      stream.socket().native_non_blocking(true, ignored);
    }
    Session state{&stream};
    t.sessions.insert(&state);
    beast::flat_buffer buffer;

    for (;;) {
      // Idle: wait for the next request without holding a read buffer.
      if (buffer.size() == 0) {
        buffer.shrink_to_fit();
        state.idle = true;
        state.idle_since = Clock::now();
        if (stopping) break;
        stream.expires_never();  // the sweeper enforces the idle timeout
        auto [wec] = co_await stream.socket().async_wait(tcp::socket::wait_read, kTok);
        state.idle = false;
        if (wec) break;
      }
      state.idle = false;
      std::optional<Upgrade> upgrade;
      bool keep = co_await serve_one(t, state, buffer, remote, local, upgrade);
      if (upgrade) {
        ServerWebSocket ws(std::move(stream), opt.websocket, ws_metrics, upgrade->req.request_id, upgrade->req.remote_ip);
        state.ws = &ws;
        co_await ws.run(std::move(upgrade->req), std::move(upgrade->session));
        state.ws = nullptr;
        t.sessions.erase(&state);
        open_connections.fetch_sub(1);
        open_gauge.add(-1);
        co_return;
      }
      if (!keep) break;
    }
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream.close();
    t.sessions.erase(&state);
    open_connections.fetch_sub(1);
    open_gauge.add(-1);
  }

  // Reads, handles and answers one request. Returns whether the connection stays open.
  awaitable<bool> serve_one(NetThread& t, Session& state, beast::flat_buffer& buffer,
                            const std::string& remote, const std::string& local, std::optional<Upgrade>& upgrade) {
    beast::tcp_stream& stream = *state.stream;
    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(opt.header_limit));
    parser.body_limit(opt.body_limit);
    stream.expires_after(opt.request_timeout);
    auto [ec, n] = co_await http::async_read(stream, buffer, parser, kTok);
    if (ec) {
      if (ec == http::error::body_limit) {
        co_await write_simple(stream, 413, "Request body too large", 11);
      } else if (ec == http::error::header_limit) {
        co_await write_simple(stream, 431, "Request header fields too large", 11);
      } else if (ec != http::error::end_of_stream && ec != beast::error::timeout &&
                 ec != asio::error::connection_reset && ec != asio::error::eof &&
                 ec != asio::error::operation_aborted &&
                 ec.category() == beast::error_code(http::error::bad_target).category()) {
        co_await write_simple(stream, 400, "Malformed HTTP request", 11);
      }
      co_return false;
    }

    Request req;
    req.raw = parser.release();
    req.received_at = Clock::now();
    req.remote_ip = opt.trusted_proxies.empty() ? remote : opt.trusted_proxies.client_address(remote, forwarded_for(req.raw));
    req.local_addr = local;
    std::string_view target(req.raw.target().data(), req.raw.target().size());
    auto qpos = target.find('?');
    req.path = std::string(target.substr(0, qpos));
    std::string_view rid = req.header("X-Request-Id");
    req.request_id = sane_request_id(rid) ? std::string(rid)
                                          : id_prefix + "-" + std::to_string(next_id.fetch_add(1));
    Response res;
    bool upgraded = false;
    bool query_ok = true;
    if (qpos != std::string_view::npos) {
      auto q = parse_query(target.substr(qpos + 1));
      if (q) req.query = std::move(*q);
      else query_ok = false;
    }
    if (req.path.empty() || req.path[0] != '/') {
      req.route = "invalid";
      res = Response::error(400, "Request target must be an absolute path");
    } else if (!query_ok) {
      req.route = "invalid";
      res = Response::error(400, "Malformed query string");
    } else if (const WsHandler* ws_handler = router.websocket(req.path)) {
      req.route = req.path;
      if (!beast::websocket::is_upgrade(req.raw)) {
        res = Response::error(426, "WebSocket upgrade required");
        res.headers.set(http::field::upgrade, "websocket");
      } else if (stopping) {
        res = Response::error(503, "Server shutting down");
      } else if (!websocket_origin_allowed(req)) {
        res = Response::error(403, "Origin not allowed");
      } else {
        WsAccept accepted = co_await accept_websocket(*ws_handler, req);
        if (auto* session = std::get_if<std::unique_ptr<WsSession>>(&accepted)) {
          upgraded = true;
          res.status = 101;
          upgrade.emplace(Upgrade{Request(), std::move(*session)});
        } else {
          res = std::move(std::get<Response>(accepted));
        }
      }
    } else {
      res = co_await dispatch(req);
    }

    const bool keep_alive = req.raw.keep_alive() && !stopping;
    const bool head = req.method() == http::verb::head;
    add_cors(req, res);
    res.headers.set("X-Request-Id", req.request_id);
    // Latency is the time to produce the response (the write depends on the client).
    auto elapsed = std::chrono::duration<double>(Clock::now() - req.received_at).count();
    auto [counter, hist] = series_for(t, req.route, res.status);
    counter->inc();
    hist->observe(elapsed);
    bool write_ok = true;
    if (!upgraded) write_ok = co_await write_response(t, state, req, res, keep_alive, head);
    if (opt.access_log && log::level() <= log::Level::kInfo && sample_access_log(t, res.status)) {
      // Buffered per thread: one write(2) per 32 KB or per second instead of one per request.
      std::string& out = t.access_log;
      char ms[32];
      std::snprintf(ms, sizeof ms, "%.3f", elapsed * 1000.0);
      char status[8];
      std::snprintf(status, sizeof status, "%u", res.status);
      log::append_prefix(out, log::Level::kInfo, "request");
      log::append_field(out, "id", req.request_id);
      log::append_field(out, "method", std::string_view(req.raw.method_string().data(), req.raw.method_string().size()));
      log::append_field(out, "path", req.path);
      log::append_field(out, "route", req.route);
      log::append_field(out, "status", status);
      log::append_field(out, "ms", ms);
      log::append_field(out, "user", res.log_user.empty() ? req.user : res.log_user);
      log::append_field(out, "remote", req.remote_ip);
      if (req.remote_ip != remote) log::append_field(out, "peer", remote);  // the proxy it came through
      out += '\n';
      if (t.access_log.size() > 32 * 1024) flush_access_log(t);
    }
    if (upgraded) {
      upgrade->req = std::move(req);
      co_return false;
    }
    co_return write_ok && keep_alive;
  }

  // The open file to send `fb` from: the thread's cached descriptor if it still shows the file
  // the handler described (one fstat), else one opened on a worker. Null if the file cannot be
  // opened or is shorter than the range.
  awaitable<OpenFilePtr> open_for_sending(NetThread& t, const FileBody& fb) {
    OpenFilePtr f = t.files.find(fb.path);
    if (f && !still_valid(*f, fb)) {
      t.files.erase(fb.path);
      f = nullptr;
    }
    if (!f) {
      auto opened = co_await workers.run([&] { return open_file(fb.path); });
      if (!opened.ok()) co_return nullptr;
      f = std::move(*opened);
      // A file that differs from what the handler described (changed on disk, not rescanned
      // yet) is still sent if it holds the range, but not kept: the next request looks again.
      const bool as_described = (fb.size < 0 || fb.size == f->size) && (fb.mtime_ns < 0 || fb.mtime_ns == f->mtime_ns);
      if (as_described) t.files.insert(fb.path, f);
    }
    if (fb.offset > static_cast<uint64_t>(f->size) || fb.length > static_cast<uint64_t>(f->size) - fb.offset)
      co_return nullptr;
    co_return f;
  }

  // Waits until the socket can take more bytes, or the write timeout (enforced by the sweeper).
  awaitable<bool> wait_writable(Session& state) {
    state.write_deadline = Clock::now() + opt.write_timeout;
    auto [ec] = co_await state.stream->socket().async_wait(tcp::socket::wait_write, kTok);
    state.write_deadline = Clock::time_point::max();
    co_return !ec && !stopping_past_grace();
  }

  bool stopping_past_grace() const { return stopping && Clock::now() >= stop_deadline; }

  // Sends [data, data + len) on the non-blocking socket. `more` (MSG_MORE): more of the same
  // response follows at once, so a small header leaves in one segment with the body.
  // `data` may point into a buffer that is reused (NetThread::head): the rest is copied before
  // the first wait.
  awaitable<bool> send_all(Session& state, const char* data, std::size_t len, bool more) {
    const int fd = state.stream->socket().native_handle();
    std::string rest;
    while (len > 0) {
      ssize_t n = ::send(fd, data, len, MSG_NOSIGNAL | (more ? MSG_MORE : 0));
      if (n > 0) {
        data += n;
        len -= static_cast<std::size_t>(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        if (rest.data() != data) {
          rest.assign(data, len);
          data = rest.data();
        }
        if (!co_await wait_writable(state)) co_return false;
        continue;
      }
      co_return false;
    }
    co_return true;
  }

  // Writes the header `h` and then [fb.offset, fb.offset + fb.length) of `f` (which holds
  // it, checked by open_for_sending). Chunks whose pages are all in the page cache go
  // straight from the file to the socket with sendfile(2); others are read on a worker into
  // memory first (see OpenFile). Returns false when the connection must be closed: a write
  // error, the write timeout, or the file turning out shorter than the Content-Length already
  // sent (truncated meanwhile) — a client must never get a short body on a live connection.
  awaitable<bool> write_file_body(NetThread& t, Session& state, const http::response_header<>& h,
                                  const OpenFile& f, const FileBody& fb) {
    serialize_header(h, t.head);
    if (!co_await send_all(state, t.head.data(), t.head.size(), fb.length > 0)) co_return false;
    const int sock = state.stream->socket().native_handle();
    std::string chunk;  // only for ranges not in the page cache, or files mincore cannot probe
    uint64_t sent = 0;
    while (sent < fb.length) {
      const uint64_t pos = fb.offset + sent;
      const std::size_t len = static_cast<std::size_t>(std::min<uint64_t>(kFileChunk, fb.length - sent));
      if (resident(f, pos, len)) {
        off_t off = static_cast<off_t>(pos);
        ssize_t n = ::sendfile(sock, f.fd, &off, len);
        if (n > 0) {
          sent += static_cast<uint64_t>(n);
          bytes_out.inc(static_cast<uint64_t>(n));
          continue;
        }
        if (n == 0) co_return false;  // end of file before the range's end: truncated
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
          if (!co_await wait_writable(state)) co_return false;
          continue;
        }
        co_return false;
      }
      // Without a mapping to probe, a read that never blocks (RWF_NOWAIT) serves cached
      // pages; what is not cached is read on a worker.
      bool got = !f.map && pread_exact(f.fd, pos, len, chunk, RWF_NOWAIT);
      if (!got) got = co_await workers.run([&] { return pread_exact(f.fd, pos, len, chunk, 0); });
      if (!got) co_return false;  // truncated or unreadable after the header went out: close
      const bool more = sent + len < fb.length;
      if (!co_await send_all(state, chunk.data(), chunk.size(), more)) co_return false;
      sent += len;
      bytes_out.inc(len);
    }
    co_return true;
  }

  awaitable<bool> write_response(NetThread& t, Session& state, const Request& req, Response& r,
                                 bool keep_alive, bool head) {
    beast::tcp_stream& stream = *state.stream;
    http::response<http::string_body> res{static_cast<http::status>(r.status), req.raw.version()};
    // Take the handler's header fields over instead of copying them one by one.
    static_cast<http::fields&>(res.base()) = std::move(r.headers);
    res.set(http::field::server, "Segue");
    res.keep_alive(keep_alive);

    if (r.file && !head) {
      const FileBody& fb = *r.file;
      OpenFilePtr f = co_await open_for_sending(t, fb);
      if (f) {
        res.content_length(fb.length);
        co_return co_await write_file_body(t, state, res.base(), *f, fb);
      }
      // Not there, or shorter than the range: nothing is sent yet, so say so properly.
      Response err = Response::error(500, "Could not read the file");
      res.result(http::status::internal_server_error);
      res.set(http::field::content_type, "application/json; charset=utf-8");
      res.erase(http::field::content_range);
      res.body() = std::move(err.body);
      r.status = 500;
      res.prepare_payload();
      stream.expires_after(opt.write_timeout);
      auto [ec, n] = co_await http::async_write(stream, res, kTok);
      bytes_out.inc(res.body().size());
      co_return !ec;
    }

    if (head) {
      http::response<http::empty_body> hdr{static_cast<http::status>(r.status), req.raw.version()};
      for (const auto& f : res) hdr.set(f.name_string(), f.value());
      hdr.content_length(r.file ? r.file->length : r.body.size());
      hdr.keep_alive(keep_alive);
      http::response_serializer<http::empty_body> sr{hdr};
      stream.expires_after(opt.write_timeout);
      auto [ec, n] = co_await http::async_write_header(stream, sr, kTok);
      co_return !ec;
    }
    res.body() = std::move(r.body);
    res.prepare_payload();
    stream.expires_after(opt.write_timeout);
    auto [ec, n] = co_await http::async_write(stream, res, kTok);
    bytes_out.inc(res.body().size());
    co_return !ec;
  }

  awaitable<void> accept_loop(NetThread& t) {
    for (;;) {
      auto [ec, socket] = co_await t.acceptor->async_accept(kTok);
      if (ec) {
        if (stopping || ec == asio::error::operation_aborted) co_return;
        // Out of descriptors or similar: back off briefly instead of spinning.
        asio::steady_timer timer(t.ctx, std::chrono::milliseconds(50));
        co_await timer.async_wait(kTok);
        continue;
      }
      if (open_connections.load() >= opt.max_connections) {
        rejected.inc();
        beast::error_code ignored;
        socket.close(ignored);
        continue;
      }
      beast::error_code ignored;
      std::string key;
      if (opt.max_connections_per_address > 0) {
        auto ep = socket.remote_endpoint(ignored);
        if (ignored) {
          socket.close(ignored);
          continue;
        }
        key = address_key(ep.address());
        if (!opt.trusted_proxies.empty() && opt.trusted_proxies.contains(ep.address().to_string())) {
          key.clear();  // a gateway's connections carry many clients: max_connections only
        } else if (!per_address.acquire(key, opt.max_connections_per_address)) {
          rejected_per_address.inc();
          socket.close(ignored);
          continue;
        }
      }
      socket.set_option(tcp::no_delay(true), ignored);
      asio::co_spawn(t.ctx, session(t, std::move(socket), std::move(key)), asio::detached);
    }
  }

  // Once a second: close connections idle for too long; during shutdown close idle ones at
  // once and everything after the grace period, then let the thread's loop end.
  awaitable<void> sweeper(NetThread& t) {
    asio::steady_timer timer(t.ctx);
    t.sweep_timer = &timer;
    for (;;) {
      timer.expires_after(stopping ? std::chrono::milliseconds(50) : std::chrono::milliseconds(1000));
      co_await timer.async_wait(kTok);
      auto now = Clock::now();
      if (opt.access_log) roll_log_second(t, wall_second());  // the summary of a flood that stopped
      flush_access_log(t);
      t.files.expire(now, stopping);
      bool past_grace = stopping && now >= stop_deadline;
      for (Session* s : t.sessions) {
        if (s->ws) {
          if (past_grace) s->ws->abort();
          else if (stopping) s->ws->going_away();
          continue;
        }
        if ((s->idle && (stopping || now - s->idle_since > opt.idle_timeout)) || past_grace ||
            now > s->write_deadline) {
          beast::error_code ignored;
          s->stream->socket().cancel(ignored);
          if (past_grace) s->stream->socket().close(ignored);
        }
      }
      if (stopping && t.sessions.empty()) {
        if (opt.access_log) roll_log_second(t, wall_second(), /*force=*/true);
        flush_access_log(t);
        t.files.clear();
        t.sweep_timer = nullptr;
        co_return;
      }
    }
  }
};

Server::Server(ServerOptions options, const Router& router, WorkerPool& workers,
               MetricsRegistry& metrics)
    : impl_(std::make_unique<Impl>(std::move(options), router, workers, metrics)) {
  // sendfile(2) has no MSG_NOSIGNAL: a client that resets the connection while a file body is
  // being sent (a player skipping to the next track) would raise SIGPIPE and end the process.
  // Ignored process-wide; every write here handles EPIPE as a closed connection.
  static const bool ignored = [] {
    std::signal(SIGPIPE, SIG_IGN);
    return true;
  }();
  (void)ignored;
}

Server::~Server() = default;

Status Server::bind() {
  int n = impl_->opt.io_threads > 0 ? impl_->opt.io_threads
                                    : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  beast::error_code ec;
  auto addr = asio::ip::make_address(impl_->opt.host, ec);
  if (ec) return Error::invalid("invalid listen address '" + impl_->opt.host + "'");
  uint16_t port = impl_->opt.port;
  for (int i = 0; i < n; ++i) {
    auto t = std::make_unique<NetThread>();
    tcp::acceptor acc(t->ctx);
    tcp::endpoint ep(addr, port);
    acc.open(ep.protocol(), ec);
    if (!ec) acc.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acc.set_option(ReusePort(true), ec);
    if (!ec) acc.bind(ep, ec);
    if (!ec) acc.listen(asio::socket_base::max_listen_connections, ec);
    if (ec)
      return Error::unavailable("cannot listen on " + impl_->opt.host + ":" + std::to_string(port) +
                                ": " + ec.message());
    port = acc.local_endpoint().port();
    t->acceptor.emplace(std::move(acc));
    impl_->threads.push_back(std::move(t));
  }
  port_ = port;
  return {};
}

void Server::run() {
  std::vector<std::thread> threads;
  for (auto& t : impl_->threads) {
    asio::co_spawn(t->ctx, impl_->accept_loop(*t), asio::detached);
    asio::co_spawn(t->ctx, impl_->sweeper(*t), asio::detached);
  }
  if (on_listening) on_listening(port_);
  for (std::size_t i = 1; i < impl_->threads.size(); ++i)
    threads.emplace_back([t = impl_->threads[i].get()] { t->ctx.run(); });
  impl_->threads[0]->ctx.run();
  for (auto& th : threads) th.join();
}

void Server::stop() {
  std::lock_guard lock(impl_->stop_mu);
  if (impl_->stopping.exchange(true)) return;
  impl_->stop_deadline = Clock::now() + impl_->opt.shutdown_grace;
  log::info("shutting down", {{"open_connections", std::to_string(impl_->open_connections.load())}});
  for (auto& t : impl_->threads) {
    asio::post(t->ctx, [t = t.get()] {
      beast::error_code ignored;
      if (t->acceptor) t->acceptor->close(ignored);
      if (t->sweep_timer) t->sweep_timer->cancel();
    });
  }
}

void Server::stop_on_signals() {
  auto& ctx = impl_->threads.at(0)->ctx;
  auto signals = std::make_shared<asio::signal_set>(ctx, SIGINT, SIGTERM);
  signals->async_wait([this, signals](const beast::error_code& ec, int sig) {
    if (ec) return;
    log::info("signal received", {{"signal", std::to_string(sig)}});
    stop();
  });
  // Cancel the wait when shutdown starts for another reason, so the loop can end.
  asio::co_spawn(ctx, [this, signals]() -> awaitable<void> {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    while (!impl_->stopping) {
      timer.expires_after(std::chrono::milliseconds(100));
      co_await timer.async_wait(kTok);
    }
    beast::error_code ignored;
    signals->cancel(ignored);
  }, asio::detached);
}

}  // namespace segue::net
