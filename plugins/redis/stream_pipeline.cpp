#include "redis/stream_pipeline.hpp"

#include "redis/redis_client.hpp"
#include "redis/redis_job.hpp"
#include "redis/reply_error.hpp"
#include "redis/resp_command.hpp"
#include "redis/stream_reply.hpp"

#include <hiredis/hiredis.h>

#include <boost/asio/post.hpp>

#include <algorithm>
#include <atomic>
#include <cinttypes>
#include <cstdio>
#include <random>

namespace coyote::drivers::redis {

namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

constexpr auto kReadBlock = 1000ms;
constexpr std::int64_t kMaxReadCount = 1000;
constexpr std::size_t kAckChunk = 1000;
constexpr std::size_t kClaimChunk = 1000;
constexpr std::int64_t kMoveLimit = 1000;
constexpr std::int64_t kReclaimCount = 256;
constexpr auto kCountsEvery = 1s;
constexpr auto kRetryEvery = 500ms;
constexpr auto kConsumerGcEvery = std::chrono::minutes(10);
constexpr std::int64_t kDeadConsumerIdleMs = 3'600'000;
constexpr auto kLogRepeat = 30s;
constexpr auto kAckCoalesce = std::chrono::microseconds(500);
// How long jobs.Stat shows the last refused push (unless a push succeeds first).
constexpr auto kPushErrorShown = 30s;

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

bool is_error(const redisReply* r) { return r != nullptr && r->type == REDIS_REPLY_ERROR; }

/// Unique per delayed job: a random 64-bit number per thread plus a process-wide counter.
std::string make_nonce() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static std::atomic<std::uint64_t> counter{0};
  char buf[40];
  std::snprintf(buf, sizeof buf, "%016" PRIx64 "%08" PRIx64, static_cast<std::uint64_t>(rng()),
                counter.fetch_add(1, std::memory_order_relaxed));
  return buf;
}

std::int64_t ms_of(std::chrono::milliseconds d) { return d.count(); }

}  // namespace

template <typename Work>
bool StreamPipeline::post(Work work) {
  auto task = [self = shared_from_this(), work = std::move(work)]() mutable {
    (void)self;
    work();
  };
  // Refused once the client closed (at exit): the task, and what it holds, dies here.
  return gate_->post(task);
}

