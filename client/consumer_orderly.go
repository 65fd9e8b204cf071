package client

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/rocketkit/rocketkit/protocol/payload"
	"github.com/rocketkit/rocketkit/protocol/remoting"
)

// orderlyLoop consumes one queue strictly in offset order: one handler call
// at a time, the next only once the previous batch is consumed, dead-
// lettered or dropped. In clustering it consumes only while the queue's
// lock is fresh (granted less than lockTTL ago).
func (c *Consumer) orderlyLoop(q *pullQueue) {
	for {
		batch := q.nextBatch(c.cfg.ConsumeBatchSize, c.lockingOrderly(), time.Now())
		if batch == nil {
			select {
			case <-q.ready:
				continue
			case <-q.ctx.Done():
				return
			}
		}
		if !q.begin() {
			return
		}
		c.consumeOrderly(q, batch)
		q.inflight.Done()
	}
}

// nextBatch returns the first messages waiting, or nil when there are none
// or (locked) the lock is stale.
func (q *pullQueue) nextBatch(n int, locked bool, now time.Time) []*MessageExt {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.buf) == 0 || q.dropped || (locked && now.Sub(q.lockedAt) >= lockTTL) {
		return nil
	}
	return slices.Clone(q.buf[:min(n, len(q.buf))])
}

// consumed removes messages from the front of the buffer and finishes
// them.
func (q *pullQueue) consumed(msgs []*MessageExt) {
	if len(msgs) == 0 {
		return
	}
	q.mu.Lock()
	gone := make(map[int64]bool, len(msgs))
	for _, m := range msgs {
		gone[m.QueueOffset] = true
		q.track.finish(m.QueueOffset)
	}
	q.buf = slices.DeleteFunc(q.buf, func(m *MessageExt) bool { return gone[m.QueueOffset] })
	q.mu.Unlock()
	signal(q.space)
}

// requeue replaces buffered messages by their redelivery copies (same
// offsets, ReconsumeTimes one higher).
func (q *pullQueue) requeue(msgs []*MessageExt) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, m := range msgs {
		for i, b := range q.buf {
			if b.QueueOffset == m.QueueOffset {
				q.buf[i] = m
				break
			}
		}
	}
}

// consumeOrderly makes one handler call and acts on its result. A failed
// batch holds up the queue for SuspendInterval and is redelivered with
// ReconsumeTimes+1; a message failed MaxReconsumeTimes times (or dead-
// lettered by the handler) goes to the dead-letter topic in clustering (the
// queue waits until the broker took it) and is dropped with a log line in
// broadcasting.
func (c *Consumer) consumeOrderly(q *pullQueue, batch []*MessageExt) {
	res := c.callHandler(c.handlerCtx, batch)
	if c.handlerCtx.Err() != nil {
		return
	}
	switch res {
	case ConsumeSuccess:
		q.consumed(batch)
		return
	case ConsumeDeadLetter:
		for i, m := range batch {
			if !c.deadLetterOrderly(q, m, "dead-lettered by the handler") {
				q.consumed(batch[:i])
				return
			}
		}
		q.consumed(batch)
		return
	}
	var done, again []*MessageExt
	for _, m := range batch {
		if m.ReconsumeTimes < c.cfg.maxReconsume() {
			again = append(again, m)
			continue
		}
		if !c.deadLetterOrderly(q, m, "failed too often") {
			q.consumed(done)
			return
		}
		done = append(done, m)
	}
	q.consumed(done)
	if len(again) == 0 {
		return
	}
	q.requeue(reconsumed(again))
	c.log.Debug("orderly consumption failed; queue suspended", "topic", again[0].Topic,
		"queue_id", q.mq.QueueID, "offset", again[0].QueueOffset, "reconsume_times", again[0].ReconsumeTimes+1)
	sleepCtx(q.ctx, c.cfg.SuspendInterval)
}

// deadLetterOrderly dead-letters m (clustering; broadcasting drops it),
// holding up the queue until the broker took it; false when the queue was
// dropped first.
func (c *Consumer) deadLetterOrderly(q *pullQueue, m *MessageExt, why string) bool {
	if c.cfg.Broadcasting {
		c.logDropped(m, why)
		return true
	}
	if err := c.sendBackOrResend(c.handlerCtx, m, deadLetterLevel); err == nil {
		return true
	} else {
		c.log.Warn("dead-lettering failed; the queue waits", "topic", m.Topic, "msg_id", m.MsgID, "err", err)
	}
	return c.deadLetterUntil(q, m)
}

