package sqlfilter

import "strings"

// kind is a token kind of RocketMQ's SelectorParser.jj.
type kind int

const (
	tEOF kind = iota
	tIdent
	tInt    // DECIMAL_LITERAL: 0 or [1-9][0-9]*, optional l/L suffix
	tFloat  // FLOATING_POINT_LITERAL
	tString // STRING_LITERAL, quotes doubled inside
	tNot
	tAnd
	tOr
	tBetween
	tIn
	tTrue
	tFalse
	tNull
	tIs
	tContains
	tStartsWith
	tEndsWith
	tEq     // =
	tNe     // <>
	tGt     // >
	tGe     // >=
	tLt     // <
	tLe     // <=
	tLParen // (
	tRParen // )
	tComma  // ,
	tPlus   // +
	tMinus  // -
)

// keywords are matched ignoring case, as the grammar's TOKEN [IGNORE_CASE].
var keywords = map[string]kind{
	"NOT": tNot, "AND": tAnd, "OR": tOr, "BETWEEN": tBetween, "IN": tIn,
	"TRUE": tTrue, "FALSE": tFalse, "NULL": tNull, "IS": tIs,
	"CONTAINS": tContains, "STARTSWITH": tStartsWith, "ENDSWITH": tEndsWith,
}

var kindNames = map[kind]string{
	tEOF: "end of expression", tIdent: "property name", tInt: "integer", tFloat: "number",
	tString: "string literal", tEq: `"="`, tNe: `"<>"`, tGt: `">"`, tGe: `">="`, tLt: `"<"`,
	tLe: `"<="`, tLParen: `"("`, tRParen: `")"`, tComma: `","`, tPlus: `"+"`, tMinus: `"-"`,
}

func (k kind) String() string {
	if s, ok := kindNames[k]; ok {
		return s
	}
	for w, kw := range keywords {
		if kw == k {
			return w
		}
	}
	return "?"
}

// token is one lexed token; text is its source image.
type token struct {
	kind kind
	text string
	pos  int // byte offset
}

// describe names t for an error message.
func (t token) describe() string {
	switch t.kind {
	case tEOF:
		return "end of expression"
	case tIdent, tInt, tFloat, tString:
		return t.kind.String() + " " + quoteImage(t.text)
	}
	return strings.ToUpper(quoteImage(t.text))
}

func quoteImage(s string) string {
	if len(s) > 40 {
		s = s[:40] + "..."
	}
	return `"` + s + `"`
}
