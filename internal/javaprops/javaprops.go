package javaprops

import (
	"errors"
	"strconv"
	"strings"
	"unicode/utf16"
)

// Entry is one logical line of a properties file: a key and its value.
type Entry struct {
	// Line is the 1-based line the entry starts on.
	Line int
	// Key is the unescaped key; it is the key as written, escapes and all,
	// when the key holds a malformed escape.
	Key string
	// Value is the unescaped value without leading or trailing blanks; it is
	// empty when the value holds a malformed escape.
	Value string
	// Err is nil, or the malformed escapes of the key and the value joined
	// with errors.Join, each an *EscapeError.
	Err error
}

// Read splits src into entries as the package documentation describes, in
// the order they appear. It never fails as a whole: a malformed escape is
// reported in the Err of its entry.
func Read(src string) []Entry {
	src = strings.TrimPrefix(src, "\uFEFF")
	src = strings.ReplaceAll(src, "\r\n", "\n")
	src = strings.ReplaceAll(src, "\r", "\n")
	lines := strings.Split(src, "\n")
	var out []Entry
	for i := 0; i < len(lines); i++ {
		first := i + 1
		logical := strings.TrimLeft(lines[i], blanks)
		if logical == "" || logical[0] == '#' || logical[0] == '!' {
			continue
		}
		for continues(logical) {
			logical = logical[:len(logical)-1]
			if i+1 == len(lines) {
				break
			}
			i++
			logical += strings.TrimLeft(lines[i], blanks)
		}
		rawKey, rawValue := splitKeyValue(logical)
		e := Entry{Line: first}
		var kerr, verr error
		if e.Key, kerr = unescape(rawKey); kerr != nil {
			e.Key = rawKey
		}
		e.Value, verr = unescape(trimTrailingBlanks(rawValue))
		e.Err = errors.Join(kerr, verr)
		out = append(out, e)
	}
	return out
}

// blanks are the characters Java's Properties treats as white space.
const blanks = " \t\f"

func isBlank(c byte) bool { return c == ' ' || c == '\t' || c == '\f' }

// continues reports whether s ends in an odd number of backslashes.
func continues(s string) bool {
	n := 0
	for n < len(s) && s[len(s)-1-n] == '\\' {
		n++
	}
	return n%2 == 1
}

// splitKeyValue splits a logical line at the first unescaped '=', ':' or
// blank; blanks around the separator are skipped, and after a blank one '='
// or ':' may follow.
func splitKeyValue(s string) (key, value string) {
	keyEnd, valStart, sep := len(s), len(s), false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\\' {
			i++ // the escaped character is part of the key
			continue
		}
		if c == '=' || c == ':' || isBlank(c) {
			keyEnd, valStart, sep = i, i+1, c == '=' || c == ':'
			break
		}
	}
	for valStart < len(s) {
		c := s[valStart]
		if isBlank(c) {
			valStart++
			continue
		}
		if !sep && (c == '=' || c == ':') {
			sep = true
			valStart++
			continue
		}
		break
	}
	return s[:keyEnd], s[valStart:]
}

// trimTrailingBlanks cuts trailing blanks that are not escaped.
func trimTrailingBlanks(s string) string {
	for len(s) > 0 && isBlank(s[len(s)-1]) && !continues(s[:len(s)-1]) {
		s = s[:len(s)-1]
	}
	return s
}

// unescape decodes the escapes of a key or value.
func unescape(s string) (string, error) {
	if !strings.Contains(s, `\`) {
		return s, nil
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		i++
		if i == len(s) {
			break
		}
		switch c = s[i]; c {
		case 't':
			b.WriteByte('\t')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 'f':
			b.WriteByte('\f')
		case 'u':
			r, ok := hex4(s[i+1:])
			if !ok {
				return "", &EscapeError{Escape: s[i-1 : min(i+5, len(s))]}
			}
			i += 4
			if utf16.IsSurrogate(r) && strings.HasPrefix(s[i+1:], `\u`) {
				if r2, ok := hex4(s[i+3:]); ok {
					if pair := utf16.DecodeRune(r, r2); pair != '\uFFFD' {
						r = pair
						i += 6
					}
				}
			}
			b.WriteRune(r)
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}

// hex4 decodes the four hex digits at the start of s.
func hex4(s string) (rune, bool) {
	if len(s) < 4 {
		return 0, false
	}
	n, err := strconv.ParseUint(s[:4], 16, 16)
	if err != nil {
		return 0, false
	}
	return rune(n), true
}
