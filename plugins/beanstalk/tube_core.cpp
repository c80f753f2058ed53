#include "beanstalk/tube_core.hpp"

#include "beanstalk/beanstalk_job.hpp"
#include "beanstalk/envelope.hpp"

#include <coyote/sdk/headers.hpp>

#include <boost/asio/post.hpp>

#include <algorithm>
#include <charconv>
#include <functional>
#include <limits>

namespace coyote::drivers::beanstalk {

namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr milliseconds kTick{100};
/// How often jobs.Stat's counts are refreshed with stats-tube while nobody asks for them.
constexpr milliseconds kStatsEvery{1000};
/// state() asks for a refresh when its counts are older than this.
constexpr milliseconds kStatsFresh{100};
constexpr milliseconds kBackoffInitial{100};
constexpr milliseconds kBackoffCap{5000};
/// Reserves sent in one burst while the tube has jobs.
constexpr std::size_t kReserveBurst = 32;
/// After DEADLINE_SOON a connection's reserves wait this long (its jobs get touched meanwhile).
constexpr milliseconds kDeadlineSoonPause{250};
/// An extra consumer connection with nothing to do is closed after this.
constexpr milliseconds kIdleConsumer{10'000};
/// How long stop waits for acknowledgements and puts already sent.
constexpr milliseconds kStopGrace{1000};

std::string seconds_since(Clock::time_point since) {
  const auto ms = std::chrono::duration_cast<milliseconds>(Clock::now() - since).count();
  return std::to_string(ms / 1000) + "." + std::to_string((ms % 1000) / 100) + "s";
}

std::uint32_t clamp_u32(std::int64_t v) {
  if (v < 0) return 0;
  if (static_cast<std::uint64_t>(v) > protocol::kMaxU32)
    return static_cast<std::uint32_t>(protocol::kMaxU32);
  return static_cast<std::uint32_t>(v);
}

std::int64_t attempt_of(const sdk::Headers& headers) {
  auto it = headers.find(sdk::kAttemptHeader);
  if (it == headers.end() || it->second.empty()) return 1;
  std::int64_t v = 0;
  const auto& s = it->second.front();
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size() || v < 1) return 1;
  return v;
}

}  // namespace

TubeCore::TubeCore(sdk::Queue& queue, sdk::Logger& log, Settings settings)
    : queue_(queue),
      log_(log),
      settings_(std::move(settings)),
      ttr_(settings_.global.ttr_seconds()),
      tick_timer_(io_),
      producer_retry_(io_),
      consumer_retry_(io_),
      stop_timer_(io_),
      rng_(std::random_device{}()) {}

TubeCore::~TubeCore() {
  try {
    shutdown();
  } catch (...) {  // NOLINT(bugprone-empty-catch): a destructor must not throw; shutdown logs
  }
}

void TubeCore::start() {
  work_.emplace(io_.get_executor());
  thread_ = std::thread([this] { io_.run(); });
  asio::post(io_, [this] {
    connect_producer();
    tick();
  });
}

void TubeCore::shutdown() {
  {
    std::lock_guard lock(inbox_mutex_);
    if (shut_down_) return;
    shut_down_ = true;
    accepting_ = false;
  }
  host_running_ = false;
  if (thread_.joinable()) {
    asio::post(io_, [this] { begin_stop(); });
    thread_.join();
  }
  // Pushes that never reached the io thread.
  std::vector<PushRequest> left;
  {
    std::lock_guard lock(inbox_mutex_);
    left.swap(inbox_);
  }
  for (auto& request : left) {
    request.done(sdk::Status::error("beanstalk pipeline " + settings_.pipeline + " is stopped"));
  }
}

// --- host loop thread ---------------------------------------------------------------------------

void TubeCore::push(std::vector<sdk::Message> messages, sdk::Completion done) {
  {
    std::lock_guard lock(inbox_mutex_);
    if (accepting_) {
      inbox_.push_back(PushRequest{std::move(messages), std::move(done)});
      post_inbox_locked();
      return;
    }
  }
  done(sdk::Status::error("beanstalk pipeline " + settings_.pipeline + " is stopped"));
}

sdk::Status TubeCore::run() {
  if (!accepting_)
    return sdk::Status::error("beanstalk pipeline " + settings_.pipeline + " is stopped");
  host_running_ = true;
  asio::post(io_, [this] { set_running(true); });
  return sdk::Status::ok();
}

sdk::Status TubeCore::pause() {
  if (!host_running_) return sdk::Status::error("no active listeners, nothing to pause");
  host_running_ = false;
  asio::post(io_, [this] { set_running(false); });
  return sdk::Status::ok();
}

sdk::Status TubeCore::resume() {
  if (!accepting_)
    return sdk::Status::error("beanstalk pipeline " + settings_.pipeline + " is stopped");
  if (host_running_) return sdk::Status::error("beanstalk listener is already in the active state");
  return run();
}

sdk::State TubeCore::state() {
  sdk::State s;
  s.pipeline = settings_.pipeline;
  s.driver = "beanstalk";
  s.queue = settings_.tube.tube;
  s.priority = static_cast<std::uint64_t>(std::max<std::int64_t>(0, settings_.pipeline_priority));
  s.ready = host_running_;
  bool refresh = false;
  {
    std::lock_guard lock(state_mutex_);
    s.active = static_cast<std::int64_t>(counts_.ready);
    s.reserved = static_cast<std::int64_t>(counts_.reserved);
    s.delayed = static_cast<std::int64_t>(counts_.delayed);
    s.error = error_;
    if (!refresh_posted_ && Clock::now() - counts_at_ > kStatsFresh) {
      refresh_posted_ = true;
      refresh = true;
    }
  }
  if (refresh && accepting_) asio::post(io_, [this] { request_tube_stats(); });
  return s;
}

sdk::Status TubeCore::settle(std::uint64_t ticket, Settle how, std::chrono::seconds delay,
                             sdk::Message message) {
  std::lock_guard lock(inbox_mutex_);
  if (!accepting_) {
    return sdk::Status::error("beanstalk pipeline " + settings_.pipeline +
                              " is stopped: beanstalkd gives the job to a consumer again");
  }
  settles_.push_back(SettleRequest{ticket, how, false, delay, std::move(message)});
  post_inbox_locked();
  return sdk::Status::ok();
}

