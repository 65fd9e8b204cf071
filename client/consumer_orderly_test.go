package client

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rocketkit/rocketkit/broker"
	"github.com/rocketkit/rocketkit/internal/memnet"
	"github.com/rocketkit/rocketkit/protocol/message"
	"github.com/rocketkit/rocketkit/protocol/payload"
	"github.com/rocketkit/rocketkit/protocol/remoting"
)

// orderLog records orderly deliveries of all members in one sequence.
type orderLog struct {
	mu      sync.Mutex
	entries []orderEntry
	first   time.Time
}

type orderEntry struct {
	member string
	queue  int
	seq    int
}

func (l *orderLog) handler(member string) Handler {
	return func(_ context.Context, msgs []*MessageExt) ConsumeResult {
		l.mu.Lock()
		defer l.mu.Unlock()
		if l.first.IsZero() {
			l.first = time.Now()
		}
		for _, m := range msgs {
			seq, _ := strconv.Atoi(string(m.Body))
			l.entries = append(l.entries, orderEntry{member, m.Queue.QueueID, seq})
		}
		return ConsumeSuccess
	}
}

func (l *orderLog) len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.entries)
}

// check verifies that every queue's messages 0..n-1 were delivered once each
// and in order, and returns who delivered each queue's messages from seq
// from on.
func (l *orderLog) check(t *testing.T, queues, n, from int) map[int]map[string]bool {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	next := make([]int, queues)
	by := map[int]map[string]bool{}
	for _, e := range l.entries {
		if e.seq != next[e.queue] {
			t.Fatalf("queue %d: got message %d from %s, want %d (log %v)", e.queue, e.seq, e.member, next[e.queue], l.entries)
		}
		next[e.queue]++
		if e.seq >= from {
			if by[e.queue] == nil {
				by[e.queue] = map[string]bool{}
			}
			by[e.queue][e.member] = true
		}
	}
	for q, got := range next {
		if got != n {
			t.Fatalf("queue %d: %d messages delivered, want %d", q, got, n)
		}
	}
	return by
}

// sendSeq sends messages seq from..to-1 to each of queues queues.
func sendSeq(t *testing.T, c *Client, b *broker.Broker, topic string, queues, from, to int) {
	t.Helper()
	var msgs []testMsg
	for seq := from; seq < to; seq++ {
		for q := range queues {
			msgs = append(msgs, testMsg{queue: q, body: strconv.Itoa(seq)})
		}
	}
	send(t, c, b, topic, msgs...)
}

// Orderly consumption keeps each queue's order across members: a member
// joining gets its share as soon as the owner let it go (UNLOCK after its
// handler finished, long before the broker's lock expiry), and a member
// leaving hands its queues over the same way; no message is consumed twice.
func TestConsumerOrderlyMembersKeepOrder(t *testing.T) {
	b := startBroker(t, func(c *broker.Config) { c.RebalanceLockMaxLiveTime = 10 * time.Minute })
	var faults faultNet // counts b's requests
	ca, cb := newTestClient(t, b, "a"), newTestClient(t, b, "b", WithDialFunc(faults.Dial))
	createTopic(t, ca, b, "ledger", 4)
	sendSeq(t, ca, b, "ledger", 4, 0, 10)
	var log orderLog
	cfg := ConsumerConfig{Group: "ledger", Orderly: true, ConsumeFrom: ConsumeFromFirstOffset,
		Subscriptions: []Subscription{{Topic: "ledger"}}}
	started := time.Now()
	a := startConsumer(t, ca, cfg, log.handler("a"))
	waitUntil(t, "40 messages", func() bool { return log.len() >= 40 })
	log.mu.Lock()
	t.Logf("first orderly delivery %v after Start", log.first.Sub(started))
	log.mu.Unlock()
	log.check(t, 4, 10, 0)

	bm := startConsumer(t, cb, cfg, log.handler("b"))
	var qa, qb []MessageQueue
	waitUntil(t, "the queues to split 2/2", func() bool {
		qa, qb = topicQueues(a.Queues(), "ledger"), topicQueues(bm.Queues(), "ledger")
		return len(qa) == 2 && len(qb) == 2 && disjoint(qa, qb)
	})
	sendSeq(t, ca, b, "ledger", 4, 10, 20)
	waitUntil(t, "80 messages", func() bool { return log.len() >= 80 })
	by := log.check(t, 4, 20, 10)
	for _, q := range qa {
		if len(by[q.QueueID]) != 1 || !by[q.QueueID]["a"] {
			t.Fatalf("queue %d owned by a was consumed by %v", q.QueueID, by[q.QueueID])
		}
	}

	closeConsumer(t, bm)
	if n := faults.count(remoting.UnlockBatchMQ); n < 1 {
		t.Fatal("Close did not unlock its queues")
	}
	waitUntil(t, "a to take every queue", func() bool { return len(topicQueues(a.Queues(), "ledger")) == 4 })
	sendSeq(t, ca, b, "ledger", 4, 20, 30)
	waitUntil(t, "120 messages", func() bool { return log.len() >= 120 })
	log.check(t, 4, 30, 0)
}

