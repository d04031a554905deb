# Read by cpack for each generator. The shipped unit names /usr/bin/salesaudit
# and /etc/salesaudit/config.yaml, and /etc comes from the configured prefix:
# a .deb from a build configured for another prefix would not run.
if(CPACK_GENERATOR STREQUAL "DEB" AND NOT CPACK_SALESAUDIT_INSTALL_PREFIX STREQUAL "/usr")
  message(FATAL_ERROR "salesaudit: the build is configured with CMAKE_INSTALL_PREFIX="
    "${CPACK_SALESAUDIT_INSTALL_PREFIX}; the .deb needs /usr. Reconfigure with "
    "-DCMAKE_INSTALL_PREFIX=/usr and run cpack again.")
endif()