StreamPipeline::StreamPipeline(RedisClient& client, StreamOptions options, sdk::Queue& queue)
    : client_(client),
      gate_(client.gate()),
      options_(std::move(options)),
      queue_(queue),
      log_(client.log()),
      address_(client.options().endpoint.display()),
      conn_(client.connection_for(options_.pipeline)),
      read_backoff_(std::chrono::milliseconds(10'000), std::chrono::milliseconds(200)),
      settle_timer_(std::make_unique<asio::steady_timer>(client.io())) {}

StreamPipeline::~StreamPipeline() {
  // Connections live on the client's thread; hand ours over for closing there.
  if (!reader_) return;
  try {
    auto close = [reader = std::move(reader_)] { reader->shutdown(); };
    (void)gate_->post(close);
  } catch (...) {  // NOLINT(bugprone-empty-catch): only at exit, when the loop is gone already
  }
}

void StreamPipeline::detach() {
  settle_timer_.reset();
  if (reader_) reader_->abort("the host is exiting");
  reader_.reset();
  conn_.reset();
}

// --- commands ---------------------------------------------------------------------------------

std::string StreamPipeline::xadd_wire(const Fields& fields) const {
  RespCommand c("XADD");
  c.arg(options_.stream);
  if (options_.maxlen > 0) {
    c.arg("MAXLEN");
    if (!options_.maxlen_exact) c.arg("~");
    c.arg(options_.maxlen);
  }
  c.arg("*").args(fields);
  return c.wire();
}

std::vector<std::string> StreamPipeline::schedule_args(const std::string& entry_id,
                                                       std::chrono::milliseconds delay,
                                                       const Fields& fields) const {
  std::vector<std::string> a;
  a.reserve(9 + fields.size());
  a.push_back(options_.stream);
  a.push_back(options_.delayed_key);
  a.push_back(options_.group);
  a.push_back(entry_id);
  a.emplace_back(options_.delete_on_ack ? "1" : "0");
  a.push_back(std::to_string(ms_of(delay)));
  a.push_back(std::to_string(options_.maxlen));
  a.emplace_back(options_.maxlen_exact ? "0" : "1");
  a.push_back(make_nonce());
  a.insert(a.end(), fields.begin(), fields.end());
  return a;
}

StreamPipeline::PushItem StreamPipeline::prepare_push(sdk::Message& message) const {
  message.options.pipeline = options_.pipeline;
  if (message.options.priority == 0) message.options.priority = options_.priority;
  PushItem item;
  const Fields fields = encode_entry(message);
  if (message.options.delay_seconds > 0) {
    item.delayed = true;
    item.script_args =
        schedule_args("", std::chrono::seconds(message.options.delay_seconds), fields);
  } else {
    item.wire = xadd_wire(fields);
  }
  return item;
}

void StreamPipeline::eval(const LuaScript& script, std::vector<std::string> keys_and_args,
                          std::size_t keys, ScriptDone done) {
  RespCommand c("EVALSHA");
  c.arg(script.sha1).arg(static_cast<std::int64_t>(keys)).args(keys_and_args);
  conn_->submit(c.wire(), [self = shared_from_this(), &script, args = std::move(keys_and_args),
                           keys, done = std::move(done)](Reply reply, const std::string& error) {
    if (is_error(reply) && starts_with(reply_text(reply), "NOSCRIPT")) {
      // Not cached on this server yet (first use, or after a restart / SCRIPT FLUSH).
      RespCommand full("EVAL");
      full.arg(script.text).arg(static_cast<std::int64_t>(keys)).args(args);
      self->conn_->submit(full.wire(), done);
      return;
    }
    done(reply, error);
  });
}

std::string StreamPipeline::explain(Reply reply) const {
  return explain_error(reply_text(reply),
                       ErrorContext{address_, options_.stream, options_.pipeline});
}

void StreamPipeline::report(const std::string& kind, const std::string& message,
                            Clock::time_point now) {
  auto& last = logged_[kind];
  if (last.message == message && now - last.at < kLogRepeat) return;
  last.message = message;
  last.at = now;
  log_.error("redis pipeline " + options_.pipeline + ": " + message);
}

void StreamPipeline::adjust(std::int64_t waiting, std::int64_t pending, std::int64_t delayed) {
  std::lock_guard lock(state_mutex_);
  counts_.waiting = std::max<std::int64_t>(0, counts_.waiting + waiting);
  counts_.pending = std::max<std::int64_t>(0, counts_.pending + pending);
  counts_.delayed = std::max<std::int64_t>(0, counts_.delayed + delayed);
}

// --- host loop thread ------------------------------------------------------------------------

void StreamPipeline::push(sdk::Message message, sdk::Completion done) {
  std::vector<PushItem> items;
  items.push_back(prepare_push(message));
  if (!post([this, items = std::move(items), done]() mutable {
        submit_pushes(std::move(items), std::move(done));
      })) {
    done(sdk::Status::error("redis pipeline " + options_.pipeline + ": the driver is shut down"));
  }
}

void StreamPipeline::push_batch(std::vector<sdk::Message> messages, sdk::Completion done) {
  if (messages.empty()) {
    done(sdk::Status::ok());
    return;
  }
  std::vector<PushItem> items;
  items.reserve(messages.size());
  for (auto& m : messages) items.push_back(prepare_push(m));
  if (!post([this, items = std::move(items), done]() mutable {
        submit_pushes(std::move(items), std::move(done));
      })) {
    done(sdk::Status::error("redis pipeline " + options_.pipeline + ": the driver is shut down"));
  }
}

sdk::Status StreamPipeline::run() {
  if (host_stopped_)
    return sdk::Status::error("redis pipeline " + options_.pipeline + " is stopped");
  host_consuming_ = true;
  host_paused_ = false;
  post([this] { start_consuming(); });
  return sdk::Status::ok();
}

sdk::Status StreamPipeline::pause() {
  if (!host_consuming_ || host_paused_) {
    return sdk::Status::error("no active listeners, nothing to pause");
  }
  host_paused_ = true;
  post([this] {
    paused_ = true;
    give_back_held();
  });
  return sdk::Status::ok();
}

sdk::Status StreamPipeline::resume() {
  if (host_stopped_)
    return sdk::Status::error("redis pipeline " + options_.pipeline + " is stopped");
  if (host_consuming_ && !host_paused_) {
    return sdk::Status::error("redis listener is already in the active state");
  }
  host_consuming_ = true;
  host_paused_ = false;
  post([this] { start_consuming(); });
  return sdk::Status::ok();
}

sdk::Status StreamPipeline::stop() {
  if (host_stopped_) return sdk::Status::ok();
  host_stopped_ = true;
  host_consuming_ = false;
  post([this] { stop_consuming(); });
  return sdk::Status::ok();
}

sdk::State StreamPipeline::state() {
  sdk::State s;
  s.pipeline = options_.pipeline;
  s.driver = "redis";
  s.queue = options_.stream;
  s.priority = static_cast<std::uint64_t>(options_.priority);
  s.ready = host_consuming_ && !host_paused_;
  std::lock_guard lock(state_mutex_);
  s.active = counts_.waiting + counts_.pending;
  s.reserved = counts_.pending;
  s.delayed = counts_.delayed;
  if (!error_.empty()) {
    s.error = error_;
  } else if (!push_error_.empty() && Clock::now() < push_error_until_) {
    s.error = push_error_;
  }
  return s;
}

void StreamPipeline::settle(Settlement settlement) {
  bool first = false;
  {
    std::lock_guard lock(inbox_mutex_);
    inbox_.push_back(std::move(settlement));
    first = !inbox_posted_;
    inbox_posted_ = true;
  }
  // One wake-up for a run of acknowledgements, and a short wait before the flush so that the
  // acks of many workers go out as one script call: a Redis round trip and a few syscalls per
  // batch instead of per job. Credit for new reads frees up a little later, which prefetch
  // absorbs.
  if (first) {
    post([this] {
      settle_timer_->expires_after(kAckCoalesce);
      settle_timer_->async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
        if (!ec) self->drain_inbox();
      });
    });
  }
}

