package listener

// Tests that kill mutants `task mutation` found alive in the struct-tag
// grammar (unexported: a malformed tag cannot be written on a struct field
// without go vet objecting).

import (
	"errors"
	"strings"
	"testing"
)

// A tag that ends in the middle of a key, right after a key's colon, or
// with a space inside a key is malformed: a TagError on the whole tag, not
// a panic and not an unknown key.
func TestMalformedTagEndings(t *testing.T) {
	for _, tag := range []string{
		`topic:"t" group`,
		`topic:"t" group:`,
		`topic:"t" gro up:"g"`,
		`topic`,
		`:"t"`,
	} {
		_, err := parseTag("L", "Concurrent", KindConcurrent, tag, nil)
		var te *TagError
		if !errors.As(err, &te) || te.Tag != "" || !strings.Contains(err.Error(), "malformed struct tag") {
			t.Errorf("tag %q: err = %v, want a malformed-tag TagError on the whole tag", tag, err)
		}
	}
}
