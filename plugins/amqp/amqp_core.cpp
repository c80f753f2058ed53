#include "amqp/amqp_core.hpp"

#include "amqp/amqp_job.hpp"

#include <poll.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <ctime>
#include <deque>
#include <utility>

namespace coyote::drivers::amqp {

namespace {

constexpr amqp_channel_t kPublishChannel = 1;
constexpr amqp_channel_t kConsumeChannel = 2;
constexpr amqp_channel_t kControlChannel = 3;
/// state() asks for a fresh broker message count at most this often.
constexpr auto kStatsInterval = std::chrono::milliseconds{250};
/// How long stop() waits for outstanding publisher confirms.
constexpr auto kStopGrace = std::chrono::seconds{5};
/// RabbitMQ caps x-expires (2 x the delay, in ms) at 2^32 - 1.
constexpr std::int64_t kMaxDelaySeconds = 4294967295LL / 2 / 1000;
/// Acks wait this long at most so that a run of them leaves as one multiple=true frame: the
/// broker handles one frame instead of one per job (its cost per job dominates a busy host).
constexpr auto kAckDelay = std::chrono::milliseconds{2};
/// The I/O thread keeps ticking (every kAckDelay) only this long after the last ack.
constexpr auto kTickIdle = std::chrono::milliseconds{50};
/// Acks behind a job still in flight wait at most this long for the next multiple ack.
constexpr auto kStragglerDelay = std::chrono::milliseconds{20};
/// A resume that found the whole prefetch window still held looks again this often.
constexpr auto kWindowPoll = std::chrono::milliseconds{20};
/// Decode problems are logged at warn this many times per pipeline, then every 1000th.
constexpr std::uint64_t kLoudWarnings = 20;

std::string seconds_text(std::chrono::steady_clock::duration d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1fs",
                std::chrono::duration_cast<std::chrono::duration<double>>(d).count());
  return buf;
}

std::string quoted(const std::string& s) { return "\"" + s + "\""; }

/// Field tables for rabbitmq-c, pointing into FieldValues that outlive the call. (Its field
/// values are C unions tagged by `kind`.)
// NOLINTBEGIN(cppcoreguidelines-pro-type-union-access)
class TableBuilder {
 public:
  amqp_table_t build(const FieldTable& table) {
    auto& entries = storage_.emplace_back();
    entries.reserve(table.size());
    for (const auto& [key, value] : table) {
      amqp_table_entry_t e{};
      e.key = bytes_of(key);
      e.value = field(value);
      entries.push_back(e);
    }
    return amqp_table_t{static_cast<int>(entries.size()), entries.data()};
  }
  void add(std::string_view key, amqp_field_value_t value) {
    if (storage_.empty()) storage_.emplace_back();
    amqp_table_entry_t e{};
    e.key = bytes_of(key);
    e.value = value;
    storage_.front().push_back(e);
  }
  amqp_table_t table() {
    if (storage_.empty()) return amqp_empty_table;
    return amqp_table_t{static_cast<int>(storage_.front().size()), storage_.front().data()};
  }
  static amqp_field_value_t string_field(std::string_view s) {
    amqp_field_value_t v{};
    v.kind = AMQP_FIELD_KIND_UTF8;
    v.value.bytes = bytes_of(s);
    return v;
  }
  static amqp_field_value_t int_field(std::int64_t i) {
    amqp_field_value_t v{};
    v.kind = AMQP_FIELD_KIND_I64;
    v.value.i64 = i;
    return v;
  }

 private:
  amqp_field_value_t field(const FieldValue& f) {
    amqp_field_value_t v{};
    switch (f.kind) {
      case FieldValue::Kind::kBool:
        v.kind = AMQP_FIELD_KIND_BOOLEAN;
        v.value.boolean = f.boolean ? 1 : 0;
        break;
      case FieldValue::Kind::kInt:
        v.kind = AMQP_FIELD_KIND_I64;
        v.value.i64 = f.integer;
        break;
      case FieldValue::Kind::kDouble:
        v.kind = AMQP_FIELD_KIND_F64;
        v.value.f64 = f.number;
        break;
      case FieldValue::Kind::kString:
        v.kind = AMQP_FIELD_KIND_UTF8;
        v.value.bytes = bytes_of(f.text);
        break;
      case FieldValue::Kind::kArray: {
        auto& items = arrays_.emplace_back();
        for (const auto& item : f.items) items.push_back(field(item));
        v.kind = AMQP_FIELD_KIND_ARRAY;
        v.value.array = amqp_array_t{static_cast<int>(items.size()), items.data()};
        break;
      }
    }
    return v;
  }

  std::deque<std::vector<amqp_table_entry_t>> storage_;
  std::deque<std::vector<amqp_field_value_t>> arrays_;
};
// NOLINTEND(cppcoreguidelines-pro-type-union-access)

/// The delivery number after a redelivery the host never answered for: X-Coyote-Attempt + 1.
void count_redelivery(sdk::Headers& headers) {
  auto& values = headers[std::string(sdk::kAttemptHeader)];
  std::int64_t n = 1;
  if (!values.empty()) {
    const auto& s = values.front();
    std::int64_t parsed = 0;
    if (auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), parsed);
        ec == std::errc{} && end == s.data() + s.size() && parsed >= 1) {
      n = parsed;
    }
  }
  values = {std::to_string(n + 1)};
}

void decrement_floor(std::atomic<std::int64_t>& counter) {
  std::int64_t v = counter.load();
  while (v > 0 && !counter.compare_exchange_weak(v, v - 1)) {
  }
}

}  // namespace

AmqpCore::AmqpCore(sdk::Queue& queue, sdk::Logger& log, GlobalSettings global,
                   PipelineSettings settings, std::chrono::milliseconds push_timeout)
    : queue_(queue),
      log_(log),
      global_(std::move(global)),
      settings_(std::move(settings)),
      push_timeout_(push_timeout),
      prefix_("amqp pipeline " + settings_.name + ": "),
      ack_batch_(static_cast<std::size_t>(std::max<std::int64_t>(1, settings_.prefetch / 4))),
      error_("connecting to " + global_.redacted_addr()),
      reconnect_backoff_({global_.reconnect_initial, global_.reconnect_max}),
      topology_backoff_({global_.reconnect_initial, global_.reconnect_max}) {}

