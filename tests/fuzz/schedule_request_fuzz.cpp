// libFuzzer: what jobs.SchedulesAdd reads from a client — the JSON definition and the cron spec
// in it — and the next due time of whatever parses.
#include "schedule/cron_spec.hpp"
#include "schedule/schedule_definition.hpp"

#include <boost/json.hpp>

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string_view>

namespace schedule = coyote::host::schedule;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  // The spec parser alone, on raw bytes.
  try {
    const auto spec = schedule::CronSpec::parse(text);
    const auto after = schedule::Seconds{std::chrono::seconds{1'764'590'400}};
    if (const auto next = spec.next(after); next && *next <= after) __builtin_trap();
  } catch (const std::invalid_argument& e) {
    if (std::string_view(e.what()).empty()) __builtin_trap();  // every refusal says why
  }
  // The whole request, as the RPC method decodes it.
  boost::system::error_code ec;
  auto value = boost::json::parse(boost::json::string_view(text.data(), text.size()), ec);
  if (ec || !value.is_object()) return 0;
  auto definition = schedule::ScheduleDefinition::from_json(value.get_object());
  if (!definition && definition.status().message().empty()) __builtin_trap();
  return 0;
}
