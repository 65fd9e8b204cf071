package sqlfilter

import (
	"errors"
	"math"
	"strconv"
	"strings"
)

// vkind is the Java class of a value the Java evaluator handles: null,
// Boolean, Integer, Long, Double or String. Integer and Long differ: a
// property compared with an Integer literal must parse as an int.
type vkind uint8

const (
	vNull vkind = iota
	vBool
	vInt  // java.lang.Integer
	vLong // java.lang.Long
	vDouble
	vString
)

// value is one evaluated value.
type value struct {
	k vkind
	b bool
	i int64
	f float64
	s string
}

var (
	nullValue  = value{}
	trueValue  = value{k: vBool, b: true}
	falseValue = value{k: vBool}
)

func boolValue(b bool) value { return value{k: vBool, b: b} }

// isNumber reports whether v is a java.lang.Number.
func (v value) isNumber() bool { return v.k == vInt || v.k == vLong || v.k == vDouble }

func (v value) String() string {
	switch v.k {
	case vNull:
		return "NULL"
	case vBool:
		if v.b {
			return "TRUE"
		}
		return "FALSE"
	case vInt, vLong:
		return strconv.FormatInt(v.i, 10)
	case vDouble:
		return formatFloat(v.f)
	}
	return quote(v.s)
}

// equal is Java's Object.equals between two non-null values.
func (v value) equal(w value) bool {
	if v.k != w.k {
		return false
	}
	switch v.k {
	case vBool:
		return v.b == w.b
	case vInt, vLong:
		return v.i == w.i
	case vDouble:
		return math.Float64bits(v.f) == math.Float64bits(w.f) || math.IsNaN(v.f) && math.IsNaN(w.f)
	case vString:
		return v.s == w.s
	}
	return true
}

// compare is ComparisonExpression.__compare with string conversion on (as
// SelectorParser.parse always sets it): values of different classes are
// converted up (Integer to Long to Double; a String to the other side's
// class), a class pair that does not convert compares as -1, a String that
// does not parse as the other side's number is an error.
func compare(lv, rv value) (int, error) {
	if lv.k != rv.k {
		var err error
		switch lv.k {
		case vBool:
			if rv.k == vString {
				// Java casts the Boolean itself to String here and throws.
				return 0, evalErrorf("cannot compare %s with %s", lv, rv)
			}
			return -1, nil
		case vInt, vLong:
			switch rv.k {
			case vInt, vLong:
				// Integer converts up to Long.
			case vDouble:
				lv = value{k: vDouble, f: float64(lv.i)}
			case vString:
				rv, err = parseAs(rv.s, lv.k)
			default:
				return -1, nil
			}
		case vDouble:
			switch rv.k {
			case vInt, vLong:
				rv = value{k: vDouble, f: float64(rv.i)}
			case vString:
				rv, err = parseAs(rv.s, vDouble)
			default:
				return -1, nil
			}
		case vString:
			switch rv.k {
			case vBool:
				lv = boolValue(strings.EqualFold(lv.s, "true"))
			case vInt, vLong, vDouble:
				lv, err = parseAs(lv.s, rv.k)
			default:
				return -1, nil
			}
		default:
			return -1, nil
		}
		if err != nil {
			return 0, err
		}
	}
	switch lv.k {
	case vBool:
		switch {
		case lv.b == rv.b:
			return 0, nil
		case lv.b:
			return 1, nil
		}
		return -1, nil
	case vInt, vLong:
		return cmpInt(lv.i, rv.i), nil
	case vDouble:
		return javaDoubleCompare(lv.f, rv.f), nil
	case vString:
		return strings.Compare(lv.s, rv.s), nil
	}
	return 0, nil
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// javaDoubleCompare is Double.compare: -0.0 below 0.0, NaN above
// everything and equal to itself.
func javaDoubleCompare(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	ab, bb := int64(math.Float64bits(a)), int64(math.Float64bits(b))
	if math.IsNaN(a) {
		ab = 0x7ff8000000000000
	}
	if math.IsNaN(b) {
		bb = 0x7ff8000000000000
	}
	return cmpInt(ab, bb)
}

// parseAs converts a String to the class k as Integer.valueOf,
// Long.valueOf or Double.valueOf do.
func parseAs(s string, k vkind) (value, error) {
	switch k {
	case vInt:
		n, err := strconv.ParseInt(s, 10, 32)
		if err != nil {
			return value{}, evalErrorf("%s is not an int", quote(s))
		}
		return value{k: vInt, i: n}, nil
	case vLong:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return value{}, evalErrorf("%s is not a long", quote(s))
		}
		return value{k: vLong, i: n}, nil
	}
	f, ok := javaParseDouble(s)
	if !ok {
		return value{}, evalErrorf("%s is not a number", quote(s))
	}
	return value{k: vDouble, f: f}, nil
}

// javaParseDouble is Double.valueOf: surrounding white space (characters
// up to ' ') ignored, an optional sign, "NaN", "Infinity", a decimal or a
// hexadecimal ("0x1.8p1") number with an optional f/F/d/D suffix.
func javaParseDouble(s string) (float64, bool) {
	s = strings.TrimFunc(s, func(r rune) bool { return r <= ' ' })
	body, neg := s, false
	if body != "" && (body[0] == '+' || body[0] == '-') {
		body, neg = body[1:], body[0] == '-'
	}
	switch body {
	case "NaN":
		return math.NaN(), true
	case "Infinity":
		if neg {
			return math.Inf(-1), true
		}
		return math.Inf(1), true
	case "":
		return 0, false
	}
	if strings.ContainsAny(body[len(body)-1:], "fFdD") {
		body = body[:len(body)-1]
	}
	allowed := "0123456789.eE+-"
	if strings.HasPrefix(body, "0x") || strings.HasPrefix(body, "0X") {
		allowed = "0123456789abcdefABCDEF.pP+-"
		body = body[2:]
		if strings.ContainsAny(body, "xX") {
			return 0, false
		}
		body = "0x" + body
	}
	for _, r := range strings.TrimPrefix(body, "0x") {
		if !strings.ContainsRune(allowed, r) {
			return 0, false
		}
	}
	f, err := strconv.ParseFloat(body, 64)
	var ne *strconv.NumError
	if err != nil && !(errors.As(err, &ne) && ne.Err == strconv.ErrRange) {
		return 0, false
	}
	if neg {
		f = -f
	}
	return f, true
}

// negate is UnaryExpression.createNegate's: a number negated, anything
// else null.
func negate(v value) value {
	switch v.k {
	case vInt, vLong:
		v.i = -v.i
	case vDouble:
		v.f = -v.f
	default:
		return nullValue
	}
	return v
}

// formatFloat prints a double so that it lexes back as the same
// FLOATING_POINT_LITERAL value.
func formatFloat(f float64) string {
	s := strconv.FormatFloat(f, 'g', -1, 64)
	if !strings.ContainsAny(s, ".eEIN") {
		s += ".0"
	}
	return s
}

// quote encodes s as a STRING_LITERAL.
func quote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}
