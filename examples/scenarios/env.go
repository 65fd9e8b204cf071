package main

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	rocketmq "github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
)

// env is what every scenario gets: the embedded broker's address and
// helpers that build official-client producers and consumers for it.
type env struct {
	addr    string        // name server and broker, one port
	timeout time.Duration // how long a scenario waits for its messages
	seq     atomic.Int64
}

// name returns prefix with a sequence number: a distinct instance name
// for every client object (S10), or a fresh group.
func (e *env) name(prefix string) string { return fmt.Sprintf("%s-%d", prefix, e.seq.Add(1)) }

// producer starts an official producer of group with its own instance
// name. The caller shuts it down.
func (e *env) producer(group string, opts ...producer.Option) (rocketmq.Producer, error) {
	p, err := rocketmq.NewProducer(append([]producer.Option{
		producer.WithNameServer(primitive.NamesrvAddr{e.addr}),
		producer.WithGroupName(group),
		producer.WithInstanceName(e.name(group)),
	}, opts...)...)
	if err != nil {
		return nil, err
	}
	return p, p.Start()
}

// subscription is one consumer of a scenario.
type subscription struct {
	group, topic, expr string
	orderly            bool
}

// collector gathers what a consumer received.
type collector struct {
	mu   sync.Mutex
	msgs []*primitive.MessageExt
}

func (c *collector) add(msgs ...*primitive.MessageExt) {
	c.mu.Lock()
	c.msgs = append(c.msgs, msgs...)
	c.mu.Unlock()
}

// bodies returns the bodies received so far, in arrival order.
func (c *collector) bodies() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]string, len(c.msgs))
	for i, m := range c.msgs {
		out[i] = string(m.Body)
	}
	return out
}

// consume runs a push consumer for s, reading the topic from its first
// message, and returns its collector and a stop function.
func (e *env) consume(s subscription) (*collector, func(), error) {
	c := &collector{}
	pc, err := rocketmq.NewPushConsumer(
		consumer.WithNameServer(primitive.NamesrvAddr{e.addr}),
		consumer.WithGroupName(s.group),
		consumer.WithInstance(e.name(s.group)),
		consumer.WithConsumeFromWhere(consumer.ConsumeFromFirstOffset),
		consumer.WithConsumerOrder(s.orderly),
	)
	if err != nil {
		return nil, nil, err
	}
	// The orderly consumer (WithConsumerOrder) calls the same function, one
	// queue at a time, each queue's messages in order.
	err = pc.Subscribe(s.topic, consumer.MessageSelector{Type: consumer.TAG, Expression: s.expr},
		func(_ context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
			c.add(msgs...)
			return consumer.ConsumeSuccess, nil
		})
	if err != nil {
		return nil, nil, err
	}
	if err := pc.Start(); err != nil {
		return nil, nil, err
	}
	return c, func() { _ = pc.Shutdown() }, nil
}

// waitFor waits until c holds n messages or e.timeout passes, and returns
// the bodies.
func (e *env) waitFor(c *collector, n int) ([]string, error) {
	deadline := time.Now().Add(e.timeout)
	for {
		got := c.bodies()
		if len(got) >= n {
			return got, nil
		}
		if time.Now().After(deadline) {
			return got, fmt.Errorf("received %d of %d messages in %v", len(got), n, e.timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
