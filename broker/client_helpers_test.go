package broker_test

// Helpers for tests that drive the official Go client against the broker.

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
	"github.com/rocketkit/rocketkit/broker"
	"github.com/rocketkit/rocketkit/internal/clienttest"
)

func TestMain(m *testing.M) {
	holdConnsMain() // a child process of TestLimitsTenThousandIdleConnectionsAndSlowloris
	clienttest.VerifyMain(m)
}

// uniqueName names topics, groups and client instances (one client
// instance per client object, as the wire doc §2.2 requires).
var uniqueName = clienttest.UniqueName

type producerAPI interface {
	Start() error
	Shutdown() error
	SendSync(ctx context.Context, msgs ...*primitive.Message) (*primitive.SendResult, error)
	SendAsync(ctx context.Context, f func(context.Context, *primitive.SendResult, error), msgs ...*primitive.Message) error
	SendOneWay(ctx context.Context, msgs ...*primitive.Message) error
}

// startProducer starts a producer against b, shut down at test end.
func startProducer(t testing.TB, b *broker.Broker, opts ...producer.Option) producerAPI {
	t.Helper()
	return startProducerAt(t, b.Addr(), opts...)
}

// startProducerAt starts a producer against the name server at addr, with
// its own group and instance name (so its own connection), shut down at
// test end. opts come last and override the defaults.
func startProducerAt(t testing.TB, addr string, opts ...producer.Option) producerAPI {
	t.Helper()
	base := []producer.Option{
		producer.WithNameServer(primitive.NamesrvAddr{addr}),
		producer.WithGroupName(uniqueName("pg")),
		producer.WithInstanceName(uniqueName("p")),
		producer.WithRetry(2),
	}
	p, err := producer.NewDefaultProducer(append(base, opts...)...)
	if err != nil {
		t.Fatalf("new producer: %v", err)
	}
	if err := p.Start(); err != nil {
		t.Fatalf("start producer: %v", err)
	}
	t.Cleanup(func() { _ = p.Shutdown() })
	return p
}

// received is what a test consumer saw.
type received struct {
	mu   sync.Mutex
	msgs []*primitive.MessageExt
	ch   chan struct{} // signalled on every message
}

func newReceived() *received { return &received{ch: make(chan struct{}, 1)} }

func (r *received) add(msgs ...*primitive.MessageExt) {
	r.mu.Lock()
	r.msgs = append(r.msgs, msgs...)
	r.mu.Unlock()
	select {
	case r.ch <- struct{}{}:
	default:
	}
}

func (r *received) snapshot() []*primitive.MessageExt {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*primitive.MessageExt(nil), r.msgs...)
}

func (r *received) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.msgs)
}

// waitFor waits until at least n messages arrived or the timeout passes.
func (r *received) waitFor(t testing.TB, n int, timeout time.Duration) []*primitive.MessageExt {
	t.Helper()
	deadline := time.After(timeout)
	for r.count() < n {
		select {
		case <-r.ch:
		case <-deadline:
			t.Fatalf("received %d messages, want %d within %v", r.count(), n, timeout)
		}
	}
	return r.snapshot()
}

type pushConsumer interface {
	Start() error
	Shutdown() error
	Subscribe(topic string, selector consumer.MessageSelector, f func(context.Context, ...*primitive.MessageExt) (consumer.ConsumeResult, error)) error
}

// startConsumer starts a push consumer of group on topic with tag
// expression expr, recording every message into r.
func startConsumer(t testing.TB, b *broker.Broker, group, topic, expr string, r *received, opts ...consumer.Option) pushConsumer {
	t.Helper()
	c := newConsumer(t, b, group, opts...)
	err := c.Subscribe(topic, consumer.MessageSelector{Type: consumer.TAG, Expression: expr},
		func(_ context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
			r.add(msgs...)
			return consumer.ConsumeSuccess, nil
		})
	if err != nil {
		t.Fatalf("subscribe: %v", err)
	}
	if err := c.Start(); err != nil {
		t.Fatalf("start consumer: %v", err)
	}
	return c
}

// newConsumer creates (but does not start) a push consumer, shut down at
// test end.
func newConsumer(t testing.TB, b *broker.Broker, group string, opts ...consumer.Option) pushConsumer {
	t.Helper()
	base := []consumer.Option{
		consumer.WithNameServer(primitive.NamesrvAddr{b.Addr()}),
		consumer.WithGroupName(group),
		consumer.WithInstance(uniqueName("c")),
		consumer.WithConsumeFromWhere(consumer.ConsumeFromFirstOffset),
		// The client's flow-control counters are shared by its per-queue
		// pull goroutines without synchronisation; the race detector
		// reports them when flow control engages (by default at 1000 or 1024
		// cached messages per queue). Raise the thresholds to their maximum.
		consumer.WithConsumeConcurrentlyMaxSpan(65535),
		consumer.WithPullThresholdForQueue(65535),
	}
	return clienttest.NewConsumer(t, b, append(base, opts...)...)
}

// sendSync sends one message and fails the test unless it is SEND_OK.
func sendSync(t testing.TB, p producerAPI, msg *primitive.Message) *primitive.SendResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := p.SendSync(ctx, msg)
	if err != nil {
		t.Fatalf("send %s: %v", msg.Topic, err)
	}
	if res.Status != primitive.SendOK {
		t.Fatalf("send %s: status %v, want SEND_OK", msg.Topic, res.Status)
	}
	return res
}

// bodies lists message bodies as strings.
func bodies(msgs []*primitive.MessageExt) []string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = string(m.Body)
	}
	return out
}
