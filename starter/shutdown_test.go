package starter_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/broker/brokertest"
	"github.com/rocketkit/rocketkit/listener"
	"github.com/rocketkit/rocketkit/starter/startertest"
)

// SlowListener blocks in its first delivery until released (or until its
// ctx is cancelled), and records everything.
type SlowListener struct {
	listener.Concurrent `topic:"shutdown" group:"shutdown" consumers:"1"`
	in                  *inbox
	entered             chan struct{}
	release             chan struct{}
	once                sync.Once
}

func newSlowListener() *SlowListener {
	return &SlowListener{in: newInbox(), entered: make(chan struct{}), release: make(chan struct{})}
}

func (l *SlowListener) Handle(ctx context.Context, m *listener.Message) error {
	first := false
	l.once.Do(func() { first = true; close(l.entered) })
	if first {
		select {
		case <-l.release:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	l.in.add(m)
	return nil
}

// Stopping waits for the running handler, acknowledges what it handled and
// nothing else: the messages queued behind it reach the next instance.
func TestShutdownDrainsInFlightHandlers(t *testing.T) {
	b := brokertest.Start(t)
	ns := startertest.Config(map[string]any{"rocketmq.name-server": b.Addr()})
	slow := newSlowListener()
	app := startertest.New(t, ns, startertest.Listener(func() *SlowListener { return slow }))
	send := func(a *startertest.App, body string) {
		if _, err := a.Template.Send(sendCtx(t), "shutdown", body); err != nil {
			t.Fatal(err)
		}
	}
	send(app, "m1")
	<-slow.entered
	pulls := func() int64 { return b.Stats().Requests["PULL_MESSAGE"] }
	before := pulls()
	for _, body := range []string{"m2", "m3", "m4", "m5"} {
		send(app, body)
	}
	// They are pulled and queued behind m1: each of the 4 queues' held
	// pulls answered and its next pull sent.
	waitUntil(t, 10*time.Second, func() bool { return pulls() >= before+4 })

	stopped := make(chan struct{})
	go func() { app.RequireStop(); close(stopped) }()
	select {
	case <-stopped:
		t.Fatal("app stopped while a handler was running")
	case <-time.After(300 * time.Millisecond):
	}
	close(slow.release)
	select {
	case <-stopped:
	case <-time.After(10 * time.Second):
		t.Fatal("app did not stop after the handler returned")
	}
	if got := bodies(slow.in.snapshot()); !slices.Equal(got, []string{"m1"}) {
		t.Fatalf("first instance handled %v, want [m1]", got)
	}

	next := &AuditShutdown{in: newInbox()}
	app2 := startertest.New(t, ns, startertest.Listener(func() *AuditShutdown { return next }))
	send(app2, "after-restart")
	got := next.in.waitFor(t, 5, 10*time.Second)
	quietWindow(300 * time.Millisecond) // m1 again would arrive now
	b2 := bodies(next.in.snapshot())
	slices.Sort(b2)
	if !slices.Equal(b2, []string{"after-restart", "m2", "m3", "m4", "m5"}) {
		t.Errorf("next instance got %v (first %d), want m2..m5 and after-restart, never m1", b2, len(got))
	}
}

// AuditShutdown is the next instance of the same group.
type AuditShutdown struct {
	listener.Concurrent `topic:"shutdown" group:"shutdown"`
	in                  *inbox
}

func (l *AuditShutdown) Handle(_ context.Context, m *listener.Message) error { l.in.add(m); return nil }

// A handler still running after rocketmq.shutdown-timeout has its ctx
// cancelled; its message is not acknowledged and comes back.
func TestShutdownCancelsHandlersAfterTimeout(t *testing.T) {
	b := brokertest.Start(t)
	ns := startertest.Config(map[string]any{"rocketmq.name-server": b.Addr()})
	slow := newSlowListener()
	app := startertest.New(t, ns, startertest.Config(map[string]any{"rocketmq.shutdown-timeout": "300ms"}),
		startertest.Listener(func() *SlowListener { return slow }))
	if _, err := app.Template.Send(sendCtx(t), "shutdown", "stuck"); err != nil {
		t.Fatal(err)
	}
	<-slow.entered
	start := time.Now()
	app.RequireStop()
	if took := time.Since(start); took < 300*time.Millisecond || took > 15*time.Second {
		t.Errorf("stop took %v, want about the 300ms shutdown timeout (not the handler's whole run)", took)
	}
	if n := slow.in.count(); n != 0 {
		t.Fatalf("cancelled handler recorded %d messages", n)
	}

	next := &AuditShutdown{in: newInbox()}
	startertest.New(t, ns, startertest.Listener(func() *AuditShutdown { return next }))
	got := next.in.waitFor(t, 1, 10*time.Second)
	if string(got[0].Body) != "stuck" {
		t.Errorf("next instance got %q, want the interrupted message", got[0].Body)
	}
}
