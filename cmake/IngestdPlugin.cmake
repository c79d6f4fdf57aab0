# `cmake --build BUILD --target plugins` builds every plugin.
add_custom_target(plugins)

# ingestd_add_plugin(NAME SOURCES ... [LIBRARIES ...])
# Builds plugins/NAME as the shared object ingestd_NAME.so in the plugin folder
# of the build tree and installs it where the installed ingestd looks.
function(ingestd_add_plugin name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBRARIES" ${ARGN})
  set(target ingestd_plugin_${name})
  add_library(${target} MODULE ${ARG_SOURCES})
  set_target_properties(${target} PROPERTIES
    PREFIX ""
    OUTPUT_NAME ingestd_${name}
    LIBRARY_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/${INGESTD_PLUGIN_INSTALL_DIR}
    CXX_VISIBILITY_PRESET hidden
    C_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  target_link_libraries(${target} PRIVATE ingestd::plugin-sdk ingestd_warnings ${ARG_LIBRARIES})
  target_link_options(${target} PRIVATE -Wl,--no-undefined)
  install(TARGETS ${target} LIBRARY DESTINATION ${INGESTD_PLUGIN_INSTALL_DIR})
  add_dependencies(plugins ${target})
endfunction()