// --- pushes (client thread) ------------------------------------------------------------------

void StreamPipeline::submit_pushes(std::vector<PushItem> items, sdk::Completion done) {
  struct Gather {
    std::size_t remaining = 0;
    std::size_t first_failed = SIZE_MAX;
    sdk::Status first_error;
    sdk::Completion done;
  };
  // The group goes ahead of the first push on the same connection: a backlog that fills Redis
  // up to maxmemory must not leave consumers unable to create it.
  if (!group_checked_) ensure_group();
  auto gather = std::make_shared<Gather>();
  const bool wait = client_.options().wait_replicas > 0;
  gather->remaining = items.size() + (wait ? 1 : 0);
  gather->done = std::move(done);
  auto finish = [gather](std::size_t index, sdk::Status status) {
    if (!status && index < gather->first_failed) {
      gather->first_failed = index;
      gather->first_error = std::move(status);
    }
    if (--gather->remaining == 0) gather->done(std::move(gather->first_error));
  };
  for (std::size_t i = 0; i < items.size(); ++i) {
    auto& item = items[i];
    const bool delayed = item.delayed;
    auto on_reply = [self = shared_from_this(), finish, i, delayed](Reply reply,
                                                                    const std::string& error) {
      finish(i, self->push_outcome(reply, error, delayed));
    };
    if (delayed) {
      eval(schedule_script(), std::move(item.script_args), 2, on_reply);
    } else {
      conn_->submit(std::move(item.wire), on_reply);
    }
  }
  if (wait) {
    // WAIT covers every write this connection sent before it: the whole batch.
    const auto& o = client_.options();
    RespCommand w("WAIT");
    w.arg(o.wait_replicas).arg(ms_of(o.wait_timeout));
    conn_->submit(
        w.wire(),
        [self = shared_from_this(), finish, index = items.size(), want = o.wait_replicas](
            Reply reply, const std::string& error) {
          sdk::Status status;
          if (reply == nullptr) {
            status = sdk::Status::error("redis: no reply to WAIT (" + error + ")");
          } else if (is_error(reply)) {
            status = sdk::Status::error(self->explain(reply));
          } else if (auto got = reply_integer(reply); !got || *got < want) {
            status = sdk::Status::error(
                "redis: only " + std::to_string(got.value_or(0)) + " of " + std::to_string(want) +
                " replica(s) confirmed the push within redis.wait_timeout; the job is on the "
                "primary but may be lost if it fails now (retrying the push may duplicate it)");
          }
          finish(index, std::move(status));
        },
        o.wait_timeout);
  }
}

sdk::Status StreamPipeline::push_outcome(Reply reply, const std::string& error, bool delayed) {
  const auto now = Clock::now();
  if (reply == nullptr) {
    if (starts_with(error, "not connected")) {
      // Never sent: certainly not stored.
      return sdk::Status::error("redis: the job was not stored: " + error);
    }
    return sdk::Status::error("redis: no answer from " + address_ + " (" + error +
                              "); the job may or may not be stored, retrying the push is safe "
                              "(delivery is at least once)");
  }
  if (is_error(reply)) {
    std::string text = explain(reply);
    {
      std::lock_guard lock(state_mutex_);
      push_error_ = text;
      push_error_until_ = now + kPushErrorShown;
    }
    report("push", "push refused: " + text, now);
    return sdk::Status::error(std::move(text));
  }
  if (delayed) {
    adjust(0, 0, 1);
    if (reply->type == REDIS_REPLY_ARRAY && reply->elements == 2) {
      if (auto due = reply_integer(reply->element[1]); due && *due >= 0) {
        next_move_ = std::min(next_move_, now + std::chrono::milliseconds(*due));
      }
    }
  } else {
    adjust(1, 0, 0);
  }
  std::lock_guard lock(state_mutex_);
  push_error_.clear();
  return sdk::Status::ok();
}

