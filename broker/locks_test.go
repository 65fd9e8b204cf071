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

func TestLockTable(t *testing.T) {
	mq := func(q int32) MessageQueue { return MessageQueue{Topic: "T", BrokerName: "b", QueueID: q} }
	now := time.Unix(1000, 0)
	lt := newLockTable(time.Minute)

	if got, freeAt := lt.tryLock("g", "a", []MessageQueue{mq(0), mq(1)}, now); len(got) != 2 || !freeAt.IsZero() {
		t.Fatalf("a locked %v (refused until %v), want both queues", got, freeAt)
	}
	if got, freeAt := lt.tryLock("g", "b", []MessageQueue{mq(1), mq(2)}, now.Add(time.Second)); len(got) != 1 || got[0] != mq(2) || !freeAt.Equal(now.Add(time.Minute)) {
		t.Errorf("b locked %v and was told queue 1 frees at %v; want only queue 2, and a's lock expiring at +60s", got, freeAt)
	}
	if got, _ := lt.tryLock("other", "b", []MessageQueue{mq(0)}, now); len(got) != 1 {
		t.Errorf("locks are per group: b could not lock queue 0 in another group")
	}
	if got, _ := lt.tryLock("g", "a", []MessageQueue{mq(0)}, now.Add(50*time.Second)); len(got) != 1 {
		t.Errorf("a could not renew its own lock")
	}
	// a renewed queue 0 at +50s, but queue 1 expires at +60s.
	if got, _ := lt.tryLock("g", "b", []MessageQueue{mq(0), mq(1)}, now.Add(61*time.Second)); len(got) != 1 || got[0] != mq(1) {
		t.Errorf("after expiry b locked %v, want queue 1 only", got)
	}
	if !lt.groupHoldsLock("g", now.Add(61*time.Second)) || lt.groupHoldsLock("g", now.Add(10*time.Minute)) {
		t.Errorf("groupHoldsLock does not follow expiry")
	}
	lt.unlock("g", "b", []MessageQueue{mq(0)}) // not b's: no effect
	if got, _ := lt.tryLock("g", "c", []MessageQueue{mq(0)}, now.Add(62*time.Second)); len(got) != 0 {
		t.Errorf("c took queue 0 that b wrongly unlocked")
	}
	lt.releaseClient("g", "a")
	if got, _ := lt.tryLock("g", "c", []MessageQueue{mq(0)}, now.Add(62*time.Second)); len(got) != 1 {
		t.Errorf("queue 0 not free after a was released")
	}
}

// lockClient is a raw connection that joins group "g" and locks queue 0
// of topic T, as a consumer's rebalance does.
type lockClient struct {
	t  *testing.T
	nc net.Conn
	r  *bufio.Reader
}

// startLockBroker starts a broker whose orderly locks expire after ttl.
func startLockBroker(t *testing.T, ttl time.Duration) *Broker {
	t.Helper()
	b, err := Start(context.Background(), Config{Listen: "127.0.0.1:0", DataDir: t.TempDir(), RebalanceLockMaxLiveTime: ttl})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}

func dialLockClient(t *testing.T, b *Broker) *lockClient {
	t.Helper()
	nc, err := net.Dial("tcp", b.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = nc.Close() })
	_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
	return &lockClient{t: t, nc: nc, r: bufio.NewReader(nc)}
}

// A member whose connection drops frees its queue locks at once, so another
// member can lock them without waiting for the expiry.
func TestLocksReleasedWhenOwnerDisconnects(t *testing.T) {
	b := startLockBroker(t, time.Hour)
	c1, c2 := dialLockClient(t, b), dialLockClient(t, b)
	if n := c1.lock("client-1"); n != 1 {
		t.Fatalf("client-1 locked %d queues, want 1", n)
	}
	if n := c2.lock("client-2"); n != 0 {
		t.Fatalf("client-2 locked a queue client-1 holds")
	}
	_ = c1.nc.Close()
	deadline := time.Now().Add(5 * time.Second)
	for c2.lock("client-2") != 1 {
		if time.Now().After(deadline) {
			t.Fatal("the queue stayed locked after its owner disconnected")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A client refused a lock is told to rebalance once the lock expired (the
// Go client would otherwise ask again only at its 20 s rebalance), and
// then gets it.
func TestRefusedLockWakesWhenItExpires(t *testing.T) {
	b := startLockBroker(t, 300*time.Millisecond)
	holder, waiter := dialLockClient(t, b), dialLockClient(t, b)
	if n := holder.lock("client-1"); n != 1 {
		t.Fatalf("client-1 locked %d queues, want 1", n)
	}
	if n := waiter.lock("client-2"); n != 0 {
		t.Fatalf("client-2 locked a queue client-1 holds")
	}
	// client-1 neither renews nor unlocks (the Go client after giving the
	// queue up); client-2 does nothing until the broker wakes it.
	cmd, err := remoting.ReadCommand(waiter.r, 0)
	if err != nil {
		t.Fatalf("no NOTIFY_CONSUMER_IDS_CHANGED for the refused lock: %v", err)
	}
	if cmd.IsResponse() || cmd.Code != remoting.NotifyConsumerIDsChanged || cmd.ExtFields.Get("consumerGroup") != "g" {
		t.Fatalf("client-2 received %s %v, want NOTIFY_CONSUMER_IDS_CHANGED for group g", remoting.RequestName(cmd.Code), cmd.ExtFields)
	}
	if n := waiter.lock("client-2"); n != 1 {
		t.Fatalf("woken client-2 locked %d queues, want the expired one", n)
	}
}

// lock sends a heartbeat joining group g as clientID, then LOCK_BATCH_MQ
// for queue 0 of T, and returns how many queues it got.
func (lc *lockClient) lock(clientID string) int {
	t, nc, r := lc.t, lc.nc, lc.r
	t.Helper()
	hb, _ := json.Marshal(map[string]any{"clientID": clientID, "producerDataSet": []any{},
		"consumerDataSet": []any{map[string]any{"groupName": "g", "consumeType": "CONSUME_PASSIVELY",
			"messageModel": "CLUSTERING", "subscriptionDataSet": []any{}}}})
	body, _ := json.Marshal(map[string]any{"consumerGroup": "g", "clientId": clientID,
		"mqSet": []any{map[string]any{"topic": "T", "brokerName": "broker-a", "queueId": 0}}})
	var locked struct {
		MQs []MessageQueue `json:"lockOKMQSet"`
	}
	for i, req := range []*remoting.Command{remoting.NewRequest(remoting.HeartBeat, nil, hb),
		remoting.NewRequest(remoting.LockBatchMQ, nil, body)} {
		req.Opaque = int32(i + 1)
		if _, err := nc.Write(remoting.AppendFrame(nil, req)); err != nil {
			t.Fatal(err)
		}
		resp, err := remoting.ReadCommand(r, 0)
		for err == nil && !resp.IsResponse() { // skip NOTIFY_CONSUMER_IDS_CHANGED
			resp, err = remoting.ReadCommand(r, 0)
		}
		if err != nil || resp.Code != remoting.Success {
			t.Fatalf("%s: %v %v", remoting.RequestName(req.Code), err, resp)
		}
		if req.Code == remoting.LockBatchMQ {
			if err := json.Unmarshal(resp.Body, &locked); err != nil {
				t.Fatal(err)
			}
		}
	}
	return len(locked.MQs)
}
