#include "recommend/model.h"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace segue::recommend {
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

constexpr char kMagic[8] = {'S', 'E', 'G', 'U', 'E', 'R', 'E', 'C'};
// 2: the playlist co-membership section after the artist level. Format 1 files still load
// (without it), so a server upgraded before its next training keeps its model.
constexpr uint32_t kFormat = 2;
constexpr uint32_t kOldestFormat = 1;

// ---- writing: little-endian (the only byte order Segue runs on; checked below) ----
static_assert(std::endian::native == std::endian::little, "model files are little-endian");

class Writer {
 public:
  template <typename T>
  void pod(T v) {
    out_.append(reinterpret_cast<const char*>(&v), sizeof(T));
  }
  template <typename T>
  void array(const T* p, std::size_t n) {
    pod<uint64_t>(n);
    out_.append(reinterpret_cast<const char*>(p), n * sizeof(T));
  }
  template <typename T>
  void vec(const std::vector<T>& v) {
    array(v.data(), v.size());
  }
  void str(std::string_view s) { array(s.data(), s.size()); }
  void strings(const std::vector<std::string>& v) {
    pod<uint64_t>(v.size());
    for (const auto& s : v) str(s);
  }
  void matrix(const FactorMatrix& m) {
    pod<uint64_t>(static_cast<uint64_t>(m.rows()));
    pod<uint64_t>(static_cast<uint64_t>(m.cols()));
    out_.append(reinterpret_cast<const char*>(m.data()), static_cast<std::size_t>(m.size()) * sizeof(float));
  }
  std::string& bytes() { return out_; }

 private:
  std::string out_;
};

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  template <typename T>
  bool pod(T& v) {
    if (in_.size() - pos_ < sizeof(T)) return false;
    std::memcpy(&v, in_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return true;
  }
  template <typename T>
  bool vec(std::vector<T>& v) {
    uint64_t n = 0;
    if (!pod(n) || n > (in_.size() - pos_) / sizeof(T)) return false;
    v.resize(n);
    if (n) std::memcpy(v.data(), in_.data() + pos_, n * sizeof(T));
    pos_ += n * sizeof(T);
    return true;
  }
  bool str(std::string& s) {
    uint64_t n = 0;
    if (!pod(n) || n > in_.size() - pos_) return false;
    s.assign(in_.data() + pos_, n);
    pos_ += n;
    return true;
  }
  bool strings(std::vector<std::string>& v) {
    uint64_t n = 0;
    if (!pod(n) || n > (in_.size() - pos_) / sizeof(uint64_t)) return false;
    v.resize(n);
    for (auto& s : v)
      if (!str(s)) return false;
    return true;
  }
  bool matrix(FactorMatrix& m) {
    uint64_t rows = 0, cols = 0;
    if (!pod(rows) || !pod(cols) || cols > 4096 || rows > (1ull << 32)) return false;
    if (rows * cols > (in_.size() - pos_) / sizeof(float)) return false;
    m.resize(static_cast<Eigen::Index>(rows), static_cast<Eigen::Index>(cols));
    if (m.size()) std::memcpy(m.data(), in_.data() + pos_, static_cast<std::size_t>(m.size()) * sizeof(float));
    pos_ += static_cast<std::size_t>(m.size()) * sizeof(float);
    return true;
  }
  bool done() const { return pos_ == in_.size(); }

 private:
  std::string_view in_;
  std::size_t pos_ = 0;
};

void write_level(Writer& w, const ModelLevel& l) {
  w.strings(l.ids);
  w.matrix(l.als.users);
  w.matrix(l.als.items);
  // The seen matrix as (user, item, weight) rows in user order.
  std::vector<int32_t> users, items;
  std::vector<float> weights;
  for (int32_t u = 0; u < l.seen.users(); ++u) {
    auto is = l.seen.items_of(u);
    auto ws = l.seen.weights_of(u);
    for (std::size_t i = 0; i < is.size(); ++i) {
      users.push_back(u);
      items.push_back(is[i]);
      weights.push_back(ws[i]);
    }
  }
  w.pod<int32_t>(l.seen.users());
  w.vec(users);
  w.vec(items);
  w.vec(weights);
  w.pod<uint64_t>(l.disliked.size());
  for (const auto& d : l.disliked) w.vec(d);
  w.vec(l.neighbors.csr_ptr());
  w.vec(l.neighbors.csr_col());
  w.vec(l.neighbors.csr_val());
  w.pod<uint8_t>(l.neighbors.binary() ? 1 : 0);
}