// --- consuming (client thread) ---------------------------------------------------------------

void StreamPipeline::start_consuming() {
  if (stopped_) return;
  consuming_ = true;
  paused_ = false;
  if (!reader_) {
    reader_ = client_.dedicated("reader for pipeline " + options_.pipeline);
    // A group lost with its stream (a Redis restarted without persistence, a deleted key)
    // shows up as NOGROUP on the next read, which creates it again.
    reader_->set_on_ready([weak = weak_from_this()] {
      if (auto self = weak.lock()) self->maybe_read();
    });
    reader_->start();
    next_reclaim_ = Clock::now();
  }
  release_held();
}

void StreamPipeline::stop_consuming() {
  if (stopped_) return;
  stopped_ = true;
  consuming_ = false;
  give_back_held();
  if (reader_) reader_->shutdown();
  flush_acks();
}

void StreamPipeline::give_back_held() {
  // Delivered here but never given to the host: straight back to the stream for other hosts.
  auto held = std::move(held_);
  held_.clear();
  for (auto& d : held) {
    if (in_flight_ > 0) --in_flight_;
    schedule(Settlement{Settlement::Kind::kGiveBack, std::move(d.entry_id), d.auto_acked,
                        std::move(d.message), 0ms});
  }
}

void StreamPipeline::ensure_group() {
  // On the command connection and for every pipeline, consumed here or not: the group must
  // exist before a backlog fills Redis, because XGROUP CREATE is refused under maxmemory while
  // XREADGROUP and XACK (which drain it) are not.
  if (group_creating_ || (group_checked_ && group_ready_)) return;
  group_creating_ = true;
  RespCommand c("XGROUP");
  // From 0: jobs pushed before any consumer existed are not skipped.
  c.arg("CREATE").arg(options_.stream).arg(options_.group).arg("0").arg("MKSTREAM");
  conn_->submit(c.wire(), [self = shared_from_this()](Reply reply, const std::string&) {
    self->group_creating_ = false;
    if (reply == nullptr) return;  // reconnecting; the next tick tries again
    const auto now = Clock::now();
    if (is_error(reply) && !starts_with(reply_text(reply), "BUSYGROUP")) {
      self->group_retry_at_ = now + self->read_backoff_.next();
      // Under maxmemory the group may well exist (XGROUP CREATE is refused before it looks):
      // only a read that found no group makes this an error worth showing.
      if (starts_with(reply_text(reply), "OOM") && self->group_ready_) return;
      self->reader_error_ = self->explain(reply);
      self->report("group",
                   "cannot create consumer group " + self->options_.group + ": " +
                       self->reader_error_ + " (retrying)",
                   now);
      return;
    }
    self->group_checked_ = true;
    self->group_ready_ = true;
    self->reader_error_.clear();
    self->read_backoff_.reset();
    self->maybe_read();
  });
}

void StreamPipeline::maybe_read() {
  if (!consuming_ || paused_ || stopped_ || reading_ || !group_ready_ || !held_.empty() ||
      !reader_ || !reader_->ready()) {
    return;
  }
  if (Clock::now() < read_retry_at_) return;
  // Entries stay counted until Redis confirmed their ack, so this consumer never holds more
  // than `prefetch` pending entries, even while acks are on their way.
  const std::int64_t held =
      std::max<std::int64_t>(in_flight_, static_cast<std::int64_t>(owned_.size()));
  const std::int64_t credit = options_.prefetch - held;
  if (credit <= 0) return;
  // While jobs are still in hand, wait until a quarter of prefetch is free: fewer, fuller reads.
  if (held > 0 && credit < std::max<std::int64_t>(1, options_.prefetch / 4)) return;
  RespCommand c("XREADGROUP");
  c.arg("GROUP").arg(options_.group).arg(options_.consumer);
  c.arg("COUNT").arg(std::min(credit, kMaxReadCount));
  c.arg("BLOCK").arg(ms_of(kReadBlock));
  c.arg("STREAMS").arg(options_.stream).arg(">");
  reading_ = true;
  reader_->submit(
      c.wire(),
      [self = shared_from_this()](Reply reply, const std::string& error) {
        self->on_read(reply, error);
      },
      kReadBlock);
}