// A failed orderly message holds up its queue and is redelivered locally
// with ReconsumeTimes+1; after MaxReconsumeTimes it is dead-lettered and
// the queue moves on; ConsumeDeadLetter dead-letters at once.
func TestConsumerOrderlyRetryAndDeadLetter(t *testing.T) {
	b := startBroker(t)
	c := newTestClient(t, b, "c1")
	createTopic(t, c, b, "steps", 1)
	var msgs []testMsg
	for _, body := range []string{"a", "bad", "b", "once", "c", "dead", "d"} {
		msgs = append(msgs, testMsg{body: body})
	}
	send(t, c, b, "steps", msgs...)
	in := newInbox()
	con := startConsumer(t, c, ConsumerConfig{Group: "steps", Orderly: true, ConsumeFrom: ConsumeFromFirstOffset,
		MaxReconsumeTimes: 2, SuspendInterval: 20 * time.Millisecond, Subscriptions: []Subscription{{Topic: "steps"}}},
		in.handler(func(m *MessageExt) ConsumeResult {
			switch {
			case string(m.Body) == "bad", string(m.Body) == "once" && m.ReconsumeTimes == 0:
				return ConsumeRetry
			case string(m.Body) == "dead":
				return ConsumeDeadLetter
			}
			return ConsumeSuccess
		}))
	got := in.wait(t, 10)
	var seq []string
	for _, m := range got {
		seq = append(seq, fmt.Sprintf("%s:%d", m.Body, m.ReconsumeTimes))
	}
	want := []string{"a:0", "bad:0", "bad:1", "bad:2", "b:0", "once:0", "once:1", "c:0", "dead:0", "d:0"}
	if fmt.Sprint(seq) != fmt.Sprint(want) {
		t.Fatalf("deliveries %v\nwant       %v", seq, want)
	}
	waitUntil(t, "two messages in the DLQ", func() bool { return maxOffset(t, c, b, message.DLQTopic("steps"), 0) == 2 })
	closeConsumer(t, con)
	if off := committedOffsets(b, "steps", "steps"); off[0] != 7 {
		t.Fatalf("committed %v, want 7", off)
	}
}

// A queue whose lock renewal the broker refuses is dropped at once, neither
// committed nor unlocked (another member may own it now), and taken back
// once the broker grants the lock again.
func TestConsumerOrderlyLockLost(t *testing.T) {
	b := startBroker(t)
	var faults faultNet
	c := newTestClient(t, b, "c1", WithDialFunc(faults.Dial))
	createTopic(t, c, b, "locked", 4)
	in := newInbox()
	con := startConsumer(t, c, ConsumerConfig{Group: "locked", Orderly: true, LockRenewInterval: 50 * time.Millisecond,
		Subscriptions: []Subscription{{Topic: "locked"}}}, in.handler(nil))
	if got := con.Queues(); len(got) != 5 {
		t.Fatalf("queues %s", queueIDs(got))
	}
	faults.fail(remoting.LockBatchMQ, func(req *remoting.Command) *remoting.Command {
		resp := remoting.NewResponse(req, remoting.Success, "")
		resp.Body = []byte(`{"lockOKMQSet":[]}`)
		return resp
	})
	waitUntil(t, "every queue dropped", func() bool { return len(con.Queues()) == 0 })
	if n := faults.count(remoting.UnlockBatchMQ); n != 0 {
		t.Fatalf("%d unlocks of queues whose lock was lost", n)
	}
	queries := faults.count(remoting.QueryConsumerOffset)
	faults.fail(remoting.LockBatchMQ, nil)
	waitUntil(t, "the queues taken back", func() bool { return len(con.Queues()) == 5 })
	if n := faults.count(remoting.QueryConsumerOffset) - queries; n != 5 {
		t.Fatalf("%d offset queries for 5 queues taken back, want each queried again", n)
	}
	send(t, c, b, "locked", testMsg{queue: 3, body: "x"})
	in.wait(t, 1)
}

