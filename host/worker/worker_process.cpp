#include "worker/worker_process.hpp"

#include "log/log.hpp"
#include "worker/process_spawn.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fstream>

namespace coyote::host::worker {
namespace asio = boost::asio;
namespace {

constexpr std::size_t kStderrTailLines = 8;
constexpr std::size_t kMaxStderrLine = std::size_t{64} * 1024;
// After EOF on stdout the process normally exits at once; give it a moment for its exit code.
constexpr std::chrono::milliseconds kEofGrace{500};
// After exit, wait this long for the pipes' EOF (grandchildren may hold them open).
constexpr std::chrono::milliseconds kDrainGrace{200};
constexpr std::chrono::milliseconds kReapPoll{100};
constexpr std::string_view kStopJson = R"({"stop":true})";

std::int64_t unix_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string describe_status(int status) {
  if (WIFEXITED(status)) return "worker exited with code " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    const char* name = ::sigabbrev_np(sig);
    return "worker was killed by signal " + std::to_string(sig) +
           (name != nullptr ? std::string(" (SIG") + name + ")" : std::string());
  }
  return "worker ended with wait status " + std::to_string(status);
}

// The handshake reply is tiny JSON: {"pid":1234}. Only the number matters.
long long json_pid(std::string_view json) {
  const auto key = json.find("\"pid\"");
  if (key == std::string_view::npos) return -1;
  auto i = json.find(':', key + 5);
  if (i == std::string_view::npos) return -1;
  ++i;
  while (i < json.size() && (json[i] == ' ' || json[i] == '\t' || json[i] == '\n')) ++i;
  long long v = 0;
  bool any = false;
  while (i < json.size() && json[i] >= '0' && json[i] <= '9' && v < (1LL << 40)) {
    v = v * 10 + (json[i] - '0');
    any = true;
    ++i;
  }
  return any ? v : -1;
}

// RoadRunner's wording (spec 1.4): on a worker pipe a bad CRC nearly always means user code
// wrote to stdout, which is the one hint the user needs.
std::string with_stdout_hint(goridge::ParseProblem problem, const std::string& error) {
  if (problem != goridge::ParseProblem::kBadCrc) return error;
  return "validation failed on the message sent to STDOUT, see: "
         "https://docs.roadrunner.dev/error-codes/stdout-crc (did the worker print to stdout?), " +
         error;
}

std::string printable(std::string_view bytes) {
  return goridge::describe_bytes(
      {reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()}, 96);
}

}  // namespace

WorkerProcess::WorkerProcess(asio::io_context& io, WorkerOptions options, Callbacks callbacks)
    : options_(std::move(options)),
      callbacks_(std::move(callbacks)),
      stdin_(io),
      stdout_(io),
      stderr_(io),
      pidfd_(io),
      handshake_timer_(io),
      exec_timer_(io),
      kill_timer_(io),
      reap_timer_(io),
      frames_(options_.max_frame_size) {}

WorkerProcess::~WorkerProcess() {
  if (pid_ > 0 && !exited_) {
    ::kill(-pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
}

sdk::Status WorkerProcess::start() {
  auto spawned = spawn_process(options_.argv, options_.env, options_.credentials);
  if (!spawned) return spawned.status();
  const SpawnedProcess& p = *spawned;
  pid_ = p.pid;
  stdin_.assign(p.stdin_fd);
  stdin_.non_blocking(true);  // exec() writes job frames directly
  stdout_.assign(p.stdout_fd);
  stderr_.assign(p.stderr_fd);
  if (p.pidfd >= 0) pidfd_.assign(p.pidfd);
  created_ns_ = unix_ns();
  started_ = last_used_ = std::chrono::steady_clock::now();
  state_ = WorkerState::kInactive;

  handshake_timer_.expires_after(options_.allocate_timeout);
  handshake_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (ec || self->dead_ || self->state_ != WorkerState::kInactive) return;
    self->kill("failed to spawn a worker: no pid handshake within allocate_timeout (" +
               std::to_string(self->options_.allocate_timeout.count()) +
               " ms), possible reasons: "
               "https://docs.roadrunner.dev/error-codes/allocate-timeout");
  });
  write_control(goridge::encode_frame(goridge::flag::kControl | goridge::flag::kCodecJson, {},
                                      "{\"pid\":" + std::to_string(::getpid()) + "}"));
  read_stdout();
  read_stderr();
  wait_exit();
  return sdk::Status::ok();
}