AmqpCore::~AmqpCore() {
  if (thread_.joinable()) {
    stopped_ = true;
    commands_.push(StopCmd{});
    thread_.join();
  }
}

void AmqpCore::start() {
  thread_ = std::thread([this] { loop(); });
}

void AmqpCore::shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  (void)stop();
  if (thread_.joinable()) thread_.join();
}

// ------------------------------------------------------------------ host loop thread ---------

void AmqpCore::publish(std::vector<sdk::Message> messages, sdk::Completion done) {
  if (stopped_) {
    done(sdk::Status::error(prefix_ + "the pipeline is stopped, push refused"));
    return;
  }
  // While the very first connection attempt runs, pushes wait for its outcome (as RoadRunner's
  // constructor dials before the first push); after a failure they fail fast until reconnected.
  if (link_.load() == static_cast<int>(Link::kDisconnected)) {
    std::string why;
    {
      std::lock_guard lock(error_mutex_);
      why = error_;
    }
    done(sdk::Status::error(prefix_ + "not connected to the broker at " + global_.redacted_addr() +
                            ", the job was not pushed (retry it; Coyote reconnects by itself)" +
                            (why.empty() ? std::string() : ": " + why)));
    return;
  }
  const bool keyless = settings_.exchange_type == "fanout" || settings_.exchange_type == "headers";
  if (settings_.routing_key.empty() && !keyless) {
    for (const auto& m : messages) {
      auto it = m.headers.find(kRoutingKeyHeader);
      if (it == m.headers.end() || it->second.size() != 1 || it->second.front().empty()) {
        // RoadRunner's words, plus the per-job way out.
        done(sdk::Status::error(
            prefix_ +
            "empty routing key, consider adding the routing key name to the AMQP "
            "configuration (routing_key), or set the x-routing-key header on the job"));
        return;
      }
    }
  }
  commands_.push(PublishCmd{std::move(messages), std::move(done)});
}

sdk::Status AmqpCore::run() {
  if (settings_.queue.empty()) {
    return sdk::Status::error(
        "empty queue name, consider adding the queue name to the AMQP configuration");
  }
  if (stopped_) return sdk::Status::error(prefix_ + "the pipeline is stopped");
  running_ = true;
  commands_.push(ConsumeCmd{true});
  return sdk::Status::ok();
}

sdk::Status AmqpCore::pause() {
  if (settings_.queue.empty()) {
    return sdk::Status::error(
        "empty queue name, consider adding the queue name to the AMQP configuration");
  }
  if (!running_) return sdk::Status::error("no active listeners, nothing to pause");
  running_ = false;
  commands_.push(ConsumeCmd{false});
  return sdk::Status::ok();
}

sdk::Status AmqpCore::resume() {
  if (settings_.queue.empty()) {
    return sdk::Status::error(
        "empty queue name, consider adding the queue name to the AMQP configuration");
  }
  if (stopped_) return sdk::Status::error(prefix_ + "the pipeline is stopped");
  if (running_) return sdk::Status::error("amqp listener is already in the active state");
  running_ = true;
  commands_.push(ConsumeCmd{true});
  return sdk::Status::ok();
}

sdk::Status AmqpCore::stop() {
  if (stopped_.exchange(true)) return sdk::Status::ok();
  running_ = false;
  commands_.push(StopCmd{});
  return sdk::Status::ok();
}

sdk::State AmqpCore::state() {
  sdk::State s;
  s.pipeline = settings_.name;
  s.driver = "amqp";
  s.queue = settings_.queue;
  s.active = broker_ready_.load();
  s.delayed = delayed_.load();
  s.reserved = reserved_.load();
  s.ready = running_;
  s.priority = static_cast<std::uint64_t>(settings_.priority);
  {
    std::lock_guard lock(error_mutex_);
    s.error = error_;
  }
  const auto now = Clock::now().time_since_epoch().count();
  if (!settings_.queue.empty() && !stopped_ &&
      now - last_refresh_.load() >
          std::chrono::duration_cast<Clock::duration>(kStatsInterval).count() &&
      !refresh_requested_.exchange(true)) {
    commands_.push(RefreshCmd{});
  }
  return s;
}

sdk::Status AmqpCore::settle_ack(std::uint64_t epoch, std::uint64_t tag, bool delayed) {
  --reserved_;
  if (delayed) decrement_floor(delayed_);
  if (stopped_) {
    return sdk::Status::error("failed to acknowledge the JOB, the pipeline is probably stopped");
  }
  // Acks wait for the I/O thread's next tick (at most kAckDelay) or for a batch: no wake-up per
  // job, and the prefetch window is never kept waiting.
  commands_.push_lazy(AckCmd{epoch, tag}, ack_batch_);
  return sdk::Status::ok();
}

sdk::Status AmqpCore::settle_nack(std::uint64_t epoch, std::uint64_t tag, bool requeue,
                                  bool delayed) {
  --reserved_;
  if (delayed) decrement_floor(delayed_);
  if (stopped_) {
    return sdk::Status::error("failed to acknowledge the JOB, the pipeline is probably stopped");
  }
  commands_.push(NackCmd{epoch, tag, requeue});
  return sdk::Status::ok();
}

sdk::Status AmqpCore::settle_republish(std::uint64_t epoch, std::uint64_t tag,
                                       sdk::Message&& message, std::string rr_pipeline,
                                       bool delayed) {
  --reserved_;
  if (delayed) decrement_floor(delayed_);
  if (stopped_) {
    return sdk::Status::error("failed to acknowledge the JOB, the pipeline is probably stopped");
  }
  commands_.push(RepublishCmd{epoch, tag, std::move(message), std::move(rr_pipeline)});
  return sdk::Status::ok();
}

void AmqpCore::release(std::uint64_t epoch, std::uint64_t tag) {
  --reserved_;
  // Once stopped, closing the channel returns the delivery to the broker anyway.
  if (!stopped_) commands_.push(NackCmd{epoch, tag, true});
}

// ------------------------------------------------------------------ I/O thread ---------------

void AmqpCore::set_error(std::string text) {
  std::lock_guard lock(error_mutex_);
  error_ = std::move(text);
}

