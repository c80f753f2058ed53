#include "nats/nats_core.hpp"

#include "nats/nats_job.hpp"
#include "nats/rr_message.hpp"

#include <nats/nats.h>

#include <pthread.h>
#include <algorithm>
#include <cinttypes>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <set>
#include <utility>

namespace coyote::drivers::nats {
namespace {

using std::chrono::milliseconds;

/// JetStream keeps every message a consumer delivered and nobody acked in its pending set, and
/// stops delivering once that set reaches MaxAckPending. Coyote bounds what each host holds by
/// `prefetch` itself (the consumer is shared, so the server cannot know the per-host share);
/// the server-side bound only has to stay out of the way, including for delayed jobs, which
/// wait in the pending set between their early delivery and their due time.
constexpr std::int64_t kMaxAckPending = 1'000'000'000;
/// A pull request stays open this long; the server delivers into it as messages arrive.
constexpr std::int64_t kPullExpiresMs = 10'000;
/// Pull requests one host keeps open at once (the consumer's MaxWaiting is 512 by default).
constexpr std::size_t kMaxOpenPulls = 4;
constexpr std::int64_t kApiWaitMs = 5000;
constexpr int kReconnectBuffer = 20 * 1024 * 1024;  // RoadRunner's
constexpr milliseconds kInfoEvery{1000};
constexpr milliseconds kCloseWait{5000};
constexpr milliseconds kAckDelay{1};
constexpr milliseconds kRecreateDelay{1000};
constexpr std::size_t kAckBatch = 512;
/// An ack the server has not confirmed in this time was lost (a reconnect): its slot is freed
/// anyway. Should the ack itself be lost, JetStream redelivers after ack_wait (at least once).
constexpr milliseconds kSettleConfirmWait{5000};
/// An early delivery of a delayed job closer than this to its due time is delivered now.
constexpr std::int64_t kDueSlackNs = 20'000'000;

// cnats calls back on its own threads, possibly while (or after) a core shuts down. Callbacks
// look their core up here; shutdown() removes it, waiting for a callback in progress.
std::mutex& live_mutex() {
  static std::mutex m;
  return m;
}
std::set<const void*>& live_cores() {
  static std::set<const void*> s;
  return s;
}

template <typename F>
void with_core(void* closure, F&& f) {
  std::lock_guard lock(live_mutex());
  if (live_cores().contains(closure)) f(*static_cast<NatsCore*>(closure));
}

std::string last_error_text(natsStatus s) {
  const char* text = nats_GetLastError(nullptr);
  std::string out = natsStatus_GetText(s);
  if (text != nullptr && *text != '\0' && out != text) out.append(": ").append(text);
  return out;
}

void on_pub_ack_trampoline(jsCtx* /*js*/, natsMsg* msg, jsPubAck* pa, jsPubAckErr* pae,
                           void* closure) {
  sdk::Status status;
  if (pa == nullptr) {
    std::string why;
    if (pae == nullptr) {
      why = "the JetStream publish failed";
    } else if (pae->Err == NATS_TIMEOUT) {
      why = "timeout";
    } else if (pae->Err == NATS_NO_RESPONDERS) {
      why = "no responders";
    } else {
      why = pae->ErrText != nullptr && *pae->ErrText != '\0' ? pae->ErrText
                                                             : natsStatus_GetText(pae->Err);
      if (pae->ErrCode != 0) why += " (JetStream error " + std::to_string(pae->ErrCode) + ")";
    }
    status = sdk::Status::error(std::move(why));
  }
  with_core(closure, [&](NatsCore& core) { core.on_publish_ack(msg, status); });
  natsMsg_Destroy(msg);  // the ack handler owns the published message
}

void on_disconnected_trampoline(natsConnection* /*nc*/, void* closure) {
  with_core(closure, [](NatsCore& core) { core.on_disconnected(); });
}
void on_connected_trampoline(natsConnection* /*nc*/, void* closure) {
  with_core(closure, [](NatsCore& core) { core.on_connected(false); });
}
void on_reconnected_trampoline(natsConnection* /*nc*/, void* closure) {
  with_core(closure, [](NatsCore& core) { core.on_connected(true); });
}
void on_error_trampoline(natsConnection* /*nc*/, natsSubscription* /*sub*/, natsStatus err,
                         void* closure) {
  std::string text = natsStatus_GetText(err);
  with_core(closure, [&](NatsCore& core) { core.on_async_error(text); });
}

// The request id a reply subject ends with ("<inbox>.<id>"); 0 when it has none.
std::uint64_t request_id_of(natsMsg* msg) {
  const char* subject = natsMsg_GetSubject(msg);
  const char* dot = subject != nullptr ? std::strrchr(subject, '.') : nullptr;
  return dot != nullptr ? std::strtoull(dot + 1, nullptr, 10) : 0;
}

// A fresh inbox subject into `inbox`, and an asynchronous subscription on it followed by
// `suffix` ("" for the inbox itself, ".*" for one reply subject per request).
natsStatus subscribe_new_inbox(natsConnection* conn, std::string& inbox, const char* suffix,
                               natsSubscription** sub, natsMsgHandler handler, void* closure) {
  natsInbox* created = nullptr;
  natsStatus s = natsInbox_Create(&created);
  if (s != NATS_OK) return s;
  inbox = created;
  natsInbox_Destroy(created);
  const std::string subject = inbox + suffix;
  return natsConnection_Subscribe(sub, conn, subject.c_str(), handler, closure);
}

void on_delete_reply(natsConnection* /*nc*/, natsSubscription* /*sub*/, natsMsg* msg,
                     void* closure) {
  const std::string_view data(natsMsg_GetData(msg),
                              static_cast<std::size_t>(natsMsg_GetDataLength(msg)));
  if (data.find("\"success\":true") == std::string_view::npos) {
    std::string text =
        "delete_after_ack: the server refused to delete a message: " + std::string(data);
    with_core(closure, [&](NatsCore& core) { core.on_async_error(text); });
  }
  natsMsg_Destroy(msg);
}

void on_settle_reply(natsConnection* /*nc*/, natsSubscription* /*sub*/, natsMsg* msg,
                     void* closure) {
  const std::uint64_t id = request_id_of(msg);
  natsMsg_Destroy(msg);
  if (id != 0) with_core(closure, [id](NatsCore& core) { core.on_settle_confirmed(id); });
}

// The pull subscription is drained (its on-complete callback awaited) before its core goes
// away, so its messages reach the core without the registry lock (a delivery may wait for room
// in the host queue, which must not hold up every other pipeline's callbacks).
void on_pull_message(natsConnection* /*nc*/, natsSubscription* /*sub*/, natsMsg* msg,
                     void* closure) {
  static_cast<NatsCore*>(closure)->on_pull_message(msg);
}

void on_pull_complete(void* closure) { static_cast<NatsCore*>(closure)->on_pull_closed(); }

std::string join_subjects(const char** subjects, int count) {
  std::string out = "[";
  for (int i = 0; i < count; ++i) {
    if (i != 0) out += ", ";
    out += subjects[i];
  }
  return out + "]";
}

}  // namespace

NatsCore::NatsCore(NatsOptions options, sdk::Queue& queue, sdk::Logger& log)
    : options_(std::move(options)), queue_(queue), log_(log) {
  std::lock_guard lock(live_mutex());
  live_cores().insert(this);
}

NatsCore::~NatsCore() { shutdown(); }

void NatsCore::start(const std::shared_ptr<NatsCore>& self) {
  self_ = self;
  // Named for top -H and debuggers (15 characters at most).
  consumer_thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "nats-consume");
    consumer_loop();
  });
  io_thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "nats-io");
    io_loop();
  });
}