void write_playlists(Writer& w, const CoMembership& c) {
  w.pod<int32_t>(c.lists);
  w.strings(c.ids);
  w.vec(c.lists_per_track);
  w.vec(c.neighbors.csr_ptr());
  w.vec(c.neighbors.csr_col());
  w.vec(c.neighbors.csr_val());
  w.pod<uint8_t>(c.neighbors.binary() ? 1 : 0);
}


// The neighbour lists of `n` items as the writer stored them (CSR arrays and the binary flag).
Status read_neighbors(Reader& r, int32_t n, ItemNeighbors& out) {
  std::vector<int64_t> ptr;
  std::vector<int32_t> col;
  std::vector<float> val;
  uint8_t binary = 0;
  if (!r.vec(ptr) || !r.vec(col) || !r.vec(val) || !r.pod(binary)) return Error::corruption("neighbours");
  if (ptr.size() != static_cast<std::size_t>(n) + 1) return Error::corruption("neighbour count");
  auto nb = ItemNeighbors::from_csr(std::move(ptr), std::move(col), std::move(val), binary != 0);
  if (!nb.ok()) return Error::corruption("neighbours");
  out = std::move(*nb);
  return {};
}
Status read_playlists(Reader& r, CoMembership& c) {
  auto bad = [](const char* what) { return Error::corruption(std::string("model file: playlists: ") + what); };
  if (!r.pod(c.lists) || c.lists < 0) return bad("count");
  if (!r.strings(c.ids)) return bad("track ids");
  const auto n = static_cast<int32_t>(c.ids.size());
  for (int32_t i = 0; i < n; ++i)
    if (!c.index.emplace(c.ids[static_cast<std::size_t>(i)], i).second) return bad("duplicate track id");
  if (!r.vec(c.lists_per_track) || c.lists_per_track.size() != c.ids.size()) return bad("lists per track");
  for (int32_t d : c.lists_per_track)
    if (d < 0 || d > c.lists) return bad("lists per track");
  if (auto st = read_neighbors(r, n, c.neighbors); !st.ok()) return bad(st.error().message.c_str());
  return {};
}

Status read_level(Reader& r, ModelLevel& l, std::size_t users_expected, int factors) {
  auto bad = [](const char* what) { return Error::corruption(std::string("model file: ") + what); };
  if (!r.strings(l.ids)) return bad("item ids");
  const auto n = static_cast<int32_t>(l.ids.size());
  for (int32_t i = 0; i < n; ++i)
    if (!l.index.emplace(l.ids[static_cast<std::size_t>(i)], i).second) return bad("duplicate item id");
  if (!r.matrix(l.als.users) || !r.matrix(l.als.items)) return bad("factors");
  if (static_cast<std::size_t>(l.als.users.rows()) != users_expected || l.als.items.rows() != n ||
      l.als.users.cols() != factors || l.als.items.cols() != factors)
    return bad("factor sizes");
  l.als.item_gram = l.als.items.transpose() * l.als.items;
  int32_t seen_users = 0;
  std::vector<int32_t> users, items;
  std::vector<float> weights;
  if (!r.pod(seen_users) || !r.vec(users) || !r.vec(items) || !r.vec(weights)) return bad("seen items");
  if (static_cast<std::size_t>(seen_users) != users_expected || users.size() != items.size() ||
      items.size() != weights.size())
    return bad("seen sizes");
  std::vector<Triple> t(users.size());
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (users[i] < 0 || users[i] >= seen_users || items[i] < 0 || items[i] >= n) return bad("seen index");
    t[i] = {users[i], items[i], weights[i]};
  }
  l.seen = Interactions::from_triples(seen_users, n, std::move(t));
  uint64_t d = 0;
  if (!r.pod(d) || d != users_expected) return bad("disliked");
  l.disliked.resize(d);
  for (auto& v : l.disliked) {
    if (!r.vec(v)) return bad("disliked");
    for (int32_t i : v)
      if (i < 0 || i >= n) return bad("disliked index");
  }
  if (auto st = read_neighbors(r, n, l.neighbors); !st.ok()) return bad(st.error().message.c_str());
  l.degree = l.seen.item_degrees();
  return {};
}

std::string utc_stamp(int64_t ms) {
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

bool valid_version(std::string_view v) {
  if (v.empty() || v.size() > 64) return false;
  return std::all_of(v.begin(), v.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-'; });
}

Status write_file_durably(const std::string& path, std::string_view bytes) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Error::unavailable("cannot write " + path + ": " + std::strerror(errno));
  std::size_t off = 0;
  while (off < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + off, bytes.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      const std::string why = std::strerror(errno);
      ::close(fd);
      return Error::unavailable("cannot write " + path + ": " + why);
    }
    off += static_cast<std::size_t>(n);
  }
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (!synced) return Error::unavailable("cannot sync " + path);
  return {};
}

