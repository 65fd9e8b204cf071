package client

import (
	"testing"
	"time"
)

// A broker that just failed is avoided while another can take the
// message, for the backoff (doubling per failure, at most 8x), and
// forgiven on success.
func TestFaultTrackerAvoidsAFailedBroker(t *testing.T) {
	now := time.Unix(1000, 0)
	ft := newFaultTracker(10 * time.Second)
	if !ft.available("a", now) {
		t.Fatal("a broker with no failure is avoided")
	}
	ft.failed("a", now)
	if ft.available("a", now.Add(9*time.Second)) || !ft.available("a", now.Add(11*time.Second)) {
		t.Fatal("one failure: not avoided for 10s")
	}
	// The sends in flight when it failed fail too: the same failure.
	for range 5 {
		ft.failed("a", now.Add(time.Second))
	}
	if !ft.available("a", now.Add(11*time.Second)) {
		t.Fatal("failures while avoided made the avoidance longer")
	}
	now = now.Add(11 * time.Second)
	ft.failed("a", now)
	if ft.available("a", now.Add(19*time.Second)) || !ft.available("a", now.Add(21*time.Second)) {
		t.Fatal("a failure after the avoidance: not avoided for 20s")
	}
	for range 5 {
		now = now.Add(81 * time.Second)
		ft.failed("a", now)
	}
	if ft.available("a", now.Add(79*time.Second)) || !ft.available("a", now.Add(81*time.Second)) {
		t.Fatal("many failures: not capped at 80s")
	}
	ft.succeeded("a")
	if !ft.available("a", now) {
		t.Fatal("a success does not forgive")
	}
	off := newFaultTracker(-1)
	off.failed("a", now)
	if !off.available("a", now) {
		t.Fatal("a negative backoff still avoids")
	}
}

// Round robin skips the broker being avoided, and the broker a retry
// avoids, while the other broker has queues; with every broker avoided it
// still picks one.
func TestRoundRobinSkipsFailedBrokers(t *testing.T) {
	c := &Client{faults: newFaultTracker(time.Minute)}
	p := &Producer{c: c}
	queues := []MessageQueue{{BrokerName: "a", QueueID: 0}, {BrokerName: "a", QueueID: 1},
		{BrokerName: "b", QueueID: 0}, {BrokerName: "b", QueueID: 1}}
	seen := map[string]int{}
	for range 8 {
		seen[p.roundRobin(queues, "").BrokerName]++
	}
	if seen["a"] != 4 || seen["b"] != 4 {
		t.Fatalf("round robin without faults: %v", seen)
	}
	c.faults.failed("a", time.Now())
	for range 8 {
		if q := p.roundRobin(queues, ""); q.BrokerName != "b" {
			t.Fatalf("picked %v of the failed broker a", q)
		}
	}
	// a failed and b avoided by the retry: every queue is out, one is used
	// anyway rather than failing the send.
	if q := p.roundRobin(queues, "b"); q.BrokerName == "" {
		t.Fatal("no queue when every broker is avoided")
	}
	c.faults.succeeded("a")
	for range 8 {
		if q := p.roundRobin(queues, "b"); q.BrokerName != "a" {
			t.Fatalf("a retry avoiding b picked %v", q)
		}
	}
}
