package sqlfilter

import (
	"errors"
	"strings"
	"testing"
)

// Parse builds the tree Java's SelectorParser builds (printed fully
// parenthesized): precedence OR < AND < =,<>,IS < >,<,BETWEEN,IN,... <
// unary, NOT binding tighter than "=", unary plus dropped, properties used
// as booleans cast, keywords in any case, comments skipped.
func TestParse(t *testing.T) {
	tests := []struct{ in, want string }{
		{"a >= 10 AND a < 15", "((a >= 10) AND (a < 15))"},
		{"a = 1 OR b = 2 AND c = 3", "((a = 1) OR ((b = 2) AND (c = 3)))"},
		{"(a = 1 OR b = 2) AND c = 3", "(((a = 1) OR (b = 2)) AND (c = 3))"},
		{"NOT a = 1", "((NOT a) = 1)"},
		{"NOT (a = 1)", "(NOT (a = 1))"},
		{"a", "a"},
		{"a AND NOT b", "(a AND (NOT b))"},
		{"a > -5", "(a > (- 5))"},
		{"a > +5", "(a > 5)"},
		{"a > --5", "(a > (- (- 5)))"},
		{"a > 1 --comment\n AND b < 2", "((a > 1) AND (b < 2))"},
		{"a /* c */ > 1", "(a > 1)"},
		{"a BETWEEN 1 AND 10", "(a BETWEEN 1 AND 10)"},
		{"a not between 1 and 10", "(a NOT BETWEEN 1 AND 10)"},
		{"TAGS IN ('x', 'y''s')", "(TAGS IN ('x', 'y''s'))"},
		{"TAGS NOT IN ('x')", "(TAGS NOT IN ('x'))"},
		{"a IS NULL OR b IS NOT NULL", "((a IS NULL) OR (b IS NOT NULL))"},
		{"a CONTAINS 'x' AND b NOT STARTSWITH 'y' AND c EndsWith 'z'",
			"(((a CONTAINS 'x') AND (b NOT STARTSWITH 'y')) AND (c ENDSWITH 'z'))"},
		{"a = 'it''s'", "(a = 'it''s')"},
		{"a = TRUE AND b <> FALSE", "((a = TRUE) AND (b <> FALSE))"},
		{"1 = TRUE", "(1 = TRUE)"},
		{"a = 5L", "(a = 5)"},
		{"a = 3000000000", "(a = 3000000000)"},
		{"a > 1.5 AND b < .5e1 AND c > 5. AND d > 2E3", "((((a > 1.5) AND (b < 5.0)) AND (c > 5.0)) AND (d > 2000.0))"},
		{"$x_1 = 1", "($x_1 = 1)"},
		{"a = 1 = TRUE", "((a = 1) = TRUE)"},
		{"(a) IN ('1')", "(a IN ('1'))"},
		{"'abc' CONTAINS 'b'", "('abc' CONTAINS 'b')"},
		{"a BETWEEN -5 AND -10", "(a BETWEEN (- 5) AND (- 10))"},
	}
	for _, tt := range tests {
		s, err := Parse(tt.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.in, err)
			continue
		}
		if got := s.String(); got != tt.want {
			t.Errorf("Parse(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

// What Java's parser refuses is refused, with the line and column.
func TestParseErrors(t *testing.T) {
	tests := []struct {
		in        string
		line, col int
		msg       string
	}{
		{"", 1, 1, "unexpected end of expression"},
		{"a >", 1, 4, "unexpected end of expression"},
		{"a >= 10 AND", 1, 12, "unexpected end of expression"},
		{"a = 1 b = 2", 1, 7, `unexpected property name "b" after the end of the expression`},
		{"a == 1", 1, 4, `unexpected "="`},
		{"a != 1", 1, 3, `unexpected character '!'`},
		{"a = 'x", 1, 5, "string literal is not closed"},
		{"a = 1 /* x", 1, 7, "comment is not closed"},
		{"a = \"x\"", 1, 5, "unexpected character '\"'"},
		{"1", 1, 1, "will not result in a boolean value: 1"},
		{"a = 1 AND 2", 1, 11, "will not result in a boolean value: 2"},
		{"NOT 'x'", 1, 5, "will not result in a boolean value: 'x'"},
		{"a = NULL", 1, 3, "'NULL' cannot be compared"},
		{"TRUE = 1", 1, 6, "'TRUE' cannot be compared with '1'"},
		{"a > 'x'", 1, 3, "value ''x'' cannot be compared"},
		{"a > TRUE", 1, 3, "value 'TRUE' cannot be compared"},
		{"(a > 1) > 2", 1, 9, "cannot be compared"},
		{"a BETWEEN 10 AND 1", 1, 3, "left value (10) must be less than or equal to right value (1)"},
		{"a BETWEEN NULL AND 1", 1, 3, "can not be NULL"},
		{"a BETWEEN 1 AND 'x'", 1, 3, "illegal values of BETWEEN"},
		{"a IN (1)", 1, 7, "expecting string literal"},
		{"a IN ()", 1, 7, "expecting string literal"},
		{"1 IN ('1')", 1, 1, "expected a property for IN"},
		{"a NOT b", 1, 7, "after NOT"},
		{"a IS 1", 1, 6, "expecting NULL"},
		{"a CONTAINS b", 1, 12, "expecting string literal"},
		{"a = 9223372036854775808", 1, 5, "out of range"},
		{"a > 1e400", 1, 5, "is greater than"},
		{"a > 0.0", 1, 5, "is less than 4.9E-324"},
		{"a = 1\n  AND é = 2", 2, 7, "unexpected character 'é'"},
		{"a = 007", 1, 6, "after the end of the expression"},
		{"a > 1 --", 1, 7, `unexpected "-" after the end`}, // no line break: minus signs
		{"in = 1", 1, 1, `unexpected "IN"`},
	}
	for _, tt := range tests {
		_, err := Parse(tt.in)
		var se *SyntaxError
		if !errors.As(err, &se) || !errors.Is(err, ErrSyntax) {
			t.Errorf("Parse(%q) = %v, want a *SyntaxError", tt.in, err)
			continue
		}
		if se.Line != tt.line || se.Column != tt.col || !strings.Contains(se.Msg, tt.msg) {
			t.Errorf("Parse(%q) = %v\nwant line %d, column %d, containing %q", tt.in, err, tt.line, tt.col, tt.msg)
		}
	}
}
