package outbox

import (
	"context"
	"hash/fnv"
	"sync"
	"sync/atomic"

	"github.com/rocketkit/rocketkit/client"
	"github.com/rocketkit/rocketkit/protocol/message"
)

// queueSelector picks the queue of every relay send. A message with a
// SHARDING_KEY property goes to queue fnv32a(key) modulo the number of
// queues, as client.HashKey picks it, so every relay (and any producer
// sending with client.HashKey) puts one key in one queue; a message
// without one goes round robin. It also remembers each topic's queue
// count, which lets the relay put messages of different sharding keys
// bound for the same queue into one batch. It is safe for concurrent use.
type queueSelector struct {
	counts sync.Map // topic -> int, the latest queue count seen
	next   atomic.Uint32
}

var _ client.QueueSelector = (*queueSelector)(nil)

// Select implements client.QueueSelector. For a batch it gets the first
// message, whose key the relay chose the batch's queue by.
func (s *queueSelector) Select(msg *client.Message, queues []client.MessageQueue) client.MessageQueue {
	s.setCount(msg.Topic, len(queues))
	if key := msg.Properties[message.PropertyShardingKey]; key != "" {
		return queues[queueSlot(key, len(queues))]
	}
	return queues[int(s.next.Add(1)%uint32(len(queues)))]
}

// count returns topic's queue count, 0 when not known yet.
func (s *queueSelector) count(topic string) int {
	if v, ok := s.counts.Load(topic); ok {
		return v.(int)
	}
	return 0
}

func (s *queueSelector) setCount(topic string, n int) {
	if n <= 0 || s.count(topic) == n {
		return
	}
	s.counts.Store(topic, n)
}

// queueLister is a Sender that can tell a topic's writable queues before
// sending to it (*client.Producer, which the Native backend's producers
// are): the relay then batches a topic's keys from its first claim on.
type queueLister interface {
	Queues(ctx context.Context, topic string) ([]client.MessageQueue, error)
}

// listerOf returns the queueLister behind s, if any.
func listerOf(s Sender) queueLister {
	if p, ok := s.(*Producer); ok {
		s = p.p
	}
	l, _ := s.(queueLister)
	return l
}

// queueSlot is the queue index the selector (and client.HashKey) picks for
// a sharding key among n queues.
func queueSlot(shardingKey string, n int) int {
	h := fnv.New32a()
	h.Write([]byte(shardingKey))
	slot := int(h.Sum32()) % n
	if slot < 0 {
		slot = -slot
	}
	return slot
}
