// Package sqlfilter is the broker's SQL92 message selector: RocketMQ's
// property filter (the filter module's SelectorParser.jj and the
// expression classes after ActiveMQ's), parsed by [Parse] into a
// [Selector] that [Selector.Matches] evaluates over a message's
// properties. It is pure: no I/O, no goroutines; a Selector is immutable.
//
// # Grammar
//
// Operators by increasing precedence: OR; AND; "=", "<>", IS [NOT] NULL;
// ">", ">=", "<", "<=", [NOT] BETWEEN x AND y, [NOT] IN ('a', ...),
// [NOT] CONTAINS 's', [NOT] STARTSWITH 's', [NOT] ENDSWITH 's' (RocketMQ
// 5); unary NOT, "-" and "+"; parentheses. Literals: strings in single
// quotes (a quote doubled inside), integers (an optional L suffix), decimal
// numbers (1.5, .5, 5., 2E3), TRUE, FALSE, NULL. Keywords are matched
// ignoring case; a property name is a letter, "_" or "$" followed by
// letters, digits, "_" or "$" (so TAGS names the message's tags, KEYS its
// keys). "--" comments run to a line break, "/* */" comments anywhere.
//
// Java's quirks are kept: NOT binds tighter than "=" ("NOT a = 1" is
// "(NOT a) = 1"; write "NOT (a = 1)"); IN, CONTAINS, STARTSWITH and
// ENDSWITH take string literals only; ordering operators refuse string,
// boolean and NULL literals; "=" refuses NULL (use IS NULL); BETWEEN with
// two literal bounds wants the lower first; a decimal literal equal to
// zero (0.0) is refused.
//
// # Evaluation
//
// As the Java broker evaluates: a property's value is a string; compared
// with a number it is converted to that number's Java class (an integer
// literal that fits 32 bits is an Integer, so the property must parse as
// an int; a larger one a Long; a decimal one a Double, parsed as
// Double.valueOf does); two properties are ordered as doubles. A missing
// property is NULL: comparisons with it are NULL, NULL AND FALSE is FALSE,
// NULL OR TRUE is TRUE, NOT NULL is NULL, and a message matches only when
// the whole selector is TRUE. CONTAINS and its siblings are FALSE, not
// NULL, on a missing property. A property used as a boolean ("a AND b") is
// never TRUE. A value that does not convert (a property "abc" compared with
// 10) fails the evaluation: the message does not match, whatever the rest
// of the selector says, unless Java's left-to-right evaluation had already
// decided (TRUE OR ..., FALSE AND ...).
//
// # Deviations from Java
//
// Java's parser stops at the end of the first complete expression and
// ignores what follows ("a = 1 b = 2" is "a = 1", "a = 007" is "a = 0");
// here that is an error. Strings parse as numbers with ASCII digits only
// (Java's Integer.valueOf also takes other Unicode digits).
package sqlfilter
