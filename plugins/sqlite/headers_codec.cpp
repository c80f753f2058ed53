#include "sqlite/headers_codec.hpp"

#include <cstdint>

namespace coyote::drivers::sqlite {

namespace {

void put_varint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

void put_bytes(std::string& out, std::string_view bytes) {
  put_varint(out, bytes.size());
  out.append(bytes);
}

class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}

  bool varint(std::uint64_t& v) {
    v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= data_.size()) return false;
      const auto byte = static_cast<unsigned char>(data_[pos_++]);
      v |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) return true;
    }
    return false;
  }

  bool bytes(std::string& out) {
    std::uint64_t n = 0;
    if (!varint(n) || n > data_.size() - pos_) return false;
    out.assign(data_.substr(pos_, n));
    pos_ += n;
    return true;
  }

  /// A count can never exceed the bytes left (each element takes at least one).
  bool count(std::uint64_t& n) { return varint(n) && n <= data_.size() - pos_; }

  [[nodiscard]] bool done() const noexcept { return pos_ == data_.size(); }

 private:
  std::string_view data_;
  std::size_t pos_ = 0;
};

}  // namespace

std::string encode_headers(const sdk::Headers& headers) {
  std::string out;
  if (headers.empty()) return out;
  put_varint(out, headers.size());
  for (const auto& [key, values] : headers) {
    put_bytes(out, key);
    put_varint(out, values.size());
    for (const auto& value : values) put_bytes(out, value);
  }
  return out;
}

bool decode_headers(std::string_view blob, sdk::Headers& out) {
  if (blob.empty()) return true;
  Reader in(blob);
  std::uint64_t keys = 0;
  if (!in.count(keys)) return false;
  for (std::uint64_t k = 0; k < keys; ++k) {
    std::string key;
    std::uint64_t n = 0;
    if (!in.bytes(key) || !in.count(n)) return false;
    std::vector<std::string> values(n);
    for (auto& value : values) {
      if (!in.bytes(value)) return false;
    }
    out.insert_or_assign(std::move(key), std::move(values));
  }
  return in.done();
}

}  // namespace coyote::drivers::sqlite
