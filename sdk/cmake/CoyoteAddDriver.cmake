# coyote_add_driver(<target> SOURCES <src>... [OUTPUT_NAME <name>])
#
# Builds a Coyote driver plugin: a MODULE library (lib<name>.so) compiled as C++20 with hidden
# visibility, so the only exported symbol is the entry point COYOTE_PLUGIN(...) declares. Build it
# with the same compiler and standard library as the coyote binary: the host refuses a plugin whose
# toolchain fingerprint differs.
function(coyote_add_driver target)
  cmake_parse_arguments(PARSE_ARGV 1 ARG "" "OUTPUT_NAME" "SOURCES")
  if(NOT ARG_SOURCES)
    message(FATAL_ERROR "coyote_add_driver(${target}): give the plugin's sources with SOURCES")
  endif()
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "coyote_add_driver(${target}): unexpected arguments: ${ARG_UNPARSED_ARGUMENTS}")
  endif()
  add_library(${target} MODULE ${ARG_SOURCES})
  target_link_libraries(${target} PRIVATE coyote::sdk)
  target_compile_features(${target} PRIVATE cxx_std_20)
  set_target_properties(${target} PROPERTIES
    PREFIX "lib"
    CXX_EXTENSIONS OFF
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  if(ARG_OUTPUT_NAME)
    set_target_properties(${target} PROPERTIES OUTPUT_NAME ${ARG_OUTPUT_NAME})
  endif()
endfunction()
