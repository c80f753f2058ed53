# Installs the driver SDK as a CMake package: headers, the coyote::sdk target, and
# coyote_add_driver(). Everything here is in the "sdk" install component, so
#   cmake --install <build> --prefix <p> --component sdk
# installs the SDK alone (no binary or plugins needed).
include(CMakePackageConfigHelpers)

# The package version is the SDK's own, read from the header plugins are stamped with, so the
# two cannot drift apart.
file(STRINGS ${CMAKE_CURRENT_SOURCE_DIR}/include/coyote/sdk/abi.hpp _coyote_sdk_version_line
     REGEX "^#define COYOTE_SDK_VERSION \"[0-9.]+\"")
string(REGEX REPLACE ".*\"([0-9.]+)\".*" "\\1" COYOTE_SDK_VERSION "${_coyote_sdk_version_line}")
if(NOT COYOTE_SDK_VERSION)
  message(FATAL_ERROR "cannot read COYOTE_SDK_VERSION from sdk/include/coyote/sdk/abi.hpp")
endif()

set(COYOTE_SDK_CMAKE_DIR lib/cmake/coyote-sdk)

set_target_properties(coyote_sdk PROPERTIES EXPORT_NAME sdk)
install(DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}/include/coyote/sdk
        DESTINATION include/coyote COMPONENT sdk FILES_MATCHING PATTERN "*.hpp")
install(TARGETS coyote_sdk EXPORT coyote-sdk-targets COMPONENT sdk)
install(EXPORT coyote-sdk-targets NAMESPACE coyote:: FILE coyote-sdkTargets.cmake
        DESTINATION ${COYOTE_SDK_CMAKE_DIR} COMPONENT sdk)

configure_package_config_file(
  ${CMAKE_CURRENT_SOURCE_DIR}/cmake/coyote-sdkConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/coyote-sdkConfig.cmake
  INSTALL_DESTINATION ${COYOTE_SDK_CMAKE_DIR})
# Plugins are checked at load time for the same SDK major version; mirror that here.
write_basic_package_version_file(
  ${CMAKE_CURRENT_BINARY_DIR}/coyote-sdkConfigVersion.cmake
  VERSION ${COYOTE_SDK_VERSION} COMPATIBILITY SameMajorVersion ARCH_INDEPENDENT)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/coyote-sdkConfig.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/coyote-sdkConfigVersion.cmake
              ${CMAKE_CURRENT_SOURCE_DIR}/cmake/CoyoteAddDriver.cmake
        DESTINATION ${COYOTE_SDK_CMAKE_DIR} COMPONENT sdk)
