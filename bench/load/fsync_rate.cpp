// coyote-bench-fsync: the disk's own fdatasync rate, measured beside the durable-driver stages
// (a fsync-safe push can go no faster per commit). Appends 128 bytes and fdatasyncs, in a loop,
// in the given directory; prints one JSON object like the other bench tools.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: coyote-bench-fsync DIRECTORY SECONDS\n");
    return 2;
  }
  const std::string path = std::string(argv[1]) + "/fsync-probe.bin";
  const double seconds = std::atof(argv[2]);
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    std::perror("coyote-bench-fsync: open");
    return 1;
  }
  using Clock = std::chrono::steady_clock;
  const std::string block(128, 'x');
  std::vector<double> latencies_us;
  const auto t0 = Clock::now();
  const auto deadline = t0 + std::chrono::duration<double>(seconds);
  while (Clock::now() < deadline) {
    const auto s = Clock::now();
    if (::write(fd, block.data(), block.size()) != static_cast<ssize_t>(block.size()) ||
        ::fdatasync(fd) != 0) {
      std::perror("coyote-bench-fsync: write/fdatasync");
      return 1;
    }
    latencies_us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - s).count());
  }
  const double elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
  ::close(fd);
  ::unlink(path.c_str());
  std::sort(latencies_us.begin(), latencies_us.end());
  const auto pct = [&](double p) {
    return latencies_us.empty()
               ? 0.0
               : latencies_us[std::min(latencies_us.size() - 1,
                                       static_cast<std::size_t>(p * latencies_us.size()))];
  };
  std::printf(
      "{\"stage\":\"fsync_rate\",\"label\":\"append 128 B + fdatasync\",\"syncs\":%zu,"
      "\"seconds\":%.3f,\"syncs_per_s\":%.1f,\"p50_us\":%.1f,\"p99_us\":%.1f}\n",
      latencies_us.size(), elapsed, static_cast<double>(latencies_us.size()) / elapsed, pct(0.5),
      pct(0.99));
  return 0;
}
