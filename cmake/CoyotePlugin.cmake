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