sdk::Status TubeCore::requeue(std::uint64_t ticket, sdk::Message message,
                              std::chrono::seconds delay) {
  std::lock_guard lock(inbox_mutex_);
  if (!accepting_) {
    return sdk::Status::error("beanstalk pipeline " + settings_.pipeline +
                              " is stopped: beanstalkd gives the job to a consumer again");
  }
  settles_.push_back(SettleRequest{ticket, Settle::kDelete, true, delay, std::move(message)});
  post_inbox_locked();
  return sdk::Status::ok();
}

void TubeCore::post_inbox_locked() {
  if (inbox_posted_) return;
  inbox_posted_ = true;
  asio::post(io_, [this] { drain_inbox(); });
}

TubeCore::Corked::Corked(TubeCore& core) {
  if (core.producer_) conns_.push_back(core.producer_);
  for (const auto& c : core.consumers_) conns_.push_back(c.conn);
  for (const auto& c : conns_) c->cork();
}

TubeCore::Corked::~Corked() {
  for (const auto& c : conns_) c->uncork();
}

// --- pushes -------------------------------------------------------------------------------------

void TubeCore::drain_inbox() {
  std::vector<PushRequest> requests;
  std::vector<SettleRequest> settles;
  {
    std::lock_guard lock(inbox_mutex_);
    requests.swap(inbox_);
    settles.swap(settles_);
    inbox_posted_ = false;
  }
  const Corked corked(*this);
  for (auto& r : settles) {
    if (r.requeue) {
      do_requeue(r.ticket, std::move(r.message), r.delay);
    } else {
      do_settle(r.ticket, r.how, r.delay, r.message);
    }
  }
  for (auto& r : requests) submit(std::move(r.messages), std::move(r.done));
}

std::uint32_t TubeCore::broker_priority(std::int64_t job_priority) const {
  // tube_priority is what a job at the pipeline's own priority gets (exactly RoadRunner's
  // constant); a job's own priority moves it by its distance from the pipeline's, clamped to
  // beanstalkd's range, so beanstalkd serves jobs in the order the host would.
  const auto base = static_cast<std::int64_t>(settings_.tube.tube_priority);
  const std::int64_t offset = job_priority - settings_.pipeline_priority;
  if (offset > 0 && base > std::numeric_limits<std::int64_t>::max() - offset) {
    return static_cast<std::uint32_t>(protocol::kMaxU32);
  }
  return clamp_u32(base + offset);
}

void TubeCore::submit(std::vector<sdk::Message> messages, sdk::Completion done) {
  auto batch = std::make_shared<Batch>();
  batch->done = std::move(done);
  batch->left = messages.size();
  if (messages.empty()) {
    batch->done(sdk::Status::ok());
    return;
  }
  const auto deadline = Clock::now() + settings_.global.push_timeout;
  for (std::size_t i = 0; i < messages.size(); ++i) {
    sdk::Message& m = messages[i];
    m.options.pipeline = settings_.pipeline;
    if (m.options.priority == 0) m.options.priority = settings_.pipeline_priority;
    if (stopping_) {
      complete(batch, i,
               sdk::Status::error("beanstalk pipeline " + settings_.pipeline + " is stopped"));
      continue;
    }
    Put put;
    encode_envelope(m, put.body);
    if (max_job_size_ != 0 && put.body.size() > max_job_size_) {
      complete(
          batch, i,
          sdk::Status::error("job " + m.id + " is " + std::to_string(put.body.size()) +
                             " bytes in beanstalkd (payload " + std::to_string(m.payload.size()) +
                             " + Coyote's envelope header), more than beanstalkd's " +
                             "max-job-size of " + std::to_string(max_job_size_) +
                             ": start beanstalkd with a larger -z or push a smaller payload"));
      continue;
    }
    put.job_id = m.id;
    put.pri = broker_priority(m.options.priority);
    put.delay = clamp_u32(m.options.delay_seconds);
    put.deadline = deadline;
    put.batch = batch;
    put.index = i;
    const std::uint64_t tag = next_put_++;
    puts_.emplace(tag, std::move(put));
    if (producer_ && producer_->up()) {
      send_put(tag);
    } else {
      unsent_.push_back(tag);
    }
  }
}

void TubeCore::send_put(std::uint64_t tag) {
  const Put& p = puts_.at(tag);
  protocol::put(producer_->buffer(), p.pri, p.delay, ttr_, p.body);
  producer_->sent(protocol::Command::kPut, tag);
}

void TubeCore::complete(const std::shared_ptr<Batch>& batch, std::size_t index,
                        const sdk::Status& status) {
  if (!status && index < batch->first_failed) {
    batch->first_failed = index;
    batch->first_error = status;
  }
  if (--batch->left == 0) batch->done(batch->first_error);
}

void TubeCore::finish_put(std::uint64_t tag, const sdk::Status& status) {
  auto it = puts_.find(tag);
  if (it == puts_.end()) return;
  Put put = std::move(it->second);
  puts_.erase(it);
  if (status) {
    std::lock_guard lock(state_mutex_);
    (put.delay > 0 ? counts_.delayed : counts_.ready) += 1;
  }
  if (put.requeue_of != 0) {
    if (status) {
      send_final(put.requeue_of, Settle::kDelete, seconds{0});
    } else {
      // The copy is not held: give the original back instead, so nothing is lost (its headers
      // are the old ones).
      log_.error("beanstalk pipeline " + settings_.pipeline + ": requeue of job " + put.job_id +
                 " failed (" + status.message() + "); releasing the original instead");
      send_final(put.requeue_of, Settle::kRelease, put.requeue_delay);
    }
  }
  if (put.batch) complete(put.batch, put.index, status);
}

// --- connections --------------------------------------------------------------------------------

void TubeCore::connect_producer() {
  if (stopping_) return;
  producer_ =
      std::make_shared<Connection>(io_, settings_.global.address, settings_.global.timeout,
                                   static_cast<Connection::Handler&>(*this), next_serial_++);
  producer_->connect();
}

