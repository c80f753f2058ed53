#include "sqlite/sqlite_driver.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace coyote::drivers::sqlite {

namespace {

std::string known_keys() {
  std::string out;
  for (auto key : kKnownKeys) {
    if (!out.empty()) out += ", ";
    out += key;
  }
  return out;
}

}  // namespace

std::unique_ptr<sdk::Driver> SqliteConstructor::from_config(std::string_view config_key,
                                                            sdk::Queue& queue,
                                                            const sdk::Pipeline& pipeline) {
  const std::string base(config_key);
  for (const auto& key : config_.keys(base)) {
    if (std::find(kKnownKeys.begin(), kKnownKeys.end(), key) == kKnownKeys.end()) {
      std::string line(flavor_.name);
      line.append(" pipeline ").append(pipeline.name()).append(": unknown key ").append(base);
      line.append(".").append(key).append(" ignored (known: ").append(known_keys()).append(")");
      log_.warn(line);
    }
  }
  OptionSource source;
  source.lookup = [&](std::string_view key) -> std::optional<std::string> {
    if (auto text = config_.text(base + "." + std::string(key))) return text;
    if (pipeline.has(key)) return pipeline.string(key);
    return std::nullopt;
  };
  source.fail = [&](std::string_view key, const std::string& problem) {
    throw config_.error_at(base + "." + std::string(key), problem);
  };
  source.warn = [&](const std::string& warning) {
    log_.warn(std::string(flavor_.name) + " pipeline " + pipeline.name() + ": " + warning);
  };
  const auto options = parse_options(flavor_, source);
  try {
    return make(pipeline, queue, options);
  } catch (const coyote::sqlite::StoreFailure& failure) {
    throw config_.error_at(base + ".file", failure.error().text);
  }
}

std::unique_ptr<sdk::Driver> SqliteConstructor::from_pipeline(const sdk::Pipeline& pipeline,
                                                              sdk::Queue& queue) {
  const std::string what = std::string(flavor_.name) + " pipeline " + pipeline.name() + ": ";
  OptionSource source;
  source.lookup = [&](std::string_view key) -> std::optional<std::string> {
    if (pipeline.has(key)) return pipeline.string(key);
    return std::nullopt;
  };
  source.fail = [&](std::string_view key, const std::string& problem) {
    throw std::invalid_argument(what + std::string(key) + ": " + problem);
  };
  source.warn = [&](const std::string& warning) { log_.warn(what + warning); };
  const auto options = parse_options(flavor_, source);
  try {
    return make(pipeline, queue, options);
  } catch (const coyote::sqlite::StoreFailure& failure) {
    throw std::invalid_argument(what + failure.error().text);
  }
}

std::unique_ptr<sdk::Driver> SqliteConstructor::make(const sdk::Pipeline& pipeline,
                                                     sdk::Queue& queue,
                                                     const DriverOptions& options) {
  auto store = registry_->open(options.path, options.permissions, options.durability, log_);
  store->require_durability(options.durability, pipeline.name());
  CoreSettings settings;
  settings.driver = flavor_.name;
  settings.priority = pipeline.priority();
  settings.prefetch = options.prefetch;
  std::uint64_t lease = 0;
  auto core = store->attach(pipeline.name(), settings, queue, lease);
  log_.info(std::string(flavor_.name) + " pipeline " + pipeline.name() + ": " + options.path +
            " (SQLite, durability " +
            (options.durability == coyote::sqlite::Durability::kDisk ? "disk" : "process") +
            ", prefetch " + std::to_string(options.prefetch) + ")");
  return std::make_unique<SqliteDriver>(std::move(core), lease);
}

}  // namespace coyote::drivers::sqlite
