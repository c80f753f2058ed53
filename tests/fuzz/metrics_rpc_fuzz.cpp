// Feeds arbitrary bytes as the argument of every metrics.* method (RoadRunner's metrics RPC, as
// spiral/roadrunner-metrics sends it), over a real registry with a small series cap, then
// formats the registry: no input may crash the host or produce an exposition it cannot write.
#include "metrics/app_metrics.hpp"
#include "metrics/registry.hpp"
#include "metrics/text_format.hpp"
#include "observe/metrics_methods.hpp"
#include "rpc/method_table.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace {

namespace rpc = coyote::host::rpc;
namespace metrics = coyote::host::metrics;

constexpr std::array<const char*, 6> kMethods = {"metrics.Declare", "metrics.Add",
                                                 "metrics.Sub",     "metrics.Observe",
                                                 "metrics.Set",     "metrics.Unregister"};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static metrics::Registry registry;
  static metrics::AppMetrics app(registry, {.max_series = 64});
  static const rpc::MethodTable table = [] {
    rpc::MethodTable t;
    coyote::host::observe::add_metrics_methods(t, app);
    return t;
  }();
  if (size < 1) return 0;
  // First byte: method (low bits) and codec; the rest is one call's body. Several calls per
  // input, split at 0xff, so a Declare can be followed by updates of the collector it made.
  const std::uint8_t selector = data[0];
  std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  std::size_t call_index = 0;
  while (true) {
    const auto cut = rest.find('\xff');
    const std::string_view body = rest.substr(0, cut);
    const auto method = kMethods[(selector + call_index) % kMethods.size()];
    const auto codec = (selector & 0x80) != 0 ? rpc::Codec::kProto : rpc::Codec::kJson;
    table.dispatch(rpc::Call{codec, method, body}, [](const coyote::sdk::Status&, std::string) {});
    ++call_index;
    if (cut == std::string_view::npos) break;
    rest.remove_prefix(cut + 1);
  }
  (void)metrics::format_text(registry.snapshot());
  return 0;
}
