package sqlfilter

import (
	"math"
	"strconv"
	"strings"
)

// parser is a recursive-descent parser of SelectorParser.jj's grammar:
//
//	selector   = or                                  (must be boolean)
//	or         = and { OR and }
//	and        = equality { AND equality }
//	equality   = comparison { ("=" | "<>") comparison | IS NULL | IS NOT NULL }
//	comparison = unary { (">" | ">=" | "<" | "<=") unary
//	           | [NOT] (CONTAINS | STARTSWITH | ENDSWITH) string
//	           | [NOT] BETWEEN unary AND unary
//	           | [NOT] IN "(" string { "," string } ")" }
//	unary      = "+" unary | "-" unary | NOT unary | primary
//	primary    = literal | name | "(" or ")"
//
// with the checks Java's expression factories make while building (see
// the functions named after them).
type parser struct {
	lx   lexer
	tok  token // current token
	next *token
}

// Parse compiles a SQL92 selector with RocketMQ's grammar (the filter
// module's SelectorParser.jj). An error is a *SyntaxError (matching
// ErrSyntax) with the line and column of the problem. Unlike Java, which
// stops at the end of the first complete expression and ignores the rest,
// anything after it is an error.
func Parse(expr string) (*Selector, error) {
	p := &parser{lx: lexer{src: expr}}
	if err := p.advance(); err != nil {
		return nil, err
	}
	n, pos, err := p.or()
	if err != nil {
		return nil, err
	}
	if p.tok.kind != tEOF {
		return nil, p.errorf(p.tok.pos, "unexpected %s after the end of the expression", p.tok.describe())
	}
	if n, err = p.asBoolean(n, pos); err != nil {
		return nil, err
	}
	return &Selector{root: n}, nil
}

func (p *parser) advance() error {
	if p.next != nil {
		p.tok, p.next = *p.next, nil
		return nil
	}
	t, err := p.lx.next()
	if err != nil {
		return err
	}
	p.tok = t
	return nil
}

// peek returns the token after the current one.
func (p *parser) peek() (token, error) {
	if p.next == nil {
		t, err := p.lx.next()
		if err != nil {
			return t, err
		}
		p.next = &t
	}
	return *p.next, nil
}

func (p *parser) errorf(pos int, format string, args ...any) *SyntaxError {
	return syntaxErrorf(p.lx.src, pos, format, args...)
}

// expect consumes a token of kind k.
func (p *parser) expect(k kind) (token, error) {
	t := p.tok
	if t.kind != k {
		return t, p.errorf(t.pos, "unexpected %s, expecting %s", t.describe(), k)
	}
	return t, p.advance()
}

func (p *parser) or() (node, int, error) {
	left, pos, err := p.and()
	for err == nil && p.tok.kind == tOr {
		var right node
		var rpos int
		if err = p.advance(); err != nil {
			break
		}
		if right, rpos, err = p.and(); err != nil {
			break
		}
		left, err = p.logic(false, left, pos, right, rpos)
	}
	return left, pos, err
}

func (p *parser) and() (node, int, error) {
	left, pos, err := p.equality()
	for err == nil && p.tok.kind == tAnd {
		var right node
		var rpos int
		if err = p.advance(); err != nil {
			break
		}
		if right, rpos, err = p.equality(); err != nil {
			break
		}
		left, err = p.logic(true, left, pos, right, rpos)
	}
	return left, pos, err
}

// logic is LogicExpression.createAND/createOR of the operands as booleans.
func (p *parser) logic(and bool, l node, lpos int, r node, rpos int) (node, error) {
	l, err := p.asBoolean(l, lpos)
	if err != nil {
		return nil, err
	}
	if r, err = p.asBoolean(r, rpos); err != nil {
		return nil, err
	}
	return &logic{and: and, l: l, r: r}, nil
}

// asBoolean is SelectorParser.asBooleanExpression: a boolean expression as
// it is, a property cast to boolean, anything else refused.
func (p *parser) asBoolean(n node, pos int) (node, error) {
	if n.boolean() {
		return n, nil
	}
	if pr, ok := n.(*property); ok {
		return &truth{p: pr}, nil
	}
	return nil, p.errorf(pos, "expression will not result in a boolean value: %s", n)
}

