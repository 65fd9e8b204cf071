package clienttest

import (
	"context"
	"sync"
	"testing"
	"time"

	rocketmq "github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/rocketkit/rocketkit/broker"
)

// Consumer is the client's push consumer whose Shutdown waits until the
// client has settled, so that shutting it down is not a data race inside
// the client.
//
// The client reads a "closed" flag in every RPC, and its Shutdown writes
// that flag without synchronisation, so Shutdown overlapping a rebalance is
// reported by the race detector. Start launches a rebalance, and every
// NOTIFY_CONSUMER_IDS_CHANGED the broker sends (a member joining, this one
// included, or leaving) launches another; on a loaded machine one of them
// can still be running long after the consumer received its messages.
// Shutdown therefore suspends the consumer (no more pulls or periodic
// rebalances), then waits until it has run for SettleAfterStart and the
// broker has received no request at all for SettleQuiet (Broker.WaitQuiet,
// which also orders every RPC the broker saw before Shutdown for the race
// detector).
type Consumer struct {
	rocketmq.PushConsumer
	b *broker.Broker

	mu      sync.Mutex
	started time.Time

	once sync.Once
	err  error
}

// How long Consumer.Shutdown waits; see Consumer.
const (
	SettleAfterStart = time.Second
	SettleQuiet      = 300 * time.Millisecond
	settleMax        = 15 * time.Second
)

// NewConsumer creates (but does not start) a push consumer of the broker b
// with opts, and shuts it down at the end of the test.
func NewConsumer(t testing.TB, b *broker.Broker, opts ...consumer.Option) *Consumer {
	t.Helper()
	pc, err := consumer.NewPushConsumer(opts...)
	if err != nil {
		t.Fatalf("new consumer: %v", err)
	}
	c := &Consumer{PushConsumer: pc, b: b}
	t.Cleanup(func() { _ = c.Shutdown() })
	return c
}

// Start starts the consumer and notes when, for Shutdown.
func (c *Consumer) Start() error {
	c.mu.Lock()
	c.started = time.Now()
	c.mu.Unlock()
	return c.PushConsumer.Start()
}

// Shutdown settles (see Consumer) and shuts the consumer down. Only the
// first call does the work; later ones return its result.
func (c *Consumer) Shutdown() error {
	c.once.Do(func() {
		c.mu.Lock()
		started := c.started
		c.mu.Unlock()
		if !started.IsZero() {
			c.Suspend()
			time.Sleep(time.Until(started.Add(SettleAfterStart)))
			ctx, cancel := context.WithTimeout(context.Background(), settleMax)
			_ = c.b.WaitQuiet(ctx, SettleQuiet) // on timeout, shut down all the same
			cancel()
		}
		c.err = c.PushConsumer.Shutdown()
	})
	return c.err
}