void AmqpCore::loop() {
  std::vector<Command> batch;
  next_connect_ = Clock::now();
  while (!exit_) {
    if (!conn_) {
      if (stopping_) break;
      const auto now = Clock::now();
      if (now >= next_connect_) {
        connect();
        continue;
      }
      wait(now);
      commands_.take_all(batch);
      for (auto& command : batch) handle_disconnected(command);
      continue;
    }
    commands_.take_all(batch);
    for (auto& command : batch) {
      if (conn_) {
        handle(command);
      } else {
        handle_disconnected(command);
      }
    }
    if (conn_) read_frames();
    if (conn_) timers(Clock::now());
    // After the frames too: a confirmed requeue copy acks its original here.
    if (conn_) flush_acks();
    if (stopping_ && (!conn_ || pending_.empty() || Clock::now() >= stop_deadline_)) break;
    if (conn_) wait(Clock::now());
  }
  finish_stop();
}

void AmqpCore::wait(Clock::time_point now) {
  auto until = now + std::chrono::seconds{1};
  pollfd fds[2]{};
  fds[0].fd = commands_.fd();
  fds[0].events = POLLIN;
  nfds_t count = 1;
  if (conn_) {
    if (amqp_frames_enqueued(conn_->get()) != 0 || amqp_data_in_buffer(conn_->get()) != 0) {
      return;
    }
    fds[1].fd = conn_->fd();
    fds[1].events = POLLIN;
    count = 2;
    if (!pending_.empty()) until = std::min(until, pending_.begin()->second.deadline);
    if (const int hb = conn_->heartbeat(); hb > 0) {
      until = std::min(until, now + std::chrono::milliseconds{hb * 500});
    }
    if (!topology_ok_ || (want_consume_ && !consumer_active_)) {
      until = std::min(until, next_topology_);
    }
    if (stopping_) until = std::min(until, stop_deadline_);
    if (window_.unflushed() > 0 && first_unflushed_ != Clock::time_point{}) {
      until = std::min(until, first_unflushed_ + kAckDelay);
    }
  } else {
    until = std::min(until, next_connect_);
  }
  // While acks keep coming for deliveries this host holds, tick every kAckDelay and let them
  // queue up without waking this thread one by one (WakeQueue::push_lazy). Jobs that run long
  // stop the ticking after kTickIdle: no wake-ups while nothing happens.
  const bool tick =
      conn_ && window_.outstanding() + window_.unflushed() > 0 && now - last_ack_ < kTickIdle;
  if (tick) until = std::min(until, now + kAckDelay);
  if (commands_.set_ticking(tick)) return;
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(until - now).count();
  const int timeout = static_cast<int>(std::clamp<std::int64_t>(ms, 0, 1000));
  if (::poll(fds, count, timeout) > 0 && count == 2 && fds[1].revents != 0) {
    last_rx_ = Clock::now();
  }
}

void AmqpCore::connect() {
  const auto started = Clock::now();
  auto conn = std::make_unique<AmqpConnection>();
  sdk::Status status = conn->open(global_, "coyote " + settings_.name);
  if (status) status = conn->open_channel(kPublishChannel);
  if (status) {
    (void)amqp_confirm_select(conn->get(), kPublishChannel);
    status = conn->reply_status("confirm.select", kPublishChannel);
  }
  if (!status) {
    const auto delay = reconnect_backoff_.next();
    next_connect_ = Clock::now() + delay;
    link_ = static_cast<int>(Link::kDisconnected);
    if (!ever_connected_ && reconnect_backoff_.attempts() == 1) disconnected_since_ = started;
    last_connect_error_ = status.message();
    const std::string text = "cannot connect to " + global_.redacted_addr() + ": " +
                             status.message() + "; retrying (attempt " +
                             std::to_string(reconnect_backoff_.attempts()) + ", next in " +
                             seconds_text(delay) + ")";
    set_error(text);
    log_.warn(prefix_ + text);
    return;
  }
  conn_ = std::move(conn);
  last_rx_ = Clock::now();
  next_seq_ = 1;
  control_channel_open_ = false;
  consume_channel_open_ = false;
  consumer_active_ = false;
  topology_ok_ = false;
  epoch_ = 0;
  delay_queues_.clear();
  const std::uint64_t attempts = reconnect_backoff_.attempts();
  reconnect_backoff_.reset();
  topology_backoff_.reset();
  next_topology_ = Clock::now();
  link_ = static_cast<int>(Link::kConnected);
  set_error("");
  if (!ever_connected_) {
    log_.info(prefix_ + "connected to " + global_.redacted_addr() + " (heartbeat " +
              std::to_string(conn_->heartbeat()) + "s)" +
              (attempts > 0 ? " after " + std::to_string(attempts + 1) + " attempts" : ""));
  } else {
    log_.info(prefix_ + "reconnected to " + global_.redacted_addr() + " after " +
              std::to_string(attempts) + " attempt(s), " +
              seconds_text(Clock::now() - disconnected_since_) + " without a connection" +
              (want_consume_ ? "; consuming again" : ""));
  }
  ever_connected_ = true;
  retry_topology();
}

void AmqpCore::lose_connection(const std::string& reason) {
  if (!conn_) return;
  conn_.reset();
  epoch_ = 0;
  window_.reset();
  first_unflushed_ = Clock::time_point{};
  incoming_deliver_ = Incoming{};
  incoming_return_ = Incoming{};
  consumer_active_ = false;
  consume_channel_open_ = false;
  control_channel_open_ = false;
  topology_ok_ = false;
  const std::size_t unconfirmed = pending_.size();
  fail_pending(
      "the connection to the broker was lost before it confirmed the job (it may or may "
      "not be queued; retry the push): " +
      reason);
  const std::size_t dropped = held_.size() + queue_.remove(settings_.name).size();
  held_.clear();
  link_ = static_cast<int>(Link::kDisconnected);
  disconnected_since_ = Clock::now();
  last_connect_error_ = reason;
  const auto delay = reconnect_backoff_.next();
  next_connect_ = Clock::now() + delay;
  set_error("connection to " + global_.redacted_addr() + " lost: " + reason + "; reconnecting");
  log_.error(prefix_ + "connection to " + global_.redacted_addr() + " lost: " + reason + "; " +
             std::to_string(unconfirmed) + " unconfirmed push(es) failed, " +
             std::to_string(dropped) +
             " job(s) not yet dispatched dropped from the host queue (the broker redelivers "
             "them and every un-acked job); reconnecting in " +
             seconds_text(delay));
}

void AmqpCore::fail_pending(const std::string& reason) {
  auto pending = std::move(pending_);
  pending_.clear();
  for (auto& [seq, p] : pending) p.done(sdk::Status::error(prefix_ + reason));
}

