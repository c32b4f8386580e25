# Installs the CMake package of r1c: `cmake --install build --prefix P`, then an
# application calls find_package(r1c) with P on CMAKE_PREFIX_PATH and gets
# r1c::r1rt (the runtime), r1c::r1c (the compiler, when it was built) and
# r1c_add_model() (cmake/r1cModels.cmake).
include(CMakePackageConfigHelpers)
include(GNUInstallDirs)

set(R1C_PACKAGE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/r1c)
install(EXPORT r1cTargets NAMESPACE r1c:: DESTINATION ${R1C_PACKAGE_DIR})
configure_package_config_file(cmake/r1cConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/cmake/r1cConfig.cmake
                              INSTALL_DESTINATION ${R1C_PACKAGE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/cmake/r1cConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/cmake/r1cConfig.cmake
              ${PROJECT_BINARY_DIR}/cmake/r1cConfigVersion.cmake
              cmake/r1cModels.cmake
        DESTINATION ${R1C_PACKAGE_DIR})