void sync_dir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    (void)::fsync(fd);
    ::close(fd);
  }
}

}  // namespace

std::string serialize_model(const Model& m) {
  Writer w;
  w.bytes().append(kMagic, sizeof kMagic);
  w.pod<uint32_t>(kFormat);
  json::object h;
  h["version"] = m.info.version;
  h["trained_at_ms"] = m.info.trained_at_ms;
  h["training_seconds"] = m.info.training_seconds;
  h["signals"] = m.info.signals;
  h["factors"] = m.als_options.factors;
  h["iterations"] = m.info.iterations;
  h["alpha"] = m.als_options.alpha;
  h["regularization"] = m.als_options.regularization;
  h["epsilon"] = m.als_options.epsilon;
  h["log_confidence"] = m.als_options.log_confidence;
  h["weighting"] = static_cast<int>(m.weighting.kind);
  h["weighting_epsilon"] = m.weighting.epsilon;
  h["weighting_per_user_max"] = m.weighting.per_user_max;
  w.str(json::serialize(h));
  w.strings(m.users);
  write_level(w, m.tracks);
  write_level(w, m.artists);
  write_playlists(w, m.playlists);
  const uint32_t crc = static_cast<uint32_t>(
      crc32(0L, reinterpret_cast<const Bytef*>(w.bytes().data()), static_cast<uInt>(w.bytes().size())));
  w.pod(crc);
  return std::move(w.bytes());
}

Result<std::shared_ptr<const Model>> parse_model(std::string_view bytes) {
  if (bytes.size() < sizeof kMagic + 8 || std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0)
    return Error::corruption("model file: not a Segue model");
  uint32_t stored_crc = 0;
  std::memcpy(&stored_crc, bytes.data() + bytes.size() - 4, 4);
  const std::string_view body = bytes.substr(0, bytes.size() - 4);
  if (static_cast<uint32_t>(crc32(0L, reinterpret_cast<const Bytef*>(body.data()), static_cast<uInt>(body.size()))) !=
      stored_crc)
    return Error::corruption("model file: checksum mismatch (truncated or damaged)");
  Reader r(body.substr(sizeof kMagic));
  uint32_t format = 0;
  if (!r.pod(format) || format < kOldestFormat || format > kFormat)
    return Error::corruption("model file: unknown format " + std::to_string(format) + " (this Segue reads " +
                             std::to_string(kOldestFormat) + " to " + std::to_string(kFormat) + ")");
  auto m = std::make_shared<Model>();
  std::string header;
  if (!r.str(header)) return Error::corruption("model file: header");
  boost::system::error_code ec;
  json::value hv = json::parse(header, ec);
  if (ec || !hv.is_object()) return Error::corruption("model file: header");
  try {
    const auto& h = hv.as_object();
    m->info.version = json::value_to<std::string>(h.at("version"));
    m->info.trained_at_ms = h.at("trained_at_ms").to_number<int64_t>();
    m->info.training_seconds = h.at("training_seconds").to_number<double>();
    m->info.signals = h.at("signals").to_number<int64_t>();
    m->info.iterations = h.at("iterations").to_number<int>();
    m->als_options.factors = h.at("factors").to_number<int>();
    m->als_options.alpha = h.at("alpha").to_number<float>();
    m->als_options.regularization = h.at("regularization").to_number<float>();
    m->als_options.epsilon = h.at("epsilon").to_number<float>();
    m->als_options.log_confidence = h.at("log_confidence").as_bool();
    const int kind = h.at("weighting").to_number<int>();
    if (kind < 0 || kind > static_cast<int>(Weighting::Kind::kRank)) return Error::corruption("model file: weighting");
    m->weighting.kind = static_cast<Weighting::Kind>(kind);
    m->weighting.epsilon = h.at("weighting_epsilon").to_number<float>();
    m->weighting.per_user_max = h.at("weighting_per_user_max").as_bool();
  } catch (const std::exception&) {
    return Error::corruption("model file: header fields");
  }
  m->info.factors = m->als_options.factors;
  if (m->als_options.factors < 1 || m->als_options.factors > 4096) return Error::corruption("model file: factors");
  if (!r.strings(m->users)) return Error::corruption("model file: users");
  for (int32_t i = 0; i < static_cast<int32_t>(m->users.size()); ++i)
    if (!m->user_index.emplace(m->users[static_cast<std::size_t>(i)], i).second)
      return Error::corruption("model file: duplicate user");
  SEGUE_TRY(read_level(r, m->tracks, m->users.size(), m->als_options.factors));
  SEGUE_TRY(read_level(r, m->artists, m->users.size(), m->als_options.factors));
  if (format >= 2) SEGUE_TRY(read_playlists(r, m->playlists));
  if (!r.done()) return Error::corruption("model file: trailing bytes");
  return std::shared_ptr<const Model>(std::move(m));
}

