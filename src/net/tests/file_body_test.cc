// File bodies (FileBody): sent with sendfile from the page cache or read on a worker, byte-exact
// whatever the client's pace, and never a short body on a live connection.
#include "net/http_server.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>

#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <random>
#include <thread>

namespace segue::net {
namespace {
namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

std::string random_bytes(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}

void write_file(const std::filesystem::path& p, const std::string& data) {
  std::ofstream(p, std::ios::binary | std::ios::trunc) << data;
}

struct FileStat {
  int64_t size = -1;
  int64_t mtime_ns = -1;
};
FileStat stat_of(const std::filesystem::path& p) {
  struct stat st{};
  if (::stat(p.c_str(), &st) != 0) return {};
  return {st.st_size, static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec};
}

// Drops the file's pages from the page cache, so the next send must read it from disk.
void evict(const std::filesystem::path& p) {
  int fd = ::open(p.c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  ::fdatasync(fd);
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
  ::close(fd);
}

// A response read off a raw socket: the status, Content-Length, the body bytes that arrived, and
// whether the server closed the connection before the whole body came.
struct RawResponse {
  unsigned status = 0;
  std::size_t content_length = 0;
  std::string body;
  bool closed_early = false;
};

class FileBodyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("segue-filebody-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    file_ = dir_ / "a.bin";
    content_ = random_bytes(8 * 1024 * 1024 + 123, 11);  // larger than any socket buffer
    write_file(file_, content_);

    // GET /file?off=N&len=N: that range of file_, described with the size and mtime the test
    // sets in `described_` (as the audio handler describes a catalog file); `before_send` runs
    // after the handler has "looked at" the file and before the server sends it.
    router_.add(http::verb::get, "/file", [this](Request& r) -> asio::awaitable<Response> {
      Response res;
      std::lock_guard l(mu_);
      uint64_t off = std::stoull(r.query_param("off").value_or("0"));
      uint64_t len = r.query_param("len") ? std::stoull(*r.query_param("len")) : content_.size() - off;
      res.status = 206;
      res.file = FileBody{file_.string(), off, len, described_.size, described_.mtime_ns};
      if (before_send_) before_send_();
      co_return res;
    });
    described_ = stat_of(file_);
    ServerOptions opt;
    opt.port = 0;
    opt.io_threads = 2;
    opt.access_log = false;
    server_ = std::make_unique<Server>(opt, router_, workers_, metrics_);
    ASSERT_TRUE(server_->bind().ok());
    thread_ = std::thread([this] { server_->run(); });
  }
  void TearDown() override {
    server_->stop();
    thread_.join();
    std::filesystem::remove_all(dir_);
  }

  // `rcvbuf` > 0: a small receive buffer, so that little of the body is in flight at a time.
  tcp::socket connect(int rcvbuf = 0) {
    tcp::socket s(ioc_);
    if (rcvbuf > 0) {
      s.open(tcp::v4());
      s.set_option(asio::socket_base::receive_buffer_size(rcvbuf));
    }
    s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), server_->port()));
    return s;
  }

  // Sends GET `target` and reads the answer `piece` bytes at a time, calling `pace` after each
  // read of the body (a slow client sleeps there).
  static RawResponse get(tcp::socket& s, const std::string& target, std::size_t piece = 64 * 1024,
                         const std::function<void(std::size_t)>& pace = {}) {
    std::string req = "GET " + target + " HTTP/1.1\r\nHost: x\r\n\r\n";
    asio::write(s, asio::buffer(req));
    RawResponse out;
    std::string head;
    std::vector<char> buf(piece);
    beast::error_code ec;
    std::size_t end = std::string::npos;
    while (end == std::string::npos) {
      std::size_t n = s.read_some(asio::buffer(buf.data(), std::min<std::size_t>(piece, 1024)), ec);
      if (ec) {
        out.closed_early = true;
        return out;
      }
      head.append(buf.data(), n);
      end = head.find("\r\n\r\n");
    }
    out.status = static_cast<unsigned>(std::stoul(head.substr(9, 3)));
    auto cl = head.find("Content-Length: ");
    if (cl == std::string::npos) cl = head.find("content-length: ");
    EXPECT_NE(cl, std::string::npos) << head;
    out.content_length = std::stoull(head.substr(cl + 16));
    out.body = head.substr(end + 4);
    while (out.body.size() < out.content_length) {
      std::size_t want = std::min(piece, out.content_length - out.body.size());
      std::size_t n = s.read_some(asio::buffer(buf.data(), want), ec);
      if (ec) {
        out.closed_early = true;
        return out;
      }
      out.body.append(buf.data(), n);
      if (pace) pace(out.body.size());
    }
    return out;
  }

  std::filesystem::path dir_, file_;
  std::string content_;
  std::mutex mu_;
  FileStat described_;
  std::function<void()> before_send_;
  Router router_;
  WorkerPool workers_{2};
  MetricsRegistry metrics_;
  std::unique_ptr<Server> server_;
  std::thread thread_;
  asio::io_context ioc_;
};

TEST_F(FileBodyTest, LargeBodyToASlowReaderArrivesByteExact) {
  auto s = connect();
  // 8 MB read 1,000 bytes at a time, pausing now and then: the server's socket buffer fills
  // and it must wait for writability and go on at the right offset, many times.
  auto res = get(s, "/file", 1000, [](std::size_t got) {
    if (got % (512 * 1000) == 0) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  });
  ASSERT_FALSE(res.closed_early);
  EXPECT_EQ(res.status, 206);
  ASSERT_EQ(res.body.size(), content_.size());
  EXPECT_TRUE(res.body == content_);
  // The connection is still good for the next request.
  auto again = get(s, "/file?off=5&len=10");
  EXPECT_EQ(again.body, content_.substr(5, 10));
}

