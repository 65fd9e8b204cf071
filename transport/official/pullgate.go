package official

import (
	"sync"
	"time"

	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/hooks"
	"github.com/apache/rocketmq-client-go/v2/primitive"
)

// queueChannelCap is how many batches the official concurrent consumer's
// channel from a queue's pull goroutine to its consume goroutine holds
// (processQueue.msgCh).
const queueChannelCap = 32

// maxSpan bounds the offsets between a queue's first message handed over
// and not yet consumed and its last one handed over, as package client's
// (and Java's consumeConcurrentlyMaxSpan) does.
const maxSpan = 2000

// clientFlowControlOff is the official client's largest flow-control
// threshold (messages per queue, offset span), which the gate's own flow
// control keeps it from reaching.
const clientFlowControlOff = 65535

// flowHoldMax bounds how long the gate's flow control holds a pull
// goroutine, well below the two minutes after which the client drops a
// process queue that made no pull (and reads its queue again, delivering
// what it held a second time). A queue stuck longer gets one batch more
// per flowHoldMax.
const flowHoldMax = time.Minute

// reqsPerQueue is how many pull requests of one queue the gate keeps
// track of: the newest, and the one it replaced, whose pull goroutine may
// still hand over its last batch.
const reqsPerQueue = 2

// pullGate makes a concurrent push consumer's Shutdown race-free.
//
// The official client's pull goroutine of a queue puts every fetched batch
// into the queue's process queue, which sends it on a channel to the
// queue's consume goroutine (processQueue.putMessage); Shutdown closes that
// channel, with nothing ordering the close after the sends
// (apache/rocketmq-client-go#1051). A send overlapping the close panics
// ("send on closed channel"), and the race detector reports a send and the
// close as a data race however far apart they are. The gate is the
// consumer's filter-message hook, which the client calls in the pull
// goroutine with each fetched batch right before putMessage, and the
// consumer's allocation strategy; it makes every send finish before
// Shutdown and ordered before it:
//
//   - once Close starts (hold), it holds every batch fetched and drops it
//     when the consumer has shut down (release), so nothing is sent while
//     Shutdown runs; a dropped batch never entered the process queue, so
//     its offsets are not committed and the group gets it again;
//   - a send never blocks: a pull request (its process queue) gets a batch
//     only while fewer than queueChannelCap of its batches may still be in
//     the channel, that is, were handed over and neither they nor a later
//     batch reached the consume callback (received); else the gate holds
//     the pull goroutine until they do. A blocked send would still be
//     blocked when Shutdown closes the channel (consume goroutines wait
//     for a handler slot, and Close parks deliveries in the slots). The
//     gate is the queue's flow control as well, as package client's:
//     while PullThresholdPerQueue messages handed over have not come back
//     from the callback (done), or a batch would end more than maxSpan
//     offsets after the first of them, it holds the pull goroutine too,
//     for up to flowHoldMax.
//     The client's own flow control, whose counters every pull goroutine
//     writes without synchronisation (a data race when two queues meet
//     it), is set to clientFlowControlOff and never engages: a queue's
//     process queue holds at most the messages outstanding here, one
//     batch, and those in the topic's Concurrency handler slots after
//     their callback returned;
//   - sync orders the sends before Shutdown: a batch that reached the
//     callback was received from the channel after it was sent; for the
//     others, putMessage reads a property of the batch's last message
//     under that message's lock right after the send, and sync takes that
//     lock. Close calls sync once the consumer has settled (settle.go),
//     long after those reads.
//
// A pull request is known by its queue pointer, which the client passes to
// the hook and sets as each fetched message's Queue. The client drops a
// process queue when a rebalance gives its queue to another member (then
// allocate forgets the queue's requests) or when it made no pull for
// two minutes, as when the gate held it, or read a wrong offset (then the
// queue gets a new request, whose first batch tells the gate): a held
// batch of a dropped request is let through, and the dropped process
// queue discards it, as it would have discarded a blocked send. The
// newest request of a queue is the one that handed over a batch last: a
// dropped request whose pull was under way may still hand one over after
// its successor's first, and for that moment a successor waiting for room
// is let through too (its send may then wait until its consume goroutine
// takes a batch, as without the gate).
//
// The orderly consumer's process queues never send on their channel, so
// it has no gate.
type pullGate struct {
	threshold int           // PullThresholdPerQueue
	released  chan struct{} // closed by release

	mu      sync.Mutex
	holding bool                                                 // Close started; mu should be held.
	waiters int                                                  // pull goroutines waiting on wake; mu should be held.
	wake    chan struct{}                                        // closed and replaced when waiters should look again; mu should be held.
	reqs    map[*primitive.MessageQueue]*gateReq                 // mu should be held.
	byQueue map[primitive.MessageQueue][]*primitive.MessageQueue // each queue's known requests, newest last; mu should be held.
}