void StreamPipeline::on_read(Reply reply, const std::string& /*error*/) {
  reading_ = false;
  if (reply == nullptr) return;  // the reader reconnects; its on_ready starts over
  const auto now = Clock::now();
  if (is_error(reply)) {
    if (starts_with(reply_text(reply), "NOGROUP")) {
      group_ready_ = false;
      report("read",
             "the consumer group " + options_.group + " of stream " + options_.stream +
                 " is gone (was the key deleted?); creating it again",
             now);
      ensure_group();
      return;
    }
    reader_error_ = explain(reply);
    report("read", "XREADGROUP failed: " + reader_error_ + " (retrying)", now);
    read_retry_at_ = now + read_backoff_.next();
    return;
  }
  std::vector<RawEntry> entries;
  std::string problem;
  if (!parse_read_reply(reply, entries, problem)) {
    reader_error_ = "redis: unexpected XREADGROUP reply: " + problem;
    report("read", reader_error_, now);
    read_retry_at_ = now + read_backoff_.next();
    return;
  }
  read_backoff_.reset();
  reader_error_.clear();
  std::int64_t delivered = 0;
  for (auto& raw : entries) {
    if (raw.deleted) continue;  // only reads of history ("0") return these, never ">"
    DecodedEntry d = decode_entry(raw.id, raw.fields, options_.pipeline, options_.priority);
    for (const auto& w : d.warnings) {
      log_.warn("redis pipeline " + options_.pipeline + ": entry " + std::string(raw.id) +
                " (job " + d.message.id + "): " + w);
    }
    std::string id(raw.id);
    owned_.insert(id);
    ++in_flight_;
    ++delivered;
    // auto_ack (RoadRunner's semantics): acknowledged on receipt; the job's own ack is a no-op.
    if (d.auto_ack) acks_.push_back(id);
    Delivery delivery{std::move(id), std::move(d.message), d.auto_ack};
    if (stopped_ || paused_) {
      --in_flight_;
      schedule(Settlement{Settlement::Kind::kGiveBack, std::move(delivery.entry_id),
                          delivery.auto_acked, std::move(delivery.message), 0ms});
      continue;
    }
    deliver(std::move(delivery));
  }
  adjust(-delivered, delivered, 0);
  if (!acks_.empty()) flush_acks();
  maybe_read();
}

void StreamPipeline::deliver(Delivery delivery) {
  if (!held_.empty() || paused_ || !consuming_ || !offer(delivery)) {
    held_.push_back(std::move(delivery));
  }
}

bool StreamPipeline::offer(Delivery& delivery) {
  std::unique_ptr<sdk::Job> job = std::make_unique<RedisJob>(
      shared_from_this(), std::move(delivery.message), delivery.entry_id, delivery.auto_acked);
  if (queue_.try_insert(job)) return true;
  delivery.message = dynamic_cast<RedisJob&>(*job).take_back();
  job.reset();
  if (!waiting_room_) {
    waiting_room_ = true;
    queue_.on_room([weak = weak_from_this()] {
      if (auto self = weak.lock()) {
        self->post([raw = self.get()] {
          raw->waiting_room_ = false;
          raw->release_held();
        });
      }
    });
  }
  return false;
}

void StreamPipeline::release_held() {
  while (!held_.empty() && consuming_ && !paused_ && !stopped_) {
    if (!offer(held_.front())) return;
    held_.pop_front();
  }
  maybe_read();
}

// --- settlements (client thread) -------------------------------------------------------------

void StreamPipeline::drain_inbox() {
  std::vector<Settlement> batch;
  {
    std::lock_guard lock(inbox_mutex_);
    batch.swap(inbox_);
    inbox_posted_ = false;
  }
  for (auto& s : batch) {
    if (in_flight_ > 0) --in_flight_;
    apply(std::move(s));
  }
  flush_acks();
  release_held();
}

void StreamPipeline::apply(Settlement settlement) {
  if (settlement.kind == Settlement::Kind::kAck) {
    if (!settlement.auto_acked) acks_.push_back(std::move(settlement.entry_id));
    return;
  }
  schedule(std::move(settlement));
}

void StreamPipeline::flush_acks() {
  while (!acks_.empty()) {
    const std::size_t n = std::min(acks_.size(), kAckChunk);
    std::vector<std::string> ids(std::make_move_iterator(acks_.begin()),
                                 std::make_move_iterator(acks_.begin() + static_cast<long>(n)));
    acks_.erase(acks_.begin(), acks_.begin() + static_cast<long>(n));
    // One script: an entry is never acked without being deleted (or the reverse).
    std::vector<std::string> args;
    args.reserve(n + 3);
    args.push_back(options_.stream);
    args.push_back(options_.group);
    args.emplace_back(options_.delete_on_ack ? "1" : "0");
    args.insert(args.end(), ids.begin(), ids.end());
    eval(ack_script(), std::move(args), 1,
         [self = shared_from_this(), ids = std::move(ids)](Reply reply, const std::string& error) {
           self->on_acked(ids, reply, error);
         });
  }
}

