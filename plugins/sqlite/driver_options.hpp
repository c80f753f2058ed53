// DriverOptions: a sqlite/boltdb pipeline's keys, read the same way from .rr.yaml and Declare.
#pragma once

#include "sqlite/store/database.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace coyote::drivers::sqlite {

/// What differs between the two driver names: their defaults and the name workers see.
struct Flavor {
  std::string_view name;          ///< "sqlite" or "boltdb"
  std::string_view default_file;  ///< relative to the working directory, like RoadRunner's
  unsigned default_permissions;
  std::int64_t default_prefetch;
};

/// Coyote's own driver: a private data file by default.
inline constexpr Flavor kSqliteFlavor{"sqlite", "coyote.db", 0600, 1000};
/// RoadRunner's boltdb keys and code defaults (spec 1.4): rr.db, 0755, prefetch 1000 (PHP's
/// BoltdbCreateInfo sends 10000 itself).
inline constexpr Flavor kBoltdbFlavor{"boltdb", "rr.db", 0755, 1000};

/// Keys a pipeline's `config` may hold; others get a warning.
inline const std::vector<std::string_view> kKnownKeys = {"file", "permissions", "priority",
                                                         "prefetch", "durability"};

struct DriverOptions {
  std::string file;  ///< as configured
  std::string path;  ///< absolute, normalised: the key of the one store per file
  unsigned permissions = 0600;
  std::int64_t prefetch = 1000;
  coyote::sqlite::Durability durability = coyote::sqlite::Durability::kDisk;
};

/// Where option text comes from, and how a bad value is reported.
struct OptionSource {
  /// The value of `key` as written, nullopt when absent.
  std::function<std::optional<std::string>(std::string_view key)> lookup;
  /// Throws the caller's error type (ConfigError with the YAML location, or
  /// std::invalid_argument for Declare); must not return.
  std::function<void(std::string_view key, const std::string& problem)> fail;
  std::function<void(const std::string& warning)> warn;
};

DriverOptions parse_options(const Flavor& flavor, const OptionSource& source);

/// A file mode as RoadRunner users write it: "0755" / "0o755" (octal), PHP's decimal "493",
/// or octal digits without the leading zero ("755", "644") when the number is too large to be
/// a decimal mode. nullopt when it is none of these or above 07777. `ambiguous` is set when
/// the text read as decimal could also have been meant as octal ("400").
std::optional<unsigned> parse_permissions(std::string_view text, bool* ambiguous = nullptr);

}  // namespace coyote::drivers::sqlite
