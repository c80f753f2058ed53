# Warnings and sanitizers for Coyote's own targets (not imported ones).
add_library(coyote_warnings INTERFACE)
target_compile_options(coyote_warnings INTERFACE -Wall -Wextra -Wpedantic -Wshadow
                       -Wnon-virtual-dtor -Wno-missing-field-initializers)
# GCC 12 at -O2 reports -Wrestrict on ordinary std::string concatenation inlined from libstdc++
# (GCC bug 105651, fixed in 13): a false positive that -Werror would turn into a build failure.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
  target_compile_options(coyote_warnings INTERFACE -Wno-restrict)
endif()
if(COYOTE_WERROR)
  target_compile_options(coyote_warnings INTERFACE -Werror)
endif()

# GCC 12 warns that TSan does not model the atomic_thread_fence Asio uses; that is Asio's
# business, and -Werror would otherwise reject every TSan build.
if(COYOTE_SANITIZE STREQUAL "thread" AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  target_compile_options(coyote_warnings INTERFACE -Wno-tsan)
endif()

if(COYOTE_SANITIZE)
  string(REPLACE ";" "," _coyote_san "${COYOTE_SANITIZE}")
  add_compile_options(-fsanitize=${_coyote_san} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${_coyote_san})
endif()