func (p *parser) equality() (node, int, error) {
	left, pos, err := p.comparison()
	for err == nil {
		op := p.tok
		switch op.kind {
		case tEq, tNe:
			var right node
			if err = p.advance(); err != nil {
				break
			}
			if right, _, err = p.comparison(); err != nil {
				break
			}
			left, err = p.createEqual(op, left, right)
		case tIs:
			if err = p.advance(); err != nil {
				break
			}
			notNull := p.tok.kind == tNot
			if notNull {
				if err = p.advance(); err != nil {
					break
				}
			}
			if _, err = p.expect(tNull); err != nil {
				break
			}
			left = &isNull{x: left, not: notNull}
		default:
			return left, pos, nil
		}
	}
	return left, pos, err
}

// createEqual is ComparisonExpression.createEqual (and createNotEqual):
// neither side the NULL literal, and TRUE/FALSE compared with a literal
// only when that is TRUE/FALSE too.
func (p *parser) createEqual(op token, l, r node) (node, error) {
	for _, x := range []node{l, r} {
		if lit, ok := x.(*literal); ok && lit.v.k == vNull {
			return nil, p.errorf(op.pos, "'NULL' cannot be compared (use IS NULL)")
		}
	}
	ll, lok := l.(*literal)
	rl, rok := r.(*literal)
	if lok && rok && ll.boolean() && !rl.boolean() {
		return nil, p.errorf(op.pos, "'%s' cannot be compared with '%s'", l, r)
	}
	c := opEq
	if op.kind == tNe {
		c = opNe
	}
	return &comparison{op: c, l: l, r: r}, nil
}

// lessThanOperand is ComparisonExpression.checkLessThanOperand: only
// numbers, properties and arithmetic can be ordered.
func (p *parser) lessThanOperand(pos int, xs ...node) error {
	for _, x := range xs {
		if lit, ok := x.(*literal); ok && !lit.v.isNumber() || x.boolean() {
			return p.errorf(pos, "value '%s' cannot be compared with >, >=, < or <=", x)
		}
	}
	return nil
}

var orderOps = map[kind]cmpOp{tGt: opGt, tGe: opGe, tLt: opLt, tLe: opLe}

var strOps = map[kind]strOp{tContains: opContains, tStartsWith: opStartsWith, tEndsWith: opEndsWith}

func (p *parser) comparison() (node, int, error) {
	left, pos, err := p.unary()
	for err == nil {
		op := p.tok
		if c, ok := orderOps[op.kind]; ok {
			var right node
			if err = p.advance(); err != nil {
				break
			}
			if right, _, err = p.unary(); err != nil {
				break
			}
			if err = p.lessThanOperand(op.pos, left, right); err != nil {
				break
			}
			left = &comparison{op: c, l: left, r: right}
			continue
		}
		negated := false
		switch op.kind {
		case tNot:
			var nt token
			if nt, err = p.peek(); err != nil {
				break
			}
			switch nt.kind {
			case tContains, tStartsWith, tEndsWith, tBetween, tIn:
			default:
				return nil, pos, p.errorf(nt.pos, "unexpected %s after NOT, expecting CONTAINS, STARTSWITH, ENDSWITH, BETWEEN or IN", nt.describe())
			}
			negated = true
			err = p.advance()
		case tContains, tStartsWith, tEndsWith, tBetween, tIn:
		default:
			return left, pos, nil
		}
		if err == nil {
			left, err = p.comparisonTail(left, pos, negated)
		}
	}
	return left, pos, err
}

// comparisonTail parses what follows an operand and an optional NOT:
// CONTAINS, STARTSWITH, ENDSWITH, BETWEEN or IN.
func (p *parser) comparisonTail(left node, pos int, negated bool) (node, error) {
	op := p.tok
	if err := p.advance(); err != nil {
		return nil, err
	}
	if s, ok := strOps[op.kind]; ok {
		t, err := p.expect(tString)
		if err != nil {
			return nil, err
		}
		return &match{op: s, x: left, search: unquote(t.text), not: negated}, nil
	}
	if op.kind == tBetween {
		lo, _, err := p.unary()
		if err != nil {
			return nil, err
		}
		if _, err = p.expect(tAnd); err != nil {
			return nil, err
		}
		hi, _, err := p.unary()
		if err != nil {
			return nil, err
		}
		return p.createBetween(op, left, lo, hi, negated)
	}
	// IN: ComparisonExpression.createInFilter wants a property.
	pr, ok := left.(*property)
	if !ok {
		return nil, p.errorf(pos, "expected a property for IN, got: %s", left)
	}
	if _, err := p.expect(tLParen); err != nil {
		return nil, err
	}
	var list []string
	for {
		t, err := p.expect(tString)
		if err != nil {
			return nil, err
		}
		list = append(list, unquote(t.text))
		if p.tok.kind != tComma {
			break
		}
		if err = p.advance(); err != nil {
			return nil, err
		}
	}
	if _, err := p.expect(tRParen); err != nil {
		return nil, err
	}
	return &in{p: pr, list: list, not: negated}, nil
}

