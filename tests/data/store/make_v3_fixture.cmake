# Included into the old tree's project() by make-v3-fixture.sh (CMAKE_PROJECT_tta_INCLUDE): the
# fixture writer, linked against that tree's tta_store.
add_executable(make_v3_fixture ${TTA_FIXTURE_SOURCE})
set_target_properties(make_v3_fixture PROPERTIES CXX_STANDARD 20 CXX_STANDARD_REQUIRED ON)
target_link_libraries(make_v3_fixture PRIVATE tta_store tta_config tta_core)
