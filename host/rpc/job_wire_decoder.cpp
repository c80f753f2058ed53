#include "rpc/job_wire_decoder.hpp"

#include <cstdint>
#include <cstring>
#include <string>
#include <utility>

namespace coyote::host::rpc {
namespace {

// Wire types (protobuf encoding spec).
constexpr std::uint32_t kVarint = 0;
constexpr std::uint32_t kFixed64 = 1;
constexpr std::uint32_t kLength = 2;
constexpr std::uint32_t kStartGroup = 3;
constexpr std::uint32_t kEndGroup = 4;
constexpr std::uint32_t kFixed32 = 5;

// io::CodedInputStream::GetDefaultRecursionLimit(): every embedded message and group takes one.
constexpr int kRecursionLimit = 100;

constexpr std::uint32_t tag_of(std::uint32_t field, std::uint32_t wire) {
  return field << 3 | wire;
}

// Job names, ids and pipeline names are ASCII: one OR over 8-byte words (the last word overlaps
// the one before it), no branch per byte.
bool ascii(const unsigned char* p, std::size_t n) {
  std::uint64_t seen = 0;
  if (n >= 8) {
    std::uint64_t word = 0;
    for (std::size_t i = 0; i + 8 <= n; i += 8) {
      std::memcpy(&word, p + i, 8);
      seen |= word;
    }
    std::memcpy(&word, p + n - 8, 8);
    seen |= word;
  } else {
    for (std::size_t i = 0; i < n; ++i) seen |= p[i];
  }
  return (seen & 0x8080808080808080ULL) == 0;
}

// Strict UTF-8 (no overlong forms, no surrogates, nothing above U+10FFFF): what libprotobuf's
// IsStructurallyValidUTF8 accepts for proto3 `string` fields.
bool valid_utf8(const unsigned char* p, std::size_t n) {
  if (ascii(p, n)) return true;
  const unsigned char* end = p + n;
  while (p != end) {
    const unsigned char c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    std::size_t len = 0;
    unsigned char lo = 0x80;
    unsigned char hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      if (c == 0xE0) lo = 0xA0;  // overlong
      if (c == 0xED) hi = 0x9F;  // surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      if (c == 0xF0) lo = 0x90;  // overlong
      if (c == 0xF4) hi = 0x8F;  // above U+10FFFF
    } else {
      return false;
    }
    if (static_cast<std::size_t>(end - p) < len) return false;
    if (p[1] < lo || p[1] > hi) return false;
    for (std::size_t i = 2; i < len; ++i) {
      if (p[i] < 0x80 || p[i] > 0xBF) return false;
    }
    p += len;
  }
  return true;
}

// One embedded message's bytes [p, end). Every read that would cross `end` fails, as
// libprotobuf's limit check fails it.
class Reader {
 public:
  Reader(const char* p, const char* end) : p_(p), end_(end) {}

  [[nodiscard]] bool done() const { return p_ == end_; }

  // Tags are read like libprotobuf's ReadTag: at most 5 bytes, the value taken modulo 2^32.
  bool tag(std::uint32_t& out) {
    // Every tag of these messages fits one byte.
    if (p_ != end_ && static_cast<std::uint8_t>(*p_) < 0x80) {
      out = static_cast<std::uint8_t>(*p_++);
      return true;
    }
    std::uint32_t value = 0;
    for (int i = 0; i < 5; ++i) {
      if (p_ == end_) return false;
      const auto byte = static_cast<std::uint8_t>(*p_++);
      value |= static_cast<std::uint32_t>(byte & 0x7F) << (7 * i);
      if (byte < 0x80) {
        out = value;
        return true;
      }
    }
    return false;
  }

  // At most 10 bytes, the value taken modulo 2^64 (the 10th byte's high bits are dropped).
  bool varint(std::uint64_t& out) {
    if (p_ != end_ && static_cast<std::uint8_t>(*p_) < 0x80) {
      out = static_cast<std::uint8_t>(*p_++);
      return true;
    }
    std::uint64_t value = 0;
    for (int i = 0; i < 10; ++i) {
      if (p_ == end_) return false;
      const auto byte = static_cast<std::uint8_t>(*p_++);
      value |= static_cast<std::uint64_t>(byte & 0x7F) << (7 * i);
      if (byte < 0x80) {
        out = value;
        return true;
      }
    }
    return false;
  }

  // A length prefix and its bytes. libprotobuf reads at most 5 size bytes and refuses sizes of
  // 2 GiB and more; any size beyond the enclosing limit fails here, which covers both.
  bool bytes(std::string_view& out) {
    std::uint64_t size = 0;
    const char* start = p_;
    if (!varint(size) || p_ - start > 5) return false;
    if (size > static_cast<std::uint64_t>(end_ - p_)) return false;
    out = std::string_view(p_, static_cast<std::size_t>(size));
    p_ += size;
    return true;
  }