void TubeCore::open_consumer() {
  if (stopping_ || consumer_connecting_ || consumer_retry_pending_) return;
  consumer_connecting_ = true;
  Consumer& c = consumers_.emplace_back();
  c.conn = std::make_shared<Connection>(io_, settings_.global.address, settings_.global.timeout,
                                        static_cast<Connection::Handler&>(*this), next_serial_++);
  c.idle_since = Clock::now();
  auto conn = c.conn;  // connect() may fail at once and erase c
  conn->connect();
}

TubeCore::Consumer* TubeCore::consumer_of(std::uint64_t serial) {
  for (auto& c : consumers_) {
    if (c.conn->serial() == serial) return &c;
  }
  return nullptr;
}

void TubeCore::on_connected(Connection& connection) {
  const std::string& tube = settings_.tube.tube;
  if (producer_ && &connection == producer_.get()) {
    protocol::use(connection.buffer(), tube);
    connection.sent(protocol::Command::kUse, 0);
    protocol::stats(connection.buffer());
    connection.sent(protocol::Command::kStats, 0);
    note_up(producer_backoff_, "producer");
    // In order: a put that was sent before the connection broke goes first again.
    std::deque<std::uint64_t> waiting;
    waiting.swap(unsent_);
    for (auto tag : waiting) {
      if (puts_.contains(tag)) send_put(tag);
    }
    tube_stats_outstanding_ = false;
    request_tube_stats();
    // Jobs answered while beanstalkd was away (a restart keeps them with its binlog).
    std::deque<Orphan> orphans;
    orphans.swap(orphans_waiting_);
    const auto too_old = Clock::now() - std::chrono::minutes{5};
    for (auto& o : orphans) {
      if (o.since > too_old) clean_up_orphan(std::move(o));
    }
    return;
  }
  Consumer* c = consumer_of(connection.serial());
  if (c == nullptr) return;
  consumer_connecting_ = false;
  c->connected = true;
  protocol::watch(connection.buffer(), tube);
  connection.sent(protocol::Command::kWatch, 0);
  if (tube != "default") {
    protocol::ignore(connection.buffer(), "default");
    connection.sent(protocol::Command::kIgnore, 0);
  }
  protocol::stats(connection.buffer());
  connection.sent(protocol::Command::kStats, 0);
  note_up(consumer_backoff_, "consumer");
  tube_hot_ = true;
  pump();
}

void TubeCore::on_reply(Connection& connection, const Pending& pending,
                        const protocol::Reply& reply) {
  if (producer_ && &connection == producer_.get()) {
    on_producer_reply(pending, reply);
    return;
  }
  if (Consumer* c = consumer_of(connection.serial())) on_consumer_reply(*c, pending, reply);
}

void TubeCore::on_producer_reply(const Pending& pending, const protocol::Reply& reply) {
  using protocol::Command;
  using protocol::ReplyKind;
  switch (pending.command) {
    case Command::kStats:
      if (auto s = protocol::parse_server_stats(reply.data)) {
        max_job_size_ = static_cast<std::size_t>(s->max_job_size);
        producer_->set_max_data(std::max<std::size_t>(max_job_size_ + 1024, 1 << 16));
      }
      return;
    case Command::kPut: {
      const auto it = puts_.find(pending.tag);
      const std::string id = it == puts_.end() ? std::string() : it->second.job_id;
      switch (reply.kind) {
        case ReplyKind::kInserted:
          finish_put(pending.tag, sdk::Status::ok());
          return;
        case ReplyKind::kBuriedId:
          finish_put(pending.tag,
                     sdk::Status::error("beanstalkd ran out of memory and buried job " + id +
                                        " (beanstalkd id " + std::to_string(reply.number) +
                                        "): it will not run until kicked (kick-job " +
                                        std::to_string(reply.number) + ")"));
          return;
        case ReplyKind::kJobTooBig:
          finish_put(pending.tag,
                     sdk::Status::error("beanstalkd refused job " + id +
                                        " as JOB_TOO_BIG: its body is larger than beanstalkd's "
                                        "max-job-size (start beanstalkd with a larger -z)"));
          return;
        case ReplyKind::kDraining:
          finish_put(pending.tag,
                     sdk::Status::error("beanstalkd at " + settings_.global.address.text +
                                        " is draining (it got SIGUSR1) and accepts no new "
                                        "jobs: restart it or point beanstalk.addr elsewhere"));
          return;
        default:
          finish_put(pending.tag, sdk::Status::error("beanstalkd refused job " + id + ": " +
                                                     std::string(protocol::name_of(reply.kind))));
          return;
      }
    }
    case Command::kStatsTube: {
      tube_stats_outstanding_ = false;
      protocol::TubeStats counts;  // NOT_FOUND: the tube does not exist (yet): all zero
      if (reply.kind == ReplyKind::kOk) {
        auto parsed = protocol::parse_tube_stats(reply.data);
        if (!parsed) return;
        counts = *parsed;
      }
      std::lock_guard lock(state_mutex_);
      counts_ = counts;
      counts_at_ = Clock::now();
      refresh_posted_ = false;
      return;
    }
    case Command::kPeek: {
      auto it = orphans_.find(pending.tag);
      if (it == orphans_.end()) return;
      if (reply.kind == ReplyKind::kFound && reply.number == it->second.id &&
          std::hash<std::string_view>{}(reply.data) == it->second.body_hash) {
        protocol::delete_job(producer_->buffer(), it->second.id);
        producer_->sent(Command::kDelete, pending.tag);
        return;
      }
      log_.warn("beanstalk pipeline " + settings_.pipeline + ": job " + it->second.job_id +
                " was acknowledged after its connection to beanstalkd was lost, and beanstalkd "
                "has already handed it out again: it may run twice");
      orphans_.erase(it);
      return;
    }
    case Command::kDelete: {
      auto it = orphans_.find(pending.tag);
      if (it == orphans_.end()) return;
      if (reply.kind != ReplyKind::kDeleted) {
        log_.warn("beanstalk pipeline " + settings_.pipeline + ": job " + it->second.job_id +
                  " was acknowledged after its connection was lost and could not be deleted (" +
                  std::string(protocol::name_of(reply.kind)) + "): it may run twice");
      } else {
        std::lock_guard lock(state_mutex_);
        if (counts_.ready > 0) --counts_.ready;
      }
      orphans_.erase(it);
      return;
    }
    default:
      return;  // use
  }
}

