#include "metrics/registry.hpp"

#include <stdexcept>

namespace coyote::host::metrics {

Registry::Registry() {
  refused_ = &define({.name = kRefusedName,
                      .help = "Label combinations a metric refused because it reached its series "
                              "limit",
                      .type = MetricType::kCounter,
                      .labels = {"metric"}});
}

sdk::Result<Family*> Registry::add(MetricDesc desc) {
  if (sdk::Status s = validate(desc); !s) return s;
  if (families_.contains(desc.name)) {
    return sdk::Result<Family*>::failure("metric " + desc.name +
                                         " is already registered; pick another name");
  }
  auto on_refused = [this](const Family& f) -> Series* {
    if (refused_ == nullptr || &f == refused_) return nullptr;
    return &refused_->at({f.name()});
  };
  auto family = std::make_unique<Family>(
      std::move(desc), [this] { return now(); }, std::move(on_refused));
  Family* raw = family.get();
  std::string name = raw->name();
  families_.emplace(std::move(name), std::move(family));
  return raw;
}

Family& Registry::define(MetricDesc desc) {
  auto r = add(std::move(desc));
  if (!r) throw std::logic_error(r.error());
  return **r;
}

Family* Registry::find(std::string_view name) noexcept {
  const auto it = families_.find(name);
  return it == families_.end() ? nullptr : it->second.get();
}

bool Registry::remove(std::string_view name) {
  const auto it = families_.find(name);
  if (it == families_.end() || it->second.get() == refused_) return false;
  families_.erase(it);
  return true;
}

Registry::CollectorId Registry::add_collector(std::function<void()> collect) {
  const CollectorId id = next_collector_++;
  collectors_.emplace(id, std::move(collect));
  return id;
}

void Registry::remove_collector(CollectorId id) { collectors_.erase(id); }

Snapshot Registry::snapshot() {
  for (auto& [id, collect] : collectors_) collect();
  Snapshot out;
  out.families.reserve(families_.size());
  const Clock::time_point t = now();
  for (auto& [name, family] : families_) {
    if (family->size() == 0) continue;  // as Go: a vector without children exposes nothing
    out.families.push_back(family->snapshot(t));
  }
  return out;
}

}  // namespace coyote::host::metrics