void AmqpCore::drop_stale_jobs() {
  held_.clear();
  (void)queue_.remove(settings_.name);
}

void AmqpCore::handle_disconnected(Command& command) {
  std::visit(
      [&](auto& c) {
        using T = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<T, PublishCmd>) {
          const std::string why = prefix_ + "not connected to the broker at " +
                                  global_.redacted_addr() +
                                  ", the job was not pushed (retry it; Coyote reconnects by "
                                  "itself): " +
                                  last_connect_error_;
          c.done(sdk::Status::error(why));
        } else if constexpr (std::is_same_v<T, AckCmd> || std::is_same_v<T, NackCmd> ||
                             std::is_same_v<T, RepublishCmd>) {
          // From a channel that is gone: the broker has put the delivery back in its queue.
          ++stale_acks_;
        } else if constexpr (std::is_same_v<T, ConsumeCmd>) {
          want_consume_ = c.on;
        } else if constexpr (std::is_same_v<T, RoomCmd>) {
          waiting_for_room_ = false;
          offer_held();
        } else if constexpr (std::is_same_v<T, RefreshCmd>) {
          refresh_requested_ = false;
        } else if constexpr (std::is_same_v<T, StopCmd>) {
          stopping_ = true;
          want_consume_ = false;
        }
      },
      command);
}

void AmqpCore::handle(Command& command) {
  std::visit(
      [&](auto& c) {
        using T = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<T, PublishCmd>) {
          if (c.messages.empty()) {
            c.done(sdk::Status::ok());
            return;
          }
          // One completion for the batch: the first failure in batch order, once all are known.
          struct Group {
            std::size_t pending = 0;
            std::size_t first_failed = 0;
            sdk::Status error;
            sdk::Completion done;
          };
          auto group = std::make_shared<Group>(
              Group{c.messages.size(), c.messages.size(), sdk::Status::ok(), std::move(c.done)});
          for (std::size_t i = 0; i < c.messages.size(); ++i) {
            publish_one(std::move(c.messages[i]), settings_.name, [group, i](const sdk::Status& s) {
              if (!s && i < group->first_failed) {
                group->first_failed = i;
                group->error = s;
              }
              if (--group->pending == 0) group->done(std::move(group->error));
            });
          }
        } else if constexpr (std::is_same_v<T, AckCmd>) {
          if (c.epoch != epoch_ || epoch_ == 0) {
            ++stale_acks_;
            return;
          }
          last_ack_ = Clock::now();
          if (!window_.ack(c.tag)) return;  // settled already (multiple_ack covered it)
          if (settings_.multiple_ack) {
            if (amqp_basic_ack(conn_->get(), kConsumeChannel, c.tag, 1) != AMQP_STATUS_OK) {
              lose_connection("basic.ack failed: the socket is closed");
              return;
            }
            window_.settled_up_to(c.tag);
          }
        } else if constexpr (std::is_same_v<T, NackCmd>) {
          if (c.epoch != epoch_ || epoch_ == 0) {
            ++stale_acks_;
            return;
          }
          if (!window_.settled(c.tag)) return;
          if (amqp_basic_nack(conn_->get(), kConsumeChannel, c.tag, 0, c.requeue ? 1 : 0) !=
              AMQP_STATUS_OK) {
            lose_connection("basic.nack failed: the socket is closed");
          }
        } else if constexpr (std::is_same_v<T, RepublishCmd>) {
          if (c.epoch != epoch_ || epoch_ == 0) {
            // The original went back to the queue with its channel; no copy is needed.
            ++stale_acks_;
            return;
          }
          const std::uint64_t epoch = c.epoch;
          const std::uint64_t tag = c.tag;
          const std::string id = c.message.id;
          publish_one(
              std::move(c.message), c.rr_pipeline, [this, epoch, tag, id](const sdk::Status& s) {
                if (!conn_ || epoch != epoch_) return;  // the original is back in the queue
                if (s) {
                  (void)window_.ack(tag);  // RoadRunner acks the original with multiple=false
                  return;
                }
                log_.warn(prefix_ + "job " + id + ": the requeued copy was not accepted (" +
                          s.message() + "); returning the original to the queue instead");
                if (window_.settled(tag) &&
                    amqp_basic_nack(conn_->get(), kConsumeChannel, tag, 0, 1) != AMQP_STATUS_OK) {
                  lose_connection("basic.nack failed: the socket is closed");
                }
              });
        } else if constexpr (std::is_same_v<T, ConsumeCmd>) {
          want_consume_ = c.on;
          if (c.on) {
            // As RoadRunner's Run/Resume: declare the queue again, then consume.
            if (!consumer_active_) {
              topology_ok_ = false;
              next_topology_ = Clock::now();
              retry_topology();
            }
          } else {
            stop_consumer();
          }
        } else if constexpr (std::is_same_v<T, RoomCmd>) {
          waiting_for_room_ = false;
          offer_held();
        } else if constexpr (std::is_same_v<T, RefreshCmd>) {
          refresh_requested_ = false;
          refresh_stats();
        } else if constexpr (std::is_same_v<T, StopCmd>) {
          stopping_ = true;
          want_consume_ = false;
          stop_deadline_ = Clock::now() + std::min<Clock::duration>(push_timeout_, kStopGrace);
          stop_consumer();
        }
      },
      command);
}

