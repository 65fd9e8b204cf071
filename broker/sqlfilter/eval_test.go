package sqlfilter

import (
	"errors"
	"testing"
)

func props(kv ...string) Lookup {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(name string) (string, bool) {
		v, ok := m[name]
		return v, ok
	}
}

// Matches follows the Java evaluator: properties are strings converted to
// the other side's number class, NULL (a missing property) is neither true
// nor false, a string that is not a number fails the whole evaluation.
func TestMatches(t *testing.T) {
	type kv = []string
	tests := []struct {
		expr    string
		props   kv
		want    bool
		evalErr bool
	}{
		{"a >= 10 AND a < 15", kv{"a", "10"}, true, false},
		{"a >= 10 AND a < 15", kv{"a", "15"}, false, false},
		{"a >= 10 AND a < 15", kv{"a", "9"}, false, false},
		{"a >= 10 AND a < 15", nil, false, false},
		// A missing property: NULL, so NOT of it is NULL too.
		{"NOT (a > 1)", nil, false, false},
		{"a > 1 OR b = 'x'", kv{"b", "x"}, true, false},
		{"a IS NULL", nil, true, false},
		{"a IS NULL", kv{"a", ""}, false, false},
		{"a IS NOT NULL", kv{"a", ""}, true, false},
		// Strings.
		{"a = 'x'", kv{"a", "x"}, true, false},
		{"a <> 'x'", kv{"a", "y"}, true, false},
		{"a <> 'x'", nil, false, false},
		{"TAGS = 'paid'", kv{"TAGS", "paid"}, true, false},
		// A property against an int literal parses as an int: "10.0" or a
		// long does not, and the evaluation fails.
		{"a = 10", kv{"a", "10"}, true, false},
		{"a = 10", kv{"a", "+10"}, true, false},
		{"a = 10", kv{"a", "10.0"}, false, true},
		{"a = 10", kv{"a", "x"}, false, true},
		{"a > 10", kv{"a", "3000000000"}, false, true},
		{"a > 10L", kv{"a", "3000000000"}, false, true},
		{"a < 3000000000", kv{"a", "3000000000"}, false, false},
		{"a = 3000000000", kv{"a", "3000000000"}, true, false},
		{"a > 1.5", kv{"a", "2"}, true, false},
		{"a > 1.5", kv{"a", " 2e0d "}, true, false},
		{"a > 1.5", kv{"a", "Infinity"}, true, false},
		{"a > 1.5", kv{"a", "inf"}, false, true},
		// Two strings ordered: both as doubles.
		{"a > b", kv{"a", "10", "b", "9.5"}, true, false},
		{"a > b", kv{"a", "x", "b", "9"}, false, true},
		// An evaluation error ends the evaluation: the OR's right side is
		// not looked at.
		{"a > 1 OR b = 'x'", kv{"a", "x", "b", "x"}, false, true},
		{"b = 'x' OR a > 1", kv{"a", "x", "b", "x"}, true, false},
		{"a > 1 AND b = 'x'", kv{"a", "0"}, false, false},
		// Booleans: a property is never the Boolean TRUE.
		{"a", kv{"a", "true"}, false, false},
		{"a = TRUE", kv{"a", "TRUE"}, true, false},
		{"a = TRUE", kv{"a", "yes"}, false, false},
		{"TRUE", nil, true, false},
		{"NULL", nil, false, false},
		{"1 = TRUE", nil, false, false},
		{"(a = 'x') = 'true'", kv{"a", "x"}, false, true},
		// Negation only of numbers.
		{"-a < 0", kv{"a", "5"}, false, false},
		{"a > -5", kv{"a", "-4"}, true, false},
		// BETWEEN, IN.
		{"a BETWEEN 10 AND 14", kv{"a", "14"}, true, false},
		{"a NOT BETWEEN 10 AND 14", kv{"a", "15"}, true, false},
		{"a NOT BETWEEN 10 AND 14", nil, false, false},
		{"a IN ('x', 'y')", kv{"a", "y"}, true, false},
		{"a NOT IN ('x', 'y')", kv{"a", "z"}, true, false},
		{"a NOT IN ('x', 'y')", nil, false, false},
		// CONTAINS and friends: a missing property is FALSE, not NULL.
		{"a CONTAINS 'b'", kv{"a", "abc"}, true, false},
		{"a STARTSWITH 'ab'", kv{"a", "abc"}, true, false},
		{"a ENDSWITH 'bc'", kv{"a", "abc"}, true, false},
		{"a NOT CONTAINS 'z'", kv{"a", "abc"}, true, false},
		{"a NOT CONTAINS 'z'", nil, false, false},
		{"NOT (a CONTAINS 'z')", nil, true, false},
		{"a CONTAINS ''", kv{"a", "abc"}, false, false},
		{"a NOT CONTAINS ''", kv{"a", "abc"}, false, false},
		{"1 CONTAINS '1'", nil, false, false},
		// NOT binds tighter than "=".
		{"NOT a = 'x'", kv{"a", "y"}, false, true},
		{"NOT (a = 'x')", kv{"a", "y"}, true, false},
	}
	for _, tt := range tests {
		s, err := Parse(tt.expr)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.expr, err)
			continue
		}
		got, err := s.Matches(props(tt.props...))
		if got != tt.want || (err != nil) != tt.evalErr || err != nil && !errors.Is(err, ErrEval) {
			t.Errorf("%q over %v = %v, %v; want %v, error %v", tt.expr, tt.props, got, err, tt.want, tt.evalErr)
		}
	}
}