// createBetween is ComparisonExpression.createBetween (x >= lo AND x <= hi,
// with two literal bounds neither NULL nor hi below lo) and
// createNotBetween (x < lo OR x > hi).
func (p *parser) createBetween(op token, x, lo, hi node, negated bool) (node, error) {
	if !negated {
		ll, lok := lo.(*literal)
		hl, hok := hi.(*literal)
		if lok && hok {
			if ll.v.k == vNull || hl.v.k == vNull {
				return nil, p.errorf(op.pos, "illegal values of BETWEEN: values can not be NULL")
			}
			if c, err := compare(hl.v, ll.v); err != nil || c < 0 {
				return nil, p.errorf(op.pos, "illegal values of BETWEEN: left value (%s) must be less than or equal to right value (%s)", lo, hi)
			}
		}
	}
	if err := p.lessThanOperand(op.pos, x, lo, hi); err != nil {
		return nil, err
	}
	return &between{x: x, lo: lo, hi: hi, not: negated}, nil
}

func (p *parser) unary() (node, int, error) {
	t := p.tok
	switch t.kind {
	case tPlus, tMinus, tNot:
		if err := p.advance(); err != nil {
			return nil, t.pos, err
		}
		x, xpos, err := p.unary()
		if err != nil {
			return nil, t.pos, err
		}
		switch t.kind {
		case tPlus:
			return x, t.pos, nil
		case tMinus:
			return &neg{x: x}, t.pos, nil
		}
		if x, err = p.asBoolean(x, xpos); err != nil {
			return nil, t.pos, err
		}
		return &not{x: x}, t.pos, nil
	}
	n, err := p.primary()
	return n, t.pos, err
}

func (p *parser) primary() (node, error) {
	t := p.tok
	var n node
	switch t.kind {
	case tIdent:
		n = &property{name: t.text}
	case tString:
		n = &literal{v: value{k: vString, s: unquote(t.text)}}
	case tTrue:
		n = &literal{v: trueValue}
	case tFalse:
		n = &literal{v: falseValue}
	case tNull:
		n = &literal{v: nullValue}
	case tInt:
		v, err := strconv.ParseInt(strings.TrimRight(t.text, "lL"), 10, 64)
		if err != nil {
			return nil, p.errorf(t.pos, "integer %s is out of range (a long)", t.text)
		}
		k := vLong
		if v >= math.MinInt32 && v <= math.MaxInt32 {
			k = vInt
		}
		n = &literal{v: value{k: k, i: v}}
	case tFloat:
		f, err := strconv.ParseFloat(t.text, 64)
		switch {
		case err != nil && math.IsInf(f, 0):
			return nil, p.errorf(t.pos, "%s is greater than 1.7976931348623157E308", t.text)
		case err != nil:
			return nil, p.errorf(t.pos, "%s is not a number", t.text)
		case f == 0:
			// Java refuses values below Double.MIN_VALUE, 0 included.
			return nil, p.errorf(t.pos, "%s is less than 4.9E-324", t.text)
		}
		n = &literal{v: value{k: vDouble, f: f}}
	case tLParen:
		if err := p.advance(); err != nil {
			return nil, err
		}
		x, _, err := p.or()
		if err != nil {
			return nil, err
		}
		_, err = p.expect(tRParen)
		return x, err
	default:
		return nil, p.errorf(t.pos, "unexpected %s, expecting a property name, a literal, \"(\", NOT, \"+\" or \"-\"", t.describe())
	}
	return n, p.advance()
}
