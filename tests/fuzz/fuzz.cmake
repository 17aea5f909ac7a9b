# SPDX-License-Identifier: GPL-3.0-or-later
# libFuzzer target fuzz_analyze (LATHE_FUZZ=ON, clang only): the library sources are
# compiled a second time with the fuzzer's coverage and AddressSanitizer +
# UndefinedBehaviorSanitizer, so the ordinary targets of this build stay as they are.
# Run it with tests/fuzz/run.sh BUILD_DIR SECONDS (what `make fuzz` does).
if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
  message(FATAL_ERROR "LATHE_FUZZ=ON needs clang: CC=clang cmake -DLATHE_FUZZ=ON ...")
endif()

set(LATHE_FUZZ_SANITIZERS -fsanitize=address,undefined -fno-sanitize-recover=undefined
    -fno-omit-frame-pointer -g)

add_library(lathe_fuzz_objects OBJECT ${LATHE_SOURCES})
# The EQ kernels' many inlined variants take clang about three minutes at -O3 with the
# sanitizers (five seconds without -O); the analysis fuzzer never reaches them. (This
# build directory holds nothing else that compiles the file.)
set_source_files_properties(${CMAKE_SOURCE_DIR}/src/dsp/eq_band.c PROPERTIES COMPILE_OPTIONS -O0)
target_compile_definitions(lathe_fuzz_objects PRIVATE LATHE_BUILDING)
target_compile_options(lathe_fuzz_objects PRIVATE -fsanitize=fuzzer-no-link
                       ${LATHE_FUZZ_SANITIZERS})
target_include_directories(lathe_fuzz_objects PUBLIC
  ${CMAKE_SOURCE_DIR}/include ${CMAKE_BINARY_DIR}/include
  PRIVATE ${CMAKE_SOURCE_DIR}/src)
target_link_libraries(lathe_fuzz_objects PUBLIC ${LATHE_DEPS})

add_executable(fuzz_analyze ${CMAKE_SOURCE_DIR}/tests/fuzz/fuzz_analyze.c
               $<TARGET_OBJECTS:lathe_fuzz_objects>)
target_compile_options(fuzz_analyze PRIVATE -fsanitize=fuzzer ${LATHE_FUZZ_SANITIZERS})
target_link_options(fuzz_analyze PRIVATE -fsanitize=fuzzer,address,undefined)
target_include_directories(fuzz_analyze PRIVATE
  ${CMAKE_SOURCE_DIR}/include ${CMAKE_BINARY_DIR}/include)
target_link_libraries(fuzz_analyze PRIVATE ${LATHE_DEPS})
