package client

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rocketkit/rocketkit/internal/memnet"
	"github.com/rocketkit/rocketkit/protocol/remoting"
)

// topicQueues keeps the queues of topic.
func topicQueues(qs []MessageQueue, topic string) []MessageQueue {
	return slices.DeleteFunc(slices.Clone(qs), func(q MessageQueue) bool { return q.Topic != topic })
}

func disjoint(a, b []MessageQueue) bool {
	for _, q := range a {
		if slices.Contains(b, q) {
			return false
		}
	}
	return true
}

// Two members split a topic's queues as allocateAveragely says, without
// overlap; every message is consumed once, by the member owning its queue;
// when one member leaves, the other takes every queue.
func TestConsumerGroupSplitsQueues(t *testing.T) {
	b := startBroker(t)
	ca, cb := newTestClient(t, b, "a"), newTestClient(t, b, "b")
	createTopic(t, ca, b, "split", 8)
	ina, inb := newInbox(), newInbox()
	cfg := ConsumerConfig{Group: "split", ConsumeFrom: ConsumeFromFirstOffset, Subscriptions: []Subscription{{Topic: "split"}}}
	a := startConsumer(t, ca, cfg, ina.handler(nil))
	if got := topicQueues(a.Queues(), "split"); len(got) != 8 {
		t.Fatalf("alone, the first member owns %s", queueIDs(got))
	}
	bm := startConsumer(t, cb, cfg, inb.handler(nil))

	var qa, qb []MessageQueue
	waitUntil(t, "the queues to split 4/4", func() bool {
		qa, qb = topicQueues(a.Queues(), "split"), topicQueues(bm.Queues(), "split")
		return len(qa) == 4 && len(qb) == 4 && disjoint(qa, qb)
	})
	var ids []string
	for _, m := range b.GroupMembers("split") {
		ids = append(ids, m.ClientID)
	}
	if !slices.Equal(ids, slices.Sorted(slices.Values([]string{a.MemberID(), bm.MemberID()}))) {
		t.Fatalf("broker members %v, want %s and %s", ids, a.MemberID(), bm.MemberID())
	}
	all := testQueues(8)
	for i := range all {
		all[i].Topic, all[i].BrokerName = "split", b.Config().BrokerName
	}
	if want := allocateAveragely(all, ids, a.MemberID()); !slices.Equal(qa, want) {
		t.Fatalf("member a owns %s, allocation says %s", queueIDs(qa), queueIDs(want))
	}

	sent := send(t, ca, b, "split", spread(80, 8, "")...)
	waitUntil(t, "80 messages", func() bool { return ina.len()+inb.len() >= 80 })
	for _, in := range []struct {
		msgs  []*MessageExt
		owned []MessageQueue
	}{{ina.all(), qa}, {inb.all(), qb}} {
		for _, m := range in.msgs {
			if !slices.Contains(in.owned, m.Queue) {
				t.Fatalf("message of %v consumed by a member owning %s", m.Queue, queueIDs(in.owned))
			}
		}
	}
	counts := countIDs(append(ina.all(), inb.all()...))
	for _, id := range sent {
		if counts[id] != 1 {
			t.Fatalf("message %s consumed %d times", id, counts[id])
		}
	}

	closeConsumer(t, bm)
	waitUntil(t, "the remaining member to take all queues", func() bool {
		return len(topicQueues(a.Queues(), "split")) == 8
	})
	before := ina.len()
	send(t, ca, b, "split", spread(16, 8, "")...)
	ina.wait(t, before+16)
}

// Two consumers of one group in one Client are two members.
func TestConsumerTwoMembersInOneClient(t *testing.T) {
	b := startBroker(t)
	c := newTestClient(t, b, "one")
	createTopic(t, c, b, "shared", 4)
	cfg := ConsumerConfig{Group: "pair", Subscriptions: []Subscription{{Topic: "shared"}}}
	x := startConsumer(t, c, cfg, newInbox().handler(nil))
	y := startConsumer(t, c, cfg, newInbox().handler(nil))
	if x.MemberID() == y.MemberID() || !strings.HasPrefix(y.MemberID(), c.ID()) {
		t.Fatalf("member ids %q and %q", x.MemberID(), y.MemberID())
	}
	waitUntil(t, "the queues to split", func() bool {
		qx, qy := topicQueues(x.Queues(), "shared"), topicQueues(y.Queues(), "shared")
		return len(qx) == 2 && len(qy) == 2 && disjoint(qx, qy)
	})
	if n := len(b.GroupMembers("pair")); n != 2 {
		t.Fatalf("%d members at the broker", n)
	}
}

