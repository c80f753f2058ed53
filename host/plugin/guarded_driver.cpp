#include "plugin/guarded_driver.hpp"

#include "log/log.hpp"
#include "plugin/plugin_error.hpp"
#include "support/guarded_call.hpp"

#include <coyote/sdk/config.hpp>

#include <atomic>
#include <memory>
#include <utility>

namespace coyote::host::plugin {
namespace {

std::string context_of(const DriverEntry& entry, std::string_view pipeline) {
  return "driver " + entry.name + " (file " + entry.plugin.file.string() + ", pipeline " +
         std::string(pipeline) + ")";
}

/// `message` for a client of jobs.Declare: the plugin's path becomes its file name. The full
/// text (with the path, which tells an operator the host's layout) goes to the host log only.
std::string for_client(const DriverEntry& entry, const std::string& message) {
  log::get("plugin")->error("{}", message);
  const std::string path = entry.plugin.file.string();
  const std::string name = entry.plugin.file.filename().string();
  std::string out = message;
  if (path.empty()) return out;
  for (auto at = out.find(path); at != std::string::npos; at = out.find(path, at + name.size())) {
    out.replace(at, path.size(), name);
  }
  return out;
}

}  // namespace

GuardedDriver::GuardedDriver(std::unique_ptr<sdk::Driver> inner, const DriverEntry& entry,
                             std::string pipeline)
    : inner_(std::move(inner)),
      driver_name_(entry.name),
      pipeline_(std::move(pipeline)),
      context_(context_of(entry, pipeline_)) {}

namespace {

/// A completion the plugin may call at most once; if the plugin throws before calling it, the
/// guard calls it with the error instead. Shared because the plugin may keep its copy.
struct OnceCompletion {
  explicit OnceCompletion(sdk::Completion completion) : done(std::move(completion)) {}
  void complete(sdk::Status status) {
    if (called.exchange(true)) return;
    done(std::move(status));
  }
  std::atomic<bool> called{false};
  sdk::Completion done;
};

}  // namespace

void GuardedDriver::push(sdk::Message message, sdk::Completion done) {
  auto once = std::make_shared<OnceCompletion>(std::move(done));
  auto status = support::guarded_call(context_, "push", [&] {
    inner_->push(std::move(message), [once](sdk::Status s) { once->complete(std::move(s)); });
    return sdk::Status::ok();
  });
  if (!status) once->complete(std::move(status));
}

void GuardedDriver::push_batch(std::vector<sdk::Message> messages, sdk::Completion done) {
  auto once = std::make_shared<OnceCompletion>(std::move(done));
  auto status = support::guarded_call(context_, "push_batch", [&] {
    inner_->push_batch(std::move(messages),
                       [once](sdk::Status s) { once->complete(std::move(s)); });
    return sdk::Status::ok();
  });
  if (!status) once->complete(std::move(status));
}

sdk::Status GuardedDriver::run() {
  return support::guarded_call(context_, "run", [&] { return inner_->run(); });
}

sdk::Status GuardedDriver::stop() {
  return support::guarded_call(context_, "stop", [&] { return inner_->stop(); });
}

sdk::Status GuardedDriver::pause() {
  return support::guarded_call(context_, "pause", [&] { return inner_->pause(); });
}

sdk::Status GuardedDriver::resume() {
  return support::guarded_call(context_, "resume", [&] { return inner_->resume(); });
}

sdk::State GuardedDriver::state() {
  sdk::State state;
  auto status = support::guarded_call(context_, "state", [&] {
    state = inner_->state();
    return sdk::Status::ok();
  });
  if (!status) {
    state = sdk::State{};
    state.pipeline = pipeline_;
    state.driver = driver_name_;
    state.error = status.message();
  }
  return state;
}

std::unique_ptr<GuardedDriver> construct_from_config(const DriverEntry& entry,
                                                     std::string_view config_key, sdk::Queue& queue,
                                                     const sdk::Pipeline& pipeline) {
  const std::string context = context_of(entry, pipeline.name());
  std::unique_ptr<sdk::Driver> driver;
  try {
    driver = entry.constructor->from_config(config_key, queue, pipeline);
  } catch (const sdk::ConfigError&) {
    throw;
  } catch (const std::exception& e) {
    throw PluginError(entry.plugin.file, context + ": from_config threw: " + e.what());
  } catch (...) {
    throw PluginError(entry.plugin.file, context + ": from_config threw a non-standard exception");
  }
  if (!driver) {
    throw PluginError(entry.plugin.file, context + " refused the pipeline (see the plugin." +
                                             entry.plugin.plugin_name + " log for why)");
  }
  return std::make_unique<GuardedDriver>(std::move(driver), entry, pipeline.name());
}

sdk::Result<std::unique_ptr<GuardedDriver>> construct_from_pipeline(const DriverEntry& entry,
                                                                    const sdk::Pipeline& pipeline,
                                                                    sdk::Queue& queue) noexcept {
  try {
    const std::string context = context_of(entry, pipeline.name());
    std::unique_ptr<sdk::Driver> driver;
    auto status = support::guarded_call(context, "from_pipeline", [&] {
      try {
        driver = entry.constructor->from_pipeline(pipeline, queue);
      } catch (const sdk::ConfigError& e) {
        return sdk::Status::error(e.what());
      }
      return sdk::Status::ok();
    });
    if (!status) return sdk::Status::error(for_client(entry, status.message()));
    if (!driver) {
      return sdk::Status::error(for_client(entry, context +
                                                      " refused the pipeline (see the plugin." +
                                                      entry.plugin.plugin_name + " log for why)"));
    }
    return std::make_unique<GuardedDriver>(std::move(driver), entry, pipeline.name());
  } catch (...) {
    return sdk::Status::error("out of memory while creating a pipeline");
  }
}

}  // namespace coyote::host::plugin
