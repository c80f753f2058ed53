// coyote-bench-ceiling: the physical limit of a pipe worker on this machine. A minimal parent
// spawns P workers, sends each the same goridge job frames Coyote sends (raw codec, option 0 = the
// context length, a memory-driver context JSON) and keeps exactly one job in flight per worker.
#include "goridge/frame.hpp"

#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <utility>
#include <vector>

extern char** environ;

namespace {

namespace goridge = coyote::host::goridge;
using Clock = std::chrono::steady_clock;

[[noreturn]] void die(const std::string& why) {
  std::cerr << "coyote-bench-ceiling: " << why << '\n';
  std::exit(1);
}

struct Worker {
  pid_t pid = -1;
  int to = -1;    // worker stdin
  int from = -1;  // worker stdout
  std::string inbuf;
};

Worker spawn(const std::vector<std::string>& argv) {
  int in_pipe[2];
  int out_pipe[2];
  if (::pipe(in_pipe) != 0 || ::pipe(out_pipe) != 0) die("pipe failed");
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in_pipe[0], 0);
  posix_spawn_file_actions_adddup2(&fa, out_pipe[1], 1);
  posix_spawn_file_actions_addclose(&fa, in_pipe[1]);
  posix_spawn_file_actions_addclose(&fa, out_pipe[0]);
  std::vector<char*> cargv;
  for (const auto& s : argv) cargv.push_back(const_cast<char*>(s.c_str()));
  cargv.push_back(nullptr);
  Worker w;
  if (::posix_spawnp(&w.pid, cargv[0], &fa, nullptr, cargv.data(), environ) != 0)
    die("cannot spawn " + argv[0]);
  posix_spawn_file_actions_destroy(&fa);
  ::close(in_pipe[0]);
  ::close(out_pipe[1]);
  w.to = in_pipe[1];
  w.from = out_pipe[0];
  return w;
}

void write_all(int fd, const std::string& bytes) {
  std::size_t off = 0;
  while (off < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + off, bytes.size() - off);
    if (n <= 0) die("write to worker failed");
    off += static_cast<std::size_t>(n);
  }
}

/// Reads until one whole frame is buffered; returns false at EOF.
bool read_frame(Worker& w, goridge::Header& out) {
  for (;;) {
    const auto* data = reinterpret_cast<const std::uint8_t*>(w.inbuf.data());
    auto r = goridge::parse_header({data, w.inbuf.size()}, 1u << 24);
    if (r.status == goridge::ParseStatus::kInvalid) die("bad frame from worker: " + r.error);
    if (r.status == goridge::ParseStatus::kOk && w.inbuf.size() >= r.header.frame_size()) {
      out = r.header;
      w.inbuf.erase(0, r.header.frame_size());
      return true;
    }
    char buf[4096];
    const ssize_t n = ::read(w.from, buf, sizeof buf);
    if (n <= 0) return false;
    w.inbuf.append(buf, static_cast<std::size_t>(n));
  }
}

/// A frame is ready in the buffer without blocking.
bool frame_buffered(const Worker& w) {
  const auto* data = reinterpret_cast<const std::uint8_t*>(w.inbuf.data());
  auto r = goridge::parse_header({data, w.inbuf.size()}, 1u << 24);
  return r.status == goridge::ParseStatus::kOk && w.inbuf.size() >= r.header.frame_size();
}

std::string job_frame(std::size_t i, std::size_t payload_size) {
  char id[40];
  std::snprintf(id, sizeof id, "00000000-0000-4000-8000-%012zu", i);
  // Coyote gives a job pushed without a trace context a fresh W3C one under RoadRunner's key
  // (docs/metrics.md, "Trace context"), so its worker decodes that header too: the same bytes here,
  // or the ceiling would measure a lighter job than the one Coyote sends. One value for every job:
  // the worker's cost does not depend on the digits, and the parent's instruction count (callgrind
  // counts the frames' construction too) stays that of the pipe, not of a hex generator.
  static const std::string traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  const std::string ctx = std::string("{\"id\":\"") + id +
                          "\",\"job\":\"App\\\\Job\\\\Noop\",\"driver\":\"memory\","
                          "\"headers\":{\"Traceparent\":[\"" +
                          traceparent + "\"]},\"pipeline\":\"bench\"}";
  std::string body = "{\"n\":" + std::to_string(i) + ",\"pad\":\"";
  if (body.size() + 2 < payload_size) body.append(payload_size - body.size() - 2, 'x');
  body += "\"}";
  const std::uint32_t opts[1] = {static_cast<std::uint32_t>(ctx.size())};
  return goridge::encode_frame(goridge::flag::kCodecRaw, opts, ctx + body);
}