void AmqpCore::publish_one(sdk::Message message, const std::string& rr_pipeline,
                           std::function<void(sdk::Status)> done) {
  if (!conn_) {
    done(sdk::Status::error(prefix_ + "not connected to the broker at " + global_.redacted_addr() +
                            ", the job was not pushed (retry it)"));
    return;
  }
  const std::string routing_key = take_routing_key(message.headers, settings_.routing_key);
  std::string target = routing_key;
  const bool delayed = message.options.delay_seconds > 0;
  if (delayed && message.options.delay_seconds > kMaxDelaySeconds) {
    done(sdk::Status::error(
        prefix_ + "delay " + std::to_string(message.options.delay_seconds) +
        "s is longer than a RabbitMQ delay queue can hold (" + std::to_string(kMaxDelaySeconds) +
        "s, about 24 days: x-expires, twice the delay in ms, must fit in 32 bits); the job was "
        "not pushed"));
    return;
  }
  if (delayed) {
    // RoadRunner's delay queue: delayed-<ms>.<exchange>.<queue or routing_key>, dead-lettering
    // into the exchange with the job's routing key when its TTL expires.
    const std::int64_t ms = message.options.delay_seconds * 1000;
    target = "delayed-" + std::to_string(ms) + "." + settings_.exchange + "." +
             (settings_.queue.empty() ? settings_.routing_key : settings_.queue);
    // A per-job routing key needs its own delay queue: one name with two dead-letter keys
    // would be refused by the broker as inequivalent.
    if (routing_key != settings_.routing_key) target += "." + routing_key;
    auto status = ensure_delay_queue(target, ms, routing_key);
    if (!status) {
      done(sdk::Status::error(prefix_ + status.message()));
      if (conn_ && conn_->broken()) lose_connection(status.message());
      return;
    }
  }
  const OutgoingMessage out(message, rr_pipeline, static_cast<std::int64_t>(std::time(nullptr)));
  const int r = amqp_basic_publish(conn_->get(), kPublishChannel, bytes_of(settings_.exchange),
                                   bytes_of(target), 1, 0, out.properties(), out.body());
  if (r != AMQP_STATUS_OK) {
    const std::string why = "basic.publish failed: " + describe_status(r);
    done(sdk::Status::error(prefix_ + why + " (the job was not pushed)"));
    lose_connection(why);
    return;
  }
  Pending p;
  p.done = std::move(done);
  p.rr_id = message.id;
  p.routing_key = std::move(target);
  p.deadline = Clock::now() + push_timeout_;
  p.delayed = delayed;
  pending_.emplace(next_seq_++, std::move(p));
}

sdk::Status AmqpCore::ensure_delay_queue(const std::string& name, std::int64_t ms,
                                         const std::string& routing_key) {
  // x-expires counts from the last declaration, not the last publish: declare again before
  // half the delay has passed, or a message published later could outlive its queue.
  const auto now = Clock::now();
  if (auto it = delay_queues_.find(name);
      it != delay_queues_.end() && now - it->second < std::chrono::milliseconds{ms / 2}) {
    return sdk::Status::ok();
  }
  if (!ensure_control_channel()) return sdk::Status::error("cannot open the control channel");
  TableBuilder args;
  args.add("x-dead-letter-exchange", TableBuilder::string_field(settings_.exchange));
  args.add("x-dead-letter-routing-key", TableBuilder::string_field(routing_key));
  args.add("x-message-ttl", TableBuilder::int_field(ms));
  args.add("x-expires", TableBuilder::int_field(ms * 2));
  (void)amqp_queue_declare(conn_->get(), kControlChannel, bytes_of(name), 0, 1, 0, 0, args.table());
  auto status =
      conn_->reply_status("queue.declare " + quoted(name) + " (delay queue)", kControlChannel);
  if (status) {
    (void)amqp_queue_bind(conn_->get(), kControlChannel, bytes_of(name),
                          bytes_of(settings_.exchange), bytes_of(name), amqp_empty_table);
    status = conn_->reply_status("queue.bind " + quoted(name), kControlChannel);
  }
  if (conn_->channel_closed()) control_channel_open_ = false;
  amqp_maybe_release_buffers_on_channel(conn_->get(), kControlChannel);
  if (status) delay_queues_[name] = now;
  return status;
}

bool AmqpCore::ensure_control_channel() {
  if (control_channel_open_) return true;
  auto status = conn_->open_channel(kControlChannel);
  control_channel_open_ = static_cast<bool>(status);
  return control_channel_open_;
}

sdk::Status AmqpCore::declare_topology() {
  if (!ensure_control_channel()) {
    return sdk::Status::error("cannot open the control channel");
  }
  amqp_connection_state_t state = conn_->get();
  (void)amqp_exchange_declare(state, kControlChannel, bytes_of(settings_.exchange),
                              bytes_of(settings_.exchange_type), 0,
                              settings_.exchange_durable ? 1 : 0,
                              settings_.exchange_auto_delete ? 1 : 0, 0, amqp_empty_table);
  auto status = conn_->reply_status(
      "exchange.declare " + quoted(settings_.exchange) + " (type " + settings_.exchange_type + ")",
      kControlChannel);
  if (status && !settings_.queue.empty()) {
    TableBuilder builder;
    const amqp_table_t args = builder.build(settings_.queue_headers);
    const amqp_queue_declare_ok_t* ok = amqp_queue_declare(
        state, kControlChannel, bytes_of(settings_.queue), 0, settings_.durable ? 1 : 0,
        settings_.exclusive ? 1 : 0, settings_.queue_auto_delete ? 1 : 0, args);
    status = conn_->reply_status("queue.declare " + quoted(settings_.queue), kControlChannel);
    if (status && ok != nullptr) broker_ready_ = ok->message_count;
    if (status) {
      (void)amqp_queue_bind(state, kControlChannel, bytes_of(settings_.queue),
                            bytes_of(settings_.exchange), bytes_of(settings_.routing_key),
                            amqp_empty_table);
      status = conn_->reply_status("queue.bind " + quoted(settings_.queue) + " to " +
                                       quoted(settings_.exchange) + " with routing key " +
                                       quoted(settings_.routing_key),
                                   kControlChannel);
    }
  }
  if (conn_->channel_closed()) control_channel_open_ = false;
  amqp_maybe_release_buffers_on_channel(state, kControlChannel);
  return status;
}

sdk::Status AmqpCore::start_consumer() {
  amqp_connection_state_t state = conn_->get();
  if (!consume_channel_open_) {
    auto status = conn_->open_channel(kConsumeChannel);
    if (!status) return status;
    consume_channel_open_ = true;
    epoch_ = next_epoch_++;
    window_.reset();
    front_moved_ = Clock::now();
  }
  // A per-consumer limit (global=false), not a per-channel one: with global=true RabbitMQ makes
  // the channel and the queue coordinate for every message, which its documentation calls slow
  // (docs/broker-drivers.md, "Prefetch"). Deliveries of a
  // consumer cancelled by pause() and not yet acked still count: the new consumer gets only the
  // rest of the window (retry_topology() waits while there is none), so the host never holds
  // more than prefetch un-acked jobs of this pipeline.
  const auto window = static_cast<std::uint16_t>(static_cast<std::uint64_t>(settings_.prefetch) -
                                                 window_.outstanding());
  (void)amqp_basic_qos(state, kConsumeChannel, 0, window, 0);
  auto status = conn_->reply_status("basic.qos " + std::to_string(window), kConsumeChannel);
  if (status) {
    (void)amqp_basic_consume(state, kConsumeChannel, bytes_of(settings_.queue),
                             bytes_of(settings_.consumer_id), 0, 0, 0, amqp_empty_table);
    status = conn_->reply_status(
        "basic.consume " + quoted(settings_.queue) + " as " + quoted(settings_.consumer_id),
        kConsumeChannel);
  }
  if (conn_->channel_closed()) {
    consume_channel_open_ = false;
    epoch_ = 0;
    window_.reset();
    drop_stale_jobs();
  }
  amqp_maybe_release_buffers_on_channel(state, kConsumeChannel);
  if (status) {
    consumer_active_ = true;
    log_.debug(prefix_ + "consuming " + quoted(settings_.queue) + " (prefetch " +
               std::to_string(settings_.prefetch) + ", consumer " + settings_.consumer_id + ")");
  }
  return status;
}

