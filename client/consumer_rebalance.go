package client

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/rocketkit/rocketkit/protocol/payload"
	"github.com/rocketkit/rocketkit/protocol/remoting"
)

// rebalance assigns this member its queues of every subscribed topic: all
// of them when broadcasting, its share by allocateAveragely of the group's
// members otherwise. It drops the queues no longer assigned and starts the
// new ones (orderly: only those whose lock the broker granted). A topic
// whose route or member list cannot be had keeps its queues as they are.
// It reports whether everything succeeded; the caller retries soon if not.
func (c *Consumer) rebalance(ctx context.Context) bool {
	ok := true
	members := make(map[string][]string) // by broker address, for this run
	for i := range c.subs {
		topic := c.subs[i].topic
		r, err := c.client.route(ctx, topic)
		if err != nil {
			c.log.Warn("rebalance: no route", "topic", c.client.bareName(topic), "err", err)
			ok = false
			continue
		}
		want := r.subscribe
		if !c.cfg.Broadcasting {
			ids, err := c.groupMembers(ctx, r, members)
			if err != nil {
				c.log.Warn("rebalance: no member list; queues kept", "topic", c.client.bareName(topic), "err", err)
				c.client.refreshSoon(topic) // a broker of the route may be gone
				ok = false
				continue
			}
			me := c.memberID()
			if !slices.Contains(ids, me) {
				c.log.Info("rebalance: not a member yet; queues kept", "topic", c.client.bareName(topic))
				c.client.triggerHeartbeat()
				ok = false
				continue
			}
			want = allocateAveragely(r.subscribe, ids, me)
		}
		if !c.assign(ctx, topic, want) {
			c.client.refreshSoon(topic) // a queue's broker may be gone: see whether the route still has it
			ok = false
		}
	}
	return ok
}

// groupMembers asks a broker of the route for the group's member ids
// (GET_CONSUMER_LIST_BY_GROUP), trying the route's masters in turn, then
// for groups whose master is down a slave (members heartbeat slaves too,
// and Java's findConsumerIdList asks one when a group has no master); an
// error answer is an error, never an empty group.
func (c *Consumer) groupMembers(ctx context.Context, r *topicRoute, cache map[string][]string) ([]string, error) {
	brokers := slices.Clone(r.data.Brokers)
	slices.SortFunc(brokers, func(a, b payload.BrokerData) int { return cmp.Compare(a.BrokerName, b.BrokerName) })
	var addrs, slaves []string
	for _, b := range brokers {
		if addr, id, ok := findSubscribeAddr(b, payload.MasterID); ok && id == payload.MasterID {
			addrs = append(addrs, addr)
		} else if ok {
			slaves = append(slaves, addr)
		}
	}
	var errs []error
	for _, addr := range append(addrs, slaves...) {
		if ids, ok := cache[addr]; ok {
			return ids, nil
		}
		req := remoting.NewClientRequest(remoting.GetConsumerListByGroup, remoting.Fields{{Key: "consumerGroup", Value: c.group}}, nil)
		resp, err := c.client.callOK(ctx, addr, req)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		ids, err := payload.ParseConsumerIDs(resp.Body)
		if err != nil {
			errs = append(errs, fmt.Errorf("client: member list from %s: %w", addr, err))
			continue
		}
		cache[addr] = ids
		return ids, nil
	}
	if len(errs) == 0 {
		return nil, fmt.Errorf("client: no broker address in the route")
	}
	return nil, errors.Join(errs...)
}

