package starter

import (
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
)

// SendOption adds to the messages a Template method sends. Options are
// sealed.
type SendOption interface{ apply(*sendOptions) }

type sendOptions struct {
	keys       []string
	props      map[string]string
	delayLevel int
}

type sendOptionFunc func(*sendOptions)

func (f sendOptionFunc) apply(o *sendOptions) { f(o) }

// WithKeys sets the message keys (KEYS): business keys the broker indexes,
// used to look messages up and to de-duplicate. Keep them unique.
func WithKeys(keys ...string) SendOption {
	return sendOptionFunc(func(o *sendOptions) { o.keys = append(o.keys, keys...) })
}

// WithProperty sets a user property. Empty names or values are ignored.
func WithProperty(name, value string) SendOption {
	return sendOptionFunc(func(o *sendOptions) {
		if o.props == nil {
			o.props = map[string]string{}
		}
		o.props[name] = value
	})
}

// WithDelayLevel delays delivery by the broker's delay level (1..18 with
// the default table: 1s 5s 10s 30s 1m ... 2h). Not allowed in batches.
func WithDelayLevel(level int) SendOption {
	return sendOptionFunc(func(o *sendOptions) { o.delayLevel = level })
}

func (o *sendOptions) applyTo(m *primitive.Message) {
	for k, v := range o.props {
		m.WithProperty(k, v)
	}
	if len(o.keys) > 0 {
		m.WithKeys(o.keys)
	}
	if o.delayLevel > 0 {
		m.WithDelayTimeLevel(o.delayLevel)
	}
}

// queueSelector sends keyed messages (SendOrderly) to the queue their
// sharding key hashes to, and spreads the others round-robin.
type queueSelector struct {
	hash, roundRobin producer.QueueSelector
}

func newQueueSelector() *queueSelector {
	return &queueSelector{hash: producer.NewHashQueueSelector(), roundRobin: producer.NewRoundRobinQueueSelector()}
}

func (s *queueSelector) Select(m *primitive.Message, qs []*primitive.MessageQueue, last string) *primitive.MessageQueue {
	if m.GetShardingKey() != "" {
		return s.hash.Select(m, qs, last)
	}
	return s.roundRobin.Select(m, qs, last)
}

var _ producer.QueueSelector = (*queueSelector)(nil)