// gateReq is the gate's view of one pull request.
type gateReq struct {
	unreceived  []offsets             // batches handed over, not known to be received, oldest first
	last        *primitive.MessageExt // the last message of the newest of them; nil when there are none
	outstanding map[int64]struct{}    // offsets handed over (or called again) whose callback did not return
}

// offsets spans a batch's queue offsets; a request's batches come in
// offset order and do not overlap.
type offsets struct{ first, last int64 }

func newPullGate(threshold int) *pullGate {
	return &pullGate{
		threshold: threshold,
		released:  make(chan struct{}),
		wake:      make(chan struct{}),
		reqs:      make(map[*primitive.MessageQueue]*gateReq),
		byQueue:   make(map[primitive.MessageQueue][]*primitive.MessageQueue),
	}
}

// filter is the consumer's filter-message hook; see pullGate.
func (g *pullGate) filter(fc *hooks.FilterMessageContext) ([]*primitive.MessageExt, error) {
	msgs := fc.Msg
	if len(msgs) == 0 || fc.MQ == nil {
		return msgs, nil
	}
	g.mu.Lock()
	r := g.requestLocked(fc.MQ)
	last := msgs[len(msgs)-1].QueueOffset
	// Wait for room while the request is live: forgotten (allocate) or
	// replaced by a newer one, it was dropped.
	var (
		timer   *time.Timer // flowHoldMax, from when the flow control alone holds the batch
		expired bool        // the flow control gives way
	)
	for !g.holding && g.reqs[fc.MQ] == r && g.newestLocked(fc.MQ) {
		channelFull, flowFull := g.fullLocked(r, last)
		if !channelFull && (!flowFull || expired) {
			break
		}
		var timeout <-chan time.Time
		if !channelFull && !expired {
			if timer == nil {
				timer = time.NewTimer(flowHoldMax)
			}
			timeout = timer.C
		}
		if !g.waitLocked(timeout) {
			expired = true
		}
	}
	if timer != nil {
		timer.Stop()
	}
	if g.holding {
		g.mu.Unlock()
		<-g.released
		return nil, nil
	}
	if g.reqs[fc.MQ] == r {
		r.unreceived = append(r.unreceived, offsets{msgs[0].QueueOffset, last})
		r.last = msgs[len(msgs)-1]
		for _, m := range msgs {
			r.outstanding[m.QueueOffset] = struct{}{}
		}
	}
	g.mu.Unlock()
	return msgs, nil
}

// fullLocked reports whether r has no room for a batch ending at offset
// last: whether its channel may be full, and whether the flow control
// holds it (PullThresholdPerQueue messages outstanding, or the batch would
// end more than maxSpan offsets after the first outstanding one). mu
// should be held.
func (g *pullGate) fullLocked(r *gateReq, last int64) (channel, flow bool) {
	channel = len(r.unreceived) >= queueChannelCap
	switch {
	case len(r.outstanding) == 0:
		return channel, false
	case len(r.outstanding) >= g.threshold || len(r.outstanding) > maxSpan: // distinct offsets: they span more
		return channel, true
	}
	first := last
	for off := range r.outstanding {
		first = min(first, off)
	}
	return channel, last-first > maxSpan
}

// requestLocked returns the state of the pull request mq, making it its
// queue's newest. A request new to the gate replaces the queue's oldest
// once the queue has reqsPerQueue; older requests waiting for room are
// woken (they are dropped when no longer the newest). mu should be held.
func (g *pullGate) requestLocked(mq *primitive.MessageQueue) *gateReq {
	q := *mq
	known := g.byQueue[q]
	if n := len(known); n > 0 && known[n-1] == mq {
		return g.reqs[mq]
	}
	r := g.reqs[mq]
	if r == nil {
		r = &gateReq{outstanding: make(map[int64]struct{})}
		g.reqs[mq] = r
	}
	others := make([]*primitive.MessageQueue, 0, reqsPerQueue)
	for _, k := range known {
		if k != mq {
			others = append(others, k)
		}
	}
	if len(others) >= reqsPerQueue {
		for _, k := range others[:len(others)-reqsPerQueue+1] {
			delete(g.reqs, k)
		}
		others = others[len(others)-reqsPerQueue+1:]
	}
	g.byQueue[q] = append(others, mq)
	g.wakeLocked()
	return r
}

