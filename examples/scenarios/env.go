package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/rocketkit/rocketkit/admin"
	"github.com/rocketkit/rocketkit/client"
)

// env is what every scenario gets: the embedded broker's address, the
// process's client on it (one Client per cluster and process: every
// producer and consumer of the raw scenarios is made from it) and an admin
// client for the checks.
type env struct {
	addr    string        // name server and broker, one port
	timeout time.Duration // how long a scenario waits for its messages
	c       *client.Client
	adm     *admin.Client
}

// newEnv connects to the broker at addr. Close it when done.
func newEnv(addr string, timeout time.Duration) (*env, error) {
	c, err := client.New(client.Config{NameServers: []string{addr}})
	if err != nil {
		return nil, err
	}
	adm, err := admin.New(admin.Config{NameServers: []string{addr}})
	if err != nil {
		_ = c.Close()
		return nil, err
	}
	return &env{addr: addr, timeout: timeout, c: c, adm: adm}, nil
}

// Close closes the client.
func (e *env) Close() error { return e.c.Close() }

// newClient returns another Client on the broker, as another process
// would have: its own connections and, without configuring anything, its
// own instance name (S10). The caller closes it.
func (e *env) newClient() (*client.Client, error) {
	return client.New(client.Config{NameServers: []string{e.addr}})
}

// producer returns a producer of group on the process's client. The
// caller closes it.
func (e *env) producer(group string) (*client.Producer, error) {
	return e.c.NewProducer(client.ProducerConfig{Group: group})
}

// createTopic creates topic with 4 queues (mqadmin updateTopic), for a
// consumer that starts before anything was sent to it.
func (e *env) createTopic(ctx context.Context, topic string) error {
	_, err := e.adm.UpdateTopic(ctx, admin.TopicSpec{Topic: topic})
	return err
}

// collector gathers what a consumer received.
type collector struct {
	mu    sync.Mutex
	msgs  []*client.MessageExt
	first time.Time     // when the first message arrived
	added chan struct{} // buffered 1: signalled on every add
}

func newCollector() *collector { return &collector{added: make(chan struct{}, 1)} }

// handle is the consumers' Handler: it keeps every message.
func (c *collector) handle(_ context.Context, msgs []*client.MessageExt) client.ConsumeResult {
	c.mu.Lock()
	if c.first.IsZero() {
		c.first = time.Now()
	}
	c.msgs = append(c.msgs, msgs...)
	c.mu.Unlock()
	select {
	case c.added <- struct{}{}:
	default:
	}
	return client.ConsumeSuccess
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

// firstAt returns when the first message arrived (zero if none did).
func (c *collector) firstAt() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.first
}

// consume starts a push consumer of cfg on cl (the process's client when
// nil) whose handler collects every message. The caller closes it with
// stop.
func (e *env) consume(ctx context.Context, cl *client.Client, cfg client.ConsumerConfig) (*collector, *client.Consumer, error) {
	if cl == nil {
		cl = e.c
	}
	col := newCollector()
	con, err := cl.NewConsumer(cfg, col.handle)
	if err != nil {
		return nil, nil, err
	}
	if err := con.Start(ctx); err != nil {
		return nil, nil, err
	}
	return col, con, nil
}

// stop closes a consumer: it drains its handlers, commits and leaves the
// group.
func stop(con *client.Consumer) { _ = con.Close(context.Background()) }

// waitFor waits until c holds n messages or e.timeout passes, and returns
// the bodies.
func (e *env) waitFor(c *collector, n int) ([]string, error) {
	timer := time.NewTimer(e.timeout)
	defer timer.Stop()
	for {
		got := c.bodies()
		if len(got) >= n {
			return got, nil
		}
		select {
		case <-c.added:
		case <-timer.C:
			return c.bodies(), fmt.Errorf("received %d of %d messages in %v", len(c.bodies()), n, e.timeout)
		}
	}
}

// caughtUp waits until group has consumed every message of topic: its
// committed offset has reached the end of every queue (what mqadmin
// consumerProgress shows as a lag of 0). Messages a consumer filtered out
// count as consumed: that is how a tag nobody sends reads as "nothing, no
// error".
func (e *env) caughtUp(ctx context.Context, group, topic string) error {
	var last []admin.QueueProgress
	err := waitUntil(e.timeout, func() bool {
		stats, err := e.adm.ConsumeStats(ctx, group, topic)
		if err != nil || len(stats) == 0 {
			return false
		}
		last = stats
		for _, q := range stats {
			if q.Lag() > 0 {
				return false
			}
		}
		return true
	})
	if err != nil {
		return fmt.Errorf("%s has not consumed %s to its end (%v): %w", group, topic, last, err)
	}
	return nil
}

// ownedQueues counts the queues of topic that con consumes now.
func ownedQueues(con *client.Consumer, topic string) int {
	n := 0
	for _, q := range con.Queues() {
		if q.Topic == topic {
			n++
		}
	}
	return n
}
