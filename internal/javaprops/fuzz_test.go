package javaprops_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/rocketkit/rocketkit/internal/javaprops"
)

// FuzzRead checks Read on arbitrary text.
//
// Invariants:
//   - Read never panics.
//   - Every entry's Line is within 1..the input's line count (a line ends at
//     "\r\n", "\r" or "\n"), and Lines strictly increase: an entry starts on
//     a line no earlier entry touched.
//   - Every non-nil Err is an *EscapeError wrapping ErrMalformedEscape.
//   - Reading line by line: cutting the input after the line terminator at
//     or after the fuzzed position, where the line before the cut does not
//     end in an odd number of backslashes (so cannot continue) and the rest
//     does not start with a byte order mark, Read of the two pieces gives
//     the entries of the whole, the second piece's Lines shifted by the
//     first's line count.
//   - Round trip: writing every entry without an Err back out as
//     "escaped key=escaped value" lines (escape below) and reading that
//     gives the same keys and values, on lines 1, 2, 3, …, without errors.
func FuzzRead(f *testing.F) {
	for _, seed := range []string{
		"",
		"\n",
		"\r\n\r\n",
		"# only\n! comments\n   # here \\\n",
		"=",
		`\`,
		"a=1\\",
		"a=1\\\n",
		"a=1\\\r\n  2\\\n\t3\r#4\nb",
		"a=b\r\nc: d\re f\n  g \t = \t h \t\n",
		`a\=b\:c\ d=\ e\ `,
		`a=\u00g1`,
		`k\u1=v\u2` + "\nok=1",
		`a=\u12`,
		`a=\uD83D\uDE00\uD83Dx\uDE00`,
		"\uFEFFa=1\n\uFEFFb=2",
		"a=\xff\xfe\x00\n\f\t=\f",
		"a=x\\\\\nb=y\\\\\\\nz",
	} {
		f.Add(seed, uint16(len(seed)/2))
	}
	f.Fuzz(func(t *testing.T, src string, split uint16) {
		got := javaprops.Read(src)

		lines := countLines(src)
		last := 0
		for _, e := range got {
			if e.Line <= last || e.Line > lines {
				t.Fatalf("entry %+v: line not in %d..%d", e, last+1, lines)
			}
			last = e.Line
			var ee *javaprops.EscapeError
			if e.Err != nil && (!errors.As(e.Err, &ee) || !errors.Is(e.Err, javaprops.ErrMalformedEscape)) {
				t.Fatalf("entry %+v: Err is not an *EscapeError", e)
			}
		}

		if cut, ok := lineCut(src, int(split)); ok {
			head, tail := javaprops.Read(src[:cut]), javaprops.Read(src[cut:])
			shift := countLines(src[:cut]) - 1
			for i := range tail {
				tail[i].Line += shift
			}
			if joined := append(head, tail...); !sameEntries(joined, got) {
				t.Fatalf("read cut at %d:\n%s\nwhole:\n%s", cut, show(joined), show(got))
			}
		}

		var b strings.Builder
		var want []javaprops.Entry
		for _, e := range got {
			if e.Err == nil {
				b.WriteString(escape(e.Key) + "=" + escape(e.Value) + "\n")
				want = append(want, javaprops.Entry{Line: len(want) + 1, Key: e.Key, Value: e.Value})
			}
		}
		if again := javaprops.Read(b.String()); !sameEntries(again, want) {
			t.Fatalf("round trip of\n%q\ngives\n%s\nwant\n%s", b.String(), show(again), show(want))
		}
	})
}

// countLines counts lines as Read does: "\r\n", "\r" and "\n" end one, and
// the text after the last line end is a line too, empty or not.
func countLines(s string) int {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.Count(s, "\n") + strings.Count(s, "\r") + 1
}

// lineCut returns the position just after the first "\n" at or after pos
// (a line terminator, alone or ending "\r\n"), if the line it ends cannot
// continue and the rest does not start with a byte order mark.
func lineCut(s string, pos int) (int, bool) {
	pos %= len(s) + 1
	i := strings.IndexByte(s[pos:], '\n')
	if i < 0 {
		return 0, false
	}
	cut := pos + i + 1
	line := strings.TrimSuffix(s[:cut-1], "\r")
	line = line[strings.LastIndexAny(line, "\r\n")+1:]
	n := len(line) - len(strings.TrimRight(line, `\`))
	if n%2 == 1 || strings.HasPrefix(s[cut:], "\uFEFF") {
		return 0, false
	}
	return cut, true
}

// sameEntries reports whether a and b hold the same lines, keys, values and
// error texts.
func sameEntries(a, b []javaprops.Entry) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		ea, eb := a[i], b[i]
		if ea.Line != eb.Line || ea.Key != eb.Key || ea.Value != eb.Value || (ea.Err == nil) != (eb.Err == nil) ||
			ea.Err != nil && ea.Err.Error() != eb.Err.Error() {
			return false
		}
	}
	return true
}

// escape writes s as a key or value of a properties file: the separators,
// blanks, comment characters and backslash escaped, control characters as
// their escapes, and U+FEFF as \ufeff so it cannot be taken for a byte
// order mark. Other bytes, valid UTF-8 or not, are written as they are.
func escape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\', '=', ':', '#', '!', ' ':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '\t':
			b.WriteString(`\t`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\f':
			b.WriteString(`\f`)
		default:
			if strings.HasPrefix(s[i:], "\uFEFF") {
				b.WriteString(`\ufeff`)
				i += len("\uFEFF") - 1
				continue
			}
			b.WriteByte(c)
		}
	}
	return b.String()
}
