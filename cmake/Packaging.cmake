# Install rules and the Debian package (`cpack -G DEB` in the build dir).
#
# What installs, and nothing else (no test binary, simulator or benchmark has
# an install rule; tests/package checks the exact file list):
#   bin/salesaudit
#   the systemd unit, where systemd reads system units under the prefix
#   /etc/salesaudit/config.yaml (the example config; a conffile in the .deb)
#   share/doc/salesaudit/: README.md, docs/, examples/ (salesaudit.example.yaml and
#     config/examples/*.yaml)
#   share/salesaudit/monitoring/: the Prometheus rules (and their tests) and
#     the Grafana dashboard
#   share/man/man1/salesaudit.1.gz and share/bash-completion/completions/salesaudit
#   (rendered from the command table by cli/CMakeLists.txt's cli_docs)
# The unit runs /usr/bin/salesaudit with /etc/salesaudit/config.yaml, so /usr
# is the only prefix the package is built for (the top-level file defaults
# CMAKE_INSTALL_PREFIX to it).
include(GNUInstallDirs)

if(NOT CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  message(WARNING "CMAKE_INSTALL_PREFIX is ${CMAKE_INSTALL_PREFIX}: the shipped unit runs "
    "/usr/bin/salesaudit, and `cpack -G DEB` refuses any prefix but /usr. "
    "Reconfigure with -DCMAKE_INSTALL_PREFIX=/usr to install or package.")
endif()

# systemd's own answer (pkg-config systemd) for this prefix: Debian's
# systemd.pc says /lib/systemd/system for root_prefix "", so both prefix
# variables are pinned to ours (/usr -> /usr/lib/systemd/system, read by
# systemd on merged-/usr Debian 12). Kept relative to the prefix, so that
# CPack's own prefix applies too.
set(SALESAUDIT_SYSTEMD_UNIT_DIR "" CACHE PATH
  "systemd system unit dir (default: pkg-config systemd's systemdsystemunitdir for the prefix)")
set(salesaudit_unit_dir "${SALESAUDIT_SYSTEMD_UNIT_DIR}")
if(NOT salesaudit_unit_dir)
  find_package(PkgConfig QUIET)
  if(PKG_CONFIG_FOUND)
    execute_process(
      COMMAND ${PKG_CONFIG_EXECUTABLE} --define-variable=prefix=${CMAKE_INSTALL_PREFIX}
              --define-variable=root_prefix=${CMAKE_INSTALL_PREFIX}
              --variable=systemdsystemunitdir systemd
      OUTPUT_VARIABLE salesaudit_unit_dir OUTPUT_STRIP_TRAILING_WHITESPACE
      RESULT_VARIABLE pkg_config_result ERROR_QUIET)
    if(NOT pkg_config_result EQUAL 0)
      set(salesaudit_unit_dir "")
    endif()
  endif()
  if(NOT salesaudit_unit_dir)
    set(salesaudit_unit_dir "${CMAKE_INSTALL_PREFIX}/lib/systemd/system")
  endif()
endif()
cmake_path(IS_PREFIX CMAKE_INSTALL_PREFIX "${salesaudit_unit_dir}" NORMALIZE unit_dir_in_prefix)
if(unit_dir_in_prefix)
  file(RELATIVE_PATH salesaudit_unit_dir "${CMAKE_INSTALL_PREFIX}" "${salesaudit_unit_dir}")
endif()

install(TARGETS salesaudit RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES systemd/salesaudit.service DESTINATION ${salesaudit_unit_dir})
# World-readable (0644): the unit's dynamic user reads it; secrets stay out of
# it (credentials or environment).
install(FILES config/salesaudit.example.yaml
  DESTINATION ${CMAKE_INSTALL_FULL_SYSCONFDIR}/salesaudit RENAME config.yaml)
install(FILES config/salesaudit.example.yaml DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)
install(DIRECTORY config/examples/ DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)
# docs/ keeps its name: README.md links to docs/audit.md.
install(FILES README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR}/docs)
# Outside doc/: minimal Debian images drop /usr/share/doc, and these are
# loaded by Prometheus and Grafana, not read.
install(DIRECTORY monitoring/ DESTINATION ${CMAKE_INSTALL_DATADIR}/salesaudit/monitoring)
install(FILES ${SALESAUDIT_MAN_PAGE}.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
# Where bash-completion loads a command's completion from on first use.
install(FILES ${SALESAUDIT_BASH_COMPLETION}
  DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/bash-completion/completions RENAME salesaudit)

# --- The .deb.
set(SALESAUDIT_PACKAGE_MAINTAINER "salesaudit maintainers <maintainers@example.com>" CACHE STRING
  "Maintainer field of the .deb")
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME salesaudit)
set(CPACK_PACKAGE_VENDOR salesaudit)
set(CPACK_PACKAGE_CONTACT "${SALESAUDIT_PACKAGE_MAINTAINER}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "sales audit daemon syncing CRM and email-marketing data")
# One line each in the control file's extended description (at most 79 columns).
string(JOIN "\n" CPACK_PACKAGE_DESCRIPTION
  "salesaudit syncs CRM and email-marketing data (HubSpot, Mailchimp) into a"
  "local SQLite store and keeps a sales audit current: the funnel by channel"
  "and rep, lead volume against team capacity, cycle times, email performance,"
  "data quality and return on spend, with alerts by email or webhook."
  "It runs as a systemd service, enabled but not started on install: set the"
  "secrets for /etc/salesaudit/config.yaml first.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # salesaudit_<version>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_SECTION misc)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Depends from the binary's libraries (dpkg-shlibdeps, Debian's dpkg-dev).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
file(CONFIGURE OUTPUT ${PROJECT_BINARY_DIR}/packaging/conffiles
  CONTENT "${CMAKE_INSTALL_FULL_SYSCONFDIR}/salesaudit/config.yaml\n")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  ${PROJECT_BINARY_DIR}/packaging/conffiles
  ${PROJECT_SOURCE_DIR}/packaging/postinst
  ${PROJECT_SOURCE_DIR}/packaging/prerm
  ${PROJECT_SOURCE_DIR}/packaging/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)  # scripts 0755, the rest 0644
# Read by cpack: refuses a .deb built for another prefix than /usr.
set(CPACK_SALESAUDIT_INSTALL_PREFIX "${CMAKE_INSTALL_PREFIX}")
set(CPACK_PROJECT_CONFIG_FILE ${PROJECT_SOURCE_DIR}/cmake/CPackProjectConfig.cmake)
include(CPack)