void AmqpCore::stop_consumer() {
  if (!conn_ || !consumer_active_) return;
  consumer_active_ = false;
  (void)amqp_basic_cancel(conn_->get(), kConsumeChannel, bytes_of(settings_.consumer_id));
  auto status = conn_->reply_status("basic.cancel", kConsumeChannel);
  if (!status) log_.warn(prefix_ + status.message());
  if (conn_->channel_closed()) {
    consume_channel_open_ = false;
    epoch_ = 0;
    window_.reset();
    drop_stale_jobs();
  }
  if (conn_->broken()) lose_connection(status.message());
}

void AmqpCore::retry_topology() {
  if (!conn_) return;
  sdk::Status status;
  if (!topology_ok_) {
    status = declare_topology();
    if (status) topology_ok_ = true;
  }
  if (status && want_consume_ && !consumer_active_ && !stopping_) {
    if (window_.outstanding() >= static_cast<std::uint64_t>(settings_.prefetch)) {
      // Resumed while a whole window of deliveries from before the pause is still un-acked:
      // consume once the first of them is settled (see start_consumer()).
      next_topology_ = Clock::now() + kWindowPoll;
      return;
    }
    status = start_consumer();
  }
  if (status) {
    topology_backoff_.reset();
    set_error("");
    return;
  }
  if (conn_->broken()) {
    lose_connection(status.message());
    return;
  }
  const auto delay = topology_backoff_.next();
  next_topology_ = Clock::now() + delay;
  const std::string text = "connected, but " + status.message() + "; retrying in " +
                           seconds_text(delay) +
                           (want_consume_ ? " (not consuming meanwhile)" : "");
  set_error(text);
  log_.error(prefix_ + text);
}

void AmqpCore::read_frames() {
  bool got = false;
  while (conn_) {
    amqp_frame_t frame{};
    timeval zero{0, 0};
    const int r = amqp_simple_wait_frame_noblock(conn_->get(), &frame, &zero);
    if (r == AMQP_STATUS_TIMEOUT) break;
    if (r != AMQP_STATUS_OK) {
      lose_connection(describe_status(r));
      return;
    }
    got = true;
    const amqp_channel_t channel = frame.channel;
    handle_frame(frame);
    if (conn_) amqp_maybe_release_buffers_on_channel(conn_->get(), channel);
  }
  if (got) last_rx_ = Clock::now();
}

// rabbitmq-c's frames are C unions tagged by frame_type and method id, checked before each access.
// NOLINTBEGIN(cppcoreguidelines-pro-type-union-access)
void AmqpCore::handle_frame(const amqp_frame_t& frame) {
  if (frame.frame_type == AMQP_FRAME_METHOD) {
    const void* decoded = frame.payload.method.decoded;
    switch (frame.payload.method.id) {
      case AMQP_BASIC_DELIVER_METHOD: {
        const auto* m = static_cast<const amqp_basic_deliver_t*>(decoded);
        incoming_deliver_ = Incoming{};
        incoming_deliver_.kind = Incoming::Kind::kDeliver;
        incoming_deliver_.tag = m->delivery_tag;
        incoming_deliver_.redelivered = m->redelivered != 0;
        return;
      }
      case AMQP_BASIC_RETURN_METHOD: {
        const auto* m = static_cast<const amqp_basic_return_t*>(decoded);
        incoming_return_ = Incoming{};
        incoming_return_.kind = Incoming::Kind::kReturn;
        incoming_return_.reply_code = m->reply_code;
        incoming_return_.reply_text = std::string(view_of(m->reply_text));
        incoming_return_.routing_key = std::string(view_of(m->routing_key));
        return;
      }
      case AMQP_BASIC_ACK_METHOD: {
        const auto* m = static_cast<const amqp_basic_ack_t*>(decoded);
        if (frame.channel == kPublishChannel) confirm(m->delivery_tag, m->multiple != 0, true);
        return;
      }
      case AMQP_BASIC_NACK_METHOD: {
        const auto* m = static_cast<const amqp_basic_nack_t*>(decoded);
        if (frame.channel == kPublishChannel) confirm(m->delivery_tag, m->multiple != 0, false);
        return;
      }
      case AMQP_BASIC_CANCEL_METHOD: {
        // consumer_cancel_notify: the queue was deleted (or failed over) under the consumer.
        const auto* m = static_cast<const amqp_basic_cancel_t*>(decoded);
        consumer_active_ = false;
        if (m->nowait == 0) {
          amqp_basic_cancel_ok_t ok{};
          ok.consumer_tag = m->consumer_tag;
          (void)amqp_send_method(conn_->get(), frame.channel, AMQP_BASIC_CANCEL_OK_METHOD, &ok);
        }
        topology_ok_ = false;
        const auto delay = topology_backoff_.next();
        next_topology_ = Clock::now() + delay;
        const std::string text = "the broker cancelled the consumer of " + quoted(settings_.queue) +
                                 " (queue deleted?); declaring it again in " + seconds_text(delay);
        set_error(text);
        log_.error(prefix_ + text);
        return;
      }
      case AMQP_CHANNEL_CLOSE_METHOD: {
        const auto* m = static_cast<const amqp_channel_close_t*>(decoded);
        const std::string reason = describe_close(m->reply_code, m->reply_text);
        conn_->send_channel_close_ok(frame.channel);
        on_channel_closed(frame.channel, reason);
        return;
      }
      case AMQP_CONNECTION_CLOSE_METHOD: {
        const auto* m = static_cast<const amqp_connection_close_t*>(decoded);
        const std::string reason =
            "the broker closed the connection: " + describe_close(m->reply_code, m->reply_text);
        conn_->send_connection_close_ok();
        lose_connection(reason);
        return;
      }
      case AMQP_CONNECTION_BLOCKED_METHOD: {
        const auto* m = static_cast<const amqp_connection_blocked_t*>(decoded);
        const std::string text = "the broker blocks publishing (" +
                                 std::string(view_of(m->reason)) +
                                 "): a memory or disk alarm; pushes wait for their confirm up "
                                 "to jobs.timeout";
        set_error(text);
        log_.error(prefix_ + text);
        return;
      }
      case AMQP_CONNECTION_UNBLOCKED_METHOD:
        set_error("");
        log_.info(prefix_ + "the broker accepts publishing again");
        return;
      default:
        return;  // replies to calls made without waiting: nothing to do
    }
  }
  Incoming& in = frame.channel == kConsumeChannel ? incoming_deliver_ : incoming_return_;
  if (in.kind == Incoming::Kind::kNone) return;
  if (frame.frame_type == AMQP_FRAME_HEADER) {
    in.body_size = frame.payload.properties.body_size;
    const auto* props =
        static_cast<const amqp_basic_properties_t*>(frame.payload.properties.decoded);
    in.decoded = decode_properties(*props, settings_.priority);
    in.have_header = true;
    in.body.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(in.body_size, 1U << 26)));
    if (in.body_size == 0) complete_incoming(in);
    return;
  }
  if (frame.frame_type == AMQP_FRAME_BODY && in.have_header) {
    in.body.append(view_of(frame.payload.body_fragment));
    if (in.body.size() >= in.body_size) complete_incoming(in);
  }
}

