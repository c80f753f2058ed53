#include "sqlite/driver_options.hpp"

#include <charconv>
#include <cstdio>
#include <filesystem>
#include <system_error>

namespace coyote::drivers::sqlite {

namespace {

constexpr unsigned kMaxMode = 07777;
constexpr unsigned kMaxDecimalMode = 0777;  // "493" (0755) .. "511" (0777): PHP's decimal modes

std::optional<unsigned> digits(std::string_view text, int base) {
  if (text.empty()) return std::nullopt;
  unsigned value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, base);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::string octal(unsigned mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0%o", mode);
  return buf;
}

}  // namespace

std::optional<unsigned> parse_permissions(std::string_view text, bool* ambiguous) {
  if (ambiguous != nullptr) *ambiguous = false;
  while (!text.empty() && (text.front() == ' ' || text.front() == '"')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '"')) text.remove_suffix(1);
  std::optional<unsigned> mode;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'o' || text[1] == 'O')) {
    mode = digits(text.substr(2), 8);
  } else if (text.size() > 1 && text[0] == '0') {
    mode = digits(text.substr(1), 8);
  } else if (auto decimal = digits(text, 10); decimal && *decimal <= kMaxDecimalMode) {
    mode = decimal;
    if (ambiguous != nullptr) *ambiguous = digits(text, 8).has_value() && *decimal != 0;
  } else {
    mode = digits(text, 8);
  }
  if (!mode || *mode > kMaxMode) return std::nullopt;
  return mode;
}

DriverOptions parse_options(const Flavor& flavor, const OptionSource& source) {
  DriverOptions options;
  options.file = source.lookup("file").value_or(std::string(flavor.default_file));
  if (options.file.empty()) options.file = std::string(flavor.default_file);
  std::error_code ec;
  const auto absolute = std::filesystem::absolute(options.file, ec);
  if (ec) source.fail("file", "cannot resolve \"" + options.file + "\": " + ec.message());
  options.path = absolute.lexically_normal().string();

  options.permissions = flavor.default_permissions;
  if (auto text = source.lookup("permissions")) {
    bool ambiguous = false;
    auto mode = parse_permissions(*text, &ambiguous);
    if (!mode) {
      source.fail("permissions", "\"" + *text +
                                     "\" is not a file mode: write it in octal (0644), or as the "
                                     "decimal number PHP sends (420)");
    }
    options.permissions = *mode;
    if (ambiguous) {
      source.warn("permissions \"" + *text + "\" is read as the decimal number PHP sends (= " +
                  octal(*mode) + "); write 0" + *text + " if you meant octal");
    }
  }

  options.prefetch = flavor.default_prefetch;
  if (auto text = source.lookup("prefetch")) {
    std::int64_t value = 0;
    const std::string_view digits = *text;
    auto [end, ec2] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (ec2 != std::errc{} || end != digits.data() + digits.size() || value <= 0) {
      source.fail("prefetch", "must be a positive number of jobs in flight (default " +
                                  std::to_string(flavor.default_prefetch) + "), got \"" + *text +
                                  "\"");
    }
    options.prefetch = value;
  }

  if (auto text = source.lookup("durability")) {
    if (*text == "disk") {
      options.durability = coyote::sqlite::Durability::kDisk;
    } else if (*text == "process") {
      options.durability = coyote::sqlite::Durability::kProcess;
    } else {
      source.fail("durability",
                  "must be \"disk\" (fsync at every commit: survives power loss) or \"process\" "
                  "(survives kill -9 of Coyote, not a power loss or kernel crash), got \"" +
                      *text + "\"");
    }
  }
  return options;
}

}  // namespace coyote::drivers::sqlite
