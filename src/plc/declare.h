// Declarations: builds the class table entries of the classes a run compiles, resolves their types,
// numbers methods and fields, and checks overriding and interfaces (compiler layer, spec/language.md
// §3.2-§3.5). Runs after every file is parsed and before any code is generated.
#pragma once

#include <vector>

#include "plc/ast.h"
#include "plc/class_table.h"

namespace phantom::plc {

// The type a TypeSpec denotes; reports an unknown class and returns unknown.
Type resolve_type(const TypeSpec& spec, ClassTable& table, DiagnosticSink& sink);

// Declares every class of `units` in `table`, then numbers them (parents first).
void declare_classes(const std::vector<Unit>& units, ClassTable& table, DiagnosticSink& sink);

}  // namespace phantom::plc