void TubeCore::on_consumer_reply(Consumer& consumer, const Pending& pending,
                                 const protocol::Reply& reply) {
  using protocol::Command;
  using protocol::ReplyKind;
  switch (pending.command) {
    case Command::kStats:
      if (auto s = protocol::parse_server_stats(reply.data)) {
        consumer.conn->set_max_data(
            std::max<std::size_t>(static_cast<std::size_t>(s->max_job_size) + 1024, 1 << 16));
      }
      return;
    case Command::kWatch:
    case Command::kIgnore:
      if (reply.kind == ReplyKind::kOutOfMemory || reply.kind == ReplyKind::kInternalError) {
        consumer.conn->fail("beanstalkd could not watch tube " + settings_.tube.tube + ": " +
                            std::string(protocol::name_of(reply.kind)));
      }
      return;
    case Command::kReserve: {
      --consumer.reserves;
      --reserves_out_;
      const bool was_blocking = pending.tag != 0;
      if (was_blocking) consumer.blocking = false;
      if (reply.kind == ReplyKind::kReserved) {
        tube_hot_ = true;
        on_reserved(consumer, reply);
      } else if (reply.kind == ReplyKind::kTimedOut) {
        if (!was_blocking) tube_hot_ = false;
      } else if (reply.kind == ReplyKind::kDeadlineSoon) {
        // One of this connection's jobs is in its last second: touch them all now.
        consumer.no_reserve_until = Clock::now() + kDeadlineSoonPause;
        for (auto& [ticket, h] : held_) {
          if (h.conn_serial == consumer.conn->serial() && h.phase != Phase::kSettling) {
            h.next_touch = Clock::now();
          }
        }
      } else {
        log_.warn("beanstalk pipeline " + settings_.pipeline +
                  ": reserve failed: " + std::string(protocol::name_of(reply.kind)));
        consumer.no_reserve_until = Clock::now() + std::chrono::seconds{1};
      }
      pump();
      return;
    }
    case Command::kStatsJob:
      on_job_stats(consumer, pending.tag, reply);
      return;
    case Command::kDelete:
    case Command::kRelease: {
      auto it = held_.find(pending.tag);
      if (it == held_.end()) return;
      const bool deleted = pending.command == Command::kDelete;
      if (reply.kind == ReplyKind::kNotFound) {
        log_.warn("beanstalk pipeline " + settings_.pipeline + ": beanstalkd no longer had job " +
                  std::to_string(it->second.id) + " reserved for Coyote when it was " +
                  (deleted ? "acknowledged" : "released") +
                  " (did its TTR run out?): another consumer may have run it too");
      } else if (reply.kind == ReplyKind::kBuried) {
        log_.error("beanstalk pipeline " + settings_.pipeline +
                   ": beanstalkd ran out of memory "
                   "and buried job " +
                   std::to_string(it->second.id) +
                   " instead of releasing it; "
                   "kick it to run it again");
      } else if (reply.kind == ReplyKind::kDeleted || reply.kind == ReplyKind::kReleased) {
        std::lock_guard lock(state_mutex_);
        if (counts_.reserved > 0) --counts_.reserved;
        if (!deleted) counts_.ready += 1;
      }
      held_.erase(it);
      return;
    }
    case Command::kTouch: {
      if (reply.kind == ReplyKind::kNotFound) {
        auto it = held_.find(pending.tag);
        if (it != held_.end()) {
          log_.warn("beanstalk pipeline " + settings_.pipeline + ": could not touch job " +
                    std::to_string(it->second.id) + ": beanstalkd had already released it (TTR " +
                    std::to_string(ttr_) +
                    "s, beanstalk.timeout); another consumer may run it too");
        }
      }
      return;
    }
    default:
      return;
  }
}

void TubeCore::on_reserved(Consumer& consumer, const protocol::Reply& reply) {
  const std::uint64_t ticket = next_ticket_++;
  Held h;
  h.id = reply.number;
  h.conn_serial = consumer.conn->serial();
  h.pri = settings_.tube.tube_priority;
  h.phase = Phase::kStats;
  h.body.assign(reply.data);
  h.body_hash = std::hash<std::string_view>{}(reply.data);
  h.next_touch = Clock::now() + milliseconds{500};
  held_.emplace(ticket, std::move(h));
  ++consumer.held;
  ++pre_host_;
  {
    std::lock_guard lock(state_mutex_);
    if (counts_.ready > 0) --counts_.ready;
    counts_.reserved += 1;
  }
  protocol::stats_job(consumer.conn->buffer(), reply.number);
  consumer.conn->sent(protocol::Command::kStatsJob, ticket);
}