void StreamPipeline::on_acked(const std::vector<std::string>& ids, Reply reply,
                              const std::string& error) {
  const auto now = Clock::now();
  auto again = [&](const std::string& why) {
    // Kept (and still heartbeated) until Redis confirms: an ack lost here would make another
    // host run the job again after claim_idle.
    acks_.insert(acks_.end(), ids.begin(), ids.end());
    retry_at_ = now + kRetryEvery;
    settle_error_ = why;
  };
  if (reply == nullptr) {
    again("redis: acknowledgements not confirmed (" + error + "); resending");
    return;
  }
  if (is_error(reply)) {
    if (starts_with(reply_text(reply), "NOGROUP")) {
      for (const auto& id : ids) owned_.erase(id);
      report("ack",
             std::to_string(ids.size()) + " acknowledgement(s) found no consumer group " +
                 options_.group + " (was the stream deleted?); those entries are gone",
             now);
      return;
    }
    const std::string text = explain(reply);
    report("ack", "acknowledgements failed: " + text + " (retrying)", now);
    again(text);
    return;
  }
  for (const auto& id : ids) owned_.erase(id);
  settle_error_.clear();
  adjust(0, -reply_integer(reply).value_or(0), 0);
  maybe_read();
}

void StreamPipeline::schedule(Settlement settlement) {
  auto s = std::make_shared<Settlement>(std::move(settlement));
  const bool settles_entry = !s->auto_acked && !s->entry_id.empty();
  const Fields fields = encode_entry(s->message);
  auto args = schedule_args(settles_entry ? s->entry_id : std::string(), s->delay, fields);
  eval(schedule_script(), std::move(args), 2,
       [self = shared_from_this(), s, settles_entry](Reply reply, const std::string& error) {
         const auto now = Clock::now();
         if (reply == nullptr || is_error(reply) || reply->type != REDIS_REPLY_ARRAY ||
             reply->elements != 2) {
           const std::string why = reply == nullptr  ? "no reply (" + error + ")"
                                   : is_error(reply) ? self->explain(reply)
                                                     : "unexpected reply";
           self->settle_error_ = "redis: requeue of job " + s->message.id + " failed: " + why;
           self->report("requeue", self->settle_error_ + " (retrying; the job stays pending)", now);
           self->retry_.push_back(*s);
           self->retry_at_ = now + kRetryEvery;
           return;
         }
         self->settle_error_.clear();
         if (settles_entry) {
           self->owned_.erase(s->entry_id);
           self->maybe_read();
         }
         if (reply_integer(reply->element[0]).value_or(0) == 0) return;  // settled elsewhere
         const std::int64_t was_pending = settles_entry ? -1 : 0;
         if (s->delay.count() > 0) {
           self->adjust(0, was_pending, 1);
           self->next_move_ = std::min(self->next_move_, now + s->delay);
         } else {
           self->adjust(1, was_pending, 0);
         }
       });
}

// --- maintenance (client thread) -------------------------------------------------------------

void StreamPipeline::heartbeat() {
  // XCLAIM JUSTID resets an entry's idle time without counting a delivery: as long as this
  // host lives, nobody reclaims what it is working on, however long a job takes.
  std::vector<std::string> ids(owned_.begin(), owned_.end());
  for (std::size_t from = 0; from < ids.size(); from += kClaimChunk) {
    RespCommand c("XCLAIM");
    c.arg(options_.stream).arg(options_.group).arg(options_.consumer).arg("0");
    const std::size_t to = std::min(ids.size(), from + kClaimChunk);
    for (std::size_t i = from; i < to; ++i) c.arg(ids[i]);
    c.arg("JUSTID");
    conn_->submit(c.wire(), [self = shared_from_this()](Reply reply, const std::string&) {
      if (is_error(reply) && !starts_with(reply_text(reply), "NOGROUP")) {
        self->report("heartbeat", "XCLAIM heartbeat failed: " + self->explain(reply), Clock::now());
      }
    });
  }
}