// NOLINTEND(cppcoreguidelines-pro-type-union-access)

void AmqpCore::on_channel_closed(amqp_channel_t channel, const std::string& reason) {
  if (channel == kPublishChannel) {
    fail_pending("the broker closed the publish channel before confirming the job: " + reason);
    log_.error(prefix_ + "the broker closed the publish channel: " + reason + "; reopening it");
    auto status = conn_->open_channel(kPublishChannel);
    if (status) {
      (void)amqp_confirm_select(conn_->get(), kPublishChannel);
      status = conn_->reply_status("confirm.select", kPublishChannel);
    }
    next_seq_ = 1;
    if (!status) lose_connection(status.message());
    return;
  }
  if (channel == kConsumeChannel) {
    consume_channel_open_ = false;
    consumer_active_ = false;
    epoch_ = 0;
    window_.reset();
    incoming_deliver_ = Incoming{};
    drop_stale_jobs();
    topology_ok_ = false;
    const auto delay = topology_backoff_.next();
    next_topology_ = Clock::now() + delay;
    const std::string text = "the broker closed the consume channel: " + reason +
                             "; its un-acked jobs go back to the queue, consuming again in " +
                             seconds_text(delay);
    set_error(text);
    log_.error(prefix_ + text);
    return;
  }
  control_channel_open_ = false;
  log_.warn(prefix_ + "the broker closed the control channel: " + reason);
}

void AmqpCore::confirm(std::uint64_t tag, bool multiple, bool ok) {
  std::vector<Pending> done;
  if (multiple) {
    const auto end = pending_.upper_bound(tag);
    for (auto it = pending_.begin(); it != end; ++it) done.push_back(std::move(it->second));
    pending_.erase(pending_.begin(), end);
  } else if (auto it = pending_.find(tag); it != pending_.end()) {
    done.push_back(std::move(it->second));
    pending_.erase(it);
  }
  for (auto& p : done) {
    if (!ok) {
      p.done(sdk::Status::error(
          prefix_ +
          "the broker refused the job (basic.nack): it could not be stored (a queue "
          "at its length limit with x-overflow reject-publish, or a broker error); "
          "nothing was queued"));
    } else if (!p.returned.empty()) {
      p.done(sdk::Status::error(prefix_ + p.returned));
    } else {
      if (p.delayed) ++delayed_;
      p.done(sdk::Status::ok());
    }
  }
}

void AmqpCore::warn_decode(const std::vector<std::string>& warnings) {
  for (const auto& w : warnings) {
    ++decode_warnings_;
    if (decode_warnings_ <= kLoudWarnings || decode_warnings_ % 1000 == 0) {
      log_.warn(prefix_ + "delivery from " + quoted(settings_.queue) + ": " + w +
                (decode_warnings_ == kLoudWarnings ? " (further ones: every 1000th)" : ""));
    }
  }
}

void AmqpCore::complete_incoming(Incoming& incoming) {
  Incoming in = std::move(incoming);
  incoming = Incoming{};
  if (in.kind == Incoming::Kind::kReturn) {
    const std::string& id = in.decoded.message.id;
    for (auto& [seq, p] : pending_) {
      if (p.returned.empty() && p.rr_id == id && p.routing_key == in.routing_key) {
        p.returned = "the broker could not route the job (" + std::to_string(in.reply_code) + " " +
                     in.reply_text + "): exchange " + quoted(settings_.exchange) +
                     " has no queue bound with routing key " + quoted(in.routing_key) +
                     "; set `queue` so that Coyote declares and binds one, or fix routing_key / "
                     "the job's x-routing-key header. Nothing was queued";
        return;
      }
    }
    log_.warn(prefix_ + "the broker returned a message no push is waiting for (id " + id +
              ", routing key " + quoted(in.routing_key) + "): " + in.reply_text);
    return;
  }
  if (in.kind != Incoming::Kind::kDeliver) return;
  if (epoch_ == 0) return;  // the channel closed meanwhile: the broker has it back
  DecodedJob& d = in.decoded;
  warn_decode(d.warnings);
  if (!d.has_rr_id || !d.has_rr_job) {
    ++foreign_messages_;
    const std::string text = "consuming a message without " +
                             std::string(!d.has_rr_id ? "rr_id" : "rr_job") +
                             " (not written by RoadRunner or Coyote): id " + d.message.id +
                             ", job " + quoted(d.message.name);
    if (foreign_messages_ == 1) {
      log_.info(prefix_ + text + "; further ones are logged at debug level");
    } else {
      log_.debug(prefix_ + text);
    }
  }
  d.message.payload = std::move(in.body);
  d.message.options.pipeline = settings_.name;
  if (in.redelivered) count_redelivery(d.message.headers);
  window_.delivered(in.tag);
  ++reserved_;
  const bool delayed = d.message.options.delay_seconds > 0;
  insert_job(std::make_unique<AmqpJob>(shared_from_this(), std::move(d.message), epoch_, in.tag,
                                       std::move(d.rr_pipeline), delayed));
}