void TubeCore::on_job_stats(Consumer& consumer, std::uint64_t ticket,
                            const protocol::Reply& reply) {
  auto it = held_.find(ticket);
  if (it == held_.end()) return;
  Held& h = it->second;
  if (reply.kind != protocol::ReplyKind::kOk) {
    // Not found although reserved by us: its TTR passed already. Whoever has it now runs it.
    log_.warn("beanstalk pipeline " + settings_.pipeline + ": job " + std::to_string(h.id) +
              " vanished right after it was reserved (" +
              std::string(protocol::name_of(reply.kind)) + ")");
    --consumer.held;
    --pre_host_;
    held_.erase(it);
    pump();
    return;
  }
  auto stats = protocol::parse_job_stats(reply.data);
  std::int64_t unanswered = 0;
  std::uint64_t ttr_s = ttr_;
  std::uint64_t time_left_s = ttr_;
  if (stats) {
    h.pri = static_cast<std::uint32_t>(std::min<std::uint64_t>(stats->pri, protocol::kMaxU32));
    ttr_s = std::max<std::uint64_t>(stats->ttr, 1);
    time_left_s = stats->time_left;
    // Reservations that ended in neither a release nor a bury: beanstalkd took the job back
    // (TTR ran out, the connection was lost, the host died) without an answer.
    const auto answered = 1 + stats->releases + stats->buries;
    if (stats->reserves > answered)
      unanswered = static_cast<std::int64_t>(stats->reserves - answered);
  }
  // Touch at about half the TTR, keeping clear of beanstalkd's last-second safety margin.
  const milliseconds ttr_ms{static_cast<std::int64_t>(ttr_s) * 1000};
  h.touch_every = std::max(milliseconds{200}, (ttr_ms - milliseconds{1000}) / 2);
  const milliseconds left_ms{static_cast<std::int64_t>(time_left_s) * 1000};
  h.next_touch =
      Clock::now() +
      std::min(h.touch_every, std::max(milliseconds{200}, (left_ms - milliseconds{1000}) / 2));

  sdk::Message message;
  if (!decode_envelope(h.body, message)) {
    // A foreign producer's job: the body is the payload, as RoadRunner does it.
    message = sdk::Message{};
    message.name = std::string(kForeignJobName);
    message.id = std::to_string(h.id);
    message.payload = std::move(h.body);
    if (log_.enabled(sdk::LogLevel::kDebug)) {
      log_.debug("beanstalk pipeline " + settings_.pipeline + ": job " + std::to_string(h.id) +
                 " is not a Coyote envelope: delivered as " + std::string(kForeignJobName) +
                 " with its body as the payload");
    }
  }
  h.body.clear();
  h.body.shrink_to_fit();
  message.options.pipeline = settings_.pipeline;
  if (message.options.priority == 0) message.options.priority = settings_.pipeline_priority;
  if (unanswered > 0) {
    message.headers.insert_or_assign(
        std::string(sdk::kAttemptHeader),
        std::vector<std::string>{std::to_string(attempt_of(message.headers) + unanswered)});
  }
  if (!running_) {
    // Paused (or stopping) since the reserve went out: give it back untouched.
    --pre_host_;
    send_final(ticket, Settle::kRelease, seconds{0});
    return;
  }
  const bool auto_ack = message.options.auto_ack;
  h.job = std::make_unique<BeanstalkJob>(shared_from_this(), std::move(message), ticket);
  if (auto_ack) {
    // RoadRunner deletes auto_ack jobs on receipt; the worker's answer then has no broker effect.
    protocol::delete_job(consumer.conn->buffer(), h.id);
    consumer.conn->sent(protocol::Command::kDelete, 0);
    h.auto_acked = true;
    --consumer.held;
    std::lock_guard lock(state_mutex_);
    if (counts_.reserved > 0) --counts_.reserved;
  }
  offer(ticket);  // not under state_mutex_: the queue may call back
}

void TubeCore::offer(std::uint64_t ticket) {
  Held& h = held_.at(ticket);
  if (!room_wait_.empty() || waiting_for_room_) {
    h.phase = Phase::kRoom;
    room_wait_.push_back(ticket);
    return;
  }
  std::unique_ptr<sdk::Job> job = std::move(h.job);
  if (queue_.try_insert(job)) {
    h.phase = Phase::kHost;
    --pre_host_;
    ++in_host_;
    return;
  }
  h.job = std::move(job);
  h.phase = Phase::kRoom;
  room_wait_.push_back(ticket);
  waiting_for_room_ = true;
  std::weak_ptr<TubeCore> weak = weak_from_this();
  queue_.on_room([weak] {
    if (auto self = weak.lock()) asio::post(self->io_, [raw = self.get()] { raw->drain_room(); });
  });
}

void TubeCore::drain_room() {
  waiting_for_room_ = false;
  while (!room_wait_.empty()) {
    const std::uint64_t ticket = room_wait_.front();
    auto it = held_.find(ticket);
    if (it == held_.end() || it->second.phase != Phase::kRoom || !it->second.job) {
      room_wait_.pop_front();
      continue;
    }
    std::unique_ptr<sdk::Job> job = std::move(it->second.job);
    if (!queue_.try_insert(job)) {
      it->second.job = std::move(job);
      waiting_for_room_ = true;
      std::weak_ptr<TubeCore> weak = weak_from_this();
      queue_.on_room([weak] {
        if (auto self = weak.lock())
          asio::post(self->io_, [raw = self.get()] { raw->drain_room(); });
      });
      return;
    }
    it->second.phase = Phase::kHost;
    --pre_host_;
    ++in_host_;
    room_wait_.pop_front();
  }
}

// --- acknowledgements ---------------------------------------------------------------------------

void TubeCore::send_final(std::uint64_t ticket, Settle how, std::chrono::seconds delay) {
  auto it = held_.find(ticket);
  if (it == held_.end()) return;
  Held& h = it->second;
  Consumer* c = consumer_of(h.conn_serial);
  if (c != nullptr && c->conn->up()) {
    h.settling_delete = how == Settle::kDelete;
    if (how == Settle::kDelete) {
      protocol::delete_job(c->conn->buffer(), h.id);
      c->conn->sent(protocol::Command::kDelete, ticket);
    } else {
      protocol::release(c->conn->buffer(), h.id, h.pri, clamp_u32(delay.count()));
      c->conn->sent(protocol::Command::kRelease, ticket);
    }
    if (c->held > 0) --c->held;
    if (c->held == 0) c->idle_since = Clock::now();
    h.phase = Phase::kSettling;
    drop_job(h);
    return;
  }
  // Its connection is gone, so beanstalkd made the job ready again when it noticed.
  if (how == Settle::kDelete) {
    clean_up_orphan(
        Orphan{h.id, h.body_hash, h.job ? h.job->id() : std::to_string(h.id), Clock::now()});
  }
  drop_job(h);
  held_.erase(it);
}

void TubeCore::clean_up_orphan(Orphan orphan) {
  // A delete can still spare a second run if nobody took the job yet: check it is the same job
  // (ids restart with a beanstalkd that restarted without its binlog) and delete it from the
  // producer connection, once there is one again.
  constexpr std::size_t kMaxWaitingOrphans = 10'000;
  if (!producer_ || !producer_->up()) {
    if (orphans_waiting_.size() < kMaxWaitingOrphans) orphans_waiting_.push_back(std::move(orphan));
    return;
  }
  const std::uint64_t tag = next_orphan_++;
  const std::uint64_t id = orphan.id;
  orphans_.emplace(tag, std::move(orphan));
  protocol::peek(producer_->buffer(), id);
  producer_->sent(protocol::Command::kPeek, tag);
}

void TubeCore::drop_job(Held& h) {
  // Every job in held_ is a BeanstalkJob: this driver made it.
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-static-cast-downcast)
  if (h.job) static_cast<BeanstalkJob*>(h.job.get())->disown();
  h.job.reset();
}

