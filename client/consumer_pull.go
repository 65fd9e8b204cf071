package client

import (
	"context"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rocketkit/rocketkit/protocol/message"
	"github.com/rocketkit/rocketkit/protocol/payload"
	"github.com/rocketkit/rocketkit/protocol/remoting"
)

// PULL_MESSAGE sysFlag bits the push consumer sets.
const (
	pullFlagCommitOffset = 1 << 0
	pullFlagSuspend      = 1 << 1
)

// Backoff of a queue's pulls after a transport error or an error answer.
const (
	pullBackoffMin = 50 * time.Millisecond
	pullBackoffMax = 2 * time.Second
)

// pullQueue is one owned queue: its pull loop, the messages pulled and not
// consumed yet, and its committed offset. A queue dropped (rebalanced away,
// lock lost, consumer closing) is never reused: a queue assigned again gets
// a new pullQueue, which queries its offset again.
type pullQueue struct {
	c   *Consumer
	mq  MessageQueue // wire names
	sub *subscription
	// ctx is the queue's lifetime, a child of the consumer's: cancelled
	// when the queue is dropped. It is no caller's context.
	ctx    context.Context
	cancel context.CancelFunc
	pulled chan struct{} // closed when the pull loop returned
	// inflight counts handler calls (with their result processing) on the
	// queue's messages; begin adds to it only while the queue is not
	// dropped.
	inflight sync.WaitGroup
	space    chan struct{} // buffered 1: messages finished (flow control)
	ready    chan struct{} // buffered 1: orderly: messages arrived or the lock was renewed
	// node is the id of the broker of the queue's group that its next pull
	// asks for (Java's pullFromWhichNodeTable): the suggestWhichBrokerId
	// of the last pull's answer, the master's id at first. from is the id
	// of the broker the last pull went to. Only the pull loop writes them.
	node, from atomic.Int64

	mu       sync.Mutex
	track    offsetTracker // guarded by mu
	written  int64         // the committed offset last written (or sent with a pull); guarded by mu
	dropped  bool          // guarded by mu
	lost     bool          // dropped because the broker refused to renew its lock; guarded by mu
	lockedAt time.Time     // orderly clustering: when the broker last granted the lock; guarded by mu
	buf      []*MessageExt // orderly: pulled, not consumed yet, in offset order; guarded by mu
}

func (c *Consumer) newPullQueue(mq MessageQueue, start int64, lockedAt time.Time) *pullQueue {
	q := &pullQueue{
		c: c, mq: mq, sub: c.subscriptionOf(mq.Topic),
		pulled: make(chan struct{}), space: make(chan struct{}, 1), ready: make(chan struct{}, 1),
		track: newOffsetTracker(start), written: start, lockedAt: lockedAt,
	}
	q.ctx, q.cancel = context.WithCancel(c.life)
	return q
}

// drop stops the queue: no more pulls, no new handler calls. Handler calls
// already running finish (wait with inflight).
func (q *pullQueue) drop() {
	q.mu.Lock()
	q.dropped = true
	q.mu.Unlock()
	q.cancel()
}

// begin registers a handler call on the queue's messages; false when the
// queue is dropped (the messages are left unconsumed and uncommitted).
func (q *pullQueue) begin() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.dropped {
		return false
	}
	q.inflight.Add(1)
	return true
}

func (q *pullQueue) lockLost() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.lost
}

// finish marks messages consumed: the committed offset may move past them.
func (q *pullQueue) finish(msgs []*MessageExt) {
	q.mu.Lock()
	for _, m := range msgs {
		q.track.finish(m.QueueOffset)
	}
	q.mu.Unlock()
	signal(q.space)
}

// toCommit returns the committed offset and whether it differs from the
// one last written.
func (q *pullQueue) toCommit() (int64, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	off := q.track.committed()
	return off, off != q.written
}

// committedAs records that off was written to the offset store.
func (q *pullQueue) committedAs(off int64) {
	q.mu.Lock()
	q.written = off
	q.mu.Unlock()
}

// maxSpan bounds the offsets between a queue's first unconsumed message
// and its last pulled one: past it the queue is not pulled until the slow
// message is done (Java's consumeConcurrentlyMaxSpan), so a stuck handler
// call does not leave an ever longer stretch to consume again after a
// restart.
const maxSpan = 2000

// waitForSpace waits until the queue holds fewer than threshold pulled and
// unconsumed messages, spanning at most maxSpan offsets; false when the
// queue was dropped.
func (q *pullQueue) waitForSpace(threshold int) bool {
	for {
		q.mu.Lock()
		n, span := q.track.inFlight(), q.track.span()
		q.mu.Unlock()
		if n < threshold && span <= maxSpan {
			return q.ctx.Err() == nil
		}
		select {
		case <-q.space:
		case <-q.ctx.Done():
			return false
		}
	}
}

