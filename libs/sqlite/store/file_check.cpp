#include "sqlite/store/file_check.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>

namespace coyote::sqlite {

namespace {

constexpr std::array<unsigned char, 16> kSqliteMagic = {'S', 'Q', 'L', 'i', 't', 'e', ' ', 'f',
                                                        'o', 'r', 'm', 'a', 't', ' ', '3', 0};
// bbolt's meta page: a 16-byte page header (id, flags, count, overflow), then the magic
// 0xED0CDAED as a native (little-endian here) uint32.
constexpr std::size_t kBboltMagicOffset = 16;
constexpr std::array<unsigned char, 4> kBboltMagic = {0xED, 0xDA, 0x0C, 0xED};
// SQLite's lock bytes (os_unix.c): PENDING_BYTE, RESERVED_BYTE, then the 510 shared bytes.
constexpr off_t kPendingByte = 0x40000000;
constexpr off_t kLockBytes = 512;

std::string hex_prefix(const unsigned char* data, std::size_t n) {
  std::string out;
  char buf[4];
  for (std::size_t i = 0; i < n && i < 8; ++i) {
    std::snprintf(buf, sizeof buf, "%02x", data[i]);
    out += buf;
  }
  return out;
}

}  // namespace

FileCheck inspect_file(const std::string& path) {
  FileCheck check;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    if (errno == ENOENT) return check;  // kAbsent
    const int e = errno;
    check.kind = FileKind::kUnreadable;
    check.error = classify_errno(e, path, "open");
    return check;
  }
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    ::close(fd);
    check.kind = FileKind::kUnreadable;
    check.error = classify_errno(EISDIR, path, "open");
    return check;
  }
  std::array<unsigned char, 100> head{};
  std::size_t got = 0;
  while (got < head.size()) {
    const ssize_t n = ::read(fd, head.data() + got, head.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
  }
  ::close(fd);
  if (got == 0) {
    check.kind = FileKind::kEmpty;
    return check;
  }
  if (got >= kSqliteMagic.size() &&
      std::memcmp(head.data(), kSqliteMagic.data(), kSqliteMagic.size()) == 0) {
    check.kind = FileKind::kSqlite;
    return check;
  }
  if (got >= kBboltMagicOffset + kBboltMagic.size() &&
      std::memcmp(head.data() + kBboltMagicOffset, kBboltMagic.data(), kBboltMagic.size()) == 0) {
    check.kind = FileKind::kBbolt;
    check.error = StoreError{
        FaultKind::kNotSqlite, 0, 0,
        path +
            " is a bbolt (BoltDB) file, probably RoadRunner's boltdb jobs or KV store. "
            "Coyote's boltdb driver keeps its jobs in a SQLite database, not in bbolt, and "
            "never overwrites another format: point `file` to a new path (the jobs inside "
            "the bbolt file are not imported)"};
    return check;
  }
  check.kind = FileKind::kOther;
  check.error = StoreError{FaultKind::kNotSqlite, 0, 0,
                           path + " exists and is not a SQLite database (it begins with bytes " +
                               hex_prefix(head.data(), got) +
                               "); Coyote never overwrites it: point `file` to a new path, or "
                               "move that file away"};
  return check;
}

std::optional<long> lock_holder(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  struct flock probe {};
  probe.l_type = F_WRLCK;
  probe.l_whence = SEEK_SET;
  probe.l_start = kPendingByte;
  probe.l_len = kLockBytes;
  std::optional<long> pid;
  if (::fcntl(fd, F_GETLK, &probe) == 0 && probe.l_type != F_UNLCK) pid = probe.l_pid;
  ::close(fd);
  return pid;
}

}  // namespace coyote::sqlite
