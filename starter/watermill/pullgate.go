package watermill

import (
	"sync"
	"time"

	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/hooks"
	"github.com/apache/rocketmq-client-go/v2/primitive"
)

// pullGate is a subscription's flow control. It runs as the consumer's
// filter-message hook, which the client calls in a queue's pull goroutine
// for every fetched batch right before putting the batch into the queue's
// cache, and it does three things there:
//
//   - it bounds the messages that were fetched but not yet acked or nacked
//     (limit, over all queues) and the offset span of each queue's
//     outstanding messages (maxSpan), by holding the pull goroutine until
//     earlier messages complete. This replaces the client's own flow
//     control (1024 cached messages or a span of 1000 per queue), which
//     the gate keeps from ever engaging: its counters are shared by all
//     pull goroutines without synchronisation, a data race;
//   - once the subscription is stopping, it holds every batch until the
//     consumer has shut down and then drops it, so no batch is handed to
//     the client while Shutdown closes the queues' channels
//     (apache/rocketmq-client-go#1051, a "send on closed channel" panic
//     that ends the process);
//   - it remembers each queue's last handed-over message (see sync).
//
// It also wraps the allocation strategy, to learn which queues a rebalance
// took away (see allocate).
type pullGate struct {
	limit    int
	maxSpan  int64
	stopping <-chan struct{}
	released <-chan struct{}

	mu      sync.Mutex
	total   int                                   // outstanding messages; mu should be held.
	waiters int                                   // pull goroutines waiting on wake; mu should be held.
	wake    chan struct{}                         // closed (and replaced) when a message completes; mu should be held.
	queues  map[primitive.MessageQueue]*gateQueue // mu should be held.

	allocated   map[string]bool          // topics allocated at least once; mu should be held.
	allocatedCh map[string]chan struct{} // closed on a topic's first allocation; mu should be held.
}

// gateQueue is the gate's view of one queue.
type gateQueue struct {
	gen     uint64             // bumped when the queue is read again from an older offset
	maxOff  int64              // highest offset handed over, -1 before the first
	pending map[int64]struct{} // offsets handed over and not yet completed
	last    *primitive.MessageExt
}

func newPullGate(limit, maxSpan int, stopping, released <-chan struct{}) *pullGate {
	return &pullGate{
		limit:       limit,
		maxSpan:     int64(maxSpan),
		stopping:    stopping,
		released:    released,
		wake:        make(chan struct{}),
		queues:      make(map[primitive.MessageQueue]*gateQueue),
		allocated:   make(map[string]bool),
		allocatedCh: make(map[string]chan struct{}),
	}
}

// filter is the hook; see the type comment.
func (g *pullGate) filter(fc *hooks.FilterMessageContext) ([]*primitive.MessageExt, error) {
	if len(fc.Msg) == 0 || fc.MQ == nil {
		return fc.Msg, nil
	}
	first, last := fc.Msg[0].QueueOffset, fc.Msg[len(fc.Msg)-1].QueueOffset

	g.mu.Lock()
	q := g.queues[*fc.MQ]
	if q == nil {
		q = &gateQueue{maxOff: -1, pending: make(map[int64]struct{})}
		g.queues[*fc.MQ] = q
	}
	if first <= q.maxOff {
		// The queue is read again from its committed offset: it was
		// reassigned (a rebalance dropped the old process queue), and
		// what the old one held will never complete here.
		g.total -= len(q.pending)
		clear(q.pending)
		q.gen++
		g.wakeLocked()
	}
	gen := q.gen
	for {
		select {
		case <-g.stopping:
			g.mu.Unlock()
			<-g.released
			return nil, nil
		default:
		}
		if q.gen != gen {
			// A newer reader of this queue exists; this batch belongs to a
			// dropped process queue, which would discard it anyway.
			g.mu.Unlock()
			return nil, nil
		}
		if g.total < g.limit && (len(q.pending) == 0 || last-minKey(q.pending) <= g.maxSpan) {
			break
		}
		g.waiters++
		wake := g.wake
		g.mu.Unlock()
		select {
		case <-wake:
		case <-g.stopping:
		}
		g.mu.Lock()
		g.waiters--
	}
	for _, m := range fc.Msg {
		q.pending[m.QueueOffset] = struct{}{}
	}
	g.total += len(fc.Msg)
	q.maxOff = max(q.maxOff, last)
	q.last = fc.Msg[len(fc.Msg)-1]
	g.mu.Unlock()
	return fc.Msg, nil
}

