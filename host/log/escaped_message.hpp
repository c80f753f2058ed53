// EscapedMessage: the one way outside bytes (job ids, names, worker stderr) reach a log line.
#pragma once

#include <spdlog/pattern_formatter.h>

#include <memory>
#include <string>
#include <string_view>

namespace coyote::host::log {

/// Appends `text` with every control character escaped (\n, \r, \t, else \xNN; DEL and ESC
/// too): a console line is always one line, so an id with a newline cannot forge another entry,
/// and a worker's stderr cannot send terminal escapes.
void append_escaped(std::string& out, std::string_view text);

/// `text` with every byte that is not part of valid UTF-8 replaced by U+FFFD, so a JSON line
/// stays valid JSON whatever a worker wrote to stderr.
[[nodiscard]] std::string valid_utf8(std::string_view text);

/// The spdlog flag `%*`: the message, escaped with append_escaped. Console patterns use it
/// instead of `%v`.
class EscapedMessage final : public spdlog::custom_flag_formatter {
 public:
  static constexpr char kFlag = '*';
  void format(const spdlog::details::log_msg& msg, const std::tm& tm,
              spdlog::memory_buf_t& dest) override;
  [[nodiscard]] std::unique_ptr<spdlog::custom_flag_formatter> clone() const override;
};

/// A pattern formatter that knows `%*`.
[[nodiscard]] std::unique_ptr<spdlog::formatter> console_formatter(const std::string& pattern);

}  // namespace coyote::host::log
