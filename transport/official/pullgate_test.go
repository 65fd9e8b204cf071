package official

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/hooks"
	"github.com/apache/rocketmq-client-go/v2/primitive"
)

// waiting is how many pull goroutines wait for room in their channel.
func (g *pullGate) waiting() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.waiters
}

// batch is a fetched batch of mq, offsets from..to, as the client gives it
// to the hook (and, with Queue set, to the consume callback).
func batch(mq *primitive.MessageQueue, from, to int64) []*primitive.MessageExt {
	var msgs []*primitive.MessageExt
	for off := from; off <= to; off++ {
		msgs = append(msgs, &primitive.MessageExt{QueueOffset: off, Message: primitive.Message{Queue: mq}})
	}
	return msgs
}

// pass runs the hook on a goroutine of its own; the channel gets what it
// let through (nil: dropped).
func pass(g *pullGate, mq *primitive.MessageQueue, msgs []*primitive.MessageExt) <-chan []*primitive.MessageExt {
	out := make(chan []*primitive.MessageExt, 1)
	go func() {
		got, _ := g.filter(&hooks.FilterMessageContext{Msg: msgs, MQ: mq})
		out <- got
	}()
	return out
}

// passed reports what the hook let through once every goroutine of the
// bubble is blocked; ok is false while the hook still holds the batch.
func passed(out <-chan []*primitive.MessageExt) (msgs []*primitive.MessageExt, ok bool) {
	synctest.Wait()
	select {
	case msgs = <-out:
		return msgs, true
	default:
		return nil, false
	}
}

// fill lets queueChannelCap one-message batches of mq through, offsets
// 0.., and returns them.
func fill(t *testing.T, g *pullGate, mq *primitive.MessageQueue) [][]*primitive.MessageExt {
	t.Helper()
	var out [][]*primitive.MessageExt
	for off := range int64(queueChannelCap) {
		b := batch(mq, off, off)
		if got, ok := passed(pass(g, mq, b)); !ok || len(got) != 1 {
			t.Fatalf("batch %d: passed %v, %v", off, ok, got)
		}
		out = append(out, b)
	}
	return out
}

func TestPullGateKeepsSendsFromBlocking(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newPullGate(1024)
		mq := &primitive.MessageQueue{Topic: "t", BrokerName: "b", QueueId: 0}
		other := &primitive.MessageQueue{Topic: "t", BrokerName: "b", QueueId: 1}
		batches := fill(t, g, mq)

		next := pass(g, mq, batch(mq, 32, 40))
		if _, ok := passed(next); ok {
			t.Fatal("a batch went through with the channel full")
		}
		if _, ok := passed(pass(g, other, batch(other, 0, 0))); !ok {
			t.Fatal("another queue's batch was held")
		}
		// The callback got part of batch 3: batches 0 to 3 left the
		// channel.
		g.received(batches[3])
		if got, ok := passed(next); !ok || len(got) != 9 {
			t.Fatalf("after the callback got batch 3: passed %v, %d messages", ok, len(got))
		}
		for off := int64(41); off < 44; off++ {
			if _, ok := passed(pass(g, mq, batch(mq, off, off))); !ok {
				t.Fatalf("batch at %d held with room in the channel", off)
			}
		}
		if _, ok := passed(pass(g, mq, batch(mq, 44, 44))); ok {
			t.Fatal("a batch went through with the channel full again")
		}
		g.hold()
		g.release()
	})
}

func TestPullGateHoldsBatchesFromCloseToShutdownAndDropsThem(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newPullGate(1024)
		mq := &primitive.MessageQueue{Topic: "t", BrokerName: "b", QueueId: 0}
		other := &primitive.MessageQueue{Topic: "t", BrokerName: "b", QueueId: 1}
		fill(t, g, mq)
		waiting := pass(g, mq, batch(mq, 32, 32))
		g.hold()
		fetched := pass(g, other, batch(other, 0, 5))
		if _, ok := passed(waiting); ok {
			t.Fatal("a waiting batch went through once Close started")
		}
		if _, ok := passed(fetched); ok {
			t.Fatal("a batch fetched after Close started went through")
		}
		g.sync()
		g.release()
		for name, out := range map[string]<-chan []*primitive.MessageExt{"waiting": waiting, "fetched": fetched} {
			if got, ok := passed(out); !ok || got != nil {
				t.Errorf("%s batch after Shutdown: passed %v, %d messages, want dropped", name, ok, len(got))
			}
		}
	})
}

// A pull request whose process queue the client dropped never has its
// batches received: its waiting batch goes through (the dropped process
// queue discards it) when a rebalance gives the queue away, or when the
// queue gets a new pull request.
func TestPullGateLetsDroppedRequestsGo(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newPullGate(1024)
		q0 := &primitive.MessageQueue{Topic: "t", BrokerName: "b", QueueId: 0}
		q1 := &primitive.MessageQueue{Topic: "t", BrokerName: "b", QueueId: 1}
		fill(t, g, q0)
		fill(t, g, q1)
		w0, w1 := pass(g, q0, batch(q0, 32, 32)), pass(g, q1, batch(q1, 32, 32))

		// A rebalance keeps q0 and gives q1 away.
		keepQ0 := func(string, string, []*primitive.MessageQueue, []string) []*primitive.MessageQueue {
			return []*primitive.MessageQueue{{Topic: "t", BrokerName: "b", QueueId: 0}}
		}
		g.allocate(keepQ0)("g", "c", []*primitive.MessageQueue{q0, q1}, []string{"c"})
		if _, ok := passed(w1); !ok {
			t.Error("the batch of a queue given away is still held")
		}
		if _, ok := passed(w0); ok {
			t.Fatal("the batch of a queue kept went through with its channel full")
		}

		// q0 gets a new pull request (the client dropped the old one after
		// two minutes without a pull): the old one's batch goes, and the new
		// one's channel is empty.
		renewed := &primitive.MessageQueue{Topic: "t", BrokerName: "b", QueueId: 0}
		if _, ok := passed(pass(g, renewed, batch(renewed, 1, 1))); !ok {
			t.Fatal("the first batch of a new pull request was held")
		}
		if _, ok := passed(w0); !ok {
			t.Error("the batch of a replaced pull request is still held")
		}
		g.hold()
		g.release()
	})
}

