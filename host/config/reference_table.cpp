#include "config/reference_table.hpp"

#include <stdexcept>

namespace coyote::host::config {
namespace {

std::string joined(std::string_view prefix, std::string_view name) {
  return prefix.empty() ? std::string(name) : std::string(prefix) + "." + std::string(name);
}

void render_rows(const Spec& section, std::string_view prefix, std::string& out) {
  for (const Field& field : section.fields) {
    std::string key = joined(prefix, field.name);
    if (field.spec->kind == Kind::kNamed) key += "." + std::string(field.spec->placeholder);
    if (!field.doc.empty()) {
      out += "| `" + key + "` | ";
      out += field.default_text.empty() ? std::string("—") : std::string(field.default_text);
      out += " | " + std::string(field.doc) + " |\n";
      continue;
    }
    if (field.spec->kind == Kind::kSection) {
      render_rows(*field.spec, key, out);
    } else if (field.spec->kind == Kind::kNamed && field.spec->value != nullptr &&
               field.spec->value->kind == Kind::kSection) {
      render_rows(*field.spec->value, key, out);
    } else {
      throw std::logic_error("config key " + key + " is declared without a doc");
    }
  }
}

}  // namespace

std::string render_key_table(const Spec& section, std::string_view prefix) {
  std::string out = "| key | default | meaning |\n|---|---|---|\n";
  render_rows(section, prefix, out);
  return out;
}

}  // namespace coyote::host::config