// newestLocked reports whether mq is its queue's newest request. mu should
// be held.
func (g *pullGate) newestLocked(mq *primitive.MessageQueue) bool {
	known := g.byQueue[*mq]
	return len(known) > 0 && known[len(known)-1] == mq
}

// waitLocked waits until wakeLocked is called (true) or timeout fires
// (false; nil never does), releasing mu meanwhile. mu should be held.
func (g *pullGate) waitLocked(timeout <-chan time.Time) bool {
	g.waiters++
	wake := g.wake
	g.mu.Unlock()
	woken := true
	select {
	case <-wake:
	case <-timeout:
		woken = false
	}
	g.mu.Lock()
	g.waiters--
	return woken
}

// wakeLocked wakes the pull goroutines waiting in filter. mu should be
// held.
func (g *pullGate) wakeLocked() {
	if g.waiters > 0 {
		close(g.wake)
		g.wake = make(chan struct{})
	}
}

// received records that the consume callback got msgs (one batch's, or
// part of it): their batch and the request's earlier ones left the
// channel, and msgs are outstanding until done (again, when the client
// calls the callback again after a failed send-back).
func (g *pullGate) received(msgs []*primitive.MessageExt) {
	if len(msgs) == 0 || msgs[0].Queue == nil {
		return
	}
	m := msgs[0]
	g.mu.Lock()
	defer g.mu.Unlock()
	r := g.reqs[m.Queue]
	if r == nil {
		return
	}
	for _, m := range msgs {
		r.outstanding[m.QueueOffset] = struct{}{}
	}
	for i, b := range r.unreceived {
		if b.first <= m.QueueOffset && m.QueueOffset <= b.last {
			r.unreceived = r.unreceived[i+1:]
			if len(r.unreceived) == 0 {
				r.unreceived, r.last = nil, nil
			}
			g.wakeLocked()
			return
		}
	}
}

// done records that the consume callback returned for msgs, given to
// received.
func (g *pullGate) done(msgs []*primitive.MessageExt) {
	if len(msgs) == 0 || msgs[0].Queue == nil {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	r := g.reqs[msgs[0].Queue]
	if r == nil {
		return
	}
	for _, m := range msgs {
		delete(r.outstanding, m.QueueOffset)
	}
	g.wakeLocked()
}

// allocate wraps the consumer's allocation strategy (clustering): the
// client calls it in each rebalance, per subscribed topic, with all the
// topic's queues, and drops the process queues of the queues it does not
// return. The gate forgets their requests and lets their held batches
// through.
func (g *pullGate) allocate(next consumer.AllocateStrategy) consumer.AllocateStrategy {
	return func(group, cid string, all []*primitive.MessageQueue, cids []string) []*primitive.MessageQueue {
		mine := next(group, cid, all, cids)
		if len(all) == 0 {
			return mine
		}
		topic := all[0].Topic
		kept := make(map[primitive.MessageQueue]bool, len(mine))
		for _, mq := range mine {
			kept[*mq] = true
		}
		g.mu.Lock()
		defer g.mu.Unlock()
		for q, known := range g.byQueue {
			if q.Topic != topic || kept[q] {
				continue
			}
			for _, k := range known {
				delete(g.reqs, k)
			}
			delete(g.byQueue, q)
		}
		g.wakeLocked()
		return mine
	}
}

// hold makes filter hold every batch from now on until release, then drop
// it.
func (g *pullGate) hold() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.holding = true
	g.wakeLocked()
}

// sync orders the sends of the batches handed over before the caller's
// next step, Shutdown (see pullGate).
func (g *pullGate) sync() {
	g.mu.Lock()
	last := make([]*primitive.MessageExt, 0, len(g.reqs))
	for _, r := range g.reqs {
		if r.last != nil {
			last = append(last, r.last)
		}
	}
	g.mu.Unlock()
	for _, m := range last {
		_ = m.GetProperties() // takes and releases m's write lock
	}
}

// release lets the held batches go, dropped. Call it after Shutdown.
func (g *pullGate) release() { close(g.released) }
