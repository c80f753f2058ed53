#include "http/responder.hpp"

#include <boost/asio/post.hpp>

namespace coyote::host::http::detail {

namespace asio = boost::asio;

Exchange::Exchange(std::shared_ptr<ExchangeSink> sink, asio::any_io_executor executor,
                   std::uint64_t id)
    : sink_(std::move(sink)), executor_(std::move(executor)), id_(id) {}

Exchange::~Exchange() {
  // The last Responder/ResponseStream copy is gone, on whichever thread. Never leave the
  // connection waiting, and never let the connection be destroyed here: its socket and timer
  // belong to the loop, and an off-loop owner (a formatter thread) can outlive the io_context.
  // So what is still held of the sink goes back to the loop inside a posted handler.
  if (!sink_) return;  // respond() handed it to the loop already
  try {
    const int state = state_.load(std::memory_order_acquire);
    asio::post(executor_, [sink = std::move(sink_), id = id_, state] {
      if (state == kPending) {
        Response r = Response::text(500, "handler gave no answer\n");
        r.close = true;
        sink->finish(id, std::move(r));
      } else if (state == kStreaming) {
        sink->stream_end(id);
      }  // answered or ended: only the release, here on the loop
    });
  } catch (...) {  // NOLINT(bugprone-empty-catch): out of memory; the idle timeout closes it
  }
}

bool Exchange::respond(Response response) {
  int expected = kPending;
  if (!state_.compare_exchange_strong(expected, kAnswered, std::memory_order_acq_rel)) {
    return false;
  }
  // The whole answer is the last use of the sink (write/end refuse an answered exchange and the
  // destructor sees it gone), so the sink moves into the handler and is released on the loop.
  asio::post(executor_, [sink = std::move(sink_), id = id_, r = std::move(response)]() mutable {
    sink->finish(id, std::move(r));
  });
  return true;
}

bool Exchange::stream(Response head) {
  int expected = kPending;
  if (!state_.compare_exchange_strong(expected, kStreaming, std::memory_order_acq_rel)) {
    return false;
  }
  asio::post(executor_, [sink = sink_, id = id_, h = std::move(head)]() mutable {
    sink->start_stream(id, std::move(h));
  });
  return true;
}

bool Exchange::write(std::string data) {
  if (state_.load(std::memory_order_acquire) != kStreaming || !open()) return false;
  asio::post(executor_, [sink = sink_, id = id_, d = std::move(data)]() mutable {
    sink->stream_write(id, std::move(d));
  });
  return true;
}

void Exchange::end() {
  int expected = kStreaming;
  if (!state_.compare_exchange_strong(expected, kEnded, std::memory_order_acq_rel)) return;
  asio::post(executor_, [sink = sink_, id = id_] { sink->stream_end(id); });
}

void Exchange::on_close(std::function<void()> callback) {
  if (gone_) {
    callback();
    return;
  }
  if (!done_) on_close_.push_back(std::move(callback));
}

void Exchange::completed() {
  open_.store(false, std::memory_order_release);
  done_ = true;
  on_close_.clear();
}

void Exchange::disconnected() {
  open_.store(false, std::memory_order_release);
  if (done_ || gone_) return;
  gone_ = true;
  auto callbacks = std::move(on_close_);
  on_close_.clear();
  for (auto& cb : callbacks) cb();
}

}  // namespace coyote::host::http::detail
