package starter_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/listener"
	"github.com/rocketkit/rocketkit/starter/startertest"
)

// deadlineSeen records how far off each handler call's ctx deadline was.
type deadlineSeen struct {
	mu   sync.Mutex
	left []time.Duration // 0: no deadline
	in   *inbox
}

func (d *deadlineSeen) record(ctx context.Context, m *listener.Message) {
	left := time.Duration(0)
	if dl, ok := ctx.Deadline(); ok {
		left = time.Until(dl)
	}
	d.mu.Lock()
	d.left = append(d.left, left)
	d.mu.Unlock()
	d.in.add(m)
}

// NoTimeoutTag leaves its handler's deadline to rocketmq.consumer.consume-timeout.
type NoTimeoutTag struct {
	listener.Concurrent `topic:"deadline_default" group:"deadline-default"`
	deadlineSeen
}

func (l *NoTimeoutTag) Handle(ctx context.Context, m *listener.Message) error {
	l.record(ctx, m)
	return nil
}

// TimeoutTag sets its own.
type TimeoutTag struct {
	listener.Concurrent `topic:"deadline_tag" group:"deadline-tag" timeout:"5m"`
	deadlineSeen
}

func (l *TimeoutTag) Handle(ctx context.Context, m *listener.Message) error {
	l.record(ctx, m)
	return nil
}

// TestConsumeTimeoutIsTheDefaultHandlerDeadline: a listener without a
// timeout tag runs its handler with rocketmq.consumer.consume-timeout as
// its ctx deadline (Java's consumeTimeout); a tag's timeout wins.
func TestConsumeTimeoutIsTheDefaultHandlerDeadline(t *testing.T) {
	plain := &NoTimeoutTag{deadlineSeen: deadlineSeen{in: newInbox()}}
	tagged := &TimeoutTag{deadlineSeen: deadlineSeen{in: newInbox()}}
	app := startertest.New(t, startertest.Config(map[string]any{"rocketmq.consumer.consume-timeout": "42m"}),
		startertest.Listener(func() *NoTimeoutTag { return plain }), startertest.Listener(func() *TimeoutTag { return tagged }))
	for _, topic := range []string{"deadline_default", "deadline_tag"} {
		if _, err := app.Template.Send(sendCtx(t), topic, "x"); err != nil {
			t.Fatal(err)
		}
	}
	plain.in.waitFor(t, 1, 20*time.Second)
	tagged.in.waitFor(t, 1, 20*time.Second)
	for _, c := range []struct {
		name     string
		d        *deadlineSeen
		from, to time.Duration
	}{
		{"no tag: consume-timeout", &plain.deadlineSeen, 41 * time.Minute, 42 * time.Minute},
		{"timeout tag", &tagged.deadlineSeen, 4 * time.Minute, 5 * time.Minute},
	} {
		c.d.mu.Lock()
		left := c.d.left[0]
		c.d.mu.Unlock()
		if left <= c.from || left > c.to {
			t.Errorf("%s: handler deadline %v away, want within (%v, %v]", c.name, left, c.from, c.to)
		}
	}
}