  bool skip(std::size_t n) {
    if (static_cast<std::size_t>(end_ - p_) < n) return false;
    p_ += n;
    return true;
  }

  [[nodiscard]] const char* position() const { return p_; }

 private:
  const char* p_;
  const char* end_;
};

// A batch's strings start empty: constructing one is cheaper than assign()'s general
// replace path (_M_replace and _M_mutate cost ~230 instructions per pushed job).
void assign(std::string& out, std::string_view bytes) {
  if (out.empty()) {
    out = std::string(bytes);
  } else {
    out.assign(bytes.data(), bytes.size());
  }
}

class Decoder {
 public:
  explicit Decoder(const char* begin) : begin_(begin) {}

  bool batch(Reader r, std::vector<sdk::Message>& out) {
    // Reserved up front: growing the vector would move every Message decoded so far.
    out.reserve(count_jobs(r));
    std::uint32_t tag = 0;
    while (!r.done()) {
      if (!r.tag(tag)) return fail(r, "truncated tag");
      if (tag == tag_of(1, kLength)) {
        std::string_view job;
        if (!r.bytes(job)) return fail(r, "truncated jobs field");
        if (!nested(r, job, [&](Reader jr) { return this->job(jr, out.emplace_back()); })) {
          return false;
        }
      } else if (!unknown(r, tag)) {
        return false;
      }
    }
    return true;
  }

  bool push(Reader r, sdk::Message& out) {
    std::uint32_t tag = 0;
    while (!r.done()) {
      if (!r.tag(tag)) return fail(r, "truncated tag");
      if (tag == tag_of(1, kLength)) {
        std::string_view job;
        if (!r.bytes(job)) return fail(r, "truncated job field");
        // A repeated embedded message merges into the one before it.
        if (!nested(r, job, [&](Reader jr) { return this->job(jr, out); })) return false;
      } else if (!unknown(r, tag)) {
        return false;
      }
    }
    return true;
  }

  [[nodiscard]] const std::string& error() const { return error_; }

 private:
  // The jobs fields in a row at the front of the body, as a capacity hint: a body of anything
  // else is left to the real parse, which reports what is wrong with it.
  static std::size_t count_jobs(Reader r) {
    std::size_t count = 0;
    std::uint32_t tag = 0;
    std::string_view job;
    while (!r.done() && r.tag(tag) && tag == tag_of(1, kLength) && r.bytes(job)) ++count;
    return count;
  }

  template <typename Parse>
  bool nested(const Reader& parent, std::string_view bytes, Parse&& parse) {
    if (--depth_ < 0) return fail(parent, "messages nested too deep");
    if (!parse(Reader(bytes.data(), bytes.data() + bytes.size()))) return false;
    ++depth_;
    return true;
  }

  bool string_field(Reader& r, std::string& out, const char* field) {
    std::string_view text;
    if (!r.bytes(text)) return fail(r, field);
    if (!valid_utf8(reinterpret_cast<const unsigned char*>(text.data()), text.size())) {
      return fail(r, "invalid UTF-8 in a string field");
    }
    assign(out, text);
    return true;
  }

  bool job(Reader r, sdk::Message& out) {
    std::uint32_t tag = 0;
    std::string_view view;
    while (!r.done()) {
      if (!r.tag(tag)) return fail(r, "truncated tag");
      switch (tag) {
        case tag_of(1, kLength):
          if (!string_field(r, out.name, "truncated job name")) return false;
          break;
        case tag_of(2, kLength):
          if (!string_field(r, out.id, "truncated job id")) return false;
          break;
        case tag_of(3, kLength):
          if (!r.bytes(view)) return fail(r, "truncated payload");
          assign(out.payload, view);
          break;
        case tag_of(4, kLength):
          if (!r.bytes(view)) return fail(r, "truncated header");
          if (!nested(r, view, [&](Reader er) { return header(er, out.headers); })) return false;
          break;
        case tag_of(5, kLength):
          if (!r.bytes(view)) return fail(r, "truncated options");
          if (!nested(r, view, [&](Reader orr) { return options(orr, out.options); })) {
            return false;
          }
          break;
        default:
          if (!unknown(r, tag)) return false;
      }
    }
    return true;
  }

  // One map entry: key 1, value 2 (a HeaderValue); either may be missing. Inside an entry a
  // repeated key takes the last and a repeated value merges (its lists concatenate); across
  // entries the last entry of a key replaces the earlier one whole.
  bool header(Reader r, sdk::Headers& headers) {
    std::string key;
    std::vector<std::string> values;
    std::uint32_t tag = 0;
    std::string_view view;
    while (!r.done()) {
      if (!r.tag(tag)) return fail(r, "truncated tag");
      if (tag == tag_of(1, kLength)) {
        if (!string_field(r, key, "truncated header key")) return false;
      } else if (tag == tag_of(2, kLength)) {
        if (!r.bytes(view)) return fail(r, "truncated header value");
        if (!nested(r, view, [&](Reader vr) { return header_value(vr, values); })) return false;
      } else if (!unknown(r, tag)) {
        return false;
      }
    }
    headers.insert_or_assign(std::move(key), std::move(values));
    return true;
  }

