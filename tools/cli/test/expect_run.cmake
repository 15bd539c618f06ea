# Runs a command and checks its exit status and output; used by the CLI's end-to-end tests.
#
#   cmake -DEXPECT_EXIT=<code> [-DSTDOUT_MATCH=<re>] [-DSTDERR_MATCH=<re>]
#         [-DSTDERR_NOT_MATCH=<re>] [-DSTDOUT_LINES=<n>] -P expect_run.cmake -- <command> <args>...
#
# An empty variable means "not checked". Regular expressions are CMake's (`.` also matches a
# newline). On failure the whole output is shown, so a failing test explains itself.

set(cmd)
set(after_dashes FALSE)
math(EXPR last "${CMAKE_ARGC} - 1")
foreach(i RANGE ${last})
  if(after_dashes)
    list(APPEND cmd "${CMAKE_ARGV${i}}")
  elseif(CMAKE_ARGV${i} STREQUAL "--")
    set(after_dashes TRUE)
  endif()
endforeach()
if(NOT cmd)
  message(FATAL_ERROR "expect_run.cmake: no command after --")
endif()

execute_process(COMMAND ${cmd} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)

set(problems)
if(NOT "${rc}" STREQUAL "${EXPECT_EXIT}")
  list(APPEND problems "exit status ${rc}, expected ${EXPECT_EXIT}")
endif()
if(NOT "${STDOUT_MATCH}" STREQUAL "" AND NOT "${out}" MATCHES "${STDOUT_MATCH}")
  list(APPEND problems "stdout does not match: ${STDOUT_MATCH}")
endif()
if(NOT "${STDERR_MATCH}" STREQUAL "" AND NOT "${err}" MATCHES "${STDERR_MATCH}")
  list(APPEND problems "stderr does not match: ${STDERR_MATCH}")
endif()
if(NOT "${STDERR_NOT_MATCH}" STREQUAL "")
  if("${err}" MATCHES "${STDERR_NOT_MATCH}" OR "${out}" MATCHES "${STDERR_NOT_MATCH}")
    list(APPEND problems "output must not contain: ${STDERR_NOT_MATCH}")
  endif()
endif()
if(NOT "${STDOUT_LINES}" STREQUAL "")
  string(REGEX MATCHALL "\n" newlines "${out}")
  list(LENGTH newlines lines)
  if(NOT lines EQUAL STDOUT_LINES)
    list(APPEND problems "stdout has ${lines} lines, expected ${STDOUT_LINES}")
  endif()
endif()

if(problems)
  string(REPLACE ";" "\n  " problems "${problems}")
  message(FATAL_ERROR "command: ${cmd}\n  ${problems}\n--- stdout ---\n${out}\n--- stderr ---\n${err}")
endif()
