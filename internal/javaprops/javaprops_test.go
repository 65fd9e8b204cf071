package javaprops_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/rocketkit/rocketkit/internal/javaprops"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// e is an entry without an error, for the want lists.
func e(line int, key, value string) javaprops.Entry {
	return javaprops.Entry{Line: line, Key: key, Value: value}
}

// show renders entries one a line, for failure messages.
func show(entries []javaprops.Entry) string {
	var b strings.Builder
	for _, e := range entries {
		fmt.Fprintf(&b, "%d: %q=%q", e.Line, e.Key, e.Value)
		if e.Err != nil {
			fmt.Fprintf(&b, " (%q)", e.Err)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func TestRead(t *testing.T) {
	const bad = `malformed \uxxxx escape`
	tests := []struct {
		name string
		src  string
		want []javaprops.Entry
		// errs holds the text of each entry's Err, "" for none; nil when no
		// entry has one.
		errs []string
	}{
		{name: "empty", src: ""},
		{name: "only line ends", src: "\n\r\n\r"},
		{
			name: "comments and blank lines",
			src:  "# a\n! b\n  \t\f\n   # indented\n\t!x=1\na=1\n#a=2",
			want: []javaprops.Entry{e(6, "a", "1")},
		},
		{
			name: "separators",
			src:  "a=1\nb: 2\nc 3\nd \t = \t 4\ne\t:\t5\n  f:6\ng\nh=\ni:=j\nk = : v\n=orphan",
			want: []javaprops.Entry{
				e(1, "a", "1"), e(2, "b", "2"), e(3, "c", "3"), e(4, "d", "4"), e(5, "e", "5"),
				e(6, "f", "6"), e(7, "g", ""), e(8, "h", ""), e(9, "i", "=j"), e(10, "k", ": v"),
				e(11, "", "orphan"),
			},
		},
		{
			name: "escaped separators in the key",
			src:  `a\=b\:c\ d\#=e`,
			want: []javaprops.Entry{e(1, "a=b:c d#", "e")},
		},
		{
			name: "CRLF, CR and LF line ends",
			src:  "a=1\r\nb=2\rc=3\nd=4\r\n",
			want: []javaprops.Entry{e(1, "a", "1"), e(2, "b", "2"), e(3, "c", "3"), e(4, "d", "4")},
		},
		{
			name: "continuation",
			src:  "a=1 \\\n   2 \\\r\n\t3\nb=4",
			want: []javaprops.Entry{e(1, "a", "1 2 3"), e(4, "b", "4")},
		},
		{
			name: "continuation in the key",
			src:  "ab\\\n  cd=1",
			want: []javaprops.Entry{e(1, "abcd", "1")},
		},
		{
			name: "an even number of backslashes does not continue",
			src:  "a=x\\\\\nb=y",
			want: []javaprops.Entry{e(1, "a", `x\`), e(2, "b", "y")},
		},
		{
			name: "continuation at the end of the input",
			src:  "a=1\\",
			want: []javaprops.Entry{e(1, "a", "1")},
		},
		{
			name: "continuation onto a blank line ends the entry",
			src:  "a=1\\\n  \nb=2",
			want: []javaprops.Entry{e(1, "a", "1"), e(3, "b", "2")},
		},
		{
			name: "a comment line does not continue",
			src:  "# c \\\na=1",
			want: []javaprops.Entry{e(2, "a", "1")},
		},
		{
			name: "a continued line that starts with # is not a comment",
			src:  "a=1\\\n  #2\\\n!3",
			want: []javaprops.Entry{e(1, "a", "1#2!3")},
		},
		{
			name: "trailing blanks are cut unless escaped",
			src:  "a=1 \t\f\nb=2\\ \nc=\\  \nd=\\\\ ",
			want: []javaprops.Entry{e(1, "a", "1"), e(2, "b", "2 "), e(3, "c", " "), e(4, "d", `\`)},
		},
		{
			name: "leading blanks are skipped unless escaped",
			src:  `a=\  x`,
			want: []javaprops.Entry{e(1, "a", "  x")},
		},
		{
			name: "escapes",
			src:  `a=\t\n\r\f\b\\\"\u0041\u00e9\u00C9\z`,
			want: []javaprops.Entry{e(1, "a", "\t\n\r\f"+`b\"`+"AéÉz")},
		},
		{
			name: "surrogates",
			src:  `a=\uD83D\uDE00` + "\n" + `b=\uD83Dx` + "\n" + `c=\uD83D\uD83D` + "\n" + `d=\uDE00` + "\n" + `e=\uD83D\u0041`,
			want: []javaprops.Entry{
				e(1, "a", "😀"), e(2, "b", "\uFFFDx"), e(3, "c", "\uFFFD\uFFFD"), e(4, "d", "\uFFFD"), e(5, "e", "\uFFFDA"),
			},
		},
		{
			name: "byte order mark only at the start",
			src:  "\uFEFFa=1\n\uFEFFb=2",
			want: []javaprops.Entry{e(1, "a", "1"), e(2, "\uFEFFb", "2")},
		},
		{
			name: "bytes that are not UTF-8 are kept",
			src:  "a=\xff\xfe",
			want: []javaprops.Entry{e(1, "a", "\xff\xfe")},
		},
		{
			name: "repeated keys are all returned",
			src:  "a=1\na=2",
			want: []javaprops.Entry{e(1, "a", "1"), e(2, "a", "2")},
		},
		{
			name: "malformed escapes",
			src:  `a=b\u00g1` + "\n" + `k\u1=v` + "\n" + `x\u1=y\u2` + "\n" + `z=\u12` + "\nok=1",
			want: []javaprops.Entry{e(1, "a", ""), e(2, `k\u1`, "v"), e(3, `x\u1`, ""), e(4, "z", ""), e(5, "ok", "1")},
			errs: []string{bad, bad, bad + "\n" + bad, bad, ""},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := javaprops.Read(tt.src)
			if len(got) != len(tt.want) {
				t.Fatalf("Read(%q) =\n%s\nwant\n%s", tt.src, show(got), show(tt.want))
			}
			for i, g := range got {
				w := tt.want[i]
				if g.Line != w.Line || g.Key != w.Key || g.Value != w.Value {
					t.Errorf("entry %d = %d %q=%q, want %d %q=%q", i, g.Line, g.Key, g.Value, w.Line, w.Key, w.Value)
				}
				wantErr := ""
				if tt.errs != nil {
					wantErr = tt.errs[i]
				}
				if gotErr := fmt.Sprint(g.Err); g.Err == nil && wantErr != "" || g.Err != nil && gotErr != wantErr {
					t.Errorf("entry %d: Err = %v, want %q", i, g.Err, wantErr)
				}
			}
		})
	}
}

func TestEscapeError(t *testing.T) {
	tests := []struct {
		src, escape string
	}{
		{`a=\u00g1`, `\u00g1`},
		{`a=\u12`, `\u12`},
		{`a=\u`, `\u`},
		{`a\uXYZW=1`, `\uXYZW`},
		{`a=\u+123`, `\u+123`},
	}
	for _, tt := range tests {
		entries := javaprops.Read(tt.src)
		if len(entries) != 1 {
			t.Fatalf("Read(%q) =\n%s\nwant one entry", tt.src, show(entries))
		}
		err := entries[0].Err
		var ee *javaprops.EscapeError
		if !errors.As(err, &ee) || ee.Escape != tt.escape {
			t.Errorf("Read(%q): Err = %#v, want an *EscapeError for %q", tt.src, err, tt.escape)
		}
		if !errors.Is(err, javaprops.ErrMalformedEscape) {
			t.Errorf("Read(%q): Err = %v, not ErrMalformedEscape", tt.src, err)
		}
		if err.Error() != `malformed \uxxxx escape` {
			t.Errorf("Read(%q): Err text = %q", tt.src, err)
		}
	}
}
