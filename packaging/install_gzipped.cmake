# Included by the install script (packaging/CMakeLists.txt): installs each file as FILE.gz made by gzip -9n, the
# compression Debian policy wants for manual pages and changelogs (no name or time stamp: reproducible bytes).
macro(certfleet_install_gzipped destination)
  foreach(certfleet_source ${ARGN})
    get_filename_component(certfleet_name "${certfleet_source}" NAME)
    set(certfleet_installed "${CMAKE_INSTALL_PREFIX}/${destination}/${certfleet_name}.gz")
    message(STATUS "Installing: $ENV{DESTDIR}${certfleet_installed}")
    file(MAKE_DIRECTORY "$ENV{DESTDIR}${CMAKE_INSTALL_PREFIX}/${destination}")
    execute_process(COMMAND gzip -9n --stdout "${certfleet_source}" OUTPUT_FILE "$ENV{DESTDIR}${certfleet_installed}"
                    RESULT_VARIABLE certfleet_gzip_status)
    if(NOT certfleet_gzip_status EQUAL 0)
      message(FATAL_ERROR "gzip -9n ${certfleet_source} failed (${certfleet_gzip_status})")
    endif()
    file(CHMOD "$ENV{DESTDIR}${certfleet_installed}" PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
    list(APPEND CMAKE_INSTALL_MANIFEST_FILES "${certfleet_installed}")  # `make install`'s install_manifest.txt
  endforeach()
endmacro()
