package starter_test

import (
	"context"
	"errors"
	"maps"
	"strings"
	"sync"
	"testing"

	"github.com/rocketkit/rocketkit/client"
	"github.com/rocketkit/rocketkit/listener"
	"github.com/rocketkit/rocketkit/starter/startertest"
	"github.com/rocketkit/rocketkit/transport"
)

// faultyBackend is the kit's own backend whose third consumer fails, to be
// created or to start (faulty.failStep), whatever its listener: fx hands
// the starter its listeners in no fixed order. It records what the starter
// does with the consumers that worked.
const faultyBackendName = "faulty-for-tests"

var faulty = &consumerLedger{}

type consumerLedger struct {
	mu       sync.Mutex
	failStep string // "new" or "start"
	created  int
	starts   int
	started  map[string]int // by group
	closed   map[string]int
}

func (l *consumerLedger) reset(failStep string) {
	l.mu.Lock()
	l.failStep, l.created, l.starts = failStep, 0, 0
	l.started, l.closed = map[string]int{}, map[string]int{}
	l.mu.Unlock()
}

// next counts a step and reports whether it is the third of failStep.
func (l *consumerLedger) next(step string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := &l.created
	if step == "start" {
		n = &l.starts
	}
	*n++
	return step == l.failStep && *n == 3
}

func init() {
	transport.Register(faultyBackendName, func(cfg client.Config, _ transport.OpenOptions) (transport.Backend, error) {
		b, err := transport.Native(cfg)
		if err != nil {
			return nil, err
		}
		return faultyBackend{b}, nil
	})
}

type faultyBackend struct{ transport.Backend }

func (b faultyBackend) NewConsumer(cfg client.ConsumerConfig, h client.Handler) (transport.Consumer, error) {
	if faulty.next("new") {
		return nil, errors.New("injected: cannot create consumer")
	}
	c, err := b.Backend.NewConsumer(cfg, h)
	if err != nil {
		return nil, err
	}
	return &ledgerConsumer{Consumer: c, group: cfg.Group}, nil
}

type ledgerConsumer struct {
	transport.Consumer
	group string
}

func (c *ledgerConsumer) Start(ctx context.Context) error {
	if faulty.next("start") {
		return errors.New("injected: cannot start consumer")
	}
	if err := c.Consumer.Start(ctx); err != nil {
		return err
	}
	faulty.mu.Lock()
	faulty.started[c.group]++
	faulty.mu.Unlock()
	return nil
}

func (c *ledgerConsumer) Close(ctx context.Context) error {
	faulty.mu.Lock()
	faulty.closed[c.group]++
	faulty.mu.Unlock()
	return c.Consumer.Close(ctx)
}

type StartsFine struct {
	listener.Concurrent `topic:"startup" group:"startup-fine"`
}

func (StartsFine) Handle(context.Context, *listener.Message) error { return nil }

type StartsFineToo struct {
	listener.Orderly `topic:"startup" group:"startup-fine-too"`
}

func (StartsFineToo) Handle(context.Context, *listener.Message) error { return nil }

type StartsFineThree struct {
	listener.Concurrent `topic:"startup" group:"startup-fine-three"`
}

func (StartsFineThree) Handle(context.Context, *listener.Message) error { return nil }

// TestListenerStartupRollsBack starts three listeners whose third consumer
// fails (to be created, or to start): the app's start fails naming the
// listener and the step, and the two consumers already started are closed
// again, each once.
func TestListenerStartupRollsBack(t *testing.T) {
	for _, step := range []string{"new", "start"} {
		t.Run(step, func(t *testing.T) {
			faulty.reset(step)
			_, err := startertest.Start(t,
				startertest.Config(map[string]any{"rocketmq.client": faultyBackendName}),
				startertest.Listener(func() *StartsFine { return &StartsFine{} }),
				startertest.Listener(func() *StartsFineToo { return &StartsFineToo{} }),
				startertest.Listener(func() *StartsFineThree { return &StartsFineThree{} }),
			)
			want := map[string]string{"new": "new consumer: injected", "start": "start consumer: injected"}[step]
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("start: %v, want an error containing %q", err, want)
			}
			faulty.mu.Lock()
			started, closed := maps.Clone(faulty.started), maps.Clone(faulty.closed)
			faulty.mu.Unlock()
			if len(started) != 2 || !maps.Equal(started, closed) {
				t.Errorf("started %v, closed %v: want two consumers started and each closed once", started, closed)
			}
			for g, n := range started {
				if n != 1 {
					t.Errorf("group %s started %d times", g, n)
				}
			}
		})
	}
}