void WorkerProcess::exec(std::shared_ptr<WorkerJob> job, std::chrono::milliseconds exec_ttl) {
  job_ = std::move(job);
  state_ = WorkerState::kWorking;
  last_used_ = std::chrono::steady_clock::now();
  const std::uint32_t options[1] = {static_cast<std::uint32_t>(job_->context.size())};
  const auto header_size =
      goridge::encode_header(job_->header_bytes(), goridge::flag::kCodecRaw, options,
                             static_cast<std::uint32_t>(job_->context.size() + job_->body.size()));
  std::array<asio::const_buffer, 3> buffers{asio::buffer(job_->header_bytes(), header_size),
                                            asio::buffer(job_->context), asio::buffer(job_->body)};
  // A job frame nearly always fits in the pipe at once: write it here and skip asio's operation,
  // its posted completion and the handler dispatch. Only a short write (a frame larger than the
  // pipe's free space) or an error goes through async_write.
  std::array<iovec, 3> iov{};
  std::size_t total = 0;
  for (std::size_t i = 0; i < buffers.size(); ++i) {
    // writev takes iovec's non-const iov_base for its input buffers too; it does not write them.
    iov[i] = {
        const_cast<void*>(buffers[i].data()),  // NOLINT(cppcoreguidelines-pro-type-const-cast)
        buffers[i].size()};
    total += buffers[i].size();
  }
  ssize_t written = 0;
  do {
    written = ::writev(stdin_.native_handle(), iov.data(), static_cast<int>(iov.size()));
  } while (written < 0 && errno == EINTR);
  if (written >= 0 && static_cast<std::size_t>(written) == total) {
    ++execs_;
  } else if (written < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
    // Reported from the loop, as async_write would have: exec() itself never kills.
    const boost::system::error_code ec(errno, boost::system::system_category());
    writing_ = true;
    asio::post(stdin_.get_executor(), [self = shared_from_this(), ec] { self->on_write_done(ec); });
  } else {
    std::size_t skip = written > 0 ? static_cast<std::size_t>(written) : 0;
    for (auto& b : buffers) {
      const std::size_t n = std::min(skip, b.size());
      b += n;
      skip -= n;
    }
    writing_ = true;
    asio::async_write(
        stdin_, buffers,
        [self = shared_from_this(), job = job_](const boost::system::error_code& ec, std::size_t) {
          if (!ec && self->job_ == job) ++self->execs_;
          self->on_write_done(ec);
        });
  }
  if (exec_ttl.count() > 0) {
    exec_timer_.expires_after(exec_ttl);
    exec_timer_.async_wait(
        [self = shared_from_this(), job = job_, exec_ttl](const boost::system::error_code& ec) {
          if (ec || self->dead_ || self->job_ != job) return;
          self->kill("exec_ttl exceeded (" + std::to_string(exec_ttl.count()) +
                         " ms): the worker was killed while executing the job",
                     WorkerState::kExecTtlReached);
        });
  }
}

void WorkerProcess::write_control(std::string frame) {
  if (dead_) return;
  if (writing_) {
    pending_control_ = std::move(frame);
    return;
  }
  control_out_ = std::move(frame);
  writing_ = true;
  asio::async_write(stdin_, asio::buffer(control_out_),
                    [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
                      self->on_write_done(ec);
                    });
}

void WorkerProcess::on_write_done(const boost::system::error_code& ec) {
  writing_ = false;
  if (dead_) return;
  if (ec) {
    // EPIPE: the worker is gone or closed stdin; its exit (or EOF) tells the rest.
    if (!stop_requested_) kill("cannot write to the worker's stdin: " + ec.message());
    return;
  }
  if (!pending_control_.empty()) write_control(std::exchange(pending_control_, {}));
}

