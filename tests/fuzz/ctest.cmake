# Included from tests/CMakeLists.txt: builds the libFuzzer targets of this folder with clang++
# (a separate project, so the main tree may use any compiler) as the fixture fuzz/build, and
# runs each target from its seed corpus as fuzz/<target>: a fixed seed and a fixed number of
# runs (about 10-15 s each here), so a CI result is reproducible rather than a roll of the dice;
# long exploratory runs are documented in docs/reliability.md. New inputs go to the build tree;
# the seeds under corpus/ are only read. Skipped without clang++ and libFuzzer (Debian: clang,
# libclang-rt-14-dev).
option(POSENC_FUZZ "Build the libFuzzer targets and run each briefly in ctest (needs clang++)" ON)
set(POSENC_FUZZ_SEED 1 CACHE STRING "libFuzzer -seed of the fuzz/<target> ctest tests")
if(NOT POSENC_FUZZ)
  return()
endif()
find_program(POSENC_CLANGXX NAMES clang++ clang++-14)
if(NOT POSENC_CLANGXX)
  message(STATUS "posenc: clang++ not found; fuzz tests skipped")
  return()
endif()
set(fuzz_probe_dir ${CMAKE_CURRENT_BINARY_DIR}/fuzz-probe)
file(WRITE ${fuzz_probe_dir}/probe.cpp
     "#include <cstddef>\n#include <cstdint>\nextern \"C\" int LLVMFuzzerTestOneInput(const std::uint8_t*, std::size_t) { return 0; }\n")
execute_process(COMMAND ${POSENC_CLANGXX} -fsanitize=fuzzer,address,undefined probe.cpp -o probe
                WORKING_DIRECTORY ${fuzz_probe_dir} RESULT_VARIABLE fuzz_probe_rc
                OUTPUT_QUIET ERROR_QUIET)
if(NOT fuzz_probe_rc EQUAL 0)
  message(STATUS "posenc: ${POSENC_CLANGXX} cannot link -fsanitize=fuzzer (libclang-rt-14-dev); fuzz tests skipped")
  return()
endif()

set(fuzz_build ${CMAKE_CURRENT_BINARY_DIR}/fuzz)
add_test(NAME fuzz/build
         COMMAND ${CMAKE_COMMAND} -DSOURCE=${CMAKE_CURRENT_SOURCE_DIR}/fuzz -DBUILD=${fuzz_build}
                 -DCXX=${POSENC_CLANGXX} -P ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/build_fuzzers.cmake)
set_tests_properties(fuzz/build PROPERTIES FIXTURES_SETUP posenc_fuzzers)
# target:runs, sized to similar times (npy is ~8x faster per input than the others).
foreach(target_runs npy:1000000 hf_config:200000 encoders:150000)
  string(REPLACE ":" ";" target_runs ${target_runs})
  list(GET target_runs 0 target)
  list(GET target_runs 1 runs)
  set(seeds ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/corpus/${target})
  if(target STREQUAL "encoders")
    list(APPEND seeds ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/corpus/hf_config)
  endif()
  add_test(NAME fuzz/${target}
           COMMAND ${fuzz_build}/fuzz_${target} -seed=${POSENC_FUZZ_SEED} -runs=${runs}
                   -timeout=25 -rss_limit_mb=2560 -max_len=16384 -print_final_stats=1
                   -artifact_prefix=${fuzz_build}/crash-${target}-
                   ${fuzz_build}/corpus-${target} ${seeds}
           WORKING_DIRECTORY ${fuzz_build})
  set_tests_properties(fuzz/${target} PROPERTIES FIXTURES_REQUIRED posenc_fuzzers
                       TIMEOUT 600)
endforeach()