void AmqpCore::insert_job(std::unique_ptr<sdk::Job> job) {
  if (held_.empty() && queue_.try_insert(job)) return;
  held_.push_back(std::move(job));
  offer_held();
}

void AmqpCore::offer_held() {
  while (!held_.empty()) {
    if (!queue_.try_insert(held_.front())) {
      if (!waiting_for_room_) {
        waiting_for_room_ = true;
        queue_.on_room([weak = weak_from_this()] {
          if (auto core = weak.lock()) core->commands_.push(RoomCmd{});
        });
      }
      return;
    }
    held_.pop_front();
  }
}

void AmqpCore::flush_acks(bool force) {
  if (epoch_ == 0 || window_.unflushed() == 0) return;
  const auto now = Clock::now();
  if (first_unflushed_ == Clock::time_point{}) first_unflushed_ = now;
  // Enough to matter (a quarter of the prefetch window, so the broker is never kept waiting for
  // room), or the oldest waited long enough, or nothing else is coming.
  // Wait for more only while more can come: once every delivery this host holds is acked, the
  // broker is waiting for exactly these.
  if (!force && window_.unflushed() < ack_batch_ && window_.outstanding() > 0 &&
      now - first_unflushed_ < kAckDelay) {
    return;
  }
  // Stragglers (acked behind a job still running) wait for the next multiple ack unless the
  // front has been stuck for kStragglerDelay (a long job) or a quarter of the window waits
  // behind it: either way the prefetch window stays open.
  const bool stragglers =
      force || window_.stragglers() >= ack_batch_ || now - front_moved_ >= kStragglerDelay;
  const std::uint64_t front = window_.front();
  const AckWindow::Flush f = window_.flush(stragglers);
  if (window_.front() != front) front_moved_ = now;
  // What stays unflushed is due again in kAckDelay.
  first_unflushed_ = window_.unflushed() > 0 ? now : Clock::time_point{};
  amqp_connection_state_t state = conn_->get();
  if (f.multiple_up_to != 0 &&
      amqp_basic_ack(state, kConsumeChannel, f.multiple_up_to, 1) != AMQP_STATUS_OK) {
    lose_connection("basic.ack failed: the socket is closed");
    return;
  }
  for (const auto tag : f.singles) {
    if (amqp_basic_ack(state, kConsumeChannel, tag, 0) != AMQP_STATUS_OK) {
      lose_connection("basic.ack failed: the socket is closed");
      return;
    }
  }
}

void AmqpCore::refresh_stats() {
  last_refresh_ = Clock::now().time_since_epoch().count();
  if (settings_.queue.empty() || !ensure_control_channel()) return;
  const amqp_queue_declare_ok_t* ok = amqp_queue_declare(
      conn_->get(), kControlChannel, bytes_of(settings_.queue), 1, 0, 0, 0, amqp_empty_table);
  auto status =
      conn_->reply_status("queue.declare (passive) " + quoted(settings_.queue), kControlChannel);
  if (status && ok != nullptr) broker_ready_ = ok->message_count;
  if (conn_->channel_closed()) {
    control_channel_open_ = false;
    if (topology_ok_) {
      // The queue was deleted on the broker: declare it again (and consume, if we were).
      topology_ok_ = false;
      next_topology_ = Clock::now();
      log_.error(prefix_ + status.message() + "; declaring it again");
    }
  }
  if (conn_->broken()) {
    lose_connection(status.message());
    return;
  }
  amqp_maybe_release_buffers_on_channel(conn_->get(), kControlChannel);
}

void AmqpCore::timers(Clock::time_point now) {
  while (!pending_.empty() && pending_.begin()->second.deadline <= now) {
    Pending p = std::move(pending_.begin()->second);
    pending_.erase(pending_.begin());
    p.done(sdk::Status::error(prefix_ +
                              "no publisher confirm from the broker within jobs.timeout (" +
                              seconds_text(push_timeout_) + "); the job may or may not be queued"));
  }
  if (!conn_) return;
  if (const int hb = conn_->heartbeat(); hb > 0) {
    const auto silence = now - last_rx_;
    if (silence > std::chrono::seconds{2 * hb + 1}) {
      // rabbitmq-c and TCP_USER_TIMEOUT usually notice first; this catches a silent socket.
      lose_connection("no traffic from the broker for " + seconds_text(silence) + " (heartbeat " +
                      std::to_string(hb) + "s): a network partition or a hung broker");
      return;
    }
  }
  if ((!topology_ok_ || (want_consume_ && !consumer_active_)) && now >= next_topology_ &&
      !stopping_) {
    retry_topology();
  }
}

void AmqpCore::finish_stop() {
  if (conn_) {
    stop_consumer();
  }
  if (conn_) flush_acks(true);
  if (conn_ && settings_.delete_queue_on_stop && !settings_.queue.empty() &&
      ensure_control_channel()) {
    const amqp_queue_delete_ok_t* ok =
        amqp_queue_delete(conn_->get(), kControlChannel, bytes_of(settings_.queue), 0, 0);
    auto status = conn_->reply_status("queue.delete " + quoted(settings_.queue), kControlChannel);
    if (status && ok != nullptr) {
      log_.debug(prefix_ + "deleted queue " + quoted(settings_.queue) + " (" +
                 std::to_string(ok->message_count) + " message(s) purged)");
    } else if (!status) {
      log_.warn(prefix_ + status.message());
    }
  }
  if (conn_) conn_->close(std::chrono::seconds{1});
  conn_.reset();
  fail_pending(
      "the pipeline stopped before the broker confirmed the job (it may or may not be "
      "queued)");
  held_.clear();
  link_ = static_cast<int>(Link::kStopped);
  exit_ = true;
  if (stale_acks_ > 0) {
    log_.debug(prefix_ + std::to_string(stale_acks_) +
               " acknowledgement(s) for deliveries of a closed channel were dropped (the broker "
               "redelivered those jobs)");
  }
}

}  // namespace coyote::drivers::amqp
