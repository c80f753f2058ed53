#include "memory/loss_report.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <system_error>

namespace coyote::drivers::memory {
namespace {

void append_escaped(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f || c == '\\') {
      out += "\\x";
      out += kHex[u >> 4];
      out += kHex[u & 0xf];
    } else {
      out += c;
    }
  }
}

std::string file_safe(std::string_view name) {
  std::string out;
  for (const char c : name.substr(0, 64)) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.';
    out += ok ? c : '_';
  }
  return out;
}

}  // namespace

void LossReport::add(std::string_view id, std::string_view name, std::string_view state) {
  append_escaped(lines_, id);
  lines_ += '\t';
  append_escaped(lines_, name);
  lines_ += '\t';
  lines_ += state;
  lines_ += '\n';
  ++count_;
}

sdk::Result<std::string> LossReport::write() const {
  static std::atomic<unsigned> sequence{0};
  // The host never sets variables, so reading them from any thread is safe.
  const char* tmp = std::getenv("TMPDIR");  // NOLINT(concurrency-mt-unsafe)
  const std::string dir = tmp != nullptr && *tmp != '\0' ? tmp : "/tmp";
  const std::string header = "# jobs the memory pipeline \"" + pipeline_ +
                             "\" dropped when it was stopped: id, job, state\n";
  for (int tries = 0; tries < 100; ++tries) {
    const std::string path = dir + "/coyote-memory-" + std::to_string(::getpid()) + "-" +
                             file_safe(pipeline_) + "-" + std::to_string(sequence++) + ".lost";
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
      if (errno == EEXIST) continue;
      return sdk::Status::error("cannot create " + path + ": " +
                                std::generic_category().message(errno));
    }
    const std::string text = header + lines_;
    std::size_t done = 0;
    while (done < text.size()) {
      const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        const int err = errno;
        ::close(fd);
        return sdk::Status::error("cannot write " + path + ": " +
                                  std::generic_category().message(err));
      }
      done += static_cast<std::size_t>(n);
    }
    ::close(fd);
    return path;
  }
  return sdk::Status::error("cannot create a report file in " + dir);
}

}  // namespace coyote::drivers::memory