std::string version_for(int64_t ms, const std::vector<std::string>& existing) {
  const std::string base = utc_stamp(ms);
  std::string v = base;
  for (int n = 2; std::find(existing.begin(), existing.end(), v) != existing.end(); ++n) v = base + "-" + std::to_string(n);
  return v;
}

std::vector<std::string> ModelStore::versions() const {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir_, ec)) {
    if (e.is_symlink(ec) || !e.is_directory(ec)) continue;
    const std::string name = e.path().filename().string();
    if (valid_version(name) && fs::exists(e.path() / "model.bin", ec)) out.push_back(name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

Status ModelStore::point(const std::string& link, const std::string& version) {
  const std::string tmp = dir_ + "/." + link + ".tmp";
  std::error_code ec;
  fs::remove(tmp, ec);
  fs::create_directory_symlink(version, tmp, ec);
  if (ec) return Error::unavailable("cannot link " + tmp + ": " + ec.message());
  fs::rename(tmp, dir_ + "/" + link, ec);
  if (ec) return Error::unavailable("cannot replace " + link + ": " + ec.message());
  sync_dir(dir_);
  return {};
}

Result<std::string> ModelStore::publish(const Model& m) {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec) return Error::unavailable("cannot create " + dir_ + ": " + ec.message());
  std::string version = m.info.version;
  if (!valid_version(version)) return Error::invalid("model version: letters, digits and '-' only");
  const std::string final_dir = dir_ + "/" + version;
  if (fs::exists(final_dir, ec)) return Error::conflict("model version " + version + " exists");
  const std::string tmp_dir = dir_ + "/.tmp-" + version;
  fs::remove_all(tmp_dir, ec);
  fs::create_directory(tmp_dir, ec);
  if (ec) return Error::unavailable("cannot create " + tmp_dir + ": " + ec.message());
  SEGUE_TRY(write_file_durably(tmp_dir + "/model.bin", serialize_model(m)));
  sync_dir(tmp_dir);
  fs::rename(tmp_dir, final_dir, ec);
  if (ec) return Error::unavailable("cannot rename " + tmp_dir + ": " + ec.message());
  sync_dir(dir_);
  auto old = current_version();
  SEGUE_TRY(point("current", version));
  if (old.ok()) SEGUE_TRY(point("previous", *old));
  // Old versions beyond `keep`, never the ones linked.
  auto all = versions();
  const auto prev = previous_version();
  const int excess = static_cast<int>(all.size()) - keep_;
  for (int i = 0; i < excess; ++i) {
    const auto& v = all[static_cast<std::size_t>(i)];
    if (v == version || (prev.ok() && v == *prev)) continue;
    fs::remove_all(dir_ + "/" + v, ec);
  }
  return version;
}

Result<std::string> ModelStore::current_version() const {
  std::error_code ec;
  auto target = fs::read_symlink(dir_ + "/current", ec);
  if (ec) return Error::not_found("no model yet in " + dir_ + " (segue recommend train)");
  return target.filename().string();
}

Result<std::string> ModelStore::previous_version() const {
  std::error_code ec;
  auto target = fs::read_symlink(dir_ + "/previous", ec);
  if (ec) return Error::not_found("no previous model in " + dir_);
  return target.filename().string();
}

Result<std::shared_ptr<const Model>> ModelStore::load(const std::string& version) const {
  if (!valid_version(version)) return Error::invalid("model version: letters, digits and '-' only");
  const std::string path = dir_ + "/" + version + "/model.bin";
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error::not_found("no model " + version + " in " + dir_);
  std::ostringstream ss;
  ss << in.rdbuf();
  auto m = parse_model(ss.str());
  if (!m.ok()) return Error{m.error().code, path + ": " + m.error().message};
  return m;
}

Result<std::shared_ptr<const Model>> ModelStore::load_current() const {
  SEGUE_ASSIGN_OR_RETURN(std::string v, current_version());
  return load(v);
}

Result<std::string> ModelStore::rollback() {
  SEGUE_ASSIGN_OR_RETURN(std::string cur, current_version());
  auto prev = previous_version();
  if (!prev.ok()) return Error::not_found("no previous model to roll back to in " + dir_);
  std::error_code ec;
  if (!fs::exists(dir_ + "/" + *prev + "/model.bin", ec)) return Error::not_found("the previous model " + *prev + " is gone");
  SEGUE_TRY(point("current", *prev));
  SEGUE_TRY(point("previous", cur));
  return *prev;
}

}  // namespace segue::recommend