// lock asks the brokers to lock mqs for this member (LOCK_BATCH_MQ, one
// request per broker). It returns the queues granted and the brokers that
// answered; err joins the failures of the others.
func (c *Consumer) lock(ctx context.Context, mqs []MessageQueue) (granted map[MessageQueue]bool, answered map[string]bool, err error) {
	granted, answered = make(map[MessageQueue]bool), make(map[string]bool)
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for broker, qs := range byBroker(mqs) {
		wg.Go(func() {
			locked, err := c.lockBatch(ctx, remoting.LockBatchMQ, broker, qs)
			if errors.Is(err, ErrNoMaster) {
				return // nothing granted, nothing lost: the queues wait for the master
			}
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			answered[broker] = true
			for _, l := range locked {
				granted[MessageQueue{Topic: l.Topic, BrokerName: l.BrokerName, QueueID: l.QueueID}] = true
			}
		})
	}
	wg.Wait()
	return granted, answered, errors.Join(errs...)
}

// unlock releases this member's locks on mqs (UNLOCK_BATCH_MQ), waiting for
// the brokers' answers.
func (c *Consumer) unlock(ctx context.Context, mqs []MessageQueue) error {
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for broker, qs := range byBroker(mqs) {
		wg.Go(func() {
			if _, err := c.lockBatch(ctx, remoting.UnlockBatchMQ, broker, qs); err != nil && !errors.Is(err, ErrNoMaster) {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// lockBatch sends LOCK_BATCH_MQ or UNLOCK_BATCH_MQ for qs to the master
// of their broker group. Locks live at masters only: with the master down
// (ErrNoMaster) there is nothing to lock or unlock, as Java's lock and
// unlock skip a group without one; its queues stay unlocked, so they are
// not consumed, until the master is back.
func (c *Consumer) lockBatch(ctx context.Context, code int16, broker string, qs []MessageQueue) ([]payload.MessageQueue, error) {
	addr, err := c.client.masterAddr(broker)
	if err != nil {
		c.log.Debug("queues not locked or unlocked: no master", "broker", broker, "queues", len(qs),
			"request", remoting.RequestName(code))
		return nil, err
	}
	body := payload.LockBatch{Group: c.group, ClientID: c.memberID()}
	for _, mq := range qs {
		body.Queues = append(body.Queues, payload.MessageQueue{Topic: mq.Topic, BrokerName: mq.BrokerName, QueueID: mq.QueueID})
	}
	resp, err := c.client.callOK(ctx, addr, remoting.NewClientRequest(code, nil, body.Encode()))
	if err != nil || code != remoting.LockBatchMQ {
		return nil, err
	}
	locked, err := payload.ParseLocked(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("client: LOCK_BATCH_MQ to %s: %w", addr, err)
	}
	return locked, nil
}

func byBroker(mqs []MessageQueue) map[string][]MessageQueue {
	out := make(map[string][]MessageQueue)
	for _, mq := range mqs {
		out[mq.BrokerName] = append(out[mq.BrokerName], mq)
	}
	return out
}

// renewLocks renews the locks of every owned queue. A queue whose broker
// answered without it lost its lock (another member may hold it now) and
// is dropped at once, without committing or unlocking; a broker that did
// not answer leaves its queues locked until lockTTL passes.
func (c *Consumer) renewLocks(ctx context.Context) {
	c.mu.Lock()
	owned := make([]*pullQueue, 0, len(c.queues))
	mqs := make([]MessageQueue, 0, len(c.queues))
	for mq, q := range c.queues {
		owned = append(owned, q)
		mqs = append(mqs, mq)
	}
	c.mu.Unlock()
	if len(mqs) == 0 {
		return
	}
	now := time.Now()
	granted, answered, err := c.lock(ctx, mqs)
	if err != nil && ctx.Err() == nil {
		c.log.Warn("renew queue locks", "err", err)
	}
	lost := false
	for _, q := range owned {
		switch {
		case granted[q.mq]:
			q.mu.Lock()
			q.lockedAt = now
			q.mu.Unlock()
			signal(q.ready)
		case answered[q.mq.BrokerName]:
			c.log.Warn("queue lock lost; queue dropped", "topic", c.client.bareName(q.mq.Topic),
				"broker", q.mq.BrokerName, "queue_id", q.mq.QueueID)
			q.mu.Lock()
			q.lost = true
			q.mu.Unlock()
			c.mu.Lock()
			if c.queues[q.mq] == q {
				delete(c.queues, q.mq)
				c.dropping[q.mq] = q
				c.mu.Unlock()
				c.release(q)
			} else {
				c.mu.Unlock()
			}
			lost = true
		}
	}
	if lost {
		c.rebalanceSoon()
	}
}
