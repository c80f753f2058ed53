// The plugin ABI: one C entry symbol returning a versioned descriptor the host checks first.
#pragma once

#include <coyote/sdk/registrar.hpp>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <exception>

// ABI 2 (SDK 0.2.0): Driver::push completes asynchronously and gained push_batch, Job writes its
// context into a caller's buffer, Config::text, Result<T>, the single-thread calling contract.
#define COYOTE_SDK_VERSION "0.2.0"
#define COYOTE_SDK_ABI_VERSION 2u
#define COYOTE_PLUGIN_ENTRY coyote_plugin_entry
#define COYOTE_PLUGIN_ENTRY_NAME "coyote_plugin_entry"

// The toolchain fingerprint: C++ objects (std::string, vtables, exceptions) cross the boundary,
// so host and plugin must agree on compiler family and standard library ABI.
#if defined(__clang__)
#define COYOTE_SDK_COMPILER "clang-" COYOTE_SDK_STR(__clang_major__)
#elif defined(__GNUC__)
#define COYOTE_SDK_COMPILER "gcc-" COYOTE_SDK_STR(__GNUC__)
#else
#define COYOTE_SDK_COMPILER "unknown"
#endif
#if defined(_LIBCPP_VERSION)
#define COYOTE_SDK_STDLIB "libc++-" COYOTE_SDK_STR(_LIBCPP_VERSION)
#elif defined(_GLIBCXX_RELEASE)
#define COYOTE_SDK_STDLIB \
  "libstdc++-" COYOTE_SDK_STR(_GLIBCXX_RELEASE) "-cxx11abi" COYOTE_SDK_STR(_GLIBCXX_USE_CXX11_ABI)
#else
#define COYOTE_SDK_STDLIB "unknown"
#endif
#define COYOTE_SDK_STR2(x) #x
#define COYOTE_SDK_STR(x) COYOTE_SDK_STR2(x)

extern "C" {

/// Plain C layout; the host reads abi_version and struct_size before anything else, so later ABI
/// versions may append fields and still be read by older hosts up to struct_size.
struct coyote_plugin_descriptor {
  std::uint32_t abi_version;
  std::uint32_t struct_size;
  const char* sdk_version;
  const char* compiler;  ///< COYOTE_SDK_COMPILER of the plugin's build
  const char* stdlib;    ///< COYOTE_SDK_STDLIB of the plugin's build
  const char* plugin_name;
  /// Registers the plugin's drivers into `registrar` (a coyote::sdk::Registrar*). Never throws:
  /// returns 0 on success, otherwise writes a NUL-terminated message into `error`.
  int (*register_plugin)(void* registrar, char* error, std::size_t error_size);
};

using coyote_plugin_entry_fn = const coyote_plugin_descriptor* (*)();
}

namespace coyote::sdk::detail {

/// The exception barrier every plugin's entry goes through.
template <void (*Register)(Registrar&)>
int guarded_register(void* registrar, char* error, std::size_t error_size) noexcept {
  auto write = [&](const char* text) {
    if (error == nullptr || error_size == 0) return;
    std::strncpy(error, text, error_size - 1);
    error[error_size - 1] = '\0';
  };
  try {
    Register(*static_cast<Registrar*>(registrar));
    return 0;
  } catch (const std::exception& e) {
    write(e.what());
  } catch (...) {
    write("unknown exception (not derived from std::exception)");
  }
  return 1;
}

}  // namespace coyote::sdk::detail

/// Declares a plugin. `register_fn` is `void f(coyote::sdk::Registrar&)`, which may throw.
///   static void register_drivers(coyote::sdk::Registrar& r) { r.add_driver(...); }
///   COYOTE_PLUGIN("my_plugin", register_drivers)
#define COYOTE_PLUGIN(plugin_name_literal, register_fn)                             \
  extern "C" __attribute__((visibility("default"))) const coyote_plugin_descriptor* \
  COYOTE_PLUGIN_ENTRY() {                                                           \
    static const coyote_plugin_descriptor descriptor{                               \
        COYOTE_SDK_ABI_VERSION,                                                     \
        sizeof(coyote_plugin_descriptor),                                           \
        COYOTE_SDK_VERSION,                                                         \
        COYOTE_SDK_COMPILER,                                                        \
        COYOTE_SDK_STDLIB,                                                          \
        plugin_name_literal,                                                        \
        &::coyote::sdk::detail::guarded_register<register_fn>};                     \
    return &descriptor;                                                             \
  }