// ---- host loop ---------------------------------------------------------------------------------

void NatsCore::push(std::vector<sdk::Message> messages, sdk::Completion done) {
  bool wake = false;
  {
    std::lock_guard lock(mutex_);
    if (!stopping_) {
      Op op;
      op.kind = OpKind::kPublish;
      op.messages = std::move(messages);
      op.done = std::move(done);
      wake = true;
      urgent_ = true;
      ops_.push_back(std::move(op));
      done = nullptr;
    }
  }
  if (done) {
    done(sdk::Status::error("nats pipeline " + options_.pipeline + " is stopped, push refused"));
    return;
  }
  if (wake) io_cv_.notify_one();
}

sdk::Status NatsCore::run() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return sdk::Status::error("nats pipeline " + options_.pipeline + " is stopped");
    if (running_) {
      log_.warn("nats listener is already in the active state (pipeline " + options_.pipeline +
                ")");
      return sdk::Status::ok();
    }
    running_ = true;
  }
  consumer_cv_.notify_all();
  return sdk::Status::ok();
}

sdk::Status NatsCore::pause() {
  {
    std::lock_guard lock(mutex_);
    if (!running_) return sdk::Status::error("no active listeners, nothing to pause");
    running_ = false;
  }
  consumer_cv_.notify_all();
  return sdk::Status::ok();
}

sdk::Status NatsCore::resume() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return sdk::Status::error("nats pipeline " + options_.pipeline + " is stopped");
    if (running_) return sdk::Status::error("nats listener is already in the active state");
    running_ = true;
  }
  consumer_cv_.notify_all();
  return sdk::Status::ok();
}

sdk::Status NatsCore::stop() {
  {
    std::lock_guard lock(mutex_);
    running_ = false;
    stopping_ = true;
  }
  consumer_cv_.notify_all();
  io_cv_.notify_all();
  return sdk::Status::ok();
}

void NatsCore::shutdown() {
  {
    std::lock_guard lock(mutex_);
    if (shut_down_) return;
    shut_down_ = true;
  }
  (void)stop();
  if (consumer_thread_.joinable()) consumer_thread_.join();
  if (io_thread_.joinable()) io_thread_.join();
  {
    std::lock_guard lock(live_mutex());
    live_cores().erase(this);
  }
  // Publishes still unanswered: their producers get an answer now (the job may or may not have
  // been stored; the producer must assume it was not).
  std::unordered_map<natsMsg*, std::function<void(sdk::Status)>> orphans;
  {
    std::lock_guard lock(publish_mutex_);
    orphans.swap(publishing_);
  }
  for (auto& [msg, done] : orphans) {
    done(not_stored("the pipeline stopped before the JetStream publish ack arrived"));
  }
  if (pull_ != nullptr) natsSubscription_Destroy(pull_);
  if (delete_replies_ != nullptr) natsSubscription_Destroy(delete_replies_);
  if (settle_replies_ != nullptr) natsSubscription_Destroy(settle_replies_);
  if (js_ != nullptr) jsCtx_Destroy(js_);
  if (conn_ != nullptr) {
    natsConnection_Close(conn_);
    natsConnection_Destroy(conn_);
  }
  pull_ = nullptr;
  delete_replies_ = nullptr;
  settle_replies_ = nullptr;
  js_ = nullptr;
  conn_ = nullptr;
}

sdk::State NatsCore::state() {
  sdk::State s;
  s.pipeline = options_.pipeline;
  s.driver = "nats";
  s.queue = options_.subject;
  s.priority = static_cast<std::uint64_t>(options_.priority);
  std::lock_guard lock(mutex_);
  const auto now = std::chrono::system_clock::now();
  delayed_due_.erase(delayed_due_.begin(), delayed_due_.upper_bound(now));
  s.active = info_ack_pending_;
  s.reserved = info_pending_;
  s.delayed = static_cast<std::int64_t>(delayed_due_.size());
  s.ready = running_;
  s.error = error_;
  return s;
}

sdk::Status NatsCore::ack(const Delivery& delivery) { return settle(OpKind::kAck, delivery); }

sdk::Status NatsCore::term(const Delivery& delivery) { return settle(OpKind::kTerm, delivery); }

sdk::Status NatsCore::settle(OpKind kind, const Delivery& delivery) {
  unhold(delivery.token);
  if (delivery.auto_acked) {
    release_slot();
    return sdk::Status::ok();
  }
  // The slot frees once the server confirms the ack, not once it is sent: nats-server handles
  // acks and pull requests on separate queues, so a pull sent after an ack may be served before
  // that ack counts, and the server would see this host hold prefetch + 1.
  Op op;
  op.kind = kind;
  op.delivery = delivery;
  if (enqueue(std::move(op))) return sdk::Status::ok();
  release_slot();
  return closed_error();
}

sdk::Status NatsCore::requeue(const Delivery& delivery, sdk::Message message) {
  // An auto-acked original is gone from the server already; any other stays held (kept in
  // progress) and in its slot until the copy is stored and the original acked.
  if (delivery.auto_acked) release_slot();
  Op op;
  op.kind = OpKind::kRequeue;
  op.delivery = delivery;
  op.messages.push_back(std::move(message));
  if (enqueue(std::move(op))) return sdk::Status::ok();
  unhold(delivery.token);
  if (!delivery.auto_acked) release_slot();
  return closed_error();
}

void NatsCore::give_back(const Delivery& delivery, sdk::Message message) {
  message.options.delay_seconds = 0;
  (void)requeue(delivery, std::move(message));
}

bool NatsCore::enqueue(Op op) {
  bool wake = false;
  {
    std::lock_guard lock(mutex_);
    if (io_done_) return false;
    // The io thread takes every queued op at once and lets acks gather for kAckDelay: only the
    // first ack of a run wakes it (a futex wake per ack costs more than the ack itself).
    const bool urgent = op.kind != OpKind::kAck && op.kind != OpKind::kTerm;
    if (urgent) urgent_ = true;
    wake = urgent || ops_.empty() || ops_.size() + 1 >= kAckBatch;
    ops_.push_back(std::move(op));
  }
  if (wake) io_cv_.notify_one();
  return true;
}

sdk::Status NatsCore::closed_error() const {
  return sdk::Status::error("failed to acknowledge the JOB, the nats pipeline " +
                            options_.pipeline +
                            " is stopped (JetStream redelivers the message after ack_wait)");
}

void NatsCore::release_slot() {
  bool wake = false;
  {
    std::lock_guard lock(mutex_);
    wake = release_slot_locked();
  }
  if (wake) consumer_cv_.notify_one();
}

bool NatsCore::release_slot_locked() {
  if (in_flight_ > 0) --in_flight_;
  // The consumer thread waits for a quarter of prefetch to be free (or for the last job).
  return options_.prefetch - in_flight_ - credit_ == fetch_threshold() || in_flight_ + credit_ == 0;
}

void NatsCore::on_settle_confirmed(std::uint64_t id) {
  bool wake = false;
  {
    std::lock_guard lock(mutex_);
    // Absent: already freed by release_unconfirmed_locked (the answer came too late).
    if (unconfirmed_.erase(id) == 1) wake = release_slot_locked();
  }
  if (wake) consumer_cv_.notify_one();
}