void TubeCore::do_settle(std::uint64_t ticket, Settle how, std::chrono::seconds delay,
                         const sdk::Message& message) {
  auto it = held_.find(ticket);
  if (it == held_.end()) return;
  Held& h = it->second;
  if (h.phase == Phase::kSettling || h.phase == Phase::kRequeue) return;  // answered already
  if (h.phase == Phase::kHost && in_host_ > 0) --in_host_;
  if (h.auto_acked) {
    if (how == Settle::kRelease) {
      // Deleted on receipt: a redelivery is a new copy.
      Put put;
      encode_envelope(message, put.body);
      put.job_id = message.id;
      put.pri = h.pri;
      put.delay = clamp_u32(delay.count());
      put.deadline = Clock::now() + settings_.global.push_timeout;
      const std::uint64_t tag = next_put_++;
      puts_.emplace(tag, std::move(put));
      if (producer_ && producer_->up()) {
        send_put(tag);
      } else {
        unsent_.push_back(tag);
      }
    }
    held_.erase(it);
    pump();
    return;
  }
  send_final(ticket, how == Settle::kForget ? Settle::kRelease : how, delay);
  pump();
}

void TubeCore::do_requeue(std::uint64_t ticket, sdk::Message message, std::chrono::seconds delay) {
  auto it = held_.find(ticket);
  if (it == held_.end()) return;
  Held& h = it->second;
  if (h.phase == Phase::kHost && in_host_ > 0) --in_host_;
  message.options.pipeline = settings_.pipeline;
  Put put;
  encode_envelope(message, put.body);
  put.job_id = message.id;
  put.pri = h.pri;
  put.delay = clamp_u32(delay.count());
  put.deadline = Clock::now() + settings_.global.push_timeout;
  if (h.auto_acked) {
    held_.erase(it);
  } else {
    // The original stays reserved (and touched) until beanstalkd holds the copy.
    h.phase = Phase::kRequeue;
    put.requeue_of = ticket;
    put.requeue_delay = delay;
  }
  const std::uint64_t tag = next_put_++;
  puts_.emplace(tag, std::move(put));
  if (producer_ && producer_->up()) {
    send_put(tag);
  } else {
    unsent_.push_back(tag);
  }
  pump();
}

// --- consuming ----------------------------------------------------------------------------------

void TubeCore::set_running(bool running) {
  if (stopping_) return;
  running_ = running;
  if (running) {
    if (consumers_.empty()) open_consumer();
    tube_hot_ = true;
    pump();
  } else {
    release_waiting();
  }
}

void TubeCore::release_waiting() {
  // Jobs reserved but not yet in the host go back now; those already queued in the host still
  // run (as the memory driver does on pause).
  std::deque<std::uint64_t> waiting;
  waiting.swap(room_wait_);
  for (auto ticket : waiting) {
    auto it = held_.find(ticket);
    if (it == held_.end() || it->second.phase != Phase::kRoom) continue;
    if (it->second.auto_acked) {
      // Already deleted from beanstalkd, so it cannot be given back: it waits for room in the
      // host queue, paused or not.
      room_wait_.push_back(ticket);
      continue;
    }
    --pre_host_;
    send_final(ticket, Settle::kRelease, seconds{0});
  }
}

void TubeCore::pump() {
  if (!running_ || stopping_) return;
  const auto prefetch = static_cast<std::size_t>(settings_.tube.prefetch);
  const std::size_t used = in_host_ + pre_host_ + reserves_out_;
  if (used >= prefetch) return;
  const std::size_t window = prefetch - used;
  const auto now = Clock::now();
  const std::size_t max_consumers = std::min<std::size_t>(prefetch + 1, 5);

  if (tube_hot_) {
    Consumer* target = nullptr;
    for (auto& c : consumers_) {
      if (!c.conn->up() || c.blocking || now < c.no_reserve_until) continue;
      if (target == nullptr || c.held > target->held) target = &c;
    }
    if (target == nullptr) {
      const bool waiting = std::any_of(consumers_.begin(), consumers_.end(),
                                       [](const Consumer& c) { return c.blocking; });
      if (!waiting && consumers_.size() < max_consumers) open_consumer();
      return;
    }
    const std::size_t n = std::min(window, kReserveBurst);
    for (std::size_t i = 0; i < n; ++i) {
      protocol::reserve_with_timeout(target->conn->buffer(), 0);
      target->conn->sent(protocol::Command::kReserve, 0);
    }
    target->reserves += n;
    reserves_out_ += n;
    return;
  }
  // The tube looked empty: one consumer with nothing else to say waits for the next job.
  for (const auto& c : consumers_) {
    if (c.blocking) return;
  }
  for (auto& c : consumers_) {
    if (!c.conn->up() || c.held != 0 || c.reserves != 0) continue;
    protocol::reserve_with_timeout(c.conn->buffer(), settings_.tube.reserve_timeout_s);
    // tag 1 marks the waiting reserve; its reply may take reserve_timeout.
    c.conn->sent(protocol::Command::kReserve, 1,
                 std::chrono::seconds{settings_.tube.reserve_timeout_s});
    c.blocking = true;
    ++c.reserves;
    ++reserves_out_;
    return;
  }
  if (consumers_.size() < max_consumers) {
    open_consumer();
    return;
  }
  // Every connection holds jobs and no more may be opened: look again on the next tick.
}

void TubeCore::drop_consumer_jobs(std::uint64_t serial) {
  // beanstalkd makes a lost connection's reserved jobs ready again. Those not yet handed to the
  // host are forgotten; those queued in the host are taken back (another consumer may get them
  // any moment); those running on a worker stay, and their acknowledgement tries a delete.
  for (auto it = held_.begin(); it != held_.end();) {
    Held& h = it->second;
    if (h.conn_serial != serial) {
      ++it;
      continue;
    }
    if (h.phase == Phase::kStats || h.phase == Phase::kRoom) {
      --pre_host_;
      drop_job(h);
      it = held_.erase(it);
      continue;
    }
    if (h.phase == Phase::kSettling) {
      // A delete without answer may not have happened: try again from the producer.
      if (h.settling_delete) {
        clean_up_orphan(Orphan{h.id, h.body_hash, std::to_string(h.id), Clock::now()});
      }
      it = held_.erase(it);
      continue;
    }
    ++it;
  }
  auto queued = queue_.remove(settings_.pipeline);
  for (auto& job : queued) {
    // Queue::remove(pipeline) returns only this pipeline's jobs, which this driver made.
    // NOLINTNEXTLINE(cppcoreguidelines-pro-type-static-cast-downcast)
    auto* mine = static_cast<BeanstalkJob*>(job.get());
    auto it = held_.find(mine->ticket());
    if (it != held_.end() && it->second.conn_serial == serial && !it->second.auto_acked) {
      mine->disown();
      if (in_host_ > 0) --in_host_;
      held_.erase(it);
      continue;
    }
    if (!queue_.try_insert(job)) {
      // The room just freed by remove() is ours; this does not happen, but never lose a job.
      if (it != held_.end()) {
        it->second.job = std::move(job);
        it->second.phase = Phase::kRoom;
        if (in_host_ > 0) --in_host_;
        ++pre_host_;
        room_wait_.push_back(mine->ticket());
      }
    }
  }
}

