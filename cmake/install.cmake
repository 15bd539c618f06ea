# Installation: headers, the library, a CMake package and the tools.
# Included at the very end of the top-level CMakeLists.txt, so every target exists here.
#
#   cmake --install build/release --prefix /opt/apig
#
# installs
#   include/apig/*.hpp
#   lib/libapig.a                                  (the library; static by default, or
#                                                   libapig.so.0.1.0 with BUILD_SHARED_LIBS)
#   lib/cmake/apig/apigConfig.cmake, apigConfigVersion.cmake, apigTargets*.cmake
#   include/apig/emulator.hpp                      (apig::emulator: the emulator as a static
#   lib/libapig_emulator.a                          library, for users' tests; when it is built
#   lib/cmake/apig/apigEmulatorTargets*.cmake       and APIG_INSTALL_EMULATOR, default ON)
#   bin/apig-instances                             (the CLI, with APIG_BUILD_TOOLS)
#   bin/apig-emulator                              (the emulator, with APIG_BUILD_TOOLS and
#                                                   APIG_INSTALL_EMULATOR, default ON)
#   lib/cmake/apig/apigToolsTargets*.cmake         (apig::apig-instances, apig::apig-emulator)
#
# and a consumer writes
#
#   find_package(apig 0.1 CONFIG REQUIRED)
#   target_link_libraries(app PRIVATE apig::apig)
#
# (and a test that starts the emulator in-process: find_package(apig 0.1 CONFIG REQUIRED
# COMPONENTS emulator), then target_link_libraries(app_tests PRIVATE apig::apig apig::emulator))
#
# which finds Boost (json, url), OpenSSL 3 and Threads, and brings apig's include directory,
# the requirement cxx_std_20 and its link dependencies, and no compile definition (see
# "Embedding" in the README). Included only when APIG_INSTALL is on (the default at top
# level, off under add_subdirectory/FetchContent).
#
# Components: `development` (headers, libraries, CMake package: apig::apig and
# apig::emulator), `tools` (the executables and their imported targets), for
# `cmake --install ... --component`.

include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

option(APIG_INSTALL_EMULATOR
       "Install the emulator: apig::emulator (library and header, for users' tests) and apig-emulator beside apig-instances (for trying the CLI and benchmarking a build)"
       ON)

set(APIG_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/apig"
    CACHE STRING "Where apig's CMake package goes, relative to the prefix")


# ---- the library and its headers ---------------------------------------------------------
# The target already says $<INSTALL_INTERFACE:include>; only another include directory needs
# adding to the exported interface.
set(_apig_includes)
if(NOT CMAKE_INSTALL_INCLUDEDIR STREQUAL "include")
  set(_apig_includes INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
endif()
install(TARGETS apig
  EXPORT apigTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT development
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT development
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT development
  ${_apig_includes})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/apig
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  COMPONENT development
  FILES_MATCHING PATTERN "*.hpp")

install(EXPORT apigTargets
  NAMESPACE apig::
  DESTINATION ${APIG_INSTALL_CMAKEDIR}
  COMPONENT development)

configure_package_config_file(
  ${CMAKE_CURRENT_LIST_DIR}/apigConfig.cmake.in
  ${PROJECT_BINARY_DIR}/apigConfig.cmake
  INSTALL_DESTINATION ${APIG_INSTALL_CMAKEDIR})
# 0.x: a minor version may break the API, so 0.1 accepts 0.1.* only.
write_basic_package_version_file(
  ${PROJECT_BINARY_DIR}/apigConfigVersion.cmake
  VERSION ${PROJECT_VERSION}
  COMPATIBILITY SameMinorVersion)
install(FILES
  ${PROJECT_BINARY_DIR}/apigConfig.cmake
  ${PROJECT_BINARY_DIR}/apigConfigVersion.cmake
  DESTINATION ${APIG_INSTALL_CMAKEDIR}
  COMPONENT development)

# ---- the emulator as a library: apig::emulator --------------------------------------------
# For users' own tests: an emulator started in-process (port 0, faults, a changing list) for
# apig::client to talk to. Static, whatever BUILD_SHARED_LIBS says, and independent of apig's
# library (it needs Boost, OpenSSL and Threads, which apigConfig.cmake finds). Exported in its
# own file, loaded when present: a build without the emulator (APIG_BUILD_TOOLS and
# APIG_BUILD_TESTS off) installs a consistent package without it.
if(APIG_INSTALL_EMULATOR AND TARGET apig_emulator)
  install(TARGETS apig_emulator
    EXPORT apigEmulatorTargets
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT development
    ${_apig_includes})
  install(FILES ${PROJECT_SOURCE_DIR}/tools/emulator/include/apig/emulator.hpp
    DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/apig
    COMPONENT development)
  install(EXPORT apigEmulatorTargets
    NAMESPACE apig::
    DESTINATION ${APIG_INSTALL_CMAKEDIR}
    COMPONENT development)
endif()

unset(_apig_includes)

# ---- the tools -------------------------------------------------------------------------
# apig-instances is the CLI users want on their PATH. apig-emulator is installed too (by
# default): it is what `apig-instances` can be tried against without a cloud account, and
# what a throughput benchmark of an installed build runs against; it links everything
# statically and adds no run-time dependency. Both are also exported as imported targets
# (apig::apig-instances, apig::apig-emulator) in a separate file, loaded only when present,
# so a development-only install stays consistent.
set(_apig_tools)
if(TARGET apig-instances)
  list(APPEND _apig_tools apig-instances)
endif()
if(APIG_BUILD_TOOLS AND APIG_INSTALL_EMULATOR AND TARGET apig-emulator)
  list(APPEND _apig_tools apig-emulator)
endif()
if(_apig_tools)
  get_target_property(_apig_type apig TYPE)
  if(_apig_type STREQUAL "SHARED_LIBRARY")
    # Find the installed libapig.so from bin/ wherever the prefix is moved.
    set_target_properties(${_apig_tools} PROPERTIES
      INSTALL_RPATH "$ORIGIN/../${CMAKE_INSTALL_LIBDIR}")
  endif()
  unset(_apig_type)
  install(TARGETS ${_apig_tools}
    EXPORT apigToolsTargets
    RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT tools)
  install(EXPORT apigToolsTargets
    NAMESPACE apig::
    DESTINATION ${APIG_INSTALL_CMAKEDIR}
    COMPONENT tools)
endif()
unset(_apig_tools)