void NatsCore::release_unconfirmed_locked(Clock::time_point now) {
  while (!unconfirmed_.empty() && unconfirmed_.begin()->second <= now) {
    unconfirmed_.erase(unconfirmed_.begin());
    if (in_flight_ > 0) --in_flight_;
  }
}

std::int64_t NatsCore::fetch_threshold() const {
  return std::max<std::int64_t>(1, options_.prefetch / 4);
}

std::uint64_t NatsCore::hold(const std::string& reply) {
  std::lock_guard lock(held_mutex_);
  const std::uint64_t token = next_token_++;
  held_.emplace(token, Held{reply, Clock::now()});
  return token;
}

void NatsCore::unhold(std::uint64_t token) {
  if (token == 0) return;
  std::lock_guard lock(held_mutex_);
  held_.erase(token);
}

// ---- errors ------------------------------------------------------------------------------------

void NatsCore::set_error(std::string text) {
  std::lock_guard lock(mutex_);
  if (text == error_) return;
  error_ = std::move(text);
  log_.error("nats pipeline " + options_.pipeline + ": " + error_);
}

void NatsCore::clear_error(const char* recovered_what) {
  std::lock_guard lock(mutex_);
  if (error_.empty()) return;
  error_.clear();
  log_.info("nats pipeline " + options_.pipeline + ": " + recovered_what);
}

std::string NatsCore::error_text() {
  std::lock_guard lock(mutex_);
  return error_;
}

sdk::Status NatsCore::not_stored(const std::string& why) {
  std::string text = "nats pipeline " + options_.pipeline + ": the job was not stored: " + why;
  if (auto e = error_text(); !e.empty()) text += " (" + e + ")";
  return sdk::Status::error(std::move(text));
}

// ---- cnats callbacks ---------------------------------------------------------------------------

void NatsCore::on_publish_ack(natsMsg* msg, const sdk::Status& status) {
  std::function<void(sdk::Status)> done;
  {
    std::lock_guard lock(publish_mutex_);
    auto it = publishing_.find(msg);
    if (it == publishing_.end()) return;
    done = std::move(it->second);
    publishing_.erase(it);
  }
  if (status) {
    done(status);
  } else {
    std::string why = status.message();
    if (why == "timeout") {
      why = "no JetStream publish ack from " + options_.address + " within " +
            std::to_string(options_.publish_timeout.count()) + "ms (jobs.timeout)";
    } else if (why == "no responders") {
      why = "no JetStream stream stores subject \"" + options_.subject +
            "\" (is JetStream enabled on the server, and does stream \"" + options_.stream +
            "\" exist?)";
    }
    done(not_stored(why));
  }
  // Counted down only after `done`, which may queue the ack of a requeued original: the close
  // drain waits for both.
  publishes_pending_.fetch_sub(1);
}

void NatsCore::on_disconnected() {
  connected_ = false;
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;  // our own close
  }
  set_error("lost the connection to " + options_.address +
            "; reconnecting every second, forever (pushes wait up to jobs.timeout)");
}

void NatsCore::on_connected(bool reconnected) {
  connected_ = true;
  needs_setup_ = true;
  log_.info("nats pipeline " + options_.pipeline + ": " +
            (reconnected ? "reconnected to " : "connected to ") + options_.address);
  consumer_cv_.notify_all();
}

void NatsCore::on_async_error(const std::string& text) {
  log_.warn("nats pipeline " + options_.pipeline + ": " + text);
}

// ---- consumer thread ---------------------------------------------------------------------------

