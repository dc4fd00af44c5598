# Runs one libFuzzer target briefly as part of the test suite, starting from the committed seed
# corpus (copied, so the source tree is never written): at most RUNS iterations and at most
# SECONDS seconds, whichever comes first, so the fuzz stage of the suite is bounded (about a
# minute of CPU for every target together). Long runs: scripts/fuzz.
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})
if(EXISTS ${SEED})
  file(GLOB seeds ${SEED}/*)
  if(seeds)
    file(COPY ${seeds} DESTINATION ${WORK})
  endif()
endif()
execute_process(COMMAND ${FUZZER} -runs=${RUNS} -max_total_time=${SECONDS} -seed=1 -max_len=4096
                -timeout=10 ${WORK}
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "fuzzer ${FUZZER} failed (exit ${rc})")
endif()
