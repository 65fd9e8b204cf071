package sqlfilter

import (
	"errors"
	"reflect"
	"testing"
)

// FuzzParse: Parse never panics; it returns a selector or a *SyntaxError
// whose offset lies within the input; a selector's String parses back to
// the same tree, whose String is the same; evaluating it never panics.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"a >= 10 AND a < 15", "NOT a = 1", "a BETWEEN 1 AND 2", "TAGS IN ('x', 'y''s')",
		"a IS NOT NULL OR b NOT CONTAINS 'z'", "a > -1.5e3 --c\n", "/* c */ a", "(a) = TRUE",
		"a NOT BETWEEN -5 AND 3000000000", "x ENDSWITH 'q' AND y STARTSWITH 'r'", "a = .5", "'",
	} {
		f.Add(s)
	}
	lookup := props("a", "12", "b", "x", "TAGS", "y's")
	f.Fuzz(func(t *testing.T, in string) {
		s, err := Parse(in)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) || se.Offset < 0 || se.Offset > len(in) || se.Line < 1 || se.Column < 1 {
				t.Fatalf("Parse(%q) error %#v", in, err)
			}
			return
		}
		printed := s.String()
		again, err := Parse(printed)
		if err != nil {
			t.Fatalf("Parse(%q) printed %q, which does not parse: %v", in, printed, err)
		}
		if !reflect.DeepEqual(s.root, again.root) {
			t.Fatalf("Parse(%q) printed %q, which parses to %q", in, printed, again)
		}
		if again.String() != printed {
			t.Fatalf("%q printed again as %q", printed, again)
		}
		_, _ = s.Matches(lookup)
	})
}
