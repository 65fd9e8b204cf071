package broker

import (
	"sync"
	"time"

	"github.com/rocketkit/rocketkit/broker/store"
	"github.com/rocketkit/rocketkit/protocol/remoting"
)

// holdKey names the queue a held pull waits on.
type holdKey struct {
	topic   string
	queueID int32
}

// heldPull is a PULL_MESSAGE that found nothing and waits for a message
// (long polling) or its deadline.
type heldPull struct {
	c        *conn
	pull     *pullRequest
	deadline time.Time
	timer    *time.Timer // guarded by pullHolds.mu
}

// pullHolds parks pulls per queue. A held pull is answered as soon as a
// message is appended to its queue that matches its filter, or when its
// hold time runs out; an idle consumer therefore costs no CPU.
// Lock order: pullHolds.mu is a leaf; nothing else is locked under it.
type pullHolds struct {
	store   *store.Store
	out     *counterMap[GroupTopic] // messages served, by group and topic (traffic.go)
	mu      sync.Mutex
	byQueue map[holdKey][]*heldPull // guarded by mu
	closed  bool                    // guarded by mu
}

func newPullHolds(st *store.Store, out *counterMap[GroupTopic]) *pullHolds {
	return &pullHolds{store: st, out: out, byQueue: make(map[holdKey][]*heldPull)}
}

// hold parks p for at most d. If a message arrived between the failed read
// and the parking, the pull is re-run at once.
func (h *pullHolds) hold(c *conn, p *pullRequest, d time.Duration) {
	hp := &heldPull{c: c, pull: p, deadline: time.Now().Add(d)}
	k := holdKey{p.topic, p.queueID}
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return
	}
	h.parkLocked(k, hp)
	h.mu.Unlock()

	if _, maxOff := h.store.QueueRange(p.topic, p.queueID); maxOff > p.offset {
		h.notify(p.topic, p.queueID)
	}
}

// notify wakes the pulls held on a queue; it is the store's OnAppend hook.
func (h *pullHolds) notify(topic string, queueID int32) {
	k := holdKey{topic, queueID}
	h.mu.Lock()
	list := h.byQueue[k]
	if len(list) == 0 {
		h.mu.Unlock()
		return
	}
	delete(h.byQueue, k)
	h.mu.Unlock()
	go h.retry(k, list)
}

// parkLocked queues hp and (re)arms its timer for the time it has left. A
// pull is answered only by whoever takes it out of the list (retry or
// expire), so a timer that fires while the pull is out being retried does
// nothing and the re-armed one takes over.
// Lock should be held.
func (h *pullHolds) parkLocked(k holdKey, hp *heldPull) {
	h.byQueue[k] = append(h.byQueue[k], hp)
	if hp.timer != nil {
		hp.timer.Stop()
	}
	hp.timer = time.AfterFunc(time.Until(hp.deadline), func() { h.expire(k, hp) })
}

// retry re-runs woken pulls (with the group's subscription as it is now,
// see readPull); those that still find nothing are parked again until
// their original deadline; a refusal (a subscription that is not the
// latest, say) is answered.
func (h *pullHolds) retry(k holdKey, list []*heldPull) {
	var again []*heldPull
	for _, hp := range list {
		resp, found := readPull(h.store, hp.pull, h.out)
		if !found && (resp.Code == remoting.PullNotFound || resp.Code == remoting.PullRetryImmediately) {
			again = append(again, hp)
			continue
		}
		h.mu.Lock()
		hp.timer.Stop()
		h.mu.Unlock()
		hp.c.answer(resp)
	}
	if len(again) == 0 {
		return
	}
	h.mu.Lock()
	if !h.closed {
		for _, hp := range again {
			h.parkLocked(k, hp)
		}
	}
	h.mu.Unlock()
}

// expire answers a pull whose hold time ran out with whatever is there now,
// read with the group's subscription as it is now: a pull held across a
// re-subscription does not skip the messages only the new expression
// matches.
func (h *pullHolds) expire(k holdKey, hp *heldPull) {
	if !h.remove(k, hp) {
		return // already answered
	}
	resp, _ := readPull(h.store, hp.pull, h.out)
	hp.c.answer(resp)
}

// remove takes hp out of the queue's list, reporting whether it was there.
func (h *pullHolds) remove(k holdKey, hp *heldPull) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	list := h.byQueue[k]
	for i, x := range list {
		if x == hp {
			list[i] = list[len(list)-1]
			list = list[:len(list)-1]
			if len(list) == 0 {
				delete(h.byQueue, k)
			} else {
				h.byQueue[k] = list
			}
			return true
		}
	}
	return false
}

// connClosed discards the pulls held for c.
func (h *pullHolds) connClosed(c *conn) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for k, list := range h.byQueue {
		kept := list[:0]
		for _, hp := range list {
			if hp.c == c {
				hp.timer.Stop()
				continue
			}
			kept = append(kept, hp)
		}
		if len(kept) == 0 {
			delete(h.byQueue, k)
		} else {
			h.byQueue[k] = kept
		}
	}
}

// dropAll discards every held pull (broker shutdown).
func (h *pullHolds) dropAll() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for k, list := range h.byQueue {
		for _, hp := range list {
			hp.timer.Stop()
		}
		delete(h.byQueue, k)
	}
}

// count reports how many pulls are held (for tests and stats).
func (h *pullHolds) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, list := range h.byQueue {
		n += len(list)
	}
	return n
}