// assign makes the owned queues of topic exactly want: queues no longer
// wanted are released, new ones started from their start offset. It
// reports whether every wanted queue is owned now.
func (c *Consumer) assign(ctx context.Context, topic string, want []MessageQueue) bool {
	ok := true
	wanted := make(map[MessageQueue]bool, len(want))
	for _, mq := range want {
		wanted[mq] = true
	}
	var gone []*pullQueue
	var add []MessageQueue
	c.mu.Lock()
	for mq, q := range c.queues {
		if mq.Topic == topic && !wanted[mq] {
			gone = append(gone, q)
			delete(c.queues, mq)
			c.dropping[mq] = q
		}
	}
	for _, mq := range want {
		switch _, owned := c.queues[mq]; {
		case owned:
		case c.dropping[mq] != nil:
			ok = false // still being let go: taken again at the next try
		default:
			add = append(add, mq)
		}
	}
	c.mu.Unlock()
	for _, q := range gone {
		c.release(q)
	}
	if len(add) == 0 {
		if len(gone) > 0 {
			c.log.Info("queues rebalanced", "topic", c.client.bareName(topic), "removed", len(gone), "owned", len(want))
		}
		return ok
	}
	slices.SortFunc(add, compareQueues)

	var lockedAt time.Time
	if c.lockingOrderly() {
		lockedAt = time.Now()
		granted, _, err := c.lock(ctx, add)
		if err != nil {
			c.log.Warn("rebalance: lock queues", "topic", c.client.bareName(topic), "err", err)
		}
		refused := slices.DeleteFunc(slices.Clone(add), func(mq MessageQueue) bool { return granted[mq] })
		if len(refused) > 0 {
			c.log.Debug("rebalance: queues locked by another member; trying again soon",
				"topic", c.client.bareName(topic), "queues", len(refused))
			ok = false
		}
		add = slices.DeleteFunc(add, func(mq MessageQueue) bool { return !granted[mq] })
	}

	offsets := make([]int64, len(add))
	errs := make([]error, len(add))
	var wg sync.WaitGroup
	for i, mq := range add {
		wg.Go(func() { offsets[i], errs[i] = c.startOffset(ctx, mq) })
	}
	wg.Wait()
	added := 0
	for i, mq := range add {
		if errs[i] != nil {
			c.log.Warn("rebalance: queue not started", "topic", c.client.bareName(topic), "queue_id", mq.QueueID, "err", errs[i])
			ok = false
			continue
		}
		c.addQueue(mq, offsets[i], lockedAt)
		added++
	}
	c.log.Info("queues rebalanced", "topic", c.client.bareName(topic), "added", added, "removed", len(gone), "owned", len(want))
	return ok
}

// addQueue starts consuming a queue from offset.
func (c *Consumer) addQueue(mq MessageQueue, offset int64, lockedAt time.Time) {
	q := c.newPullQueue(mq, offset, lockedAt)
	c.mu.Lock()
	c.queues[mq] = q
	c.mu.Unlock()
	c.wg.Go(func() { c.pullLoop(q, offset) })
	if c.cfg.Orderly {
		c.wg.Go(func() { c.orderlyLoop(q) })
	}
}

// release lets a queue go, in the background: it stops pulling, waits for
// the handler calls running on its messages, commits its offset (waiting for
// the broker) and, orderly, unlocks it so that its new owner starts at once;
// a queue whose lock was lost is neither committed nor unlocked. The caller
// has moved it from c.queues to c.dropping; release removes it from there
// when done.
func (c *Consumer) release(q *pullQueue) {
	q.drop()
	c.wg.Go(func() {
		<-q.pulled
		q.inflight.Wait()
		if !q.lockLost() {
			ctx, cancel := context.WithTimeout(context.Background(), c.client.cfg.RequestTimeout)
			if err := c.commitQueues(ctx, []*pullQueue{q}, true); err != nil {
				c.log.Warn("commit offset of a released queue", "topic", c.client.bareName(q.mq.Topic),
					"queue_id", q.mq.QueueID, "err", err)
			}
			if c.lockingOrderly() {
				if err := c.unlock(ctx, []MessageQueue{q.mq}); err != nil {
					c.log.Warn("unlock a released queue", "topic", c.client.bareName(q.mq.Topic),
						"queue_id", q.mq.QueueID, "err", err)
				}
			}
			cancel()
		}
		c.mu.Lock()
		if c.dropping[q.mq] == q {
			delete(c.dropping, q.mq)
		}
		c.mu.Unlock()
	})
}
