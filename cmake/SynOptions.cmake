# Warnings and sanitizers live on INTERFACE targets so generated protobuf code stays exempt.
add_library(syn_warnings INTERFACE)
target_compile_options(syn_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Werror -Wshadow -Wnon-virtual-dtor -Wold-style-cast
  -Wcast-align -Wunused -Woverloaded-virtual -Wimplicit-fallthrough)
# scripts/test.sh builds with CMAKE_UNITY_BUILD=ON (sources batched into one compile each, a
# fraction of the compile time). GCC then takes every batched .cpp for a header and warns, wrongly,
# that a class holding an anonymous-namespace type has "subobject linkage"; no other warning is
# relaxed. Developers' builds (the presets) stay one compile per source, so a missing #include
# still fails there.
if(CMAKE_UNITY_BUILD)
  target_compile_options(syn_warnings INTERFACE -Wno-subobject-linkage)
endif()

add_library(syn_sanitizers INTERFACE)
if(SYN_SANITIZE)
  target_compile_options(syn_sanitizers INTERFACE
    -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  target_link_options(syn_sanitizers INTERFACE -fsanitize=address,undefined)
endif()

# Every first-party target links this.
add_library(syn_defaults INTERFACE)
target_link_libraries(syn_defaults INTERFACE syn_warnings syn_sanitizers)
