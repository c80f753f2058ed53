// Table printing for the commands' human-readable output: aligned columns, sizes, ages.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace coyote::host::cli {

/// The header then each row to stdout, columns padded to their widest cell plus two spaces
/// (the last column is not padded).
void print_table(const std::vector<std::string>& header,
                 const std::vector<std::vector<std::string>>& rows);

/// "512 B", "1.5 KiB", "3.0 MiB", ...
[[nodiscard]] std::string human_bytes(std::uint64_t bytes);

/// The time since `created_ns` (Unix nanoseconds) as "1h2m3s", "4m5s", "6s".
[[nodiscard]] std::string human_age(std::int64_t created_ns);

}  // namespace coyote::host::cli
