package rpc_test

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"

	"github.com/rocketkit/rocketkit/client/internal/rpc"
	"github.com/rocketkit/rocketkit/protocol/remoting"
)

// TestConnServerRequests sends a server request (opaque 77) and checks what
// comes back: the Handler's response with the opaque echoed and the
// response flag set, or nothing at all. The frame the server reads next is
// then either that response or the test's following Call.
func TestConnServerRequests(t *testing.T) {
	answer := func(_ context.Context, c *rpc.Conn, req *remoting.Command) *remoting.Command {
		return &remoting.Command{Code: remoting.Success, Remark: "ok:" + req.ExtFields.Get("k") + "@" + c.Addr(),
			Body: []byte("info")}
	}
	tests := []struct {
		name       string
		handler    rpc.Handler
		flag       int32
		wantCode   int16
		wantRemark string // "" expects no response
	}{
		{name: "handler answers", handler: answer, wantCode: remoting.Success, wantRemark: "ok:v@"},
		{name: "one-way request gets no answer", handler: answer, flag: remoting.FlagOneway},
		{name: "handler answers nil", handler: func(context.Context, *rpc.Conn, *remoting.Command) *remoting.Command {
			return nil
		}},
		{name: "no handler", wantCode: remoting.RequestCodeNotSupported,
			wantRemark: "request code GET_CONSUMER_RUNNING_INFO is not supported by this client"},
		{name: "no handler, one-way", flag: remoting.FlagOneway},
		{name: "handler panics", handler: func(context.Context, *rpc.Conn, *remoting.Command) *remoting.Command {
			panic("boom")
		}, wantCode: remoting.SystemError, wantRemark: "client panicked handling GET_CONSUMER_RUNNING_INFO: boom"},
		{name: "handler panics, one-way", flag: remoting.FlagOneway,
			handler: func(context.Context, *rpc.Conn, *remoting.Command) *remoting.Command { panic("boom") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				n := newPipeNet(t)
				c, p := n.connect(t, rpc.Options{Handler: tt.handler})
				req := remoting.NewRequest(remoting.GetConsumerRunningInfo, remoting.Fields{{Key: "k", Value: "v"}}, nil)
				req.Opaque, req.Flag = 77, tt.flag
				if err := p.write(req); err != nil {
					t.Fatal(err)
				}
				synctest.Wait() // the handler has run and its answer, if any, is being written
				callErr := make(chan error, 1)
				go func() { callErr <- checkCall(t.Context(), c, request(5), "5") }()

				got, err := p.read()
				if err != nil {
					t.Fatal(err)
				}
				if tt.wantRemark != "" {
					want := tt.wantRemark
					if tt.handler != nil && tt.wantCode == remoting.Success {
						want += c.Addr()
					}
					if !got.IsResponse() || got.Opaque != 77 || got.Code != tt.wantCode || got.Remark != want {
						t.Errorf("answer %v, want a response to opaque 77 with code %d, remark %q", got, tt.wantCode, want)
					}
					if got, err = p.read(); err != nil {
						t.Fatal(err)
					}
				}
				if got.IsResponse() || got.Code != remoting.GetMaxOffset {
					t.Fatalf("got %v, want the next call's request (nothing else)", got)
				}
				if err := p.answer(got); err != nil {
					t.Fatal(err)
				}
				if err := <-callErr; err != nil {
					t.Error(err)
				}
			})
		})
	}
}

// TestConnHandlerCallsBack: a Handler may call the server on its own
// connection before answering, and its ctx ends when the connection does;
// Done waits for it.
func TestConnHandlerCallsBack(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := newPipeNet(t)
		handlerErr := make(chan error, 1)
		handler := func(ctx context.Context, c *rpc.Conn, req *remoting.Command) *remoting.Command {
			if req.Code == remoting.NotifyConsumerIDsChanged {
				<-ctx.Done() // runs until the connection ends
				handlerErr <- ctx.Err()
				return nil
			}
			resp, err := c.Call(ctx, request(8))
			if err != nil {
				return remoting.NewResponse(req, remoting.SystemError, err.Error())
			}
			return &remoting.Command{Remark: "inner:" + resp.Remark}
		}
		c, p := n.connect(t, rpc.Options{Handler: handler})
		if err := p.write(&remoting.Command{Code: remoting.CheckTransactionState, Opaque: 3}); err != nil {
			t.Fatal(err)
		}
		inner, err := p.read()
		if err != nil {
			t.Fatal(err)
		}
		if err := p.answer(inner); err != nil {
			t.Fatal(err)
		}
		got, err := p.read()
		if err != nil {
			t.Fatal(err)
		}
		if !got.IsResponse() || got.Opaque != 3 || got.Remark != "inner:8" {
			t.Errorf("handler answered %v, want remark inner:8 to opaque 3", got)
		}

		oneway := &remoting.Command{Code: remoting.NotifyConsumerIDsChanged, Opaque: 4, Flag: remoting.FlagOneway}
		if err := p.write(oneway); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
		<-c.Done()
		select {
		case err := <-handlerErr:
			if !errors.Is(err, context.Canceled) {
				t.Errorf("handler ctx ended with %v, want Canceled", err)
			}
		default:
			t.Error("Done closed before the handler returned")
		}
	})
}