void WorkerProcess::stop(WorkerState state) {
  if (dead_ || stop_requested_) return;
  stop_requested_ = true;
  state_ = state;
  if (busy()) {
    kill("the host stopped the worker while it was executing a job", state);
    return;
  }
  write_control(
      goridge::encode_frame(goridge::flag::kControl | goridge::flag::kCodecJson, {}, kStopJson));
  kill_timer_.expires_after(options_.stop_timeout);
  kill_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (ec || self->dead_ || self->exited_) return;
    log::get("worker")->warn("worker {} did not exit {} ms after the stop request; killing it",
                             self->pid_, self->options_.stop_timeout.count());
    ::kill(-self->pid_, SIGKILL);
  });
}

void WorkerProcess::kill(const std::string& reason, WorkerState state) {
  if (dead_) return;
  if (death_reason_.empty()) death_reason_ = reason;
  state_ = state;
  if (!exited_) ::kill(-pid_, SIGKILL);
}

void WorkerProcess::detach() {
  callbacks_ = {};
  if (job_) job_.reset();
  if (pid_ > 0 && !exited_) {
    ::kill(-pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    exited_ = true;
  }
  dead_ = true;
  boost::system::error_code ignored;
  stdin_.close(ignored);
  stdout_.close(ignored);
  stderr_.close(ignored);
  pidfd_.close(ignored);
  handshake_timer_.cancel();
  exec_timer_.cancel();
  kill_timer_.cancel();
  reap_timer_.cancel();
}

void WorkerProcess::read_stdout() {
  // async_read_some on a pipe always tries a speculative read first, which right after a job
  // was written is an EAGAIN syscall. Waiting for readiness instead (async_wait) costs an
  // epoll_ctl per wait in asio's reactor, which measured no cheaper, so the read stays.
  auto space = frames_.prepare();
  stdout_.async_read_some(
      asio::buffer(space.data(), space.size()),
      [self = shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
        if (self->dead_) return;
        if (ec) {
          self->on_stdout_closed();
          return;
        }
        self->frames_.commit(n);
        for (;;) {
          auto next = self->frames_.next();
          if (!next) {
            self->protocol_error(with_stdout_hint(self->frames_.problem(), next.error()));
            return;
          }
          if (!*next) break;
          self->on_frame(**next);
          if (self->dead_) return;
        }
        self->read_stdout();
      });
}

void WorkerProcess::on_stdout_closed() {
  stdout_closed_ = true;
  if (!stop_requested_ && death_reason_.empty() && ready() && !busy()) {
    // Idle and deaf: a job handed to it could never be answered (it hung until exec_ttl, or
    // forever). Not ready from here on, and replaced.
    kill("the worker closed its stdout while idle and can no longer answer; it is replaced");
    maybe_finalize();
    return;
  }
  if (!stop_requested_ && death_reason_.empty() && (busy() || state_ == WorkerState::kInactive)) {
    // The exit status usually follows within microseconds and says more than "EOF".
    kill_timer_.expires_after(kEofGrace);
    kill_timer_.async_wait([w = shared_from_this()](const boost::system::error_code& e) {
      if (e || w->dead_ || w->exited_) return;
      w->kill("the worker closed its stdout (EOF) but kept running");
    });
  }
  maybe_finalize();
}

void WorkerProcess::on_frame(const goridge::FrameBuffer::Frame& frame) {
  // A worker being killed has said all it can: what it still sends belongs to no job.
  if (!death_reason_.empty()) return;
  if (state_ == WorkerState::kInactive) {
    on_handshake_frame(frame);
  } else if (busy()) {
    on_reply_frame(frame);
  } else if (!stop_requested_) {
    protocol_error("the worker sent a frame while idle (flags 0x" + [&] {
      char b[3];
      std::snprintf(b, sizeof b, "%02x", frame.header.flags);
      return std::string(b);
    }() + "): " + printable(frame.payload));
  }
}

void WorkerProcess::on_handshake_frame(const goridge::FrameBuffer::Frame& frame) {
  if (!frame.header.has(goridge::flag::kControl)) {
    protocol_error("unexpected response, header is missing, no CONTROL flag: " +
                   printable(frame.payload));
    return;
  }
  const auto pid = json_pid(frame.payload);
  if (pid <= 0) {
    protocol_error("the worker's pid reply carries no positive pid: " + printable(frame.payload));
    return;
  }
  handshake_timer_.cancel();
  state_ = WorkerState::kReady;
  ready_since_ = last_used_ = std::chrono::steady_clock::now();
  if (callbacks_.ready) callbacks_.ready(*this);
}

void WorkerProcess::on_reply_frame(const goridge::FrameBuffer::Frame& frame) {
  const auto& h = frame.header;
  ExecOutcome& outcome = reply_;
  outcome.kind = ExecOutcome::Kind::kResponse;
  outcome.body.clear();
  outcome.message.clear();
  // A worker speaks only when spoken to: bytes already behind its reply belong to no job. Were
  // they read on, they would settle the next job handed to this worker without it running (a
  // worker answering twice got 24 of 50 jobs acked unrun). The reply settles its own job; the
  // worker is replaced before it is given another (a stream's rest is expected, and recycled).
  if (frames_.buffered() > 0 && (h.stream & goridge::stream_flag::kStream) == 0) {
    const std::string reason = "the worker sent " + std::to_string(frames_.buffered()) +
                               " byte(s) after its reply to a job, for no job in flight "
                               "(did it answer twice?); it is replaced";
    log::get("worker")->error("worker {}: {}", pid_, reason);
    kill(reason, WorkerState::kErrored);
  }
  if (h.has(goridge::flag::kError)) {
    outcome.kind = ExecOutcome::Kind::kSoftError;
    outcome.message.assign(frame.payload);
    finish_job(outcome, false);
    return;
  }
  if (h.has(goridge::flag::kControl)) {
    protocol_error("the worker answered a job with a control frame: " + printable(frame.payload));
    return;
  }
  if (h.option_count != 1) {
    protocol_error("options length should be equal 1 (body offset), the worker sent " +
                   std::to_string(h.option_count));
    return;
  }
  if (h.options[0] > h.payload_length) {
    protocol_error("bad payload: context length " + std::to_string(h.options[0]) +
                   " exceeds the payload length " + std::to_string(h.payload_length));
    return;
  }
  const auto context = frame.payload.substr(0, h.options[0]);
  const auto body = frame.payload.substr(h.options[0]);
  if (h.stream & goridge::stream_flag::kStream) {
    outcome.kind = ExecOutcome::Kind::kStreamed;
    outcome.message = "the worker answered with a stream, which jobs does not support";
    finish_job(outcome, false);
    return;
  }
  if (body.empty() && context == kStopJson) {
    finish_job(outcome, true);
    return;
  }
  // clear + append into the reused outcome, as WorkerPool::try_exec does with the context.
  outcome.body.clear();
  outcome.body.append(body);
  finish_job(outcome, false);
}

void WorkerProcess::finish_job(ExecOutcome& outcome, bool restart) {
  exec_timer_.cancel();
  auto job = std::move(job_);
  outcome.pid = pid_;
  last_used_ = std::chrono::steady_clock::now();
  if (!dead_ && !stop_requested_ && death_reason_.empty()) state_ = WorkerState::kReady;
  if (callbacks_.finished) callbacks_.finished(*this, std::move(job), outcome, restart);
}

void WorkerProcess::protocol_error(const std::string& reason) {
  log::get("worker")->error("worker {}: {}", pid_, reason);
  kill(reason, WorkerState::kErrored);
}

void WorkerProcess::read_stderr() {
  stderr_.async_read_some(
      asio::buffer(stderr_buf_),
      [self = shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
        if (self->dead_) return;
        if (ec) {
          if (!self->stderr_partial_.empty()) {
            self->log_stderr_line(self->stderr_partial_);
            self->stderr_partial_.clear();
          }
          self->stderr_closed_ = true;
          self->maybe_finalize();
          return;
        }
        std::string_view chunk(self->stderr_buf_.data(), n);
        while (!chunk.empty()) {
          const auto nl = chunk.find('\n');
          if (nl == std::string_view::npos) {
            self->stderr_partial_.append(chunk);
            if (self->stderr_partial_.size() >= kMaxStderrLine) {
              self->log_stderr_line(self->stderr_partial_);
              self->stderr_partial_.clear();
            }
            break;
          }
          self->stderr_partial_.append(chunk.substr(0, nl));
          self->log_stderr_line(self->stderr_partial_);
          self->stderr_partial_.clear();
          chunk.remove_prefix(nl + 1);
        }
        self->read_stderr();
      });
}

void WorkerProcess::log_stderr_line(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  log::get("worker")->info("[pid {}] {}", pid_, line);
  stderr_lines_.emplace_back(line.substr(0, 512));
  if (stderr_lines_.size() > kStderrTailLines) stderr_lines_.erase(stderr_lines_.begin());
}

std::string WorkerProcess::stderr_tail() const {
  std::string out;
  for (const auto& l : stderr_lines_) {
    if (!out.empty()) out += " | ";
    out += l;
  }
  return out;
}

void WorkerProcess::wait_exit() {
  auto reap = [self = shared_from_this()]() {
    int status = 0;
    const pid_t r = ::waitpid(self->pid_, &status, WNOHANG);
    if (r == self->pid_) {
      self->on_exited(status);
      return true;
    }
    return false;
  };
  if (pidfd_.is_open()) {
    pidfd_.async_wait(asio::posix::stream_descriptor::wait_read,
                      [self = shared_from_this(), reap](const boost::system::error_code& ec) {
                        if (ec || self->exited_) return;
                        if (!reap()) self->wait_exit();
                      });
    return;
  }
  // No pidfd (old kernel): poll this one pid; waitpid on a specific pid never steals
  // another component's child.
  reap_timer_.expires_after(kReapPoll);
  reap_timer_.async_wait([self = shared_from_this(), reap](const boost::system::error_code& ec) {
    if (ec || self->exited_ || self->dead_) return;
    if (!reap()) self->wait_exit();
  });
}

void WorkerProcess::on_exited(int status) {
  exited_ = true;
  exit_status_ = status;
  kill_timer_.cancel();
  // Anything the worker forked would keep our pipes open; the group dies with its leader.
  ::kill(-pid_, SIGKILL);
  reap_timer_.expires_after(kDrainGrace);
  reap_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (ec || self->dead_) return;
    self->finalize();
  });
  maybe_finalize();
}