TEST_F(FileBodyTest, RangesInTheMiddleAreByteExactFromCacheAndFromDisk) {
  auto s = connect();
  const uint64_t off = 3 * 1024 * 1024 + 77, len = 16 * 1024 + 5;
  auto cached = get(s, "/file?off=" + std::to_string(off) + "&len=" + std::to_string(len));
  EXPECT_EQ(cached.status, 206);
  EXPECT_TRUE(cached.body == content_.substr(off, len));
  // Out of the page cache: the range is read on a worker, same bytes, also when it spans
  // several chunks.
  evict(file_);
  auto from_disk = get(s, "/file?off=" + std::to_string(off) + "&len=" + std::to_string(len));
  EXPECT_TRUE(from_disk.body == content_.substr(off, len));
  evict(file_);
  auto big = get(s, "/file?off=1&len=" + std::to_string(content_.size() - 2));
  ASSERT_EQ(big.body.size(), content_.size() - 2);
  EXPECT_TRUE(big.body == content_.substr(1, content_.size() - 2));
}

TEST_F(FileBodyTest, EmptyRangeSendsOnlyTheHeader) {
  auto s = connect();
  auto res = get(s, "/file?off=100&len=0");
  EXPECT_EQ(res.status, 206);
  EXPECT_EQ(res.content_length, 0u);
  auto next = get(s, "/file?off=100&len=3");
  EXPECT_EQ(next.body, content_.substr(100, 3));
}

TEST_F(FileBodyTest, FileTruncatedBeforeTheSendIsA500NotAShortBody) {
  auto s = connect();
  auto warm = get(s, "/file?off=0&len=100");  // the server now holds the file open
  ASSERT_EQ(warm.body, content_.substr(0, 100));
  // The handler described the whole file; it is truncated before the server sends it.
  before_send_ = [this] { std::filesystem::resize_file(file_, 1000); };
  auto res = get(s, "/file?off=500&len=5000");
  EXPECT_FALSE(res.closed_early);
  EXPECT_EQ(res.status, 500);
  EXPECT_EQ(res.body.size(), res.content_length);
  EXPECT_NE(res.body.find("Could not read the file"), std::string::npos) << res.body;
}

TEST_F(FileBodyTest, FileTruncatedDuringTheSendClosesTheConnection) {
  auto s = connect(32 * 1024);
  // A page-aligned cut: bytes already handed to the socket by sendfile are page-cache pages,
  // and truncation zeroes the tail of a partial last page even while the socket still holds
  // it (as for any server using sendfile); whole pages keep their bytes.
  const std::size_t cut = 2 * 1024 * 1024;
  bool truncated = false;
  // Once the header and the first bytes are out, the file shrinks to 2 MB.
  auto res = get(s, "/file", 4096, [&](std::size_t got) {
    if (!truncated && got >= 64 * 1024) {
      truncated = true;
      std::filesystem::resize_file(file_, cut);
    }
  });
  ASSERT_TRUE(truncated);
  EXPECT_EQ(res.content_length, content_.size());
  // The body stops short and the server closes: never a short body on a live connection...
  EXPECT_TRUE(res.closed_early);
  EXPECT_LT(res.body.size(), content_.size());
  // ...and what came is the file's bytes (no filler).
  EXPECT_TRUE(res.body == content_.substr(0, res.body.size()));
  char byte;
  beast::error_code ec;
  s.read_some(asio::buffer(&byte, 1), ec);
  EXPECT_TRUE(ec == asio::error::eof || ec == asio::error::connection_reset) << ec.message();
}

TEST_F(FileBodyTest, AFileReplacedOnDiskIsReopenedWhenTheHandlerDescribesTheNewOne) {
  auto s = connect();
  auto first = get(s, "/file?off=0&len=4096");
  ASSERT_TRUE(first.body == content_.substr(0, 4096));
  // Replaced by rename (a new inode, same size), as a tag editor or a sync tool does; the
  // catalog rescans and the handler now describes the new file.
  std::string replacement = random_bytes(content_.size(), 99);
  auto tmp = dir_ / "new.bin";
  write_file(tmp, replacement);
  std::filesystem::rename(tmp, file_);
  {
    std::lock_guard l(mu_);
    described_ = stat_of(file_);
  }
  auto second = get(s, "/file?off=0&len=4096");
  EXPECT_TRUE(second.body == replacement.substr(0, 4096));
}

TEST_F(FileBodyTest, ManyConcurrentRangesAreByteExact) {
  constexpr int kClients = 16, kRequests = 40;
  std::vector<std::thread> clients;
  std::atomic<int> exact{0};
  evict(file_);  // some ranges come from disk, some from the page cache
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      asio::io_context ioc;
      tcp::socket s(ioc);
      s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), server_->port()));
      std::mt19937 rng(static_cast<unsigned>(c));
      for (int i = 0; i < kRequests; ++i) {
        uint64_t off = rng() % content_.size();
        uint64_t len = std::min<uint64_t>(1 + rng() % (300 * 1024), content_.size() - off);
        auto res = get(s, "/file?off=" + std::to_string(off) + "&len=" + std::to_string(len));
        if (!res.closed_early && res.body.size() == len && res.body == content_.substr(off, len)) ++exact;
      }
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(exact.load(), kClients * kRequests);
}

}  // namespace
}  // namespace segue::net
