package broker

import (
	"sync"
	"time"

	"github.com/rocketkit/rocketkit/protocol/remoting"
)

// MessageQueue names one queue, as in lock request bodies.
type MessageQueue struct {
	Topic      string `json:"topic"`
	BrokerName string `json:"brokerName"`
	QueueID    int32  `json:"queueId"`
}

type lockKey struct {
	group string
	mq    MessageQueue
}

type lockOwner struct {
	clientID   string
	lastUpdate time.Time
}

// lockTable is RocketMQ's RebalanceLockManager: per group and queue one
// owning client, renewed by every lock request and expiring after
// RebalanceLockMaxLiveTime. Locks are also released when the owner leaves
// its group (connection closed, heartbeat expired or left).
// Lock order: clientTable.mu before lockTable.mu.
type lockTable struct {
	ttl time.Duration
	mu  sync.Mutex
	m   map[lockKey]lockOwner // guarded by mu
}

func newLockTable(ttl time.Duration) *lockTable {
	return &lockTable{ttl: ttl, m: make(map[lockKey]lockOwner)}
}

// tryLock locks every queue it can for clientID and returns those it
// holds, and, when another client holds some of the others, when the
// first of those locks expires unless renewed (zero when none was refused).
func (t *lockTable) tryLock(group, clientID string, mqs []MessageQueue, now time.Time) (locked []MessageQueue, freeAt time.Time) {
	locked = make([]MessageQueue, 0, len(mqs))
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, mq := range mqs {
		k := lockKey{group, mq}
		owner, ok := t.m[k]
		if ok && owner.clientID != clientID && now.Sub(owner.lastUpdate) <= t.ttl {
			if expires := owner.lastUpdate.Add(t.ttl); freeAt.IsZero() || expires.Before(freeAt) {
				freeAt = expires
			}
			continue
		}
		t.m[k] = lockOwner{clientID: clientID, lastUpdate: now}
		locked = append(locked, mq)
	}
	return locked, freeAt
}

// unlock releases the queues clientID owns.
func (t *lockTable) unlock(group, clientID string, mqs []MessageQueue) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, mq := range mqs {
		k := lockKey{group, mq}
		if owner, ok := t.m[k]; ok && owner.clientID == clientID {
			delete(t.m, k)
		}
	}
}

// releaseClient releases every lock clientID holds in group.
func (t *lockTable) releaseClient(group, clientID string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for k, owner := range t.m {
		if k.group == group && owner.clientID == clientID {
			delete(t.m, k)
		}
	}
}

// groupHoldsLock reports whether any member of group holds a live lock.
func (t *lockTable) groupHoldsLock(group string, now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	for k, owner := range t.m {
		if k.group == group && now.Sub(owner.lastUpdate) <= t.ttl {
			return true
		}
	}
	return false
}

// lockWakeMargin is how long after a refused lock's expiry its waiter is
// woken, so that the expiry has certainly passed when it asks again.
const lockWakeMargin = 50 * time.Millisecond

// lockWaits wakes the clients whose lock requests were refused: when the
// first refused lock expires (unless renewed), the client is sent
// NOTIFY_CONSUMER_IDS_CHANGED, so it rebalances and asks again then rather
// than at its next periodic rebalance (every 20 s in the Go client). The
// Go client never unlocks the queues it gives up in a rebalance, so an
// orderly member that joins a group always meets refused locks: without
// the wake-up it waits for the expiry and then up to 20 s more.
type lockWaits struct {
	mu     sync.Mutex
	waits  map[waitKey]*lockWait // guarded by mu
	closed bool                  // guarded by mu
}

type waitKey struct{ group, clientID string }

type lockWait struct {
	at    time.Time
	timer *time.Timer
}

func newLockWaits() *lockWaits { return &lockWaits{waits: make(map[waitKey]*lockWait)} }

// wakeAt arranges for c (clientID's connection) to be notified to
// rebalance group shortly after at; an earlier wake-up already arranged
// stands.
func (w *lockWaits) wakeAt(c *conn, group, clientID string, at time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return
	}
	k := waitKey{group, clientID}
	if cur, ok := w.waits[k]; ok {
		if !cur.at.After(at) {
			return
		}
		cur.timer.Stop()
	}
	lw := &lockWait{at: at}
	lw.timer = time.AfterFunc(time.Until(at)+lockWakeMargin, func() {
		w.mu.Lock()
		if w.waits[k] == lw {
			delete(w.waits, k)
		}
		closed := w.closed
		w.mu.Unlock()
		select {
		case <-c.closed:
		default:
			if !closed {
				c.sendOneway(remoting.NotifyConsumerIDsChanged, remoting.Fields{{Key: "consumerGroup", Value: group}}, nil)
			}
		}
	})
	w.waits[k] = lw
}

// stop cancels every pending wake-up (broker shutdown).
func (w *lockWaits) stop() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closed = true
	for k, lw := range w.waits {
		lw.timer.Stop()
		delete(w.waits, k)
	}
}