  bool header_value(Reader r, std::vector<std::string>& values) {
    std::uint32_t tag = 0;
    while (!r.done()) {
      if (!r.tag(tag)) return fail(r, "truncated tag");
      if (tag == tag_of(1, kLength)) {
        if (!string_field(r, values.emplace_back(), "truncated header value")) return false;
      } else if (!unknown(r, tag)) {
        return false;
      }
    }
    return true;
  }

  bool options(Reader r, sdk::JobOptions& o) {
    std::uint32_t tag = 0;
    std::uint64_t value = 0;
    while (!r.done()) {
      if (!r.tag(tag)) return fail(r, "truncated tag");
      switch (tag) {
        case tag_of(1, kVarint):
          if (!r.varint(value)) return fail(r, "truncated priority");
          o.priority = static_cast<std::int64_t>(value);
          break;
        case tag_of(2, kLength):
          if (!string_field(r, o.pipeline, "truncated pipeline")) return false;
          break;
        case tag_of(3, kVarint):
          if (!r.varint(value)) return fail(r, "truncated delay");
          o.delay_seconds = static_cast<std::int64_t>(value);
          break;
        case tag_of(6, kVarint):
          if (!r.varint(value)) return fail(r, "truncated auto_ack");
          o.auto_ack = value != 0;
          break;
        case tag_of(7, kLength):
          if (!string_field(r, o.topic, "truncated topic")) return false;
          break;
        case tag_of(8, kLength):
          if (!string_field(r, o.metadata, "truncated metadata")) return false;
          break;
        case tag_of(9, kVarint):
          if (!r.varint(value)) return fail(r, "truncated offset");
          o.offset = static_cast<std::int64_t>(value);
          break;
        case tag_of(10, kVarint):
          // int32: the low 32 bits of the varint (a negative one is sent sign-extended, 10 bytes).
          if (!r.varint(value)) return fail(r, "truncated partition");
          o.partition = static_cast<std::int32_t>(static_cast<std::uint32_t>(value));
          break;
        default:
          if (!unknown(r, tag)) return false;
      }
    }
    return true;
  }

  // An unknown field (or a known one with another wire type) is skipped. A zero tag, a field
  // number 0, an end-group tag outside its group and wire types 6 and 7 fail the parse.
  bool unknown(Reader& r, std::uint32_t tag) {
    if (tag == 0 || (tag & 7) == kEndGroup) return fail(r, "unexpected end-group or zero tag");
    if ((tag >> 3) == 0) return fail(r, "field number 0");
    std::uint64_t value = 0;
    std::string_view view;
    switch (tag & 7) {
      case kVarint:
        return r.varint(value) || fail(r, "truncated varint");
      case kFixed64:
        return r.skip(8) || fail(r, "truncated fixed64");
      case kLength:
        return r.bytes(view) || fail(r, "truncated length-delimited field");
      case kStartGroup:
        return group(r, tag >> 3);
      case kFixed32:
        return r.skip(4) || fail(r, "truncated fixed32");
      default:
        return fail(r, "invalid wire type");
    }
  }

  bool group(Reader& r, std::uint32_t field) {
    if (--depth_ < 0) return fail(r, "groups nested too deep");
    std::uint32_t tag = 0;
    while (!r.done()) {
      if (!r.tag(tag)) return fail(r, "truncated tag");
      if ((tag & 7) == kEndGroup) {
        if (tag != tag_of(field, kEndGroup)) return fail(r, "mismatched end-group tag");
        ++depth_;
        return true;
      }
      if (!unknown(r, tag)) return false;
    }
    return fail(r, "unterminated group");
  }

  bool fail(const Reader& r, const char* why) {
    if (error_.empty()) {
      error_ = std::string(why) + " at byte " + std::to_string(r.position() - begin_);
    }
    return false;
  }

  const char* begin_;
  int depth_ = kRecursionLimit;
  std::string error_;
};

sdk::Status invalid(const Decoder& d, const char* type) {
  return sdk::Status::error(std::string("proto: cannot parse invalid wire-format data for ") +
                            type + ": " + d.error());
}

}  // namespace

sdk::Status decode_push_batch_wire(std::string_view body, std::vector<sdk::Message>& out) {
  out.clear();
  Decoder d(body.data());
  if (!d.batch(Reader(body.data(), body.data() + body.size()), out)) {
    out.clear();
    return invalid(d, "jobs.v1.PushBatchRequest");
  }
  return sdk::Status::ok();
}

sdk::Status decode_push_wire(std::string_view body, sdk::Message& out) {
  Decoder d(body.data());
  if (!d.push(Reader(body.data(), body.data() + body.size()), out)) {
    return invalid(d, "jobs.v1.PushRequest");
  }
  return sdk::Status::ok();
}

}  // namespace coyote::host::rpc