// received records pulled messages (those not pending already) and the
// pull's nextBeginOffset, and returns the messages to consume; none once
// the queue is dropped.
func (q *pullQueue) received(msgs []*MessageExt, next int64) []*MessageExt {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.dropped {
		return nil
	}
	out := msgs[:0]
	for _, m := range msgs {
		if q.track.add(m.QueueOffset) {
			out = append(out, m)
		}
	}
	q.track.setEnd(next)
	if q.c.cfg.Orderly {
		q.buf = append(q.buf, out...)
	}
	return out
}

// setEnd records a pull's nextBeginOffset when no message came.
func (q *pullQueue) setEnd(next int64) {
	q.mu.Lock()
	q.track.setEnd(next)
	q.mu.Unlock()
}

// pullLoop pulls the queue from offset next until it is dropped, handing
// messages over for consumption. Long polling makes an idle queue cost one
// request per PullHold.
func (c *Consumer) pullLoop(q *pullQueue, next int64) {
	defer close(q.pulled)
	backoff := pullBackoffMin
	retryLater := func() bool {
		ok := sleepCtx(q.ctx, jitter(backoff))
		backoff = min(2*backoff, pullBackoffMax)
		return ok
	}
	for q.waitForSpace(c.cfg.PullThresholdPerQueue) {
		resp, err := c.pull(q, next)
		if q.ctx.Err() != nil {
			return
		}
		if err != nil {
			c.log.Debug("pull failed", "topic", c.client.bareName(q.mq.Topic), "broker", q.mq.BrokerName,
				"queue_id", q.mq.QueueID, "err", err)
			if !retryLater() {
				return
			}
			continue
		}
		nb, nbErr := resp.ExtFields.Int64("nextBeginOffset")
		switch resp.Code {
		case remoting.Success, remoting.PullNotFound, remoting.PullRetryImmediately, remoting.PullOffsetMoved:
			if nbErr != nil {
				c.log.Warn("pull answer without nextBeginOffset", "topic", c.client.bareName(q.mq.Topic),
					"queue_id", q.mq.QueueID, "code", remoting.ResponseName(resp.Code), "err", nbErr)
				if !retryLater() {
					return
				}
				continue
			}
		}
		switch resp.Code {
		case remoting.Success:
			msgs, resume, ok := c.decodePulled(q, resp.Body, next)
			if !ok {
				nb = resume // a record did not decode: pull again from there
			}
			c.dispatch(q, q.received(msgs, nb))
			next = nb
			if !ok && !retryLater() {
				return
			}
			if ok {
				backoff = pullBackoffMin
			}
		case remoting.PullNotFound, remoting.PullRetryImmediately:
			q.setEnd(nb)
			next = nb
			backoff = pullBackoffMin
		case remoting.PullOffsetMoved:
			c.log.Info("pull offset moved", "topic", c.client.bareName(q.mq.Topic), "broker", q.mq.BrokerName,
				"queue_id", q.mq.QueueID, "offset", next, "next_offset", nb)
			q.setEnd(nb)
			next = nb
			if err := c.commitQueues(q.ctx, []*pullQueue{q}, true); err != nil && q.ctx.Err() == nil {
				c.log.Warn("commit moved offset", "topic", c.client.bareName(q.mq.Topic), "queue_id", q.mq.QueueID, "err", err)
			}
		default:
			switch resp.Code {
			case remoting.SubscriptionNotExist, remoting.SubscriptionNotLatest, remoting.SubscriptionGroupNotExist:
				c.client.triggerHeartbeat()
			}
			c.log.Warn("pull refused", "topic", c.client.bareName(q.mq.Topic), "broker", q.mq.BrokerName,
				"queue_id", q.mq.QueueID, "err", remoting.ErrorForCode(resp.Code, resp.Remark))
			if !retryLater() {
				return
			}
		}
	}
}

