# SPDX-License-Identifier: GPL-3.0-or-later
# Test registry: every tests/**/test_*.c is a CTest executable linked to liblathe.
file(GLOB_RECURSE LATHE_TEST_SOURCES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/test_*.c)
foreach(src ${LATHE_TEST_SOURCES})
  get_filename_component(name ${src} NAME_WE)
  file(RELATIVE_PATH rel ${CMAKE_SOURCE_DIR}/tests ${src})
  get_filename_component(dir ${rel} DIRECTORY)
  add_executable(${name} ${src})
  target_link_libraries(${name} PRIVATE lathe_static)
  target_include_directories(${name} PRIVATE ${CMAKE_SOURCE_DIR}/tests)
  add_test(NAME ${dir}/${name} COMMAND ${name})
  set_tests_properties(${dir}/${name} PROPERTIES ENVIRONMENT
    "LATHE_BIN=$<TARGET_FILE:lathe_cli>;LATHE_TOOLS=${CMAKE_BINARY_DIR};LATHE_SOURCE=${CMAKE_SOURCE_DIR}")
endforeach()
# Shell tests: tests/**/*.sh run with the built binary in LATHE_BIN.
file(GLOB_RECURSE LATHE_SHELL_TESTS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/*.sh)
foreach(src ${LATHE_SHELL_TESTS})
  get_filename_component(name ${src} NAME_WE)
  file(RELATIVE_PATH rel ${CMAKE_SOURCE_DIR}/tests ${src})
  get_filename_component(dir ${rel} DIRECTORY)
  # tests/lib holds helpers; tests/fuzz/run.sh is driven by `make fuzz`, not ctest.
  if(dir STREQUAL "lib" OR dir STREQUAL "fuzz")
    continue()
  endif()
  add_test(NAME ${dir}/${name} COMMAND bash ${src})
  set_tests_properties(${dir}/${name} PROPERTIES ENVIRONMENT
    "LATHE_BIN=$<TARGET_FILE:lathe_cli>;LATHE_TOOLS=${CMAKE_BINARY_DIR};LATHE_SOURCE=${CMAKE_SOURCE_DIR}"
    SKIP_RETURN_CODE 77)
endforeach()