bool NatsCore::connect() {
  natsOptions* opts = nullptr;
  natsStatus s = natsOptions_Create(&opts);
  const std::string name = "coyote " + options_.pipeline;
  if (s == NATS_OK) s = natsOptions_SetURL(opts, options_.address.c_str());
  if (s == NATS_OK) s = natsOptions_SetName(opts, name.c_str());
  if (s == NATS_OK) s = natsOptions_SetNoEcho(opts, true);
  if (s == NATS_OK) s = natsOptions_SetTimeout(opts, kApiWaitMs);
  if (s == NATS_OK) s = natsOptions_SetMaxReconnect(opts, -1);
  if (s == NATS_OK) s = natsOptions_SetReconnectWait(opts, 1000);
  if (s == NATS_OK) s = natsOptions_SetPingInterval(opts, 10'000);
  if (s == NATS_OK) s = natsOptions_SetReconnectBufSize(opts, kReconnectBuffer);
  if (s == NATS_OK) {
    s = natsOptions_SetRetryOnFailedConnect(opts, true, on_connected_trampoline, this);
  }
  if (s == NATS_OK) s = natsOptions_SetDisconnectedCB(opts, on_disconnected_trampoline, this);
  if (s == NATS_OK) s = natsOptions_SetReconnectedCB(opts, on_reconnected_trampoline, this);
  if (s == NATS_OK) s = natsOptions_SetErrorHandler(opts, on_error_trampoline, this);
  if (s != NATS_OK) {
    set_error("nats.addr " + options_.address + " is not usable: " + last_error_text(s));
    natsOptions_Destroy(opts);
    return false;
  }
  s = natsConnection_Connect(&conn_, opts);
  natsOptions_Destroy(opts);
  if (s == NATS_NOT_YET_CONNECTED) {
    set_error("cannot connect to " + options_.address +
              " (is nats-server running there?); retrying every second, forever");
  } else if (s != NATS_OK) {
    conn_ = nullptr;
    set_error("cannot connect to " + options_.address + ": " + last_error_text(s));
    return false;
  } else {
    connected_ = true;
    log_.info("nats pipeline " + options_.pipeline + ": connected to " + options_.address);
  }
  jsOptions jo;
  jsOptions_Init(&jo);
  jo.Wait = kApiWaitMs;
  jo.PublishAsync.AckHandler = on_pub_ack_trampoline;
  jo.PublishAsync.AckHandlerClosure = this;
  s = natsConnection_JetStream(&js_, conn_, &jo);
  if (s == NATS_OK && options_.delete_after_ack) {
    s = subscribe_new_inbox(conn_, delete_inbox_, "", &delete_replies_, on_delete_reply, this);
  }
  if (s == NATS_OK) {
    s = subscribe_new_inbox(conn_, pull_inbox_, ".*", &pull_, nats::on_pull_message, this);
    if (s == NATS_OK) s = natsSubscription_SetPendingLimits(pull_, -1, -1);
    if (s == NATS_OK) s = natsSubscription_SetOnCompleteCB(pull_, on_pull_complete, this);
  }
  if (s == NATS_OK) {
    s = subscribe_new_inbox(conn_, settle_inbox_, ".*", &settle_replies_, on_settle_reply, this);
    // At most prefetch answers are outstanding; cnats's default limit could drop some.
    if (s == NATS_OK) s = natsSubscription_SetPendingLimits(settle_replies_, -1, -1);
  }
  if (s != NATS_OK) {
    set_error("cannot set up JetStream on the connection: " + last_error_text(s));
    return false;
  }
  connection_ready_ = true;
  io_cv_.notify_all();
  return true;
}

void NatsCore::consumer_loop() {
  milliseconds backoff{500};
  while (!connect()) {
    // Only a broken URL or an out-of-memory gets here; the connection itself retries forever.
    connect_failed_ = true;
    io_cv_.notify_all();
    if (js_ != nullptr) {
      jsCtx_Destroy(js_);
      js_ = nullptr;
    }
    if (conn_ != nullptr) {
      natsConnection_Destroy(conn_);
      conn_ = nullptr;
    }
    std::unique_lock lock(mutex_);
    if (consumer_cv_.wait_for(lock, backoff, [&] { return stopping_; })) {
      consumer_done_ = true;
      io_cv_.notify_all();
      return;
    }
    backoff = std::min(backoff * 2, milliseconds{30'000});
  }
  connect_failed_ = false;
  backoff = milliseconds{500};
  auto last_info = Clock::now() - kInfoEvery;
  while (true) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) break;
    }
    if (!connected_) {
      std::unique_lock lock(mutex_);
      consumer_cv_.wait_for(lock, milliseconds{500},
                            [&] { return stopping_ || connected_.load(); });
      continue;
    }
    if (needs_setup_) {
      {
        std::unique_lock lock(mutex_);
        if (Clock::now() < setup_not_before_) {
          consumer_cv_.wait_until(lock, setup_not_before_, [&] { return stopping_; });
          continue;
        }
      }
      needs_setup_ = false;
      auto status = ensure_stream_and_consumer();
      setup_state_ = status ? 1 : 2;
      io_cv_.notify_all();
      if (!status) {
        needs_setup_ = true;
        set_error(status.message() + "; retrying in " + std::to_string(backoff.count()) + "ms");
        std::unique_lock lock(mutex_);
        consumer_cv_.wait_for(lock, backoff, [&] { return stopping_; });
        backoff = std::min(backoff * 2, milliseconds{30'000});
        continue;
      }
      backoff = milliseconds{500};
      clear_error("stream and consumer ready, consuming resumes");
      last_info = Clock::now() - kInfoEvery;
    }
    if (Clock::now() - last_info >= kInfoEvery) {
      refresh_info();
      last_info = Clock::now();
      if (needs_setup_) continue;
    }
    std::deque<std::unique_ptr<sdk::Job>> parked;
    {
      std::lock_guard lock(mutex_);
      if (running_) parked.swap(parked_);
    }
    for (auto& job : parked) insert(std::move(job));
    pull_more();
  }
  drop_subscription();
  std::deque<std::unique_ptr<sdk::Job>> parked;
  {
    std::lock_guard lock(mutex_);
    parked.swap(parked_);
  }
  parked.clear();  // given back (their destructors republish them)
  {
    std::lock_guard lock(mutex_);
    consumer_done_ = true;
  }
  io_cv_.notify_all();
}

void NatsCore::setup_later() {
  {
    // nats-server 2.9 removes a deleted stream's files after answering the delete; a stream of
    // the same name created within that window can be left unable to store anything ("error
    // opening msg block file", 10077). Give the server a moment before re-creating.
    std::lock_guard lock(mutex_);
    setup_not_before_ = Clock::now() + kRecreateDelay;
  }
  needs_setup_ = true;
  consumer_cv_.notify_all();
}

void NatsCore::drop_subscription() {
  if (pull_ == nullptr) return;
  // Drain: deliveries already received still reach the host queue (or are given back when it
  // is stopping); then wait for the last callback before the core may go away.
  if (natsSubscription_DrainTimeout(pull_, 2000) != NATS_OK) {
    (void)natsSubscription_Unsubscribe(pull_);
  }
  std::unique_lock lock(mutex_);
  consumer_cv_.wait_for(lock, milliseconds{5000}, [&] { return pull_closed_; });
}

void NatsCore::on_pull_closed() {
  {
    std::lock_guard lock(mutex_);
    pull_closed_ = true;
  }
  consumer_cv_.notify_all();
}

void NatsCore::pull_more() {
  std::int64_t batch = 0;
  std::uint64_t id = 0;
  {
    // Pull once a quarter of prefetch is free, not for every job that finishes: a pull request
    // costs the server about as much as the messages it returns. Messages requested and not yet
    // received (credit) count against prefetch like the jobs this host holds.
    std::unique_lock lock(mutex_);
    const auto now = Clock::now();
    release_unconfirmed_locked(now);
    for (auto it = pulls_.begin(); it != pulls_.end();) {
      if (now >= it->second.deadline) {  // the server's 408 never came (lost on a reconnect)
        credit_ = std::max<std::int64_t>(0, credit_ - it->second.remaining);
        it = pulls_.erase(it);
      } else {
        ++it;
      }
    }
    const std::int64_t room = running_ ? options_.prefetch - in_flight_ - credit_ : 0;
    const bool idle = in_flight_ + credit_ == 0;
    if ((room < fetch_threshold() && !(room > 0 && idle)) || pulls_.size() >= kMaxOpenPulls ||
        !connected_) {
      consumer_cv_.wait_for(lock, kInfoEvery, [&] {
        return stopping_ || needs_setup_ || (running_ && !parked_.empty()) ||
               (running_ && connected_ && pulls_.size() < kMaxOpenPulls &&
                options_.prefetch - in_flight_ - credit_ >= fetch_threshold());
      });
      return;
    }
    batch = room;
    id = open_pull_locked(batch, now);
  }
  const std::string reply = pull_reply(id);
  const std::string body = pull_request(batch);
  natsStatus s = natsConnection_PublishRequest(conn_, pull_subject_.c_str(), reply.c_str(),
                                               body.data(), static_cast<int>(body.size()));
  if (s != NATS_OK) {
    close_pull(id, -1);
    log_.warn("nats pipeline " + options_.pipeline +
              ": cannot send a pull request: " + last_error_text(s));
    std::unique_lock lock(mutex_);
    consumer_cv_.wait_for(lock, milliseconds{200}, [&] { return stopping_; });
  }
}

std::uint64_t NatsCore::open_pull_locked(std::int64_t batch, Clock::time_point now) {
  const std::uint64_t id = next_pull_++;
  pulls_.emplace(id, Pull{batch, now + milliseconds{kPullExpiresMs + 5000}});
  credit_ += batch;
  return id;
}

std::string NatsCore::pull_reply(std::uint64_t id) const {
  return pull_inbox_ + "." + std::to_string(id);
}

std::string NatsCore::pull_request(std::int64_t batch) {
  // The server answers on the request's reply subject with up to `batch` messages as they
  // arrive, then a 408 status when the request expires (none when it was filled).
  return "{\"batch\":" + std::to_string(batch) +
         ",\"expires\":" + std::to_string(kPullExpiresMs * 1'000'000) + "}";
}

void NatsCore::close_pull(std::uint64_t id, std::int64_t pending) {
  {
    std::lock_guard lock(mutex_);
    auto it = pulls_.find(id);
    // The server's count of what the request would still have delivered is exact; without it,
    // our estimate (deliveries are attributed to the oldest open request, as the server serves
    // them) is the best there is.
    const std::int64_t left =
        pending >= 0 ? pending : (it != pulls_.end() ? it->second.remaining : 0);
    credit_ = std::max<std::int64_t>(0, credit_ - left);
    if (it != pulls_.end()) pulls_.erase(it);
  }
  consumer_cv_.notify_one();
}

void NatsCore::on_pull_message(natsMsg* msg) {
  const char* status = nullptr;
  if (natsMsg_GetDataLength(msg) == 0 && natsMsgHeader_Get(msg, "Status", &status) == NATS_OK &&
      status != nullptr) {
    // Statuses come on the request's own reply subject (deliveries keep their message's
    // subject, so those cannot be told apart by request).
    const std::uint64_t id = request_id_of(msg);
    const std::string code(status);
    const char* description = nullptr;
    (void)natsMsgHeader_Get(msg, "Description", &description);
    const std::string text = description != nullptr ? description : "";
    const char* pending_text = nullptr;
    std::int64_t pending = -1;
    if (natsMsgHeader_Get(msg, "Nats-Pending-Messages", &pending_text) == NATS_OK &&
        pending_text != nullptr) {
      pending = std::strtoll(pending_text, nullptr, 10);
    }
    natsMsg_Destroy(msg);
    if (code == "100") return;  // idle heartbeat
    close_pull(id, pending);
    if (code == "404" || code == "408") return;  // no messages / the request expired
    if (code == "503" || text.find("Deleted") != std::string::npos ||
        text.find("push based") != std::string::npos) {
      // Nothing answers for the consumer: it or its stream is gone.
      log_.warn("nats pipeline " + options_.pipeline + ": pull request answered " + code + " " +
                text + "; checking the stream and consumer");
      setup_later();
    } else if (log_.enabled(sdk::LogLevel::kDebug)) {
      log_.debug("nats pipeline " + options_.pipeline + ": pull request answered " + code + " " +
                 text);
    }
    return;
  }
  {
    std::lock_guard lock(mutex_);
    if (credit_ > 0) --credit_;
    if (auto it = pulls_.begin(); it != pulls_.end()) {
      if (--it->second.remaining <= 0) pulls_.erase(it);  // filled: no status follows
    }
  }
  deliver(msg);
}

sdk::Status NatsCore::ensure_stream_and_consumer() {
  const std::string& stream = options_.stream;
  const std::string& subject = options_.subject;
  auto api_error = [&](const std::string& what, natsStatus s, jsErrCode jerr) {
    std::string text = what + ": ";
    if (s == NATS_NO_RESPONDERS) {
      text += "JetStream is not enabled on the server at " + options_.address +
              " (nothing answers the JetStream API): start nats-server with -js, or enable "
              "jetstream in its configuration";
    } else if (jerr == JSNotEnabledErr || jerr == JSNotEnabledForAccountErr) {
      text += "JetStream is not enabled for this account on " + options_.address;
    } else if (s == NATS_TIMEOUT) {
      text += "the JetStream API on " + options_.address + " did not answer within 5s";
    } else {
      text += last_error_text(s);
      if (jerr != 0) text += " (JetStream error " + std::to_string(jerr) + ")";
    }
    return sdk::Status::error(std::move(text));
  };

  auto jerr = static_cast<jsErrCode>(0);
  jsStreamInfo* si = nullptr;
  natsStatus s = js_GetStreamInfo(&si, js_, stream.c_str(), nullptr, &jerr);
  if (s == NATS_NOT_FOUND || jerr == JSStreamNotFoundErr) {
    jsStreamConfig sc;
    jsStreamConfig_Init(&sc);
    const char* subjects[] = {subject.c_str()};
    sc.Name = stream.c_str();
    sc.Subjects = subjects;
    sc.SubjectsLen = 1;
    sc.Storage = js_FileStorage;
    sc.Retention = js_LimitsPolicy;
    jerr = static_cast<jsErrCode>(0);
    s = js_AddStream(&si, js_, &sc, nullptr, &jerr);
    if (s != NATS_OK) {
      if (jerr == JSStreamSubjectOverlapErr) {
        return sdk::Status::error("cannot create stream \"" + stream + "\": subject \"" + subject +
                                  "\" already belongs to another stream; set `stream:` to that "
                                  "stream's name or choose another subject");
      }
      return api_error("cannot create stream \"" + stream + "\"", s, jerr);
    }
    log_.info("nats pipeline " + options_.pipeline + ": created stream " + stream + " (subject " +
              subject + ", file storage, limits retention)");
  } else if (s != NATS_OK) {
    return api_error("cannot read stream \"" + stream + "\"", s, jerr);
  } else {
    const jsStreamConfig* cfg = si->Config;
    bool covered = false;
    for (int i = 0; i < cfg->SubjectsLen; ++i) {
      if (subject_matches(cfg->Subjects[i], subject)) covered = true;
    }
    if (!covered) {
      // RoadRunner replaces the subject list with its one subject; Coyote only adds its subject,
      // so producers of the stream's other subjects keep working.
      std::vector<const char*> subjects(cfg->Subjects, cfg->Subjects + cfg->SubjectsLen);
      subjects.push_back(subject.c_str());
      jsStreamConfig updated = *cfg;
      updated.Subjects = subjects.data();
      updated.SubjectsLen = static_cast<int>(subjects.size());
      const std::string before = join_subjects(cfg->Subjects, cfg->SubjectsLen);
      jsStreamInfo* after = nullptr;
      jerr = static_cast<jsErrCode>(0);
      s = js_UpdateStream(&after, js_, &updated, nullptr, &jerr);
      if (s != NATS_OK) {
        auto err = api_error("stream \"" + stream + "\" exists with subjects " + before +
                                 ", which do not include \"" + subject + "\", and adding it failed",
                             s, jerr);
        jsStreamInfo_Destroy(si);
        return err;
      }
      jsStreamInfo_Destroy(after);
      log_.warn("nats pipeline " + options_.pipeline + ": stream " + stream + " had subjects " +
                before + "; added " + subject);
    }
  }
  const std::int64_t stream_created = si != nullptr ? si->Created : 0;
  jsStreamInfo_Destroy(si);

  jsConsumerConfig cc;
  jsConsumerConfig_Init(&cc);
  cc.Durable = options_.consumer.c_str();
  cc.AckPolicy = js_AckExplicit;
  cc.AckWait = static_cast<std::int64_t>(options_.ack_wait.count()) * 1'000'000;
  cc.MaxDeliver = -1;
  cc.MaxAckPending = kMaxAckPending;
  cc.DeliverPolicy = options_.deliver_new ? js_DeliverNew : js_DeliverAll;
  cc.FilterSubject = subject.c_str();
  jsConsumerInfo* ci = nullptr;
  jerr = static_cast<jsErrCode>(0);
  s = js_GetConsumerInfo(&ci, js_, stream.c_str(), options_.consumer.c_str(), nullptr, &jerr);
  const std::string cname = "consumer \"" + options_.consumer + "\" on stream \"" + stream + "\"";
  if (s == NATS_NOT_FOUND || jerr == JSConsumerNotFoundErr) {
    std::string from = options_.deliver_new ? "new" : "all";
    std::uint64_t floor = 0;
    {
      std::lock_guard lock(mutex_);
      if (stream_created != 0 && stream_created == known_stream_created_) floor = ack_floor_;
    }
    if (floor > 0) {
      // The consumer was lost but not its stream: start after what it had acked (as last seen),
      // not at the stream's beginning, which would replay every acked job still stored.
      cc.DeliverPolicy = js_DeliverByStartSequence;
      cc.OptStartSeq = floor + 1;
      from = "from stream sequence " + std::to_string(floor + 1) + ", after its last ack floor";
    }
    jerr = static_cast<jsErrCode>(0);
    s = js_AddConsumer(&ci, js_, stream.c_str(), &cc, nullptr, &jerr);
    if (s != NATS_OK) return api_error("cannot create durable " + cname, s, jerr);
    log_.info("nats pipeline " + options_.pipeline + ": created durable " + cname + " (deliver " +
              from + ", ack_wait " + std::to_string(options_.ack_wait.count()) + "ms)");
  } else if (s != NATS_OK) {
    return api_error("cannot read " + cname, s, jerr);
  } else {
    const jsConsumerConfig* have = ci->Config;
    std::string problem;
    if (have->DeliverSubject != nullptr && *have->DeliverSubject != '\0') {
      problem = "is a push consumer (deliver subject " + std::string(have->DeliverSubject) + ")";
    } else if (have->AckPolicy != js_AckExplicit) {
      problem = "does not use explicit acks";
    } else if (have->FilterSubject != nullptr && *have->FilterSubject != '\0' &&
               subject != have->FilterSubject) {
      problem =
          "filters subject \"" + std::string(have->FilterSubject) + "\", not \"" + subject + "\"";
    }
    if (!problem.empty()) {
      jsConsumerInfo_Destroy(ci);
      return sdk::Status::error(cname + " exists but " + problem +
                                "; Coyote needs a durable pull consumer with explicit acks on the "
                                "pipeline's subject: remove it (nats consumer rm " +
                                stream + " " + options_.consumer +
                                ") or set `consumer:` to another name");
    }
    if (have->AckWait != cc.AckWait || have->MaxAckPending != cc.MaxAckPending ||
        have->MaxDeliver != cc.MaxDeliver) {
      jsConsumerConfig updated = *have;
      updated.AckWait = cc.AckWait;
      updated.MaxAckPending = cc.MaxAckPending;
      updated.MaxDeliver = cc.MaxDeliver;
      jsConsumerInfo* after = nullptr;
      jerr = static_cast<jsErrCode>(0);
      s = js_UpdateConsumer(&after, js_, stream.c_str(), &updated, nullptr, &jerr);
      if (s == NATS_OK) {
        log_.warn("nats pipeline " + options_.pipeline + ": updated " + cname + " to ack_wait " +
                  std::to_string(options_.ack_wait.count()) +
                  "ms (every host of one pipeline should use the same ack_wait)");
        jsConsumerInfo_Destroy(after);
      } else {
        log_.warn("nats pipeline " + options_.pipeline + ": " + cname +
                  " keeps its own ack_wait; updating it failed: " + last_error_text(s));
      }
    }
    if ((have->DeliverPolicy == js_DeliverNew) != options_.deliver_new) {
      log_.debug("nats pipeline " + options_.pipeline + ": " + cname +
                 " exists and keeps its position; deliver_new applies when it is created");
    }
  }
  jsConsumerInfo_Destroy(ci);

  {
    // Pull requests of an earlier connection or consumer are gone on the server.
    std::lock_guard lock(mutex_);
    pulls_.clear();
    credit_ = 0;
    if (stream_created != known_stream_created_) ack_floor_ = 0;
    known_stream_created_ = stream_created;
  }
  pull_subject_ = "$JS.API.CONSUMER.MSG.NEXT." + stream + "." + options_.consumer;
  return sdk::Status::ok();
}

void NatsCore::refresh_info() {
  jsConsumerInfo* ci = nullptr;
  auto jerr = static_cast<jsErrCode>(0);
  natsStatus s = js_GetConsumerInfo(&ci, js_, options_.stream.c_str(), options_.consumer.c_str(),
                                    nullptr, &jerr);
  if (s == NATS_OK) {
    std::lock_guard lock(mutex_);
    info_ack_pending_ = ci->NumAckPending;
    info_pending_ = static_cast<std::int64_t>(ci->NumPending);
    ack_floor_ = std::max(ack_floor_, ci->AckFloor.Stream);
  } else if (s == NATS_NOT_FOUND || jerr == JSConsumerNotFoundErr || jerr == JSStreamNotFoundErr) {
    log_.warn("nats pipeline " + options_.pipeline + ": consumer " + options_.consumer +
              " or stream " + options_.stream + " is gone from the server; re-creating it");
    setup_later();
  }
  jsConsumerInfo_Destroy(ci);
}

void NatsCore::deliver(natsMsg* msg) {
  jsMsgMetaData* meta = nullptr;
  if (natsMsg_GetMetaData(&meta, msg) != NATS_OK) {
    // Not a JetStream delivery (cannot happen on a pull subscription); nothing to ack.
    log_.warn("nats pipeline " + options_.pipeline +
              ": skipped a message without JetStream "
              "metadata on " +
              std::string(natsMsg_GetSubject(msg)));
    natsMsg_Destroy(msg);
    return;
  }
  const std::string reply = natsMsg_GetReply(msg) != nullptr ? natsMsg_GetReply(msg) : "";
  const std::uint64_t seq = meta->Sequence.Stream;
  const std::uint64_t delivered = meta->NumDelivered;
  const std::int64_t published_ns = meta->Timestamp;
  jsMsgMetaData_Destroy(meta);

  std::vector<std::pair<std::string, std::string>> headers;
  const char** keys = nullptr;
  int key_count = 0;
  if (natsMsgHeader_Keys(msg, &keys, &key_count) == NATS_OK) {
    for (int k = 0; k < key_count; ++k) {
      const char** values = nullptr;
      int value_count = 0;
      if (natsMsgHeader_Values(msg, keys[k], &values, &value_count) == NATS_OK) {
        for (int v = 0; v < value_count; ++v) headers.emplace_back(keys[k], values[v]);
        std::free(static_cast<void*>(values));  // NOLINT(cppcoreguidelines-no-malloc): cnats API
      }
    }
    std::free(static_cast<void*>(keys));  // NOLINT(cppcoreguidelines-no-malloc): cnats API
  }
  const std::string_view body(natsMsg_GetData(msg),
                              static_cast<std::size_t>(natsMsg_GetDataLength(msg)));
  DecodedMessage decoded =
      decode_message(body, headers, options_.pipeline, options_.priority, nullptr);
  sdk::Message& message = decoded.message;
  if (decoded.foreign && foreign_logged_.fetch_add(1) < 10) {
    log_.info("nats pipeline " + options_.pipeline + ": message " + std::to_string(seq) + " on " +
              natsMsg_GetSubject(msg) + " is not RoadRunner's JSON (" + decoded.foreign_reason +
              "): delivered whole as job \"" + std::string(kForeignJobName) + "\" with id " +
              message.id);
  }
  const bool delayed = message.options.delay_seconds > 0;
  if (delayed) {
    const std::int64_t due_ns = published_ns + message.options.delay_seconds * 1'000'000'000;
    const std::int64_t now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                    std::chrono::system_clock::now().time_since_epoch())
                                    .count();
    if (due_ns > now_ns + kDueSlackNs) {
      // Not due: the stream keeps it; JetStream redelivers it when the delay is over.
      const std::int64_t remaining = due_ns - now_ns;
      char nak[64];
      std::snprintf(nak, sizeof nak, "-NAK {\"delay\":%" PRId64 "}", remaining);
      send(reply, nak);
      {
        std::lock_guard lock(mutex_);
        delayed_due_.emplace(std::chrono::system_clock::time_point(
                                 std::chrono::duration_cast<std::chrono::system_clock::duration>(
                                     std::chrono::nanoseconds(due_ns))),
                             0);
      }
      natsMsg_Destroy(msg);
      return;
    }
  }
  message.headers.insert_or_assign(std::string(kSubjectHeader),
                                   std::vector<std::string>{natsMsg_GetSubject(msg)});
  natsMsg_Destroy(msg);
  add_attempts(message.headers, unanswered_deliveries(delivered, delayed));

  Delivery d;
  d.reply = reply;
  d.stream_seq = seq;
  if (message.options.auto_ack) {
    d.auto_acked = true;
    send(reply, "+ACK");
    if (options_.delete_after_ack) delete_message(seq);
  } else {
    d.token = hold(reply);
  }
  auto self = self_.lock();
  if (!self) {
    unhold(d.token);
    return;
  }
  {
    std::lock_guard lock(mutex_);
    ++in_flight_;
  }
  std::unique_ptr<sdk::Job> job = std::make_unique<NatsJob>(std::move(self), std::move(message), d);
  {
    // A pull request still open when the pipeline paused may deliver after it: such jobs wait
    // here (held, kept in progress) until resume, or are given back at stop.
    std::lock_guard lock(mutex_);
    if (!running_ && !stopping_) {
      parked_.push_back(std::move(job));
      return;
    }
  }
  insert(std::move(job));
}

void NatsCore::insert(std::unique_ptr<sdk::Job> job) {
  while (!queue_.insert(job, milliseconds{500})) {
    std::lock_guard lock(mutex_);
    if (stopping_) break;
  }
  // Not inserted (stopping): destroying the job gives it back.
}

// ---- io thread ---------------------------------------------------------------------------------

void NatsCore::io_loop() {
  const milliseconds tick =
      std::clamp(std::chrono::duration_cast<milliseconds>(options_.ack_wait / 4), milliseconds{100},
                 milliseconds{5000});
  auto last_touch = Clock::now();
  while (true) {
    std::deque<Op> batch;
    bool closing = false;
    {
      std::unique_lock lock(mutex_);
      auto ready = [&] { return connection_ready_.load() || connect_failed_.load(); };
      io_cv_.wait_for(lock, tick, [&] {
        return consumer_done_ || (!ops_.empty() && ready()) ||
               (!deferred_.empty() && publish_gate_open());
      });
      if (!urgent_ && !consumer_done_ && !ops_.empty() && ready()) {
        // Only acks so far: let the ones finishing right now join them (up to kAckDelay). A
        // producer's push or a requeue (urgent_) does not wait.
        io_cv_.wait_for(lock, kAckDelay,
                        [&] { return urgent_ || consumer_done_ || ops_.size() >= kAckBatch; });
      }
      urgent_ = false;
      closing = consumer_done_;
      if (connection_ready_ || connect_failed_) {
        if (!deferred_.empty() && publish_gate_open()) {
          std::move(ops_.begin(), ops_.end(), std::back_inserter(deferred_));
          ops_.clear();
          batch.swap(deferred_);
        } else {
          batch.swap(ops_);
        }
      }
    }
    if (!connection_ready_) {
      // No connection can be made with these settings: answer the producers now.
      for (auto& op : batch) {
        if (op.done) op.done(not_stored("no connection to " + options_.address));
      }
      batch.clear();
    }
    execute_all(batch);
    if (closing) break;
    if (Clock::now() - last_touch >= tick) {
      touch_held();
      last_touch = Clock::now();
    }
  }
  finish_close();
}

void NatsCore::finish_close() {
  // Drain: what the host queued before stopping (acks of jobs that finished, copies of jobs
  // given back), waiting for the publish acks those copies need, then the acks they trigger.
  const auto deadline = Clock::now() + kCloseWait;
  while (true) {
    std::deque<Op> batch;
    {
      std::lock_guard lock(mutex_);
      if (connection_ready_) batch.swap(ops_);
    }
    execute_all(batch);
    if (!connection_ready_ || Clock::now() >= deadline) break;
    bool idle = batch.empty() && publishes_pending_.load() == 0;
    if (idle) {
      // Jobs still running answer into this pipeline; their acks are worth waiting for.
      // Settled jobs waiting only for the server's confirmation are not waited for.
      std::unique_lock lock(mutex_);
      if (in_flight_ == static_cast<std::int64_t>(unconfirmed_.size()) && ops_.empty()) break;
      io_cv_.wait_for(lock, milliseconds{20});
    } else if (batch.empty()) {
      std::this_thread::sleep_for(milliseconds{5});
    }
  }
  std::deque<Op> left;
  {
    std::lock_guard lock(mutex_);
    left.swap(ops_);
    io_done_ = true;
  }
  std::move(deferred_.begin(), deferred_.end(), std::back_inserter(left));
  deferred_.clear();
  for (auto& op : left) {
    if (op.done) op.done(not_stored("the pipeline stopped before the job was published"));
  }
  if (!connection_ready_) return;
  if (options_.delete_stream_on_stop) {
    auto jerr = static_cast<jsErrCode>(0);
    natsStatus s = js_DeleteStream(js_, options_.stream.c_str(), nullptr, &jerr);
    if (s == NATS_OK) {
      log_.info("nats pipeline " + options_.pipeline + ": deleted stream " + options_.stream +
                " (delete_stream_on_stop)");
    } else {
      log_.error("nats pipeline " + options_.pipeline +
                 ": delete_stream_on_stop: cannot delete "
                 "stream " +
                 options_.stream + ": " + last_error_text(s));
    }
  }
  if (connected_) (void)natsConnection_FlushTimeout(conn_, 2000);
  // A destroyed pipeline's driver lives on until the host exits: let its connection go now.
  natsConnection_Close(conn_);
}

bool NatsCore::publish_gate_open() const { return setup_state_ != 0 || !connected_; }

void NatsCore::execute_all(std::deque<Op>& batch) {
  std::size_t last_ack = batch.size();
  for (std::size_t i = batch.size(); i-- > 0;) {
    if (batch[i].kind == OpKind::kAck) {
      last_ack = i;
      break;
    }
  }
  for (std::size_t i = 0; i < batch.size(); ++i) execute(batch[i], i == last_ack);
}

void NatsCore::execute(Op& op, bool may_pull) {
  switch (op.kind) {
    case OpKind::kPublish:
      if (setup_state_ == 2) {
        op.done(not_stored("the pipeline's stream or consumer is not ready"));
        return;
      }
      if (!publish_gate_open() || !deferred_.empty()) {
        deferred_.push_back(std::move(op));  // answered once the first setup attempt is done
        return;
      }
      publish(std::move(op.messages), std::move(op.done));
      return;
    case OpKind::kAck:
      if (!may_pull || !send_ack_with_pull(op.delivery.reply)) {
        send_confirmed(op.delivery.reply, "+ACK");
      }
      if (options_.delete_after_ack) delete_message(op.delivery.stream_seq);
      unhold(op.delivery.token);
      return;
    case OpKind::kTerm:
      send_confirmed(op.delivery.reply, "+TERM");
      unhold(op.delivery.token);
      return;
    case OpKind::kRequeue: {
      Delivery d = op.delivery;
      sdk::Message copy = std::move(op.messages.front());
      const std::string id = copy.id;
      publish_one(std::move(copy), [this, d, id](const sdk::Status& status) {
        if (status) {
          if (d.auto_acked) return;
          Op ack;
          ack.kind = OpKind::kAck;
          ack.delivery = d;
          if (!enqueue(std::move(ack))) {  // closed: the original returns after ack_wait
            unhold(d.token);
            release_slot();
          }
          return;
        }
        // The copy is not stored: hand the original back to JetStream (redelivered at once).
        log_.error(
            "nats pipeline " + options_.pipeline + ": job " + id + " could not be requeued (" +
            status.message() + ")" +
            (d.auto_acked ? "; it was auto-acked, so it is lost" : "; redelivering the original"));
        unhold(d.token);
        if (!d.auto_acked) {
          send(d.reply, "-NAK");
          release_slot();
        }
      });
      return;
    }
  }
}

void NatsCore::publish(std::vector<sdk::Message> messages, sdk::Completion done) {
  if (messages.empty()) {
    done(sdk::Status::ok());
    return;
  }
  if (messages.size() == 1) {
    publish_one(std::move(messages.front()), std::move(done));
    return;
  }
  struct Gather {
    std::mutex mutex;
    std::size_t pending = 0;
    std::size_t first_failed = 0;
    sdk::Status first_error;
    sdk::Completion done;
  };
  auto gather = std::make_shared<Gather>();
  gather->pending = messages.size();
  gather->first_failed = messages.size();
  gather->done = std::move(done);
  for (std::size_t i = 0; i < messages.size(); ++i) {
    publish_one(std::move(messages[i]), [gather, i](sdk::Status status) {
      sdk::Completion finish;
      sdk::Status outcome;
      {
        std::lock_guard lock(gather->mutex);
        if (!status && i < gather->first_failed) {
          gather->first_failed = i;
          gather->first_error = std::move(status);
        }
        if (--gather->pending != 0) return;
        finish = std::move(gather->done);
        outcome = std::move(gather->first_error);
      }
      finish(std::move(outcome));
    });
  }
}

void NatsCore::publish_one(sdk::Message message, std::function<void(sdk::Status)> done) {
  message.options.pipeline = options_.pipeline;
  if (message.options.priority == 0) message.options.priority = options_.priority;
  const std::string body = encode_body(message);
  natsMsg* msg = nullptr;
  natsStatus s = natsMsg_Create(&msg, options_.subject.c_str(), nullptr, body.data(),
                                static_cast<int>(body.size()));
  std::vector<std::string> dropped;
  for (const auto& [key, value] : wire_headers(message.headers, &dropped)) {
    if (s == NATS_OK) s = natsMsgHeader_Add(msg, key.c_str(), value.c_str());
  }
  if (!dropped.empty() && log_.enabled(sdk::LogLevel::kDebug)) {
    log_.debug("nats pipeline " + options_.pipeline + ": job " + message.id + ": header " +
               dropped.front() +
               " cannot travel as a NATS header (name or value) and was left out");
  }
  if (s != NATS_OK) {
    natsMsg_Destroy(msg);
    done(not_stored(last_error_text(s)));
    return;
  }
  natsMsg* key = msg;
  {
    std::lock_guard lock(publish_mutex_);
    publishing_.emplace(key, std::move(done));
  }
  publishes_pending_.fetch_add(1);
  jsPubOptions po;
  jsPubOptions_Init(&po);
  po.MaxWait = static_cast<std::int64_t>(options_.publish_timeout.count());
  s = js_PublishMsgAsync(js_, &msg, &po);
  if (s != NATS_OK) {
    const std::string text = last_error_text(s);
    std::function<void(sdk::Status)> failed;
    {
      std::lock_guard lock(publish_mutex_);
      if (auto it = publishing_.find(key); it != publishing_.end()) {
        failed = std::move(it->second);
        publishing_.erase(it);
      }
    }
    natsMsg_Destroy(msg);  // still ours when the call failed
    if (failed) {
      publishes_pending_.fetch_sub(1);
      failed(not_stored(text));
    }
  }
}

void NatsCore::send(const std::string& subject, std::string_view data) {
  if (subject.empty() || !connection_ready_) return;
  natsStatus s =
      natsConnection_Publish(conn_, subject.c_str(), data.data(), static_cast<int>(data.size()));
  if (s != NATS_OK && log_.enabled(sdk::LogLevel::kDebug)) {
    // A lost ack only means a redelivery after ack_wait (at least once).
    log_.debug("nats pipeline " + options_.pipeline + ": could not send " + std::string(data) +
               ": " + last_error_text(s));
  }
}

void NatsCore::send_confirmed(const std::string& subject, std::string_view data) {
  std::uint64_t id = 0;
  {
    // Registered before it is sent: the answer may arrive before the publish call returns.
    std::lock_guard lock(mutex_);
    id = next_settle_++;
    unconfirmed_.emplace(id, Clock::now() + kSettleConfirmWait);
  }
  natsStatus s = NATS_ERR;
  if (!subject.empty() && connection_ready_) {
    // The server answers an ack that has a reply subject once it has processed it.
    const std::string reply = settle_inbox_ + "." + std::to_string(id);
    s = natsConnection_PublishRequest(conn_, subject.c_str(), reply.c_str(), data.data(),
                                      static_cast<int>(data.size()));
  }
  if (s != NATS_OK) {
    if (!subject.empty() && log_.enabled(sdk::LogLevel::kDebug)) {
      log_.debug("nats pipeline " + options_.pipeline + ": could not send " + std::string(data) +
                 ": " + last_error_text(s));
    }
    on_settle_confirmed(id);  // nothing will answer: free the slot now
  }
}

bool NatsCore::send_ack_with_pull(const std::string& subject) {
  if (subject.empty() || !connection_ready_) return false;
  std::int64_t batch = 0;
  std::uint64_t id = 0;
  {
    std::lock_guard lock(mutex_);
    // nats-server handles every ack of a consumer on one queue, in order, and a "+NXT" pull
    // request right after its ack: the slots of this ack and of the unconfirmed ones sent
    // before it are free by the time the request is served. Only the consumer thread's own
    // pull requests, on another server queue, must wait for the confirmations.
    const auto settled = static_cast<std::int64_t>(unconfirmed_.size()) + 1;
    const std::int64_t room = options_.prefetch - (in_flight_ - settled) - credit_;
    if (!running_ || !connected_ || pulls_.size() >= kMaxOpenPulls || room < fetch_threshold()) {
      return false;
    }
    batch = room;
    id = open_pull_locked(batch, Clock::now());
    in_flight_ = std::max<std::int64_t>(0, in_flight_ - settled);
    unconfirmed_.clear();  // their confirmations, when they come, find nothing to free
  }
  const std::string reply = pull_reply(id);
  const std::string body = "+NXT " + pull_request(batch);
  const natsStatus s = natsConnection_PublishRequest(conn_, subject.c_str(), reply.c_str(),
                                                     body.data(), static_cast<int>(body.size()));
  if (s != NATS_OK) {
    // The ack is lost too: JetStream redelivers after ack_wait (at least once).
    close_pull(id, -1);
    log_.warn("nats pipeline " + options_.pipeline +
              ": cannot send an ack with a pull request: " + last_error_text(s));
  }
  return true;
}

void NatsCore::delete_message(std::uint64_t seq) {
  const std::string subject = "$JS.API.STREAM.MSG.DELETE." + options_.stream;
  const std::string body = "{\"seq\":" + std::to_string(seq) + ",\"no_erase\":true}";
  (void)natsConnection_PublishRequest(conn_, subject.c_str(), delete_inbox_.c_str(), body.data(),
                                      static_cast<int>(body.size()));
}

void NatsCore::touch_held() {
  const auto now = Clock::now();
  const auto stale = options_.ack_wait / 2;
  std::vector<std::string> replies;
  {
    std::lock_guard lock(held_mutex_);
    for (auto& [token, held] : held_) {
      if (now - held.touched >= stale) {
        held.touched = now;
        replies.push_back(held.reply);
      }
    }
  }
  for (const auto& reply : replies) send(reply, "+WPI");
}

}  // namespace coyote::drivers::nats
