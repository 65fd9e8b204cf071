package sqlfilter

import "strings"

// node is a compiled expression: the AST the parser builds, after the
// rewrites Java's parser makes (unary plus dropped, a property used as a
// boolean wrapped in a cast). String prints it fully parenthesized, in a
// form that parses back to the same tree.
type node interface {
	String() string
	eval(l Lookup) (value, error)
	// boolean reports whether the node is a Java BooleanExpression.
	boolean() bool
}

// literal is a ConstantExpression: NULL, TRUE, FALSE, an Integer, a Long,
// a Double or a String.
type literal struct{ v value }

// property is a PropertyExpression: the message property of that name.
type property struct{ name string }

// truth is UnaryExpression.createBooleanCast: a property used as a
// boolean (it is true only when its value is the Boolean TRUE, which a
// message property, a string, never is).
type truth struct{ p *property }

// neg is UnaryExpression.createNegate.
type neg struct{ x node }

// not is UnaryExpression.createNOT.
type not struct{ x node }

// logic is LogicExpression AND or OR.
type logic struct {
	and  bool
	l, r node
}

// cmpOp is a comparison operator.
type cmpOp uint8

const (
	opEq cmpOp = iota
	opNe
	opGt
	opGe
	opLt
	opLe
)

var cmpOpText = [...]string{opEq: "=", opNe: "<>", opGt: ">", opGe: ">=", opLt: "<", opLe: "<="}

// comparison is ComparisonExpression =, <>, >, >=, < or <=.
type comparison struct {
	op   cmpOp
	l, r node
}

// isNull is "x IS NULL" or "x IS NOT NULL".
type isNull struct {
	x   node
	not bool
}

// between is "x [NOT] BETWEEN lo AND hi": Java builds (x >= lo AND x <=
// hi), or (x < lo OR x > hi) with NOT.
type between struct {
	x, lo, hi node
	not       bool
}

// in is "p [NOT] IN ('a', ...)" on a property.
type in struct {
	p    *property
	list []string
	not  bool
}

// strOp is CONTAINS, STARTSWITH or ENDSWITH.
type strOp uint8

const (
	opContains strOp = iota
	opStartsWith
	opEndsWith
)

var strOpText = [...]string{opContains: "CONTAINS", opStartsWith: "STARTSWITH", opEndsWith: "ENDSWITH"}

// match is "x [NOT] CONTAINS|STARTSWITH|ENDSWITH 's'".
type match struct {
	op     strOp
	x      node
	search string
	not    bool
}

func (n *literal) String() string  { return n.v.String() }
func (n *property) String() string { return n.name }
func (n *truth) String() string    { return n.p.name }
func (n *neg) String() string      { return "(- " + n.x.String() + ")" }
func (n *not) String() string      { return "(NOT " + n.x.String() + ")" }
func (n *comparison) String() string {
	return "(" + n.l.String() + " " + cmpOpText[n.op] + " " + n.r.String() + ")"
}

func (n *logic) String() string {
	op := " OR "
	if n.and {
		op = " AND "
	}
	return "(" + n.l.String() + op + n.r.String() + ")"
}

func (n *isNull) String() string {
	if n.not {
		return "(" + n.x.String() + " IS NOT NULL)"
	}
	return "(" + n.x.String() + " IS NULL)"
}

func (n *between) String() string {
	return "(" + n.x.String() + notWord(n.not) + " BETWEEN " + n.lo.String() + " AND " + n.hi.String() + ")"
}

func (n *in) String() string {
	q := make([]string, len(n.list))
	for i, s := range n.list {
		q[i] = quote(s)
	}
	return "(" + n.p.name + notWord(n.not) + " IN (" + strings.Join(q, ", ") + "))"
}

func (n *match) String() string {
	return "(" + n.x.String() + notWord(n.not) + " " + strOpText[n.op] + " " + quote(n.search) + ")"
}

func notWord(not bool) string {
	if not {
		return " NOT"
	}
	return ""
}

// The Java BooleanExpressions: comparisons, logic, NOT, the casts, IN,
// CONTAINS and friends, and the TRUE, FALSE and NULL constants.
func (n *literal) boolean() bool    { return n.v.k == vBool || n.v.k == vNull }
func (n *property) boolean() bool   { return false }
func (n *truth) boolean() bool      { return true }
func (n *neg) boolean() bool        { return false }
func (n *not) boolean() bool        { return true }
func (n *logic) boolean() bool      { return true }
func (n *comparison) boolean() bool { return true }
func (n *isNull) boolean() bool     { return true }
func (n *between) boolean() bool    { return true }
func (n *in) boolean() bool         { return true }
func (n *match) boolean() bool      { return true }