void StreamPipeline::reclaim() {
  if (reclaim_running_) return;
  reclaim_running_ = true;
  std::vector<std::string> args{options_.stream,
                                options_.group,
                                options_.consumer,
                                std::to_string(ms_of(options_.claim_idle)),
                                reclaim_cursor_,
                                std::to_string(kReclaimCount),
                                options_.delete_on_ack ? "1" : "0",
                                std::to_string(options_.maxlen),
                                options_.maxlen_exact ? "0" : "1"};
  eval(reclaim_script(), std::move(args), 1,
       [self = shared_from_this()](Reply reply, const std::string&) {
         self->reclaim_running_ = false;
         const auto now = Clock::now();
         if (reply == nullptr) return;
         if (is_error(reply)) {
           self->reclaim_cursor_ = "0-0";
           if (!starts_with(reply_text(reply), "NOGROUP")) {
             self->report("reclaim", "reclaim failed: " + self->explain(reply), now);
           }
           return;
         }
         if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 3) return;
         const std::string next(reply_text(reply->element[0]));
         const auto moved = reply_integer(reply->element[1]).value_or(0);
         const auto lost = reply_integer(reply->element[2]).value_or(0);
         if (moved > 0) {
           self->adjust(moved, -moved, 0);
           self->log_.warn("redis pipeline " + self->options_.pipeline + ": reclaimed " +
                           std::to_string(moved) + " job(s) pending for over claim_idle (" +
                           std::to_string(ms_of(self->options_.claim_idle)) +
                           " ms) on a consumer that went silent; they run again as a new attempt");
         }
         if (lost > 0) {
           self->log_.error("redis pipeline " + self->options_.pipeline + ": " +
                            std::to_string(lost) + " pending entr(ies) of stream " +
                            self->options_.stream +
                            " were trimmed away (maxlen) or deleted before they were processed; "
                            "those jobs are lost — raise maxlen or set it to 0");
         }
         if (!next.empty() && next != "0-0") {
           self->reclaim_cursor_ = next;
           self->next_reclaim_ = now;  // more to scan
         } else {
           self->reclaim_cursor_ = "0-0";
         }
       });
}

void StreamPipeline::move_due() {
  if (move_running_) return;
  move_running_ = true;
  std::vector<std::string> args{options_.delayed_key, options_.stream, std::to_string(kMoveLimit),
                                std::to_string(options_.maxlen), options_.maxlen_exact ? "0" : "1"};
  eval(move_due_script(), std::move(args), 2,
       [self = shared_from_this()](Reply reply, const std::string&) {
         self->move_running_ = false;
         const auto now = Clock::now();
         const auto poll = self->client_.options().delay_poll;
         if (reply == nullptr) return;
         if (is_error(reply) || reply->type != REDIS_REPLY_ARRAY || reply->elements != 2) {
           if (is_error(reply)) {
             self->report("delayed",
                          "moving due delayed jobs failed: " + self->explain(reply) + " (retrying)",
                          now);
           }
           return;
         }
         const auto moved = reply_integer(reply->element[0]).value_or(0);
         const auto next = reply_integer(reply->element[1]).value_or(-1);
         if (moved > 0) self->adjust(moved, 0, -moved);
         if (moved >= kMoveLimit) {
           self->next_move_ = now;
         } else if (next >= 0) {
           self->next_move_ = now + std::min(std::chrono::milliseconds(next), poll);
         }
       });
}

void StreamPipeline::refresh_counts() {
  if (counts_running_) return;
  counts_running_ = true;
  struct Gather {
    int remaining = 3;
    std::optional<std::int64_t> xlen;
    GroupInfo group;
    std::optional<std::int64_t> zcard;
    std::string error;
    bool lost = false;
  };
  auto g = std::make_shared<Gather>();
  auto self = shared_from_this();
  auto finish = [self, g] {
    if (--g->remaining != 0) return;
    self->counts_running_ = false;
    if (g->lost) return;
    self->counts_error_ = g->error;
    if (!g->error.empty()) {
      self->report("counts", g->error, Clock::now());
      return;
    }
    std::lock_guard lock(self->state_mutex_);
    const std::int64_t xlen = g->xlen.value_or(0);
    self->counts_.pending = g->group.pending;
    self->counts_.waiting =
        g->group.lag ? *g->group.lag : std::max<std::int64_t>(0, xlen - g->group.pending);
    self->counts_.delayed = g->zcard.value_or(0);
  };
  auto note_error = [self, g](Reply reply) {
    if (g->error.empty()) g->error = self->explain(reply);
  };
  conn_->submit(RespCommand("XLEN").arg(options_.stream).wire(),
                [g, finish, note_error](Reply reply, const std::string&) {
                  if (reply == nullptr) {
                    g->lost = true;
                  } else if (is_error(reply)) {
                    note_error(reply);
                  } else {
                    g->xlen = reply_integer(reply);
                  }
                  finish();
                });
  conn_->submit(RespCommand("XINFO").arg("GROUPS").arg(options_.stream).wire(),
                [self, g, finish, note_error](Reply reply, const std::string&) {
                  if (reply == nullptr) {
                    g->lost = true;
                  } else if (is_error(reply)) {
                    // No stream yet: nothing pushed, nothing pending.
                    if (!starts_with(reply_text(reply), "ERR no such key")) note_error(reply);
                  } else {
                    std::string problem;
                    if (!parse_group_info(reply, self->options_.group, g->group, problem) &&
                        g->error.empty()) {
                      g->error = "redis: unexpected XINFO GROUPS reply: " + problem;
                    }
                  }
                  finish();
                });
  conn_->submit(RespCommand("ZCARD").arg(options_.delayed_key).wire(),
                [g, finish, note_error](Reply reply, const std::string&) {
                  if (reply == nullptr) {
                    g->lost = true;
                  } else if (is_error(reply)) {
                    note_error(reply);
                  } else {
                    g->zcard = reply_integer(reply);
                  }
                  finish();
                });
}

