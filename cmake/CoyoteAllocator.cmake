# The allocator of the `coyote` binary (only the binary: libraries, plugins and tests keep
# whatever their host process uses).
#
# mimalloc, by measurement (docs/architecture.md, "The allocator"): glibc's malloc/free was
# ~1 200 of the drain's ~7 000 instructions per job, because a resumed pipeline allocates its jobs
# in one burst and frees them one by one later, which keeps missing glibc's per-thread cache and
# consolidating its fast bins. Linked into the executable, mimalloc serves every malloc of the
# process, plugins and the libraries they load included (symbol interposition: the binary's own
# dependencies are searched before libc).
#
# Sanitizer and fuzzer trees keep the system allocator: ASan, TSan and libFuzzer replace malloc
# themselves.
set(COYOTE_ALLOCATOR "mimalloc" CACHE STRING
    "malloc of the coyote binary: 'mimalloc' (Debian's libmimalloc-dev) or 'system' (glibc)")
set_property(CACHE COYOTE_ALLOCATOR PROPERTY STRINGS mimalloc system)

if(NOT COYOTE_ALLOCATOR MATCHES "^(mimalloc|system)$")
  message(FATAL_ERROR "COYOTE_ALLOCATOR is '${COYOTE_ALLOCATOR}': use 'mimalloc' or 'system'")
endif()

set(COYOTE_ALLOCATOR_IN_USE "${COYOTE_ALLOCATOR}")
if(COYOTE_ALLOCATOR STREQUAL "mimalloc" AND (COYOTE_SANITIZE OR COYOTE_BUILD_FUZZERS))
  message(STATUS "coyote allocator: system (sanitizers replace malloc; COYOTE_ALLOCATOR ignored)")
  set(COYOTE_ALLOCATOR_IN_USE "system")
endif()

if(COYOTE_ALLOCATOR_IN_USE STREQUAL "mimalloc")
  find_package(mimalloc 2.0 CONFIG QUIET)
  if(NOT mimalloc_FOUND)
    message(FATAL_ERROR
      "COYOTE_ALLOCATOR=mimalloc, but mimalloc 2.x was not found: install Debian's "
      "libmimalloc-dev (scripts/install-deps.sh does), or configure with "
      "-DCOYOTE_ALLOCATOR=system to build with glibc's malloc")
  endif()
  message(STATUS "coyote allocator: mimalloc ${mimalloc_VERSION}")
endif()

# coyote_use_allocator(target): links the chosen allocator into an executable and tells its
# sources which one it is (COYOTE_MIMALLOC), so the binary can report what really serves malloc.
function(coyote_use_allocator target)
  if(COYOTE_ALLOCATOR_IN_USE STREQUAL "mimalloc")
    target_link_libraries(${target} PRIVATE mimalloc)
    target_compile_definitions(${target} PRIVATE COYOTE_MIMALLOC=1)
  endif()
endfunction()
