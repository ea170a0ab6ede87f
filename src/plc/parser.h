// Parser: recursive descent over the tokens of one file into a Unit (compiler layer, spec/language.md §2).
// On a syntax error the parser reports it, skips to the end of the statement, member or top-level item
// and goes on, so one run reports every independent error. Our extensions to the grammar are listed in
// docs/language.md; each one was a syntax error in the original, so no valid program changes meaning.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "plc/ast.h"
#include "plc/lexer.h"

namespace phantom::plc {

// Answers the cast test of §2.7.2: is this absolute class name a known class?
using KnownClass = std::function<bool(const std::string& full_name)>;

Unit parse(const SourceFile& file, const std::vector<Token>& tokens, const KnownClass& known, DiagnosticSink& sink);

// The absolute name a QualName stands for, with the package put in front of a relative name
// (without resolving the `int`/`string`/`long` shorthands). Empty when relative without a package.
std::string absolute_name(const QualName& name);

// Every class and interface a file declares, found by a quick scan, so that the cast test knows classes
// defined later in the same run (we accept forward references, spec/language.md §5.4).
std::vector<std::string> scan_class_names(const std::vector<Token>& tokens);

}  // namespace phantom::plc