void StreamPipeline::collect_consumers() {
  // Every host process is a consumer of its own (<hostname>:<pid>); those of processes long
  // gone would pile up in XINFO CONSUMERS. A consumer with nothing pending holds nothing.
  RespCommand c("XINFO");
  c.arg("CONSUMERS").arg(options_.stream).arg(options_.group);
  conn_->submit(c.wire(), [self = shared_from_this()](Reply reply, const std::string&) {
    if (reply == nullptr || reply->type != REDIS_REPLY_ARRAY) return;
    for (std::size_t i = 0; i < reply->elements; ++i) {
      const redisReply* line = reply->element[i];
      if (line == nullptr || line->type != REDIS_REPLY_ARRAY) continue;
      std::string name;
      std::int64_t pending = -1;
      std::int64_t idle = -1;
      for (std::size_t f = 0; f + 1 < line->elements; f += 2) {
        const auto key = reply_text(line->element[f]);
        if (key == "name") name = std::string(reply_text(line->element[f + 1]));
        if (key == "pending") pending = reply_integer(line->element[f + 1]).value_or(-1);
        if (key == "idle") idle = reply_integer(line->element[f + 1]).value_or(-1);
      }
      if (name.empty() || name == self->options_.consumer || pending != 0 ||
          idle < kDeadConsumerIdleMs) {
        continue;
      }
      RespCommand del("XGROUP");
      del.arg("DELCONSUMER").arg(self->options_.stream).arg(self->options_.group).arg(name);
      self->conn_->submit(del.wire(), nullptr);
      self->log_.info("redis pipeline " + self->options_.pipeline + ": removed consumer " + name +
                      " (idle for over an hour, nothing pending)");
    }
  });
}

void StreamPipeline::update_errors() {
  std::string error;
  if (!conn_->ready() && !conn_->last_error().empty()) {
    error = "redis " + address_ + ": " + conn_->last_error() + " (reconnecting)";
  } else if (consuming_ && reader_ && !reader_->ready() && !reader_->last_error().empty()) {
    error = "redis " + address_ + " (reader): " + reader_->last_error() + " (reconnecting)";
  } else if (!reader_error_.empty()) {
    error = reader_error_;
  } else if (!counts_error_.empty()) {
    error = counts_error_;
  } else if (!settle_error_.empty()) {
    error = settle_error_;
  }
  std::lock_guard lock(state_mutex_);
  error_ = std::move(error);
}

void StreamPipeline::tick(Clock::time_point now) {
  update_errors();
  if (now >= next_counts_) {
    next_counts_ = now + kCountsEvery;
    refresh_counts();
  }
  if (!owned_.empty() && now >= next_heartbeat_) {
    next_heartbeat_ = now + options_.claim_idle / 3;
    heartbeat();
  }
  if (consuming_ && now >= next_reclaim_) {
    next_reclaim_ = now + std::max<std::chrono::milliseconds>(1000ms, options_.claim_idle / 2);
    reclaim();
  }
  if (now >= next_move_) {
    next_move_ = now + client_.options().delay_poll;
    move_due();
  }
  if (consuming_ && now >= next_consumer_gc_) {
    next_consumer_gc_ = now + kConsumerGcEvery;
    collect_consumers();
  }
  if (now >= retry_at_ && conn_->ready() && (!retry_.empty() || !acks_.empty())) {
    auto again = std::move(retry_);
    retry_.clear();
    for (auto& s : again) schedule(std::move(s));
    flush_acks();
  }
  if ((!group_checked_ || !group_ready_) && now >= group_retry_at_) ensure_group();
  if (now >= read_retry_at_) maybe_read();
}

}  // namespace coyote::drivers::redis