bool WorkerProcess::killed_externally() const noexcept {
  return exited_ && death_reason_.empty() && WIFSIGNALED(exit_status_) &&
         WTERMSIG(exit_status_) == SIGKILL;
}

void WorkerProcess::maybe_finalize() {
  if (exited_ && stdout_closed_ && stderr_closed_ && !dead_) finalize();
}

void WorkerProcess::finalize() {
  dead_ = true;
  handshake_timer_.cancel();
  exec_timer_.cancel();
  kill_timer_.cancel();
  reap_timer_.cancel();
  boost::system::error_code ignored;
  stdin_.close(ignored);
  stdout_.close(ignored);
  stderr_.close(ignored);
  pidfd_.close(ignored);

  std::string reason = death_reason_;
  const bool clean = stop_requested_ && death_reason_.empty();
  if (reason.empty()) {
    reason = describe_status(exit_status_);
    if (state_ == WorkerState::kInactive)
      reason = "worker exited during handshake: " + reason;
    else if (busy())
      reason = "worker exited while executing a job: " + reason;
  }
  if (!clean) {
    const auto tail = stderr_tail();
    if (!tail.empty()) reason += "; stderr: " + tail;
  }
  if (state_ == WorkerState::kReady || state_ == WorkerState::kWorking ||
      state_ == WorkerState::kInactive) {
    state_ = clean ? WorkerState::kStopped : WorkerState::kErrored;
  }
  if (busy()) {
    ExecOutcome lost;
    lost.kind = ExecOutcome::Kind::kWorkerLost;
    lost.message = reason;
    finish_job(lost, false);
  }
  auto callbacks = std::move(callbacks_);
  callbacks_ = {};
  if (callbacks.dead) callbacks.dead(*this, reason);
}

std::uint64_t WorkerProcess::rss_bytes() const {
  if (pid_ <= 0 || exited_) return 0;
  std::ifstream statm("/proc/" + std::to_string(pid_) + "/statm");
  std::uint64_t size = 0;
  std::uint64_t resident = 0;
  if (!(statm >> size >> resident)) return 0;
  return resident * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
}

}  // namespace coyote::host::worker
