package broker

import (
	"sync"
	"time"
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

// tryLock locks every queue it can for clientID and returns those it holds.
func (t *lockTable) tryLock(group, clientID string, mqs []MessageQueue, now time.Time) []MessageQueue {
	locked := make([]MessageQueue, 0, len(mqs))
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, mq := range mqs {
		k := lockKey{group, mq}
		owner, ok := t.m[k]
		if ok && owner.clientID != clientID && now.Sub(owner.lastUpdate) <= t.ttl {
			continue
		}
		t.m[k] = lockOwner{clientID: clientID, lastUpdate: now}
		locked = append(locked, mq)
	}
	return locked
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