// An error answer to GET_CONSUMER_LIST_BY_GROUP keeps the queues (the
// official client would drop them all) and is retried soon.
func TestConsumerMemberListErrorKeepsQueues(t *testing.T) {
	b := startBroker(t)
	var faults faultNet
	c := newTestClient(t, b, "c1", WithDialFunc(faults.Dial))
	createTopic(t, c, b, "keep", 4)
	in := newInbox()
	con := startConsumer(t, c, ConsumerConfig{Group: "keep", RebalanceInterval: time.Hour,
		Subscriptions: []Subscription{{Topic: "keep"}}}, in.handler(nil))
	owned := con.Queues()

	faults.failWith(remoting.GetConsumerListByGroup, remoting.SystemError)
	before := faults.count(remoting.GetConsumerListByGroup)
	con.rebalanceSoon()
	waitUntil(t, "the rebalance to be retried", func() bool {
		return faults.count(remoting.GetConsumerListByGroup) >= before+3
	})
	if got := con.Queues(); !slices.Equal(got, owned) {
		t.Fatalf("queues %s after a failed member list, want %s kept", queueIDs(got), queueIDs(owned))
	}
	send(t, c, b, "keep", testMsg{queue: 2, body: "still consumed"})
	in.wait(t, 1)
	faults.fail(remoting.GetConsumerListByGroup, nil)
}

// A queue whose offset cannot be queried is retried soon, not at the next
// RebalanceInterval.
func TestConsumerOffsetQueryRetriedSoon(t *testing.T) {
	b := startBroker(t)
	var faults faultNet
	c := newTestClient(t, b, "c1", WithDialFunc(faults.Dial))
	createTopic(t, c, b, "later", 2)
	faults.failWith(remoting.QueryConsumerOffset, remoting.SystemError)
	in := newInbox()
	con := startConsumer(t, c, ConsumerConfig{Group: "later", ConsumeFrom: ConsumeFromFirstOffset, RebalanceInterval: time.Hour,
		Subscriptions: []Subscription{{Topic: "later"}}}, in.handler(nil))
	if got := con.Queues(); len(got) != 0 {
		t.Fatalf("queues %s started without an offset", queueIDs(got))
	}
	send(t, c, b, "later", spread(2, 2, "")...)
	faults.fail(remoting.QueryConsumerOffset, nil)
	in.wait(t, 2)
	waitUntil(t, "the retry queue too", func() bool { return len(con.Queues()) == 3 })
}