// pull sends one PULL_MESSAGE from offset to the broker of the queue's
// group that the last answer suggested, or, when the route lacks it, to
// the master, or with the master down to a slave (findSubscribeAddr); with
// the queue's committed offset when clustering and the broker is the
// master (a slave does not store it: Java's client clears the flag, and
// the periodic commit takes the offset there instead).
func (c *Consumer) pull(q *pullQueue, offset int64) (*remoting.Command, error) {
	addr, id, err := c.client.subscribeAddr(q.mq.BrokerName, q.node.Load())
	if err != nil {
		c.client.refreshSoon(q.mq.Topic)
		return nil, err
	}
	if prev := q.from.Swap(id); prev != id {
		c.log.Debug("queue pulled from another broker of its group", "topic", c.client.bareName(q.mq.Topic),
			"broker", q.mq.BrokerName, "queue_id", q.mq.QueueID, "broker_id", id, "previous_broker_id", prev, "addr", addr)
	}
	sysFlag, commit := pullFlagSuspend, int64(0)
	if !c.cfg.Broadcasting && id == payload.MasterID {
		if off, _ := q.toCommit(); off > 0 {
			sysFlag |= pullFlagCommitOffset
			commit = off
		}
	}
	req := remoting.NewClientRequest(remoting.PullMessage, remoting.Fields{
		{Key: "consumerGroup", Value: c.group},
		{Key: "topic", Value: q.mq.Topic},
		{Key: "queueId", Value: strconv.Itoa(q.mq.QueueID)},
		{Key: "queueOffset", Value: strconv.FormatInt(offset, 10)},
		{Key: "maxMsgNums", Value: strconv.Itoa(c.cfg.PullBatchSize)},
		{Key: "sysFlag", Value: strconv.Itoa(sysFlag)},
		{Key: "commitOffset", Value: strconv.FormatInt(commit, 10)},
		{Key: "suspendTimeoutMillis", Value: strconv.FormatInt(c.cfg.PullHold.Milliseconds(), 10)},
		{Key: "subscription", Value: ""},
		{Key: "subVersion", Value: "0"},
		{Key: "expressionType", Value: "TAG"},
		{Key: "bname", Value: q.mq.BrokerName},
	}, nil)
	ctx, cancel := context.WithTimeout(q.ctx, c.cfg.PullHold+pullTimeoutMargin)
	defer cancel()
	resp, err := c.client.call(ctx, addr, req)
	if err != nil {
		if q.ctx.Err() == nil {
			c.client.refreshSoon(q.mq.Topic) // the broker may have gone: see whether the route still has it
		}
		return nil, err
	}
	switch resp.Code {
	case remoting.Success, remoting.PullNotFound, remoting.PullRetryImmediately, remoting.PullOffsetMoved:
		if sysFlag&pullFlagCommitOffset != 0 {
			q.committedAs(commit)
		}
		q.follow(resp)
	}
	return resp, nil
}

// follow records the broker id a pull's answer suggests for the queue's
// next pull (suggestWhichBrokerId: a master may send a lagging consumer to
// a slave, a slave sends it back to the master); an answer without one
// leaves the choice as it was.
func (q *pullQueue) follow(resp *remoting.Command) {
	if id, err := resp.ExtFields.Int64("suggestWhichBrokerId"); err == nil {
		q.node.Store(id)
	}
}

// decodePulled decodes a pull's body into the messages to consume: those at
// or after the offset pulled from that pass the tag filter, with topics
// without namespace and a retry message's topic restored. When a record
// does not decode, ok is false and resume is the offset to pull again from
// (after the last record decoded).
func (c *Consumer) decodePulled(q *pullQueue, body []byte, from int64) (msgs []*MessageExt, resume int64, ok bool) {
	exts, err := message.DecodeAll(body, false)
	resume = from
	if err != nil {
		c.log.Error("undecodable pull answer", "topic", c.client.bareName(q.mq.Topic), "queue_id", q.mq.QueueID,
			"offset", from, "err", err)
	}
	msgs = make([]*MessageExt, 0, len(exts))
	bare := c.bareQueue(q.mq)
	for i := range exts {
		e := &exts[i]
		resume = max(resume, e.QueueOffset+1)
		if e.QueueOffset < from {
			continue
		}
		m, derr := newMessageExt(e, q.mq.BrokerName)
		if derr != nil {
			c.log.Error("message delivered with its compressed body", "topic", bare.Topic, "queue_id", q.mq.QueueID,
				"offset", e.QueueOffset, "err", derr)
		}
		if !q.sub.matches(m.Tag) {
			continue
		}
		m.Queue = bare
		m.Topic = bare.Topic
		if q.sub.retry {
			if real := m.Property(message.PropertyRetryTopic); real != "" {
				m.Topic = c.client.bareName(real)
			}
		}
		msgs = append(msgs, m)
	}
	return msgs, resume, err == nil
}

// dispatch hands pulled messages over for consumption.
func (c *Consumer) dispatch(q *pullQueue, msgs []*MessageExt) {
	if len(msgs) == 0 {
		return
	}
	if c.cfg.Orderly {
		signal(q.ready)
		return
	}
	for batch := range chunks(msgs, c.cfg.ConsumeBatchSize) {
		c.tasks.push(consumeTask{q: q, msgs: batch})
	}
}

// chunks yields msgs in slices of at most n, each a slice of its own.
func chunks(msgs []*MessageExt, n int) func(func([]*MessageExt) bool) {
	return func(yield func([]*MessageExt) bool) {
		for len(msgs) > 0 {
			k := min(n, len(msgs))
			if !yield(msgs[:k:k]) {
				return
			}
			msgs = msgs[k:]
		}
	}
}

// signal wakes whoever waits on a buffered-1 channel, without blocking.
func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// sleepCtx waits d; false if ctx ended first.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// jitter returns d ±20%, so queues and members that failed together do not
// retry in lockstep.
func jitter(d time.Duration) time.Duration {
	return d - d/5 + rand.N(2*d/5+1)
}
