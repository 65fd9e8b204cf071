package sqlfilter

// Selector is a compiled SQL92 selector. It is immutable and safe for
// concurrent use.
type Selector struct {
	root node
}

// String returns the selector fully parenthesized; Parse of it gives the
// same selector.
func (s *Selector) String() string { return s.root.String() }

// Matches evaluates the selector over a message's properties, as the Java
// broker's ExpressionMessageFilter does: the message matches only when the
// selector evaluates to TRUE; FALSE and NULL (a missing property, say) do
// not match. When evaluation fails (a property compared with a number does
// not parse as one, for example) Matches returns false and an error
// matching ErrEval, which the Java broker logs.
func (s *Selector) Matches(props Lookup) (bool, error) {
	v, err := s.root.eval(props)
	if err != nil {
		return false, err
	}
	return v.k == vBool && v.b, nil
}