// Broadcasting: every member consumes every message, keeps its offsets in
// its OffsetDir, resumes from them, and drops a message failing more than
// MaxReconsumeTimes times after redelivering it locally.
func TestConsumerBroadcasting(t *testing.T) {
	b := startBroker(t)
	ca, cb := newTestClient(t, b, "a"), newTestClient(t, b, "b")
	createTopic(t, ca, b, "news", 2)
	send(t, ca, b, "news", spread(10, 2, "")...)
	dirA, dirB := t.TempDir(), t.TempDir()
	cfg := func(dir string) ConsumerConfig {
		return ConsumerConfig{Group: "readers", Broadcasting: true, OffsetDir: dir, ConsumeFrom: ConsumeFromFirstOffset,
			MaxReconsumeTimes: 2, SuspendInterval: 10 * time.Millisecond, Subscriptions: []Subscription{{Topic: "news"}}}
	}
	failBad := func(m *MessageExt) ConsumeResult {
		if m.Tag == "bad" {
			return ConsumeRetry
		}
		return ConsumeSuccess
	}
	ina, inb := newInbox(), newInbox()
	a := startConsumer(t, ca, cfg(dirA), ina.handler(failBad))
	bm := startConsumer(t, cb, cfg(dirB), inb.handler(failBad))
	if got := a.Queues(); len(got) != 2 || len(bm.Queues()) != 2 {
		t.Fatalf("broadcasting members own %s and %s, want both queues each", queueIDs(got), queueIDs(bm.Queues()))
	}
	ina.wait(t, 10)
	inb.wait(t, 10)
	send(t, ca, b, "news", testMsg{queue: 0, tag: "bad", body: "bad"}, testMsg{queue: 0, body: "after"})
	for _, in := range []*inbox{ina, inb} {
		msgs := in.wait(t, 14) // 10, bad x3, after
		var q0 []string
		for _, m := range msgs[10:] {
			q0 = append(q0, string(m.Body)+":"+string(rune('0'+m.ReconsumeTimes)))
		}
		if !slices.Contains(q0, "bad:2") || !slices.Contains(q0, "after:0") || len(msgs) != 14 {
			t.Fatalf("deliveries %q", q0)
		}
	}
	closeConsumer(t, a)
	raw, err := os.ReadFile(filepath.Join(dirA, "readers", "offsets.json"))
	if err != nil {
		t.Fatal(err)
	}
	var file offsetFile
	if err := json.Unmarshal(raw, &file); err != nil {
		t.Fatal(err)
	}
	got := map[int]int64{}
	for _, e := range file.Offsets {
		got[e.QueueID] = e.Offset
	}
	if got[0] != 7 || got[1] != 5 || len(got) != 2 {
		t.Fatalf("offset file %s", raw)
	}
	for q, off := range committedOffsets(b, "readers", "news") {
		if off != 0 {
			t.Fatalf("broadcasting committed queue %d at the broker: %d", q, off)
		}
	}

	// A restarted member resumes from its file.
	send(t, ca, b, "news", testMsg{queue: 1, body: "new"})
	in2 := newInbox()
	startConsumer(t, ca, cfg(dirA), in2.handler(nil))
	if msgs := in2.wait(t, 1); string(msgs[0].Body) != "new" {
		t.Fatalf("restarted member got %q first", msgs[0].Body)
	}
}

// The periodic rebalance finds a member change that no broker announced,
// and periodic commits persist progress without Close; in virtual time.
func TestConsumerPeriodicRebalanceAndCommit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var network memnet.Network
		b := startVirtualBroker(t, &network)
		faults := faultNet{dial: network.Dial}
		faults.drop(remoting.NotifyConsumerIDsChanged, true)
		ca, cb := newTestClient(t, b, "a", WithDialFunc(faults.Dial)), newTestClient(t, b, "b", WithDialFunc(faults.Dial))
		createTopic(t, ca, b, "slowly", 4)
		cfg := ConsumerConfig{Group: "periodic", ConsumeFrom: ConsumeFromFirstOffset, Subscriptions: []Subscription{{Topic: "slowly"}}}
		in := newInbox()
		a := startConsumer(t, ca, cfg, in.handler(nil))
		bm := startConsumer(t, cb, cfg, newInbox().handler(nil))
		synctest.Wait()
		if got := topicQueues(a.Queues(), "slowly"); len(got) != 4 {
			t.Fatalf("without notification the first member still owns %s", queueIDs(got))
		}
		time.Sleep(defaultRebalanceInterval)
		synctest.Wait()
		if qa, qb := topicQueues(a.Queues(), "slowly"), topicQueues(bm.Queues(), "slowly"); len(qa) != 2 || len(qb) != 2 || !disjoint(qa, qb) {
			t.Fatalf("after RebalanceInterval: %s / %s", queueIDs(qa), queueIDs(qb))
		}

		owned := topicQueues(a.Queues(), "slowly")
		send(t, ca, b, "slowly", testMsg{queue: owned[0].QueueID, body: "x"})
		synctest.Wait()
		if in.len() != 1 {
			t.Fatalf("%d messages consumed", in.len())
		}
		time.Sleep(defaultOffsetCommitInterval)
		synctest.Wait()
		if off := committedOffsets(b, "periodic", "slowly"); off[owned[0].QueueID] != 1 {
			t.Fatalf("committed %v without Close, want queue %d at 1", off, owned[0].QueueID)
		}
	})
}
