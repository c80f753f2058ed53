// FakeJob: an sdk::Job that records the acknowledgement call it received.
#pragma once

#include <coyote/sdk/job.hpp>

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

namespace coyote::test {

struct Ack {
  std::string call;  ///< "ack", "nack", "nack_with_options", "requeue"
  bool requeue = false;
  std::chrono::seconds delay{0};
  sdk::Headers headers;
};

class FakeJob final : public sdk::Job {
 public:
  FakeJob(std::string id, std::int64_t priority, std::string pipeline = "p",
          std::optional<Ack>* sink = nullptr)
      : sdk::Job(make(std::move(id), priority, std::move(pipeline))), sink_(sink) {}

  [[nodiscard]] std::string_view driver_name() const override { return "fake"; }
  void write_context(std::string& out) const override {
    if (throw_in_ == "write_context") throw std::runtime_error("context exploded");
    sdk::Job::write_context(out);
  }
  sdk::Status ack() override { return record(Ack{"ack"}); }
  sdk::Status nack() override { return record(Ack{"nack"}); }
  sdk::Status nack_with_options(bool requeue, std::chrono::seconds delay) override {
    return record(Ack{"nack_with_options", requeue, delay, {}});
  }
  sdk::Status requeue(const sdk::Headers& headers, std::chrono::seconds delay) override {
    return record(Ack{"requeue", false, delay, headers});
  }
  /// Makes every acknowledgement call except ack fail (or ack too, when `all`).
  void fail_calls(bool all) {
    fail_ = true;
    fail_ack_ = all;
  }
  /// Makes the named call ("write_context", "ack", "requeue", ...) throw, as a buggy driver's
  /// might; the call is still recorded.
  void throw_in(std::string call) { throw_in_ = std::move(call); }

  std::optional<Ack> received;

 private:
  static sdk::Message make(std::string id, std::int64_t priority, std::string pipeline) {
    sdk::Message m;
    m.id = std::move(id);
    m.name = "fake.job";
    m.payload = "payload-" + m.id;
    m.options.priority = priority;
    m.options.pipeline = std::move(pipeline);
    return m;
  }
  sdk::Status record(Ack a) {
    const bool failing = fail_ && (a.call != "ack" || fail_ack_);
    if (!received)
      received = a;
    else
      received->call += "+" + a.call;  // a second call is visible as "x+y"
    if (sink_ != nullptr) *sink_ = received;
    if (a.call == throw_in_) throw std::runtime_error(a.call + " exploded");
    return failing ? sdk::Status::error("driver says no") : sdk::Status::ok();
  }

  std::optional<Ack>* sink_;
  bool fail_ = false;
  bool fail_ack_ = false;
  std::string throw_in_;
};

/// A Job that forwards its acknowledgements to a FakeJob the test keeps (and inspects), for code
/// that takes ownership of the jobs it settles (ResponseHandler).
class LentJob final : public sdk::Job {
 public:
  explicit LentJob(FakeJob& owner) : sdk::Job(owner.message()), owner_(owner) {}
  [[nodiscard]] std::string_view driver_name() const override { return "fake"; }
  sdk::Status ack() override { return owner_.ack(); }
  sdk::Status nack() override { return owner_.nack(); }
  sdk::Status nack_with_options(bool requeue, std::chrono::seconds delay) override {
    return owner_.nack_with_options(requeue, delay);
  }
  sdk::Status requeue(const sdk::Headers& headers, std::chrono::seconds delay) override {
    return owner_.requeue(headers, delay);
  }

 private:
  FakeJob& owner_;
};

/// `job` as an owned Job whose acknowledgements land in `job`.
inline std::unique_ptr<sdk::Job> lend(FakeJob& job) { return std::make_unique<LentJob>(job); }

}  // namespace coyote::test
