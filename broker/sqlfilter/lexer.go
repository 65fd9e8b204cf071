package sqlfilter

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// lexer splits a selector into tokens as SelectorParser.jj's token
// manager does: longest match, keywords and names ignoring case, white
// space " \t\n\r\f", "--" comments ended by a line break (without one the
// dashes are minus signs) and "/* */" comments.
type lexer struct {
	src string
	pos int
}

// next returns the next token, or a *SyntaxError.
func (l *lexer) next() (token, error) {
	if err := l.skip(); err != nil {
		return token{}, err
	}
	start := l.pos
	if l.pos >= len(l.src) {
		return token{kind: tEOF, pos: start}, nil
	}
	c := l.src[l.pos]
	switch {
	case isIdentStart(c):
		for l.pos < len(l.src) && isIdentPart(l.src[l.pos]) {
			l.pos++
		}
		text := l.src[start:l.pos]
		if k, ok := keywords[strings.ToUpper(text)]; ok {
			return token{kind: k, text: text, pos: start}, nil
		}
		return token{kind: tIdent, text: text, pos: start}, nil
	case isDigit(c) || c == '.':
		return l.number(start)
	case c == '\'':
		return l.str(start)
	}
	if k, n := operator(l.src[l.pos:]); n > 0 {
		l.pos += n
		return token{kind: k, text: l.src[start:l.pos], pos: start}, nil
	}
	r, _ := utf8.DecodeRuneInString(l.src[l.pos:])
	return token{}, syntaxErrorf(l.src, start, "unexpected character %q", r)
}

// skip passes white space and comments.
func (l *lexer) skip() error {
	for l.pos < len(l.src) {
		rest := l.src[l.pos:]
		switch {
		case strings.IndexByte(" \t\n\r\f", rest[0]) >= 0:
			l.pos++
		case strings.HasPrefix(rest, "--"):
			end := strings.IndexAny(rest, "\n\r")
			if end < 0 {
				return nil // no line break: two minus signs
			}
			l.pos += end + 1
		case strings.HasPrefix(rest, "/*"):
			end := strings.Index(rest[2:], "*/")
			if end < 0 {
				return syntaxErrorf(l.src, l.pos, "comment is not closed with */")
			}
			l.pos += 2 + end + 2
		default:
			return nil
		}
	}
	return nil
}

// operator matches the grammar's operator and punctuation tokens.
func operator(s string) (kind, int) {
	for _, op := range []struct {
		text string
		kind kind
	}{{"<>", tNe}, {"<=", tLe}, {">=", tGe}, {"=", tEq}, {"<", tLt}, {">", tGt},
		{"(", tLParen}, {")", tRParen}, {",", tComma}, {"+", tPlus}, {"-", tMinus}} {
		if strings.HasPrefix(s, op.text) {
			return op.kind, len(op.text)
		}
	}
	return tEOF, 0
}

// number lexes DECIMAL_LITERAL or FLOATING_POINT_LITERAL, the longer match:
//
//	DECIMAL_LITERAL: "0" | [1-9][0-9]* [lL]?
//	FLOATING_POINT_LITERAL: [0-9]+ "." [0-9]* EXP? | "." [0-9]+ EXP? | [0-9]+ EXP
//	EXP: [eE] [+-]? [0-9]+
func (l *lexer) number(start int) (token, error) {
	s := l.src[start:]
	dec := 0
	if s[0] == '0' {
		dec = 1
	} else if isDigit(s[0]) {
		dec = digits(s)
		if dec < len(s) && (s[dec] == 'l' || s[dec] == 'L') {
			dec++
		}
	}
	flt := floatLen(s)
	switch {
	case flt > dec:
		l.pos = start + flt
		return token{kind: tFloat, text: s[:flt], pos: start}, nil
	case dec > 0:
		l.pos = start + dec
		return token{kind: tInt, text: s[:dec], pos: start}, nil
	}
	return token{}, syntaxErrorf(l.src, start, "unexpected character '.'")
}

// floatLen returns the length of a FLOATING_POINT_LITERAL at the start of
// s, or 0.
func floatLen(s string) int {
	n := digits(s)
	if n < len(s) && s[n] == '.' {
		m := n + 1 + digits(s[n+1:])
		if n == 0 && m == 1 {
			return 0 // a lone "."
		}
		return m + exponent(s[m:])
	}
	if n > 0 {
		if e := exponent(s[n:]); e > 0 {
			return n + e
		}
	}
	return 0
}

// exponent returns the length of an EXP at the start of s, or 0.
func exponent(s string) int {
	if len(s) < 2 || (s[0] != 'e' && s[0] != 'E') {
		return 0
	}
	i := 1
	if s[i] == '+' || s[i] == '-' {
		i++
	}
	if n := digits(s[i:]); n > 0 {
		return i + n
	}
	return 0
}

// str lexes a STRING_LITERAL: quotes, a quote inside doubled.
func (l *lexer) str(start int) (token, error) {
	i := start + 1
	for i < len(l.src) {
		if l.src[i] == '\'' {
			if i+1 < len(l.src) && l.src[i+1] == '\'' {
				i += 2
				continue
			}
			l.pos = i + 1
			return token{kind: tString, text: l.src[start:l.pos], pos: start}, nil
		}
		i++
	}
	return token{}, syntaxErrorf(l.src, start, "string literal is not closed with '")
}

// unquote decodes a STRING_LITERAL image.
func unquote(image string) string {
	return strings.ReplaceAll(image[1:len(image)-1], "''", "'")
}

func digits(s string) int {
	n := 0
	for n < len(s) && isDigit(s[n]) {
		n++
	}
	return n
}

func isDigit(c byte) bool      { return '0' <= c && c <= '9' }
func isIdentStart(c byte) bool { return 'a' <= c|0x20 && c|0x20 <= 'z' || c == '_' || c == '$' }
func isIdentPart(c byte) bool  { return isIdentStart(c) || isDigit(c) }

// syntaxErrorf builds a *SyntaxError at byte offset off of src.
func syntaxErrorf(src string, off int, format string, args ...any) *SyntaxError {
	line, col := 1, 1
	for _, r := range src[:min(off, len(src))] {
		if r == '\n' {
			line, col = line+1, 1
			continue
		}
		col++
	}
	return &SyntaxError{Line: line, Column: col, Offset: off, Msg: fmt.Sprintf(format, args...)}
}
