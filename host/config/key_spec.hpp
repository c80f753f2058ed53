// KeySpec: how an area declares the .rr.yaml keys it reads — type, default and doc, as data.
#pragma once

#include <span>
#include <string_view>

namespace coyote::host::config {

// Each area declares the keys it reads as a table of Fields right above the code that reads
// them (worker/pool_config.cpp, jobs/pipelines.cpp, log/log.cpp, ...); cli/rr_schema.cpp
// composes the tables into the schema `coyote serve` validates against. To accept a new key,
// add a Field to the table of the file that reads it, with its default and doc, and regenerate
// config/reference.md (COYOTE_UPDATE_REFERENCE=1 build/tests/test_cli "config/reference.md*").
// A test fails when a parser reads a key no table declares.

/// What a key holds.
enum class Kind {
  kString,        ///< any scalar
  kInteger,       ///< integer or numeric string
  kBoolean,       ///< YAML boolean
  kDuration,      ///< Go duration or bare seconds
  kStringList,    ///< list of scalars
  kStringOrList,  ///< scalar or list of scalars (commands)
  kStringMap,     ///< map of scalars (env)
  kSection,       ///< map with the fixed keys in `fields`
  kNamed,         ///< map of user-chosen names, each value checked against `value`
  kOpaqueMap,     ///< a map owned by someone else (driver options): not looked into
};

/// What an unknown key in a section means.
enum class Unknown {
  kError,             ///< a typo in one of our sections
  kWarnUnlessTypo,    ///< pipeline level: RoadRunner also reads driver options here
  kIgnoreUnlessTypo,  ///< top level: other plugins' sections
};

struct Spec;

/// One key of a section. `default_text` and `doc` are Markdown, as config/reference.md shows
/// them (its key tables are generated from these fields); a key whose doc is empty is
/// documented by its children's rows (a section, or the sections of a kNamed map).
struct Field {
  std::string_view name;
  const Spec* spec;
  std::string_view default_text = {};  ///< empty: shown as "—"
  std::string_view doc = {};
  bool required = false;
  std::string_view deprecated = {};  ///< non-empty: accepted with this warning
};

/// A key's type; for a section, its keys.
struct Spec {
  Kind kind;
  std::span<const Field> fields = {};
  const Spec* value = nullptr;                     ///< kNamed: each entry's spec
  std::span<const std::string_view> allowed = {};  ///< kString: the accepted values, if limited
  Unknown unknown = Unknown::kError;
  std::string_view placeholder = "<name>";  ///< kNamed: how the reference writes an entry
};

namespace spec {
inline constexpr Spec kString{Kind::kString};
inline constexpr Spec kInteger{Kind::kInteger};
inline constexpr Spec kBoolean{Kind::kBoolean};
inline constexpr Spec kDuration{Kind::kDuration};
inline constexpr Spec kStringList{Kind::kStringList};
inline constexpr Spec kStringOrList{Kind::kStringOrList};
inline constexpr Spec kStringMap{Kind::kStringMap};
inline constexpr Spec kOpaqueMap{Kind::kOpaqueMap};
}  // namespace spec

/// The spec that declares `path` under `root` ("jobs.pools.fast.num_workers"), or nullptr when
/// no table declares it. Names of a kNamed map match any segment; anything below a kOpaqueMap
/// or a kStringMap entry is its owner's business and counts as declared.
[[nodiscard]] const Spec* find_key(const Spec& root, std::string_view path);

}  // namespace coyote::host::config
