# Writes a C++ source holding the built-in scenario files as string literals,
# so the shipped .toml files are the single definition of the built-ins.
# Usage: cmake -DOUTPUT=file.cpp -DINPUTS="a.toml|b.toml" -P embed_scenarios.cmake
string(REPLACE "|" ";" INPUTS "${INPUTS}")
set(entries "")
foreach(input IN LISTS INPUTS)
  get_filename_component(name "${input}" NAME_WE)
  file(READ "${input}" text)
  string(APPEND entries "    {\"${name}\", R\"twostage_toml(${text})twostage_toml\"},\n")
endforeach()
file(WRITE "${OUTPUT}.tmp"
"// Generated from scenarios/*.toml by cmake/embed_scenarios.cmake; do not edit.
#include \"scenarios/scenario.hpp\"

namespace twostage {

const std::vector<BuiltinScenario>& builtin_scenarios() {
  static const std::vector<BuiltinScenario> list = {
${entries}  };
  return list;
}

}  // namespace twostage
")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
