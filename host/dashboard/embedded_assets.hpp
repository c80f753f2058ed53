// EmbeddedAssets: the dashboard's built UI (dashboard/dist/), compiled into the binary so the
// page works on a machine with no network and no files beside the binary.
#pragma once

#include <span>
#include <string_view>

namespace coyote::host::dashboard {

struct Asset {
  std::string_view path;  ///< "/index.html", "/assets/index-1a2b.js"
  std::string_view content_type;
  std::string_view body;
};

/// Every file of dashboard/dist/ (generated at build time by cmake/EmbedAssets.cmake).
[[nodiscard]] std::span<const Asset> embedded_assets() noexcept;

/// The asset at `path` ("/" is "/index.html"), or nullptr.
[[nodiscard]] const Asset* find_asset(std::string_view path) noexcept;

}  // namespace coyote::host::dashboard
