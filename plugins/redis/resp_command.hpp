// RespCommand: one Redis command in wire form (RESP array of bulk strings), built off the I/O
// thread so that thread only writes bytes.
#pragma once

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>

namespace coyote::drivers::redis {

class RespCommand {
 public:
  RespCommand() = default;
  explicit RespCommand(std::string_view name) { arg(name); }

  RespCommand& arg(std::string_view value) {
    char digits[24];
    auto [end, ec] = std::to_chars(digits, digits + sizeof digits, value.size());
    (void)ec;
    body_.push_back('$');
    body_.append(digits, end);
    body_.append("\r\n");
    body_.append(value);
    body_.append("\r\n");
    ++count_;
    return *this;
  }
  RespCommand& arg(std::int64_t value) {
    char digits[24];
    auto [end, ec] = std::to_chars(digits, digits + sizeof digits, value);
    (void)ec;
    return arg(std::string_view(digits, static_cast<std::size_t>(end - digits)));
  }
  template <typename Range>
  RespCommand& args(const Range& values) {
    for (const auto& v : values) arg(std::string_view(v));
    return *this;
  }

  [[nodiscard]] std::size_t count() const noexcept { return count_; }
  /// The bytes to send: "*<count>\r\n" then the arguments.
  [[nodiscard]] std::string wire() const {
    std::string out = "*" + std::to_string(count_) + "\r\n";
    out += body_;
    return out;
  }
  /// The command name (first argument), for error messages.
  [[nodiscard]] std::string_view name() const {
    const auto start = body_.find("\r\n");
    if (start == std::string::npos) return {};
    const auto stop = body_.find("\r\n", start + 2);
    return std::string_view(body_).substr(start + 2, stop - start - 2);
  }

 private:
  std::string body_;
  std::size_t count_ = 0;
};

}  // namespace coyote::drivers::redis
