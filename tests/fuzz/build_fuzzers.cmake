# ctest's fuzz/build: configure and build tests/fuzz with clang++ (cmake -P script; SOURCE,
# BUILD and CXX are passed with -D). Also makes the writable corpus folders the runs use.
execute_process(COMMAND ${CMAKE_COMMAND} -S ${SOURCE} -B ${BUILD} -DCMAKE_CXX_COMPILER=${CXX}
                        -DCMAKE_BUILD_TYPE=RelWithDebInfo
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "configuring the fuzz targets failed")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} --build ${BUILD} -j2 RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "building the fuzz targets failed")
endif()
foreach(target npy hf_config encoders)
  file(MAKE_DIRECTORY ${BUILD}/corpus-${target})
endforeach()