/// The machine's process wake-up round trip: a 1-byte ping-pong between this process and a forked
/// child over two pipes. Every pipe benchmark here is bounded by it; on a VM whose idle vCPUs are
/// slow to wake it can be 20x worse than on bare metal, so each run records it next to its results.
int pingpong(const std::string& label, std::size_t rounds) {
  int ping[2];
  int pong[2];
  if (::pipe(ping) != 0 || ::pipe(pong) != 0) die("pipe failed");
  const pid_t child = ::fork();
  if (child < 0) die("fork failed");
  char byte = 0;
  if (child == 0) {
    ::close(ping[1]);  // or the read below never sees EOF when the parent is done
    ::close(pong[0]);
    while (::read(ping[0], &byte, 1) == 1) {
      if (::write(pong[1], &byte, 1) != 1) break;
    }
    ::_exit(0);
  }
  ::close(ping[0]);
  ::close(pong[1]);
  const auto t0 = Clock::now();
  for (std::size_t i = 0; i < rounds; ++i) {
    if (::write(ping[1], &byte, 1) != 1 || ::read(pong[0], &byte, 1) != 1) die("ping-pong failed");
  }
  const double us = std::chrono::duration<double, std::micro>(Clock::now() - t0).count() /
                    static_cast<double>(rounds);
  ::close(ping[1]);
  ::close(pong[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
  std::printf("{\"stage\":\"pingpong\",\"label\":\"%s\",\"rounds\":%zu,\"round_trip_us\":%.2f}\n",
              label.c_str(), rounds, us);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 3 && std::string(argv[1]) == "--pingpong") {
    return pingpong(argv[2], argc >= 4 ? std::stoul(argv[3]) : 20000);
  }
  std::size_t workers = 1;
  std::size_t jobs = 100000;
  std::size_t payload = 100;
  int timeout_s = 300;
  std::vector<std::string> cmd;
  for (int i = 1; i < argc; ++i) {
    const std::string k = argv[i];
    if (k == "--") {
      for (++i; i < argc; ++i) cmd.emplace_back(argv[i]);
      break;
    }
    if (i + 1 >= argc) die("missing value for " + k);
    const std::string v = argv[++i];
    if (k == "--workers")
      workers = std::stoul(v);
    else if (k == "--jobs")
      jobs = std::stoul(v);
    else if (k == "--payload")
      payload = std::stoul(v);
    else if (k == "--timeout")
      timeout_s = std::stoi(v);
    else
      die("unknown option " + k);
  }
  if (cmd.empty())
    die("usage: coyote-bench-ceiling --workers P --jobs N -- php bench/workers/noop.php\n"
        "       coyote-bench-ceiling --pingpong LABEL [ROUNDS]");
  ::signal(SIGPIPE, SIG_IGN);

  std::vector<Worker> ws;
  for (std::size_t i = 0; i < workers; ++i) ws.push_back(spawn(cmd));
  const std::string hello =
      goridge::encode_frame(goridge::flag::kControl | goridge::flag::kCodecJson, {},
                            "{\"pid\":" + std::to_string(::getpid()) + "}");
  for (auto& w : ws) {
    write_all(w.to, hello);
    goridge::Header h;
    if (!read_frame(w, h)) die("worker exited during the pid handshake");
  }
  // Frames are built ahead so the parent's own cost is a write and a read per job.
  std::vector<std::string> frames;
  frames.reserve(jobs);
  for (std::size_t i = 0; i < jobs; ++i) frames.push_back(job_frame(i, payload));

  // Warm-up, untimed: idle vCPUs and freshly started PHP processes run slow for the first
  // milliseconds; Coyote's drain starts on a machine already busy with the push, so measure alike.
  const std::size_t warmup = std::min<std::size_t>(2000, jobs);
  for (std::size_t i = 0; i < warmup; ++i) {
    Worker& w = ws[i % ws.size()];
    write_all(w.to, frames[i]);
    goridge::Header h;
    if (!read_frame(w, h)) die("worker exited during the warm-up");
  }

  // {user, system} CPU microseconds so far, from one getrusage call.
  const auto cpu_us = [] {
    rusage ru{};
    ::getrusage(RUSAGE_SELF, &ru);
    const auto us = [](const timeval& t) {
      return static_cast<double>(t.tv_sec) * 1e6 + static_cast<double>(t.tv_usec);
    };
    return std::pair{us(ru.ru_utime), us(ru.ru_stime)};
  };
  const auto [user0, sys0] = cpu_us();
  const auto t0 = Clock::now();
  std::size_t sent = 0;
  std::size_t done = 0;
  for (auto& w : ws) {
    if (sent < jobs) write_all(w.to, frames[sent++]);
  }
  std::vector<pollfd> fds(ws.size());
  while (done < jobs) {
    for (std::size_t i = 0; i < ws.size(); ++i) fds[i] = {ws[i].from, POLLIN, 0};
    if (::poll(fds.data(), fds.size(), 1000) < 0) die("poll failed");
    for (std::size_t i = 0; i < ws.size(); ++i) {
      if ((fds[i].revents & (POLLIN | POLLHUP)) == 0 && !frame_buffered(ws[i])) continue;
      goridge::Header h;
      if (!read_frame(ws[i], h)) die("worker exited mid-run");
      ++done;
      if (sent < jobs) write_all(ws[i].to, frames[sent++]);
    }
    if (std::chrono::duration<double>(Clock::now() - t0).count() > timeout_s)
      die("ceiling run timed out");
  }
  const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  const auto [user1, sys1] = cpu_us();
  const double parent_user = (user1 - user0) / static_cast<double>(jobs);
  const double parent_sys = (sys1 - sys0) / static_cast<double>(jobs);

  const std::string stop = goridge::encode_frame(
      goridge::flag::kControl | goridge::flag::kCodecJson, {}, "{\"stop\":true}");
  for (auto& w : ws) {
    write_all(w.to, stop);
    ::close(w.to);
    int status = 0;
    ::waitpid(w.pid, &status, 0);
    ::close(w.from);
  }
  std::printf(
      "{\"stage\":\"ceiling\",\"label\":\"P=%zu\",\"workers\":%zu,\"jobs\":%zu,\"seconds\":%.6f,"
      "\"jobs_per_s\":%.1f,"
      "\"parent_cpu_us_per_job\":%.2f,\"parent_user_us_per_job\":%.2f,"
      "\"parent_sys_us_per_job\":%.2f}\n",
      workers, workers, jobs, secs, static_cast<double>(jobs) / secs, parent_user + parent_sys,
      parent_user, parent_sys);
  return 0;
}
