#include "dashboard/embedded_assets.hpp"

namespace coyote::host::dashboard {

const Asset* find_asset(std::string_view path) noexcept {
  if (path == "/" || path.empty()) path = "/index.html";
  for (const auto& asset : embedded_assets()) {
    if (asset.path == path) return &asset;
  }
  return nullptr;
}

}  // namespace coyote::host::dashboard
