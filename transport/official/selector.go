package official

import (
	"hash/fnv"
	"sync"

	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
	"github.com/rocketkit/rocketkit/client"
)

// selector is every official producer's queue selector. The official
// client picks a queue per producer, not per send, so a send that asks for
// a queue (client.ToQueue, HashKey, WithSelector) leaves a ticket in its
// message's Queue field, which the official client carries along (into a
// batch too) without reading it; Select looks the ticket up. Sends without
// a ticket go round-robin, the official client's default.
type selector struct {
	b       *backend
	pending sync.Map // *primitive.MessageQueue (a ticket) -> choice
	rr      producer.QueueSelector
}

var _ producer.QueueSelector = (*selector)(nil)

// choice is what a send asked for.
type choice struct {
	opts client.SendOptions
	msg  *client.Message
}

func newSelector(b *backend) *selector {
	return &selector{b: b, rr: producer.NewRoundRobinQueueSelector()}
}

// choose records what opts ask for msg, sent as pm, and returns the
// function that forgets it once the send is over.
func (s *selector) choose(pm *primitive.Message, msg *client.Message, opts []client.SendOption) func() {
	o := client.ResolveSendOptions(opts...)
	if o.Queue == nil && !o.Hashed && o.Selector == nil {
		return func() {}
	}
	ticket := new(primitive.MessageQueue)
	pm.Queue = ticket
	s.pending.Store(ticket, choice{opts: o, msg: msg})
	return func() { s.pending.Delete(ticket) }
}

// Select picks the queue as package client's producer does: the queue
// asked for, fnv32a(key) modulo the number of queues for a hash key (the
// official hash selector's rule), or the custom selector's pick.
func (s *selector) Select(pm *primitive.Message, mqs []*primitive.MessageQueue, lastBroker string) *primitive.MessageQueue {
	v, ok := s.pending.Load(pm.Queue)
	if pm.Queue == nil || !ok {
		return s.rr.Select(pm, mqs, lastBroker)
	}
	c := v.(choice)
	switch {
	case c.opts.Queue != nil:
		return find(mqs, c.opts.Queue.BrokerName, c.opts.Queue.QueueID)
	case c.opts.Hashed:
		h := fnv.New32a()
		_, _ = h.Write([]byte(c.opts.HashKey))
		return mqs[int(h.Sum32())%len(mqs)]
	default:
		queues := make([]client.MessageQueue, len(mqs))
		for i, q := range mqs {
			queues[i] = client.MessageQueue{Topic: s.b.bareName(q.Topic), BrokerName: q.BrokerName, QueueID: q.QueueId}
		}
		q := c.opts.Selector.Select(c.msg, queues)
		return find(mqs, q.BrokerName, q.QueueID)
	}
}

// find returns the queue of mqs on broker with id; one made up for that
// broker and id when the route has none (package client sends there all
// the same).
func find(mqs []*primitive.MessageQueue, broker string, id int) *primitive.MessageQueue {
	for _, q := range mqs {
		if q.BrokerName == broker && q.QueueId == id {
			return q
		}
	}
	return &primitive.MessageQueue{Topic: mqs[0].Topic, BrokerName: broker, QueueId: id}
}