void TubeCore::on_down(Connection& connection, const std::string& error, std::deque<Pending> lost) {
  if (producer_ && &connection == producer_.get()) {
    std::deque<std::uint64_t> resend;
    for (const auto& p : lost) {
      if (p.command == protocol::Command::kPut && puts_.contains(p.tag)) resend.push_back(p.tag);
      if (p.command == protocol::Command::kStatsTube) tube_stats_outstanding_ = false;
      if (p.command == protocol::Command::kPeek || p.command == protocol::Command::kDelete) {
        if (auto o = orphans_.find(p.tag); o != orphans_.end()) {
          orphans_waiting_.push_back(std::move(o->second));
          orphans_.erase(o);
        }
      }
    }
    // Unanswered puts go again, first: beanstalkd may or may not have stored them, so a
    // retried put can make a duplicate (at least once), never a loss.
    for (auto tag : unsent_) resend.push_back(tag);
    unsent_.swap(resend);
    producer_.reset();
    if (stopping_) return;
    note_down(producer_backoff_, "producer", error);
    schedule_reconnect(true);
    return;
  }
  const std::uint64_t serial = connection.serial();
  auto it = std::find_if(consumers_.begin(), consumers_.end(),
                         [serial](const Consumer& c) { return c.conn->serial() == serial; });
  if (it == consumers_.end()) return;
  if (!it->connected) consumer_connecting_ = false;
  reserves_out_ -= std::min(reserves_out_, it->reserves);
  consumers_.erase(it);
  drop_consumer_jobs(serial);
  if (stopping_) return;
  // An outage is counted (and retried with back-off) when the last consumer goes.
  if (consumers_.empty()) {
    note_down(consumer_backoff_, "consumer", error);
    if (running_) schedule_reconnect(false);
  } else {
    log_.warn("beanstalk pipeline " + settings_.pipeline + ": a consumer connection to " +
              settings_.global.address.text + " failed: " + error +
              "; beanstalkd gives its reserved jobs to a consumer again");
  }
}

void TubeCore::schedule_reconnect(bool producer) {
  Backoff& b = producer ? producer_backoff_ : consumer_backoff_;
  auto& timer = producer ? producer_retry_ : consumer_retry_;
  bool& pending = producer ? producer_retry_pending_ : consumer_retry_pending_;
  if (pending) return;
  pending = true;
  timer.expires_after(next_delay(b));
  timer.async_wait([this, producer](const boost::system::error_code& ec) {
    (producer ? producer_retry_pending_ : consumer_retry_pending_) = false;
    if (ec || stopping_) return;
    if (producer) {
      connect_producer();
    } else if (running_ && consumers_.empty()) {
      open_consumer();
    } else {
      pump();
    }
  });
}

std::chrono::milliseconds TubeCore::next_delay(const Backoff& backoff) {
  const int shift = std::min(backoff.attempts - 1, 10);
  const milliseconds base = std::min(kBackoffCap, kBackoffInitial * (1 << std::max(shift, 0)));
  std::uniform_real_distribution<double> jitter(0.8, 1.2);
  return milliseconds{static_cast<std::int64_t>(static_cast<double>(base.count()) * jitter(rng_))};
}

void TubeCore::note_down(Backoff& backoff, const char* role, const std::string& error) {
  if (backoff.attempts == 0) backoff.down_since = Clock::now();
  ++backoff.attempts;
  backoff.error = error;
  const int n = backoff.attempts;
  std::string text = "beanstalk pipeline " + settings_.pipeline + ": " + role +
                     " connection to beanstalkd at " + settings_.global.address.text + " ";
  text += n == 1 ? "lost"
                 : "still failing after " + std::to_string(n) + " attempts over " +
                       seconds_since(backoff.down_since);
  text += ": " + error + "; reconnecting";
  // Every attempt while it is new, then ever more rarely (attempts 8, 16, 32, ...).
  if (n <= 4 || (n & (n - 1)) == 0) {
    log_.warn(text);
  } else if (log_.enabled(sdk::LogLevel::kDebug)) {
    log_.debug(text);
  }
  update_error();
}

void TubeCore::note_up(Backoff& backoff, const char* role) {
  if (backoff.attempts > 0) {
    log_.info("beanstalk pipeline " + settings_.pipeline + ": " + role +
              " connection to beanstalkd at " + settings_.global.address.text + " is back after " +
              seconds_since(backoff.down_since) + " (" + std::to_string(backoff.attempts) +
              " failed attempts)");
  }
  backoff = Backoff{};
  update_error();
}

void TubeCore::update_error() {
  std::string text;
  const Backoff* b = producer_backoff_.attempts > 0   ? &producer_backoff_
                     : consumer_backoff_.attempts > 0 ? &consumer_backoff_
                                                      : nullptr;
  if (b != nullptr) {
    text = "beanstalkd at " + settings_.global.address.text + " unreachable for " +
           seconds_since(b->down_since) + " (" + std::to_string(b->attempts) +
           " attempts): " + b->error + "; reconnecting";
  }
  std::lock_guard lock(state_mutex_);
  error_ = std::move(text);
}

// --- periodic work ------------------------------------------------------------------------------