// The gate remembers at most reqsPerQueue pull requests of a queue.
func TestPullGateForgetsOldRequests(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newPullGate(1024)
		for range 5 {
			mq := &primitive.MessageQueue{Topic: "t", BrokerName: "b", QueueId: 0}
			if _, ok := passed(pass(g, mq, batch(mq, 0, 0))); !ok {
				t.Fatal("held")
			}
		}
		if n := len(g.reqs); n != reqsPerQueue {
			t.Errorf("%d pull requests remembered, want %d", n, reqsPerQueue)
		}
		g.allocate(consumer.AllocateByAveragely)("g", "c",
			[]*primitive.MessageQueue{{Topic: "t", BrokerName: "b", QueueId: 0}}, []string{"other"})
		if n := len(g.reqs); n != 0 {
			t.Errorf("%d pull requests remembered after the queue went to another member", n)
		}
	})
}

// The gate is the queue's flow control: it holds a pull goroutine while
// PullThresholdPerQueue messages handed over have not come back from the
// callback, or its batch would end more than maxSpan offsets after the
// first of them.
func TestPullGateBoundsOutstandingMessages(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newPullGate(10)
		mq := &primitive.MessageQueue{Topic: "t", BrokerName: "b", QueueId: 0}
		first := batch(mq, 0, 9)
		if _, ok := passed(pass(g, mq, first)); !ok {
			t.Fatal("the first batch was held")
		}
		next := pass(g, mq, batch(mq, 10, 19))
		if _, ok := passed(next); ok {
			t.Fatal("a batch went through with PullThresholdPerQueue messages outstanding")
		}
		g.received(first)
		if _, ok := passed(next); ok {
			t.Fatal("a batch went through when the callback got the messages, before it returned")
		}
		g.done(first[:1])
		if _, ok := passed(next); !ok {
			t.Fatal("a batch was held with fewer than PullThresholdPerQueue messages outstanding")
		}
		g.hold()
		g.release()
	})
	synctest.Test(t, func(t *testing.T) {
		g := newPullGate(1024)
		mq := &primitive.MessageQueue{Topic: "t", BrokerName: "b", QueueId: 0}
		stuck := batch(mq, 0, 0)
		if _, ok := passed(pass(g, mq, stuck)); !ok {
			t.Fatal("the first batch was held")
		}
		if _, ok := passed(pass(g, mq, batch(mq, 1000, maxSpan))); !ok {
			t.Fatal("a batch within maxSpan was held")
		}
		far := pass(g, mq, batch(mq, maxSpan+1, maxSpan+1))
		if _, ok := passed(far); ok {
			t.Fatal("a batch beyond maxSpan went through")
		}
		g.received(stuck)
		g.done(stuck)
		if _, ok := passed(far); !ok {
			t.Fatal("a batch within maxSpan of the first outstanding message was held")
		}
		// A message the client calls the callback for again (its send-back
		// failed) is outstanding again.
		g.received(stuck)
		if _, ok := passed(pass(g, mq, batch(mq, maxSpan+2, maxSpan+2))); ok {
			t.Fatal("a batch beyond maxSpan of a message called again went through")
		}
		g.hold()
		g.release()
	})
}

// The flow control holds a pull goroutine for flowHoldMax at most (the
// client drops a process queue whose pull goroutine made no pull for two
// minutes); a full channel holds it as long as it takes.
func TestPullGateFlowControlGivesWayAfterFlowHoldMax(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newPullGate(1)
		mq := &primitive.MessageQueue{Topic: "t", BrokerName: "b", QueueId: 0}
		if _, ok := passed(pass(g, mq, batch(mq, 0, 0))); !ok {
			t.Fatal("the first batch was held")
		}
		next := pass(g, mq, batch(mq, 1, 1))
		time.Sleep(flowHoldMax - time.Nanosecond)
		if _, ok := passed(next); ok {
			t.Fatal("the flow control gave way before flowHoldMax")
		}
		time.Sleep(time.Nanosecond)
		if _, ok := passed(next); !ok {
			t.Fatal("the flow control still holds the batch after flowHoldMax")
		}
		g.hold()
		g.release()
	})
	synctest.Test(t, func(t *testing.T) {
		g := newPullGate(1 << 16)
		mq := &primitive.MessageQueue{Topic: "t", BrokerName: "b", QueueId: 0}
		fill(t, g, mq)
		next := pass(g, mq, batch(mq, 32, 32))
		time.Sleep(10 * flowHoldMax)
		if _, ok := passed(next); ok {
			t.Fatal("a batch went through with the channel full")
		}
		g.hold()
		g.release()
	})
}
