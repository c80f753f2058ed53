# coyote_internal_plugin(<target> <sources>...): a driver plugin built in this tree (plugins/<name>/),
# with the project's warnings, installed into the plugin directory the binary searches. Out-of-tree
# plugins use coyote_add_driver() from the installed SDK (sdk/cmake/CoyoteAddDriver.cmake).
# Hidden visibility, so that only the entry symbol is exported.
function(coyote_internal_plugin target)
  add_library(${target} MODULE ${ARGN})
  target_link_libraries(${target} PRIVATE coyote::sdk coyote_warnings)
  set_target_properties(${target} PROPERTIES
    PREFIX "lib" CXX_VISIBILITY_PRESET hidden VISIBILITY_INLINES_HIDDEN ON
    LIBRARY_OUTPUT_DIRECTORY ${COYOTE_PLUGIN_OUTPUT_DIR})
  install(TARGETS ${target} LIBRARY DESTINATION ${COYOTE_PLUGIN_INSTALL_DIR})
endfunction()

# coyote_driver_objects(<target> <sources>...): a plugin's own classes (every source but its entry
# point), compiled once into an OBJECT library that the plugin's MODULE and its unit tests both
# link (the .so exports only its entry symbol, so a test cannot reach the classes through it).
# Each test had compiled these sources again: 44 files, ~10 % of every build's compile time.
# Linked with PUBLIC libraries, so whoever links the objects gets their dependencies too.
function(coyote_driver_objects target)
  add_library(${target} OBJECT ${ARGN})
  target_link_libraries(${target} PUBLIC coyote::sdk PRIVATE coyote_warnings)
  target_include_directories(${target} PUBLIC ${CMAKE_SOURCE_DIR}/plugins)
  set_target_properties(${target} PROPERTIES
    POSITION_INDEPENDENT_CODE ON CXX_VISIBILITY_PRESET hidden VISIBILITY_INLINES_HIDDEN ON)
endfunction()
