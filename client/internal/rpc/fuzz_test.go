package rpc_test

import (
	"context"
	"errors"
	"io"
	"testing"
	"testing/synctest"

	"github.com/rocketkit/rocketkit/client/internal/rpc"
	"github.com/rocketkit/rocketkit/protocol/remoting"
)

// FuzzConnReader plays a server that, with three calls pending (opaques 1,
// 2 and 3), sends arbitrary bytes in two writes split at an arbitrary point
// (to mimic partial reads), then closes the connection. The Conn has a
// Handler that answers every server request.
//
// Invariants:
//   - nothing panics, whatever the bytes: ReadCommand, response matching,
//     server-request dispatch and the Handler's answers all take anything;
//   - every pending call ends: with a response, which is a response frame
//     carrying that call's opaque (no two calls get the same one), or with
//     an error wrapping ErrConnBroken;
//   - the Conn then ends: Done closes and Err wraps ErrConnBroken;
//   - no goroutine outlives the Conn: synctest.Test fails if any goroutine
//     of the bubble is left blocked.
func FuzzConnReader(f *testing.F) {
	resp := func(opaque int32, code int16) []byte {
		return remoting.AppendFrame(nil, &remoting.Command{Code: code, Opaque: opaque, Flag: remoting.FlagResponse,
			ExtFields: remoting.Fields{{Key: "offset", Value: "7"}}, Body: []byte("body")})
	}
	all := append(append(resp(3, 0), resp(1, 1)...), resp(2, 0)...)
	serverReq := remoting.AppendFrame(nil, &remoting.Command{Code: remoting.GetConsumerRunningInfo, Opaque: 1})
	oneway := remoting.AppendFrame(nil, &remoting.Command{Code: remoting.NotifyConsumerIDsChanged, Opaque: 2,
		Flag: remoting.FlagOneway})
	seeds := [][]byte{
		nil,
		{0},
		{0, 0, 0, 0},
		{0, 0, 0, 4, 0, 0, 0, 0},
		{0xff, 0xff, 0xff, 0xff},
		{0, 0x10, 0, 1, 0, 0, 0, 0},
		rawFrame(1, "", nil),
		rawFrame(0, `{"code":0,"opaque":1,"flag":1,"extFields":{"a":1}}`, nil),
		rawFrame(0, `{"code":0,"opaque":2,"flag":1}`, []byte("b")),
		resp(1, 0),
		resp(99, 0),
		all,
		all[:len(all)-3],
		append(append(serverReq, oneway...), all...),
		append(resp(1, 0), resp(1, 0)...),
		append(resp(2, 0), 0, 0, 0, 1, 0),
	}
	for i, s := range seeds {
		f.Add(s, uint16(i*7))
	}
	f.Fuzz(func(t *testing.T, data []byte, split uint16) {
		synctest.Test(t, func(t *testing.T) {
			fuzzConnReader(t, data, int(split)%(len(data)+1))
		})
	})
}

func fuzzConnReader(t *testing.T, data []byte, split int) {
	n := newPipeNet(t)
	handler := func(_ context.Context, _ *rpc.Conn, req *remoting.Command) *remoting.Command {
		return &remoting.Command{Code: remoting.Success, Remark: "ok", Body: req.Body}
	}
	c, p := n.connect(t, rpc.Options{Handler: handler, MaxFrameSize: 1 << 20})
	go func() { _, _ = io.Copy(io.Discard, p.nc) }() // the client's requests and answers

	type result struct {
		resp *remoting.Command
		err  error
	}
	results := make(chan result, 3)
	for range 3 {
		go func() {
			resp, err := c.Call(t.Context(), &remoting.Command{Code: remoting.GetMaxOffset})
			results <- result{resp, err}
		}()
	}
	synctest.Wait() // all three requests are written: opaques 1, 2, 3

	_, _ = p.nc.Write(data[:split])
	_, _ = p.nc.Write(data[split:])
	_ = p.nc.Close()

	seen := make(map[int32]bool)
	for range 3 {
		r := <-results
		switch {
		case r.err != nil:
			if r.resp != nil || !errors.Is(r.err, rpc.ErrConnBroken) {
				t.Errorf("call ended with %v, %v; want no response and ErrConnBroken", r.resp, r.err)
			}
		case !r.resp.IsResponse() || r.resp.Opaque < 1 || r.resp.Opaque > 3 || seen[r.resp.Opaque]:
			t.Errorf("call got %v: not a response to one of the pending opaques, or a second one", r.resp)
		default:
			seen[r.resp.Opaque] = true
		}
	}
	<-c.Done()
	if !errors.Is(c.Err(), rpc.ErrConnBroken) {
		t.Errorf("Err() = %v after the server closed, want ErrConnBroken", c.Err())
	}
}