void TubeCore::request_tube_stats() {
  if (!producer_ || !producer_->up() || tube_stats_outstanding_) {
    std::lock_guard lock(state_mutex_);
    refresh_posted_ = false;
    return;
  }
  tube_stats_outstanding_ = true;
  tube_stats_sent_ = Clock::now();
  protocol::stats_tube(producer_->buffer(), settings_.tube.tube);
  producer_->sent(protocol::Command::kStatsTube, 0);
}

void TubeCore::tick() {
  if (stopping_) return;
  const auto now = Clock::now();
  // Keep every reserved job that is still ours alive past its TTR.
  for (auto& [ticket, h] : held_) {
    if (h.phase == Phase::kSettling || h.auto_acked || now < h.next_touch) continue;
    Consumer* c = consumer_of(h.conn_serial);
    if (c == nullptr || !c->conn->up()) continue;
    protocol::touch(c->conn->buffer(), h.id);
    c->conn->sent(protocol::Command::kTouch, ticket);
    h.next_touch = now + h.touch_every;
  }
  // Pushes waiting for a connection that did not come in time.
  if (!unsent_.empty()) {
    std::deque<std::uint64_t> keep;
    for (auto tag : unsent_) {
      auto it = puts_.find(tag);
      if (it == puts_.end()) continue;
      if (now < it->second.deadline) {
        keep.push_back(tag);
        continue;
      }
      const Backoff& b = producer_backoff_;
      finish_put(tag,
                 sdk::Status::error("beanstalkd at " + settings_.global.address.text +
                                    " did not become reachable within jobs.timeout (" +
                                    std::to_string(settings_.global.push_timeout.count() / 1000) +
                                    "s), the job was not accepted" +
                                    (b.error.empty() ? std::string() : ": " + b.error)));
    }
    unsent_.swap(keep);
  }
  if (auto producer = producer_) producer->check_deadline(now);
  {
    // check_deadline may fail a connection, which erases it from consumers_.
    std::vector<std::shared_ptr<Connection>> conns;
    for (const auto& c : consumers_) conns.push_back(c.conn);
    for (const auto& conn : conns) conn->check_deadline(now);
  }
  // Close an extra consumer that has had nothing to do for a while.
  if (consumers_.size() > 1) {
    for (auto it = std::next(consumers_.begin()); it != consumers_.end(); ++it) {
      if (it->held == 0 && it->reserves == 0 && it->conn->outstanding() == 0 &&
          now - it->idle_since > kIdleConsumer) {
        it->conn->close();
        consumers_.erase(it);
        break;
      }
    }
  }
  for (auto& c : consumers_) {
    if (c.held != 0 || c.reserves != 0) c.idle_since = now;
  }
  if (now - counts_at_ > kStatsEvery) request_tube_stats();
  if (log_.enabled(sdk::LogLevel::kTrace) && now - traced_at_ > std::chrono::seconds{2}) {
    traced_at_ = now;
    std::size_t phases[5] = {0, 0, 0, 0, 0};
    for (const auto& [ticket, h] : held_) ++phases[static_cast<int>(h.phase)];
    std::string text = "beanstalk pipeline " + settings_.pipeline + ": running " +
                       std::to_string(running_) + ", hot " + std::to_string(tube_hot_) +
                       ", in host " + std::to_string(in_host_) + ", before host " +
                       std::to_string(pre_host_) + ", reserves out " +
                       std::to_string(reserves_out_) + ", held stats/room/host/requeue/settling " +
                       std::to_string(phases[0]) + "/" + std::to_string(phases[1]) + "/" +
                       std::to_string(phases[2]) + "/" + std::to_string(phases[3]) + "/" +
                       std::to_string(phases[4]) + ", puts " + std::to_string(puts_.size()) +
                       " (unsent " + std::to_string(unsent_.size()) + "), consumers:";
    for (const auto& c : consumers_) {
      text += " [#" + std::to_string(c.conn->serial()) + (c.conn->up() ? " up" : " down") +
              " held " + std::to_string(c.held) + " reserves " + std::to_string(c.reserves) +
              (c.blocking ? " waiting" : "") + " outstanding " +
              std::to_string(c.conn->outstanding()) + "]";
    }
    log_.trace(text);
  }
  if (running_) {
    // The poll of last resort when every connection holds jobs (see pump).
    if (!tube_hot_ && std::none_of(consumers_.begin(), consumers_.end(),
                                   [](const Consumer& c) { return c.blocking; })) {
      tube_hot_ = true;
    }
    pump();
  }
  tick_timer_.expires_after(kTick);
  tick_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) tick();
  });
}

// --- stopping -----------------------------------------------------------------------------------

void TubeCore::begin_stop() {
  if (stopping_) return;
  running_ = false;
  release_waiting();
  stopping_ = true;
  drain_inbox();  // fails them: stopping_
  tick_timer_.cancel();
  producer_retry_.cancel();
  consumer_retry_.cancel();
  // Give acknowledgements and puts already sent a moment to be answered.
  stop_deadline_ = Clock::now() + kStopGrace;
  wait_then_stop();
}

bool TubeCore::stop_pending() const {
  if (producer_ && producer_->up() && producer_->outstanding() > 0) return true;
  return std::any_of(consumers_.begin(), consumers_.end(), [](const Consumer& c) {
    return c.conn->up() && c.conn->outstanding() > c.reserves;
  });
}

void TubeCore::wait_then_stop() {
  if (!stop_pending() || Clock::now() >= stop_deadline_) {
    finish_stop();
    return;
  }
  stop_timer_.expires_after(milliseconds{5});
  stop_timer_.async_wait([this](const boost::system::error_code&) { wait_then_stop(); });
}

void TubeCore::finish_stop() {
  for (auto& c : consumers_) c.conn->close();
  consumers_.clear();
  if (producer_) producer_->close();
  producer_.reset();
  for (auto& [tag, put] : puts_) {
    if (put.batch) {
      complete(put.batch, put.index,
               sdk::Status::error("beanstalk pipeline " + settings_.pipeline +
                                  " stopped before beanstalkd confirmed the job (it may or may "
                                  "not have been stored)"));
    }
  }
  puts_.clear();
  unsent_.clear();
  for (auto& [ticket, h] : held_) drop_job(h);
  held_.clear();
  room_wait_.clear();
  // Every operation was cancelled above; run() returns once their handlers have run.
  work_.reset();
}

}  // namespace coyote::drivers::beanstalk
