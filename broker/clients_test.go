package broker

import (
	"bufio"
	"context"
	"encoding/json"
	"net"
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/protocol/remoting"
)

// Members are told to rebalance (NOTIFY_CONSUMER_IDS_CHANGED) when another
// member joins, when one disconnects, and when one stops heartbeating.
func TestNotifyConsumerIDsChanged(t *testing.T) {
	b, err := Start(context.Background(), Config{Listen: "127.0.0.1:0", DataDir: t.TempDir(),
		ChannelExpiredTimeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	type client struct {
		nc net.Conn
		r  *bufio.Reader
	}
	dial := func() client {
		nc, err := net.Dial("tcp", b.Addr())
		if err != nil {
			t.Fatal(err)
		}
		return client{nc, bufio.NewReader(nc)}
	}
	heartbeat := func(c client, id string) {
		hb, _ := json.Marshal(map[string]any{"clientID": id, "consumerDataSet": []any{map[string]any{
			"groupName": "g", "consumeType": "CONSUME_PASSIVELY", "messageModel": "CLUSTERING"}}})
		req := remoting.NewRequest(remoting.HeartBeat, nil, hb)
		req.Opaque = 7
		if _, err := c.nc.Write(remoting.AppendFrame(nil, req)); err != nil {
			t.Fatal(err)
		}
	}
	// awaitNotify reads until a NOTIFY for group g arrives.
	awaitNotify := func(c client, why string) {
		t.Helper()
		_ = c.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
		for {
			cmd, err := remoting.ReadCommand(c.r, 0)
			if err != nil {
				t.Fatalf("%s: no NOTIFY_CONSUMER_IDS_CHANGED: %v", why, err)
			}
			if cmd.Code == remoting.NotifyConsumerIDsChanged && !cmd.IsResponse() {
				if g := cmd.ExtFields.Get("consumerGroup"); g != "g" || !cmd.IsOneway() {
					t.Fatalf("%s: notify for %q oneway=%v", why, g, cmd.IsOneway())
				}
				return
			}
		}
	}
	// awaitResponse reads until the heartbeat's answer.
	awaitResponse := func(c client) {
		t.Helper()
		_ = c.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
		for {
			cmd, err := remoting.ReadCommand(c.r, 0)
			if err != nil {
				t.Fatal(err)
			}
			if cmd.IsResponse() {
				return
			}
		}
	}
	a, bb, c := dial(), dial(), dial()
	defer a.nc.Close()
	heartbeat(a, "a")
	awaitResponse(a)
	heartbeat(bb, "b")
	awaitResponse(bb)
	awaitNotify(a, "b joined")
	heartbeat(c, "c")
	awaitResponse(c)
	awaitNotify(a, "c joined")
	_ = bb.nc.Close()
	awaitNotify(a, "b disconnected")

	// c goes silent (its connection stays open); a keeps heartbeating.
	hb, _ := json.Marshal(map[string]any{"clientID": "a", "consumerDataSet": []any{map[string]any{
		"groupName": "g", "consumeType": "CONSUME_PASSIVELY", "messageModel": "CLUSTERING"}}})
	frame := remoting.AppendFrame(nil, remoting.NewRequest(remoting.HeartBeat, nil, hb))
	stop, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		for {
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
				if _, err := a.nc.Write(frame); err != nil {
					return
				}
			}
		}
	}()
	awaitNotify(a, "c expired")
	close(stop)
	<-stopped
	if ids := b.clients.memberIDs("g"); len(ids) != 1 || ids[0] != "a" {
		t.Errorf("members after expiry %v, want [a]", ids)
	}
	_ = c.nc.Close()
}
