package sqlfilter

import (
	"errors"
	"fmt"
)

var (
	// ErrSyntax is matched by every *SyntaxError: the expression is not
	// a selector RocketMQ's broker would compile.
	ErrSyntax = errors.New("sqlfilter: invalid selector")
	// ErrEval is matched by the errors Eval returns: the message cannot be
	// evaluated (a property that is not a number compared with one, for
	// example). The Java broker logs such an error and does not deliver
	// the message; Matches reports false.
	ErrEval = errors.New("sqlfilter: evaluation failed")
)

// SyntaxError is a selector that does not parse, or that RocketMQ's parser
// refuses (a string compared with "<", NULL compared with "=", ...). Line
// and Column are 1-based and count characters; Offset is the byte offset
// in the expression.
type SyntaxError struct {
	Line, Column, Offset int
	Msg                  string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("sqlfilter: invalid selector at line %d, column %d: %s", e.Line, e.Column, e.Msg)
}

// Is reports whether target is ErrSyntax.
func (e *SyntaxError) Is(target error) bool { return target == ErrSyntax }

// evalError is an evaluation failure; it matches ErrEval.
type evalError struct{ msg string }

func (e *evalError) Error() string        { return "sqlfilter: evaluation failed: " + e.msg }
func (e *evalError) Is(target error) bool { return target == ErrEval }

func evalErrorf(format string, args ...any) error {
	return &evalError{msg: fmt.Sprintf(format, args...)}
}
