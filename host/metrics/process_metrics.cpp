#include "metrics/process_metrics.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

namespace coyote::host::metrics {

namespace {

std::shared_ptr<const MetricDesc> desc(const char* name, const char* help, MetricType type) {
  auto d = std::make_shared<MetricDesc>();
  d->name = name;
  d->help = help;
  d->type = type;
  return d;
}

FamilySnapshot scalar(const std::shared_ptr<const MetricDesc>& d, double v) {
  static const auto kNoLabels = std::make_shared<const std::vector<std::string>>(1);
  FamilySnapshot f;
  f.desc = d;
  f.labels = kNoLabels;
  f.values = {v};
  return f;
}

struct Stat {
  double utime_ticks = 0;
  double stime_ticks = 0;
  double start_ticks = 0;
  double vsize = 0;
  double rss_pages = 0;
  bool ok = false;
};

Stat read_stat() {
  Stat s;
  std::ifstream in("/proc/self/stat");
  std::string line;
  if (!std::getline(in, line)) return s;
  // The command name (field 2) may hold spaces and parentheses: fields resume after the last ')'.
  const std::size_t close = line.rfind(')');
  if (close == std::string::npos) return s;
  std::istringstream rest(line.substr(close + 2));
  std::string field;
  // Fields 3..: state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime(14)
  // stime(15) cutime cstime priority nice threads itrealvalue starttime(22) vsize(23) rss(24).
  for (int i = 3; i <= 24 && rest >> field; ++i) {
    if (i == 14) s.utime_ticks = std::stod(field);
    if (i == 15) s.stime_ticks = std::stod(field);
    if (i == 22) s.start_ticks = std::stod(field);
    if (i == 23) s.vsize = std::stod(field);
    if (i == 24) {
      s.rss_pages = std::stod(field);
      s.ok = true;
    }
  }
  return s;
}

double boot_time() {
  std::ifstream in("/proc/stat");
  std::string key;
  double value = 0;
  while (in >> key) {
    if (key == "btime" && in >> value) return value;
    in.ignore(std::numeric_limits<std::streamsize>::max(), '\n');
  }
  return 0;
}

double open_fds() {
  std::error_code ec;
  double n = 0;
  for (std::filesystem::directory_iterator it("/proc/self/fd", ec), end; !ec && it != end;
       it.increment(ec)) {
    ++n;
  }
  return ec ? -1 : n - 1;  // minus the descriptor the iteration itself holds
}

}  // namespace

ProcessMetrics::ProcessMetrics() : started_(std::chrono::steady_clock::now()) {}

std::vector<FamilySnapshot> ProcessMetrics::collect() const {
  static const auto kCpu =
      desc("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.",
           MetricType::kCounter);
  static const auto kOpen =
      desc("process_open_fds", "Number of open file descriptors.", MetricType::kGauge);
  static const auto kMax =
      desc("process_max_fds", "Maximum number of open file descriptors.", MetricType::kGauge);
  static const auto kVirt =
      desc("process_virtual_memory_bytes", "Virtual memory size in bytes.", MetricType::kGauge);
  static const auto kRss =
      desc("process_resident_memory_bytes", "Resident memory size in bytes.", MetricType::kGauge);
  static const auto kStart =
      desc("process_start_time_seconds", "Start time of the process since unix epoch in seconds.",
           MetricType::kGauge);
  static const auto kUptime =
      desc("coyote_uptime_seconds", "Seconds since this Coyote host started.", MetricType::kGauge);

  std::vector<FamilySnapshot> out;
  const auto ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
  const auto page = static_cast<double>(::sysconf(_SC_PAGESIZE));
  const Stat s = read_stat();
  if (s.ok && ticks > 0) {
    out.push_back(scalar(kCpu, (s.utime_ticks + s.stime_ticks) / ticks));
    out.push_back(scalar(kRss, s.rss_pages * page));
    out.push_back(scalar(kVirt, s.vsize));
    if (const double boot = boot_time(); boot > 0) {
      out.push_back(scalar(kStart, boot + s.start_ticks / ticks));
    }
  }
  if (const double fds = open_fds(); fds >= 0) out.push_back(scalar(kOpen, fds));
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) == 0) {
    out.push_back(scalar(kMax, static_cast<double>(lim.rlim_cur)));
  }
  out.push_back(scalar(
      kUptime, std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count()));
  return out;
}

}  // namespace coyote::host::metrics
