package rpc_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/rocketkit/rocketkit/client/internal/rpc"
	"github.com/rocketkit/rocketkit/protocol/remoting"
)

// TestErrors checks the messages and the wrapping of the package's errors.
func TestErrors(t *testing.T) {
	const addr = "10.0.0.1:10911"
	broken := &rpc.ConnError{Addr: addr, Err: fmt.Errorf("read: %w", io.EOF)}
	closed := &rpc.ConnError{Addr: addr, Err: rpc.ErrClosed}
	tests := []struct {
		name   string
		err    error
		text   string
		is     []error
		isNot  []error
		asConn bool
	}{
		{name: "broken connection", err: broken,
			text: "rpc: connection to 10.0.0.1:10911 broken: read: EOF",
			is:   []error{rpc.ErrConnBroken, io.EOF}, isNot: []error{rpc.ErrClosed}, asConn: true},
		{name: "closed connection", err: closed,
			text: "rpc: connection to 10.0.0.1:10911 closed",
			is:   []error{rpc.ErrClosed}, isNot: []error{rpc.ErrConnBroken}, asConn: true},
		{name: "call on a broken connection", err: &rpc.CallError{Addr: addr, Code: remoting.SendMessage, Err: broken},
			text: "rpc: SEND_MESSAGE to 10.0.0.1:10911: connection broken: read: EOF",
			is:   []error{rpc.ErrConnBroken, io.EOF}, asConn: true},
		{name: "call on a closed connection", err: &rpc.CallError{Addr: addr, Code: remoting.PullMessage, Err: closed},
			text: "rpc: PULL_MESSAGE to 10.0.0.1:10911: connection closed",
			is:   []error{rpc.ErrClosed}, asConn: true},
		{name: "call timed out", err: &rpc.CallError{Addr: addr, Code: remoting.GetMaxOffset, Err: context.DeadlineExceeded},
			text: "rpc: GET_MAX_OFFSET to 10.0.0.1:10911: context deadline exceeded",
			is:   []error{context.DeadlineExceeded}, isNot: []error{rpc.ErrConnBroken, rpc.ErrClosed}},
		{name: "unknown code", err: &rpc.CallError{Addr: addr, Code: 999, Err: context.Canceled},
			text: "rpc: UNKNOWN(999) to 10.0.0.1:10911: context canceled",
			is:   []error{context.Canceled}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.text {
				t.Errorf("Error() = %q, want %q", got, tt.text)
			}
			for _, target := range tt.is {
				if !errors.Is(tt.err, target) {
					t.Errorf("not errors.Is %v", target)
				}
			}
			for _, target := range tt.isNot {
				if errors.Is(tt.err, target) {
					t.Errorf("errors.Is %v", target)
				}
			}
			var ce *rpc.ConnError
			if errors.As(tt.err, &ce) != tt.asConn {
				t.Errorf("errors.As *ConnError = %v, want %v", !tt.asConn, tt.asConn)
			}
		})
	}
}
