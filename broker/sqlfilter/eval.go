package sqlfilter

import "strings"

// Lookup returns a message property by name, and whether the message has
// it. A missing property evaluates to NULL.
type Lookup func(name string) (string, bool)

// The evaluation of each node is its Java class's evaluate: a three-valued
// logic where NULL (a missing property, or a comparison with one) is
// neither true nor false, and operands are evaluated left to right, the
// right one skipped where Java skips it.

func (n *literal) eval(Lookup) (value, error) { return n.v, nil }

func (n *property) eval(l Lookup) (value, error) {
	if s, ok := l(n.name); ok {
		return value{k: vString, s: s}, nil
	}
	return nullValue, nil
}

func (n *truth) eval(l Lookup) (value, error) {
	v, err := n.p.eval(l)
	if err != nil || v.k == vNull {
		return v, err
	}
	if v.k != vBool {
		return falseValue, nil
	}
	return v, nil
}

func (n *neg) eval(l Lookup) (value, error) {
	v, err := n.x.eval(l)
	if err != nil {
		return v, err
	}
	return negate(v), nil
}

func (n *not) eval(l Lookup) (value, error) {
	v, err := evalBool(n.x, l)
	if err != nil || v.k == vNull {
		return v, err
	}
	return boolValue(!v.b), nil
}

func (n *logic) eval(l Lookup) (value, error) {
	if n.and {
		return and(l, n.l, n.r)
	}
	return or(l, n.l, n.r)
}

// and is LogicExpression.createAND's evaluate.
func and(l Lookup, a, b node) (value, error) {
	lv, err := evalBool(a, l)
	if err != nil || lv.k == vBool && !lv.b {
		return lv, err
	}
	rv, err := evalBool(b, l)
	if err != nil || rv.k == vBool && !rv.b {
		return rv, err
	}
	if lv.k == vNull || rv.k == vNull {
		return nullValue, nil
	}
	return trueValue, nil
}

// or is LogicExpression.createOR's evaluate.
func or(l Lookup, a, b node) (value, error) {
	lv, err := evalBool(a, l)
	if err != nil || lv.k == vBool && lv.b {
		return lv, err
	}
	rv, err := evalBool(b, l)
	if err != nil || rv.k == vBool && rv.b {
		return rv, err
	}
	if lv.k == vNull || rv.k == vNull {
		return nullValue, nil
	}
	return falseValue, nil
}

// evalBool evaluates a BooleanExpression: a Boolean or NULL (Java casts
// the result to Boolean and would throw on anything else).
func evalBool(n node, l Lookup) (value, error) {
	v, err := n.eval(l)
	if err == nil && v.k != vBool && v.k != vNull {
		return v, evalErrorf("%s is not a boolean", v)
	}
	return v, err
}

func (n *comparison) eval(l Lookup) (value, error) {
	switch n.op {
	case opEq:
		return equal(l, n.l, n.r)
	case opNe:
		v, err := equal(l, n.l, n.r)
		if err != nil || v.k == vNull {
			return v, err
		}
		return boolValue(!v.b), nil
	}
	return order(l, n.op, n.l, n.r)
}

// equal is ComparisonExpression.doCreateEqual's evaluate.
func equal(l Lookup, a, b node) (value, error) {
	lv, err := a.eval(l)
	if err != nil {
		return lv, err
	}
	rv, err := b.eval(l)
	if err != nil {
		return rv, err
	}
	switch {
	case lv.k == vNull && rv.k == vNull:
		return trueValue, nil
	case lv.k == vNull:
		return nullValue, nil
	case rv.k == vNull:
		return falseValue, nil
	case lv.equal(rv):
		return trueValue, nil
	}
	c, err := compare(lv, rv)
	if err != nil {
		return nullValue, err
	}
	return boolValue(c == 0), nil
}

// order is ComparisonExpression's evaluate for >, >=, < and <=: NULL when
// either side is NULL; two strings are compared as numbers (both must parse
// as doubles), a string and a number as the number's class.
func order(l Lookup, op cmpOp, a, b node) (value, error) {
	lv, err := a.eval(l)
	if err != nil || lv.k == vNull {
		return lv, err
	}
	rv, err := b.eval(l)
	if err != nil || rv.k == vNull {
		return rv, err
	}
	if lv.k == vString && rv.k == vString {
		lf, lok := javaParseDouble(lv.s)
		rf, rok := javaParseDouble(rv.s)
		if !lok || !rok {
			return nullValue, evalErrorf("it's illegal to compare string by '>=', '>', '<', '<=': lv=%s, rv=%s", lv.s, rv.s)
		}
		lv, rv = value{k: vDouble, f: lf}, value{k: vDouble, f: rf}
	}
	c, err := compare(lv, rv)
	if err != nil {
		return nullValue, err
	}
	switch op {
	case opGt:
		return boolValue(c > 0), nil
	case opGe:
		return boolValue(c >= 0), nil
	case opLt:
		return boolValue(c < 0), nil
	}
	return boolValue(c <= 0), nil
}

func (n *isNull) eval(l Lookup) (value, error) {
	v, err := n.x.eval(l)
	if err != nil {
		return nullValue, err
	}
	return boolValue((v.k == vNull) != n.not), nil
}

func (n *between) eval(l Lookup) (value, error) {
	if n.not {
		return or(l, &comparison{opLt, n.x, n.lo}, &comparison{opGt, n.x, n.hi})
	}
	return and(l, &comparison{opGe, n.x, n.lo}, &comparison{opLe, n.x, n.hi})
}

func (n *in) eval(l Lookup) (value, error) {
	v, err := n.p.eval(l)
	if err != nil || v.k != vString {
		return nullValue, err
	}
	found := false
	for _, s := range n.list {
		if s == v.s {
			found = true
			break
		}
	}
	return boolValue(found != n.not), nil
}

func (n *match) eval(l Lookup) (value, error) {
	if n.search == "" {
		return falseValue, nil
	}
	v, err := n.x.eval(l)
	if err != nil {
		return nullValue, err
	}
	if v.k != vString {
		return falseValue, nil
	}
	var hit bool
	switch n.op {
	case opContains:
		hit = strings.Contains(v.s, n.search)
	case opStartsWith:
		hit = strings.HasPrefix(v.s, n.search)
	default:
		hit = strings.HasSuffix(v.s, n.search)
	}
	return boolValue(hit != n.not), nil
}