// Orderly broadcasting locks nothing and keeps each queue's order.
func TestConsumerOrderlyBroadcasting(t *testing.T) {
	b := startBroker(t)
	var faults faultNet
	c := newTestClient(t, b, "c1", WithDialFunc(faults.Dial))
	createTopic(t, c, b, "feed", 2)
	sendSeq(t, c, b, "feed", 2, 0, 20)
	var log orderLog
	con := startConsumer(t, c, ConsumerConfig{Group: "feed", Orderly: true, Broadcasting: true, OffsetDir: t.TempDir(),
		ConsumeFrom: ConsumeFromFirstOffset, Subscriptions: []Subscription{{Topic: "feed"}}}, log.handler("x"))
	waitUntil(t, "40 messages", func() bool { return log.len() >= 40 })
	log.check(t, 2, 20, 0)
	closeConsumer(t, con)
	if n := faults.count(remoting.LockBatchMQ) + faults.count(remoting.UnlockBatchMQ); n != 0 {
		t.Fatalf("%d lock requests", n)
	}
}

// Renewals keep the locks past the broker's lock expiry: another member is
// refused them; in virtual time.
func TestConsumerOrderlyLocksRenewed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var network memnet.Network
		b := startVirtualBroker(t, &network, func(c *broker.Config) { c.RebalanceLockMaxLiveTime = 5 * time.Second })
		c := newTestClient(t, b, "a", WithDialFunc(network.Dial))
		createTopic(t, c, b, "held", 2)
		con, err := c.NewConsumer(ConsumerConfig{Group: "held", Orderly: true, LockRenewInterval: 2 * time.Second,
			Subscriptions: []Subscription{{Topic: "held"}}}, newInbox().handler(nil))
		if err != nil {
			t.Fatal(err)
		}
		if err := con.Start(t.Context()); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Minute)
		synctest.Wait()
		body := payload.LockBatch{Group: "held", ClientID: "intruder",
			Queues: []payload.MessageQueue{{Topic: "held", BrokerName: b.Config().BrokerName, QueueID: 1}}}
		resp, err := c.callOK(t.Context(), b.Addr(), remoting.NewClientRequest(remoting.LockBatchMQ, nil, body.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		if locked, _ := payload.ParseLocked(resp.Body); len(locked) != 0 {
			t.Fatalf("another member got %v: the locks were not renewed", locked)
		}
		if got := con.Queues(); len(got) != 3 {
			t.Fatalf("queues %s", queueIDs(got))
		}
		if err := con.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
	})
}

// An orderly consumer delivers a queue's first message without waiting (the
// official client sleeps 3 s before its first pull); in virtual time, where
// any sleep would show.
func TestConsumerOrderlyFirstDeliveryWithoutDelay(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var network memnet.Network
		b := startVirtualBroker(t, &network)
		c := newTestClient(t, b, "c1", WithDialFunc(network.Dial))
		createTopic(t, c, b, "prompt", 2)
		sendSeq(t, c, b, "prompt", 2, 0, 1)
		var log orderLog
		started := time.Now()
		startConsumer(t, c, ConsumerConfig{Group: "prompt", Orderly: true, ConsumeFrom: ConsumeFromFirstOffset,
			Subscriptions: []Subscription{{Topic: "prompt"}}}, log.handler("x"))
		synctest.Wait()
		log.mu.Lock()
		defer log.mu.Unlock()
		if len(log.entries) != 2 || log.first.Sub(started) != 0 {
			t.Fatalf("%d messages, the first %v after Start", len(log.entries), log.first.Sub(started))
		}
	})
}
