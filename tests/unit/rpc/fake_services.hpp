// In-test JobsService and PoolControl: just enough engine behaviour to exercise the RPC layer.
#pragma once

#include "jobs/jobs_service.hpp"
#include "worker/pool_control.hpp"

#include <algorithm>
#include <deque>
#include <map>
#include <string>
#include <vector>

namespace coyote::test {

class FakeJobsService final : public host::jobs::JobsService {
 public:
  FakeJobsService() { add_pipeline("test", "memory", 10); }

  void add_pipeline(const std::string& name, const std::string& driver, std::uint64_t priority) {
    sdk::State st;
    st.pipeline = name;
    st.driver = driver;
    st.queue = name;
    st.priority = priority;
    pipelines[name] = st;
  }

  void push(sdk::Message message, Done done) override {
    if (pipelines.count(message.options.pipeline) == 0) {
      return done(sdk::Status::error("no such pipeline, requested: " + message.options.pipeline));
    }
    if (defer_push) {
      deferred.push_back({std::move(message), std::move(done)});
      return;
    }
    pipelines[message.options.pipeline].active++;
    pushed.push_back(std::move(message));
    done(sdk::Status::ok());
  }

  /// Completes the deferred push at `index` (out-of-order completion).
  void complete_deferred(std::size_t index) {
    auto it = deferred.begin() + static_cast<std::ptrdiff_t>(index);
    auto item = std::move(*it);
    deferred.erase(it);
    pushed.push_back(item.first);
    item.second(sdk::Status::ok());
  }

  void push_batch(std::vector<sdk::Message> messages, Done done) override {
    for (auto& m : messages) {
      if (pipelines.count(m.options.pipeline) == 0) {
        return done(sdk::Status::error("no such pipeline, requested: " + m.options.pipeline));
      }
      pipelines[m.options.pipeline].active++;
      pushed.push_back(std::move(m));
    }
    done(sdk::Status::ok());
  }

  sdk::Status set_ready(const std::vector<std::string>& names, bool ready) {
    for (const auto& n : names) {
      auto it = pipelines.find(n);
      if (it == pipelines.end()) return sdk::Status::error("no such pipeline: " + n);
      it->second.ready = ready;
    }
    return sdk::Status::ok();
  }
  sdk::Status pause(const std::vector<std::string>& names) override {
    return set_ready(names, false);
  }
  sdk::Status resume(const std::vector<std::string>& names) override {
    return set_ready(names, true);
  }

  [[nodiscard]] std::vector<std::string> list() const override {
    std::vector<std::string> out;
    for (const auto& [name, st] : pipelines) out.push_back(name);
    return out;
  }

  sdk::Status declare(const std::map<std::string, std::string>& options) override {
    declared.push_back(options);
    const auto name = options.count("name") ? options.at("name") : std::string();
    const auto driver = options.count("driver") ? options.at("driver") : std::string();
    if (pipelines.count(name) != 0) {
      return sdk::Status::error("pipeline already exists, name: " + name + ", driver: " + driver);
    }
    add_pipeline(name, driver,
                 options.count("priority") ? std::stoull(options.at("priority")) : 10);
    return sdk::Status::ok();
  }

  sdk::Result<std::vector<std::string>> destroy(const std::vector<std::string>& names) override {
    std::vector<std::string> destroyed;
    for (const auto& n : names) {
      if (pipelines.erase(n) == 0) return sdk::Status::error("no such pipeline: " + n);
      destroyed.push_back(n);
    }
    return destroyed;
  }

  sdk::Result<std::vector<sdk::State>> stat() override {
    std::vector<sdk::State> states;
    for (const auto& [name, st] : pipelines) states.push_back(st);
    return states;
  }

  std::map<std::string, sdk::State> pipelines;
  std::vector<sdk::Message> pushed;
  std::vector<std::map<std::string, std::string>> declared;
  bool defer_push = false;
  std::deque<std::pair<sdk::Message, Done>> deferred;
};

class FakePoolControl final : public host::worker::PoolControl {
 public:
  FakePoolControl() {
    host::worker::WorkerInfo w;
    w.pid = 4242;
    w.status = 1;
    w.status_str = "ready";
    w.num_execs = 7;
    w.created_ns = 1'700'000'000'000'000'000;
    w.memory_usage = 1 << 20;
    w.cpu_percent = 0.5;
    w.command = "php worker.php";
    list.push_back(w);
  }
  [[nodiscard]] std::vector<host::worker::WorkerInfo> workers() const override { return list; }
  void reset(ResetDone done) override {
    ++resets;
    done(sdk::Status::ok());
  }
  sdk::Status add_worker() override {
    list.push_back(list.front());
    return sdk::Status::ok();
  }
  sdk::Status remove_worker() override {
    if (list.empty()) return sdk::Status::error("no workers to remove");
    list.pop_back();
    return sdk::Status::ok();
  }

  std::vector<host::worker::WorkerInfo> list;
  int resets = 0;
};

}  // namespace coyote::test