// allocate wraps the consumer's queue allocation strategy (clustering). The
// client calls it in every rebalance, for each subscribed topic, with all of
// the topic's queues, and drops the queues it does not return. The gate
// forgets what those queues had outstanding (the dropped process queues
// never complete it) and wakes their held batches, which it then drops.
// The first call per topic is also signalled to waitAllocated.
func (g *pullGate) allocate(next consumer.AllocateStrategy) consumer.AllocateStrategy {
	return func(group, cid string, mqAll []*primitive.MessageQueue, cidAll []string) []*primitive.MessageQueue {
		mine := next(group, cid, mqAll, cidAll)
		if len(mqAll) == 0 {
			return mine
		}
		topic := mqAll[0].Topic
		kept := make(map[primitive.MessageQueue]bool, len(mine))
		for _, mq := range mine {
			kept[*mq] = true
		}
		g.mu.Lock()
		defer g.mu.Unlock()
		for mq, q := range g.queues {
			if mq.Topic == topic && !kept[mq] {
				g.total -= len(q.pending)
				clear(q.pending)
				q.gen++
			}
		}
		g.wakeLocked()
		if ch := g.allocatedChLocked(topic); !g.allocated[topic] {
			g.allocated[topic] = true
			close(ch)
		}
		return mine
	}
}

// allocatedChLocked returns the channel that is closed when topic's queues
// are first allocated. Lock should be held.
func (g *pullGate) allocatedChLocked(topic string) chan struct{} {
	ch, ok := g.allocatedCh[topic]
	if !ok {
		ch = make(chan struct{})
		g.allocatedCh[topic] = ch
	}
	return ch
}

// waitAllocated waits until the queues of topic were allocated once, or
// timeout passes; it reports whether they were.
func (g *pullGate) waitAllocated(topic string, timeout time.Duration) bool {
	g.mu.Lock()
	ch := g.allocatedChLocked(topic)
	g.mu.Unlock()
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-ch:
		return true
	case <-t.C:
		return false
	}
}

// done records that the client is finished with msgs (the consume callback
// returned for them).
func (g *pullGate) done(msgs ...*primitive.MessageExt) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, m := range msgs {
		if m.Queue == nil {
			continue
		}
		q := g.queues[*m.Queue]
		if q == nil {
			continue
		}
		if _, ok := q.pending[m.QueueOffset]; ok {
			delete(q.pending, m.QueueOffset)
			g.total--
		}
	}
	g.wakeLocked()
}

// wakeLocked wakes the waiting pull goroutines. Lock should be held.
func (g *pullGate) wakeLocked() {
	if g.waiters > 0 {
		close(g.wake)
		g.wake = make(chan struct{})
	}
}

// sync makes every batch hand-over the pull goroutines completed
// happen-before the caller's next step (for the race detector). After
// putting a batch into the queue's channel the client reads a property of
// the batch's last message under that message's lock; taking the same lock
// here orders that send before the consumer's Shutdown, which closes the
// channel. Without it the detector reports the send and the close as a data
// race, however far apart in time they are.
func (g *pullGate) sync() {
	g.mu.Lock()
	last := make([]*primitive.MessageExt, 0, len(g.queues))
	for _, q := range g.queues {
		if q.last != nil {
			last = append(last, q.last)
		}
	}
	g.mu.Unlock()
	for _, m := range last {
		_ = m.GetProperties() // takes and releases m's lock
	}
}

func minKey(m map[int64]struct{}) int64 {
	first := true
	var lo int64
	for k := range m {
		if first || k < lo {
			lo, first = k, false
		}
	}
	return lo
}
