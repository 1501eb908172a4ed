# llhttp from Debian's node-llhttp package: C sources in /usr/share/llhttp, header in
# /usr/share/include/llhttp. Built here as a static library (third-party code: no -Werror).
set(LLHTTP_SOURCE_DIR /usr/share/llhttp CACHE PATH "llhttp C sources")
set(LLHTTP_INCLUDE_DIR /usr/share/include/llhttp CACHE PATH "llhttp header")
if(NOT EXISTS ${LLHTTP_SOURCE_DIR}/llhttp.c OR NOT EXISTS ${LLHTTP_INCLUDE_DIR}/llhttp.h)
  message(FATAL_ERROR "llhttp not found: run scripts/setup.sh (Debian package node-llhttp)")
endif()
add_library(llhttp STATIC ${LLHTTP_SOURCE_DIR}/llhttp.c ${LLHTTP_SOURCE_DIR}/api.c
                          ${LLHTTP_SOURCE_DIR}/http.c)
target_include_directories(llhttp SYSTEM PUBLIC ${LLHTTP_INCLUDE_DIR})
set_target_properties(llhttp PROPERTIES POSITION_INDEPENDENT_CODE ON C_STANDARD 99)
target_compile_options(llhttp PRIVATE -w)
# Strict mode: among other checks, the CRLF after each chunk's data is verified. Without it
# llhttp skips any two bytes there, so "5\r\nhelloXX0\r\n\r\n" ends a body that a stricter
# next hop reads differently (a smuggling primitive). Strict mode also refuses bytes after a
# message that said Connection: close.
target_compile_definitions(llhttp PRIVATE LLHTTP_STRICT_MODE=1)
