# A noweb filter that finds the definitions in code chunks written in
# kernel style, for the identifier index; it replaces noweb's autodefs.c,
# which takes a return type such as u32 or bool for the name defined.
# Only lines that start in column 0 can define: functions (the name before
# the first parenthesis, on a line that does not end in ';'), global
# variables, #define'd macros, typedefs, struct/union/enum tags, the
# constants inside an enum, Check's START_TEST cases and the kernel's
# SYM_FUNC_START in assembly.  Names of one or two letters and a few
# generic ones (err, mem, ...) used by test programs are left out: indexed,
# every use of them anywhere in the book would link to one test's global.
# Definitions this misses are declared in the chapters with "@ %def".
#
# Two more rules keep the index to what a reader looks up.  A name is
# declared once per chunk, however many times this filter and the chunk's
# "@ %def" line both find it (otherwise a footer would say "Uses x 8a 8a").
# And the chunks of the tests (everything under tests/ and labs/, the test Guests
# hostile, leftovers, bench and access, pup's own tests, the benchmark
# programs, and their pieces
# such as "Shadow tests: ..." or "Access: ...") define nothing for the
# index: their helpers are local to one file, and their names (alive,
# killed, fault, say, bad, ...) are ordinary words that would link every
# comment that uses them.
function emit(name) {
	if (!(name in skip))
		define(name)
}
function define(name) {
	if (local_chunk || length(name) <= 2 || (name in defined))
		return
	defined[name] = 1
	print "@index defn " name
}
function judge(line,    s, m, name) {
	if (line ~ /^[ \t]/) {
		if (in_enum && match(line, /^[ \t]+[A-Za-z_][A-Za-z0-9_]*[ \t]*(=|,|$)/)) {
			s = line; sub(/^[ \t]+/, "", s); sub(/[^A-Za-z0-9_].*/, "", s)
			emit(s)
		}
		return
	}
	s = line
	sub(/[ \t]*\/\*.*$/, "", s)		# trailing comment
	sub(/[ \t]*\/\/.*$/, "", s)
	if (s ~ /^};?$/) { in_enum = 0; return }
	if (s ~ /^#define[ \t]+[A-Za-z_]/) {
		sub(/^#define[ \t]+/, "", s); sub(/[^A-Za-z0-9_].*/, "", s)
		emit(s); return
	}
	if (s ~ /^(#|\/|\*|\{|\}|@|$)/) return
	if (s ~ /^START_TEST\(/) {
		sub(/^START_TEST\([ \t]*/, "", s); sub(/[^A-Za-z0-9_].*/, "", s)
		emit(s); return
	}
	if (s ~ /^(typedef[ \t].*[^A-Za-z0-9_])?enum[ \t]+[A-Za-z_][A-Za-z0-9_]*[ \t]*\{/ || s ~ /^(typedef[ \t]+)?enum[ \t]*\{/)
		in_enum = (s !~ /\}/)	# a one-line enum ends where it starts
	if (s ~ /^(typedef[ \t]+)?(struct|union|enum)[ \t]+[A-Za-z_][A-Za-z0-9_]*[ \t]*\{/) {
		sub(/^(typedef[ \t]+)?(struct|union|enum)[ \t]+/, "", s); sub(/[^A-Za-z0-9_].*/, "", s)
		emit(s); return
	}
	if (s ~ /^typedef[ \t]/ && s ~ /;$/ && s !~ /\(/) {
		sub(/[ \t]*;$/, "", s); sub(/.*[^A-Za-z0-9_]/, "", s)
		emit(s); return
	}
	gsub(/__attribute__\(\([^()]*(\([^()]*\))*[^()]*\)\)/, "", s)
	gsub(/__printf\([^()]*\)/, "", s)
	if (s ~ /^(extern|return|goto|for|while|if|case|do|done|then|fi|else|elif)([ \t;]|$)/) return
	if (s ~ /^SYM_FUNC_START\(/) {
		sub(/^SYM_FUNC_START\([ \t]*/, "", s); sub(/[^A-Za-z0-9_].*/, "", s)
		emit(s); return
	}
	if (s ~ /^[A-Za-z_][A-Za-z0-9_ \t\*]*[ \t\*][A-Za-z_][A-Za-z0-9_]*[ \t]*\(/ && s !~ /;[ \t]*$/) {
		match(s, /[A-Za-z_][A-Za-z0-9_]*[ \t]*\(/)
		name = substr(s, RSTART, RLENGTH); sub(/[ \t]*\($/, "", name)
		emit(name); return
	}
	if (s ~ /^[A-Za-z_][A-Za-z0-9_]*[ \t]*\(\)[ \t]*\{/) {	# shell function
		sub(/[^A-Za-z0-9_].*/, "", s); emit(s); return
	}
	if (s ~ /^[A-Za-z_][A-Za-z0-9_ \t\*]*[ \t\*][A-Za-z_][A-Za-z0-9_]*(\[[^]]*\])*[ \t]*(=|;)/ && s !~ /^[^=]*\(/) {
		sub(/(\[[^]]*\])*[ \t]*(=|;).*$/, "", s); sub(/.*[^A-Za-z0-9_]/, "", s)
		emit(s); return
	}
}
BEGIN {
	split("if else for while do switch case return sizeof static const " \
	      "unsigned signed int char long short void struct union enum " \
	      "bool u8 u16 u32 u64 inline volatile asm main err mem img info", w, " ")
	for (i in w) skip[w[i]] = 1
}
/^@begin code/ { code = 1; line = ""; in_enum = 0; delete defined; local_chunk = 0 }
/^@end code/ { code = 0 }
code && /^@defn / {
	chunk = substr($0, 7)
	local_chunk = (chunk ~ /^(tests|labs)\// ||
		       chunk ~ /^guest\/(pup-tests|hostile|leftovers|bench|access)[-.]/ ||
		       chunk ~ /^user\/(pupbench|bench)/ ||
		       chunk ~ /^(Hostile|Access|Bench|Scenario helpers|Shim|device_abuse|many-guests)[^:]*: / ||
		       chunk ~ /^[A-Za-z_ ]*[Tt]ests?: / ||
		       chunk ~ /^check_[a-z_]*: /)
}
code && /^@text / { line = line substr($0, 7) }
code && /^@nl/ { judge(line); line = "" }
/^@index defn / { define(substr($0, 13)); next }
{ print }
