package broker

import (
	"bufio"
	"context"
	"net"
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/protocol/remoting"
)

// A handler that panics answers SYSTEM_ERROR; the broker and the
// connection keep serving.
func TestHandlerPanicIsContained(t *testing.T) {
	const code = 1000 // no real request uses it
	register(code, func(*Broker, *conn, *remoting.Command) *remoting.Command { panic("boom") })
	t.Cleanup(func() { delete(handlers, code) })
	b, err := Start(context.Background(), Config{Listen: "127.0.0.1:0", DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	nc, err := net.Dial("tcp", b.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(nc)
	for i, req := range []*remoting.Command{
		remoting.NewRequest(code, nil, nil),
		remoting.NewRequest(remoting.GetRouteInfoByTopic, remoting.Fields{{Key: "topic", Value: "after-panic"}}, nil),
	} {
		req.Opaque = int32(i + 1)
		if _, err := nc.Write(remoting.AppendFrame(nil, req)); err != nil {
			t.Fatal(err)
		}
		resp, err := remoting.ReadCommand(r, 0)
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		want := []int16{remoting.SystemError, remoting.Success}[i]
		if resp.Code != want || resp.Opaque != req.Opaque {
			t.Errorf("request %d: code %d opaque %d, want %d %d (%s)", i, resp.Code, resp.Opaque, want, req.Opaque, resp.Remark)
		}
	}
}
