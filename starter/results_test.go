package starter_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/internal/clienttest"
	"github.com/rocketkit/rocketkit/listener"
	"github.com/rocketkit/rocketkit/starter/startertest"
)

// attempts records every delivery a listener saw and decides its result.
type attempts struct {
	in     *inbox
	mu     sync.Mutex
	decide func(m *listener.Message, n int) error // n: deliveries of m.MsgID so far, 1-based
	seen   map[string]int
}

func newAttempts(decide func(*listener.Message, int) error) *attempts {
	return &attempts{in: newInbox(), decide: decide, seen: map[string]int{}}
}

func (a *attempts) handle(m *listener.Message) error {
	a.mu.Lock()
	a.seen[m.MsgID]++
	n := a.seen[m.MsgID]
	a.mu.Unlock()
	a.in.add(m)
	return a.decide(m, n)
}

// DLQReader reads a group's dead-letter topic, %DLQ%<group>.
type DLQReader struct {
	listener.Concurrent `topic:"%DLQ%${dlq.group}" group:"dlq-reader-${dlq.group}"`
	in                  *inbox
}

func (l *DLQReader) Handle(_ context.Context, m *listener.Message) error { l.in.add(m); return nil }

// dlqReader returns a reader of group's dead letters and the options that
// add it to an app; the group reaches the tag through a placeholder.
func dlqReader(group string) (*DLQReader, []startertest.Option) {
	r := &DLQReader{in: newInbox()}
	return r, []startertest.Option{
		startertest.Config(map[string]any{"dlq.group": group}),
		startertest.Listener(func() *DLQReader { return r }),
	}
}

type RetryListener struct {
	listener.Concurrent `topic:"results-retry" group:"results-retry"`
	a                   *attempts
}

func (l *RetryListener) Handle(_ context.Context, m *listener.Message) error { return l.a.handle(m) }

// An error means "retry later": the message comes back through the retry
// topic with ReconsumeTimes 1 and the same id.
func TestHandlerErrorRetriesLater(t *testing.T) {
	a := newAttempts(func(_ *listener.Message, n int) error {
		if n == 1 {
			return errors.New("flaky")
		}
		return nil
	})
	app := startertest.New(t, startertest.Listener(func() *RetryListener { return &RetryListener{a: a} }))
	res, err := app.Template.Send(sendCtx(t), "results-retry:x", "payload")
	if err != nil {
		t.Fatal(err)
	}
	got := a.in.waitFor(t, 2, 10*time.Second)
	if got[0].ReconsumeTimes != 0 || got[1].ReconsumeTimes != 1 || got[1].MsgID != res.MsgID || got[1].Topic != "results-retry" || string(got[1].Body) != "payload" {
		t.Errorf("deliveries: %+v then %+v", got[0], got[1])
	}
}

type DiscardListener struct {
	listener.Concurrent `topic:"results-discard" group:"results-discard"`
	a                   *attempts
}

func (l *DiscardListener) Handle(_ context.Context, m *listener.Message) error { return l.a.handle(m) }

// Discard dead-letters at once: the handler sees the message once and the
// DLQ reader receives it.
func TestDiscardDeadLettersAtOnce(t *testing.T) {
	a := newAttempts(func(*listener.Message, int) error { return listener.Discard(errors.New("poison")) })
	dlq, opts := dlqReader("results-discard")
	app := startertest.New(t, append(opts, startertest.Listener(func() *DiscardListener { return &DiscardListener{a: a} }))...)
	res, err := app.Template.Send(sendCtx(t), "results-discard", "poison")
	if err != nil {
		t.Fatal(err)
	}
	got := dlq.in.waitFor(t, 1, 10*time.Second)
	if got[0].MsgID != res.MsgID || string(got[0].Body) != "poison" || got[0].Property("RETRY_TOPIC") != "results-discard" {
		t.Errorf("dead letter %+v", got[0])
	}
	quietWindow(300 * time.Millisecond) // a retry would come back within this
	if n := a.in.count(); n != 1 {
		t.Errorf("handler saw the message %d times, want 1", n)
	}
}

type PanicListener struct {
	listener.Concurrent `topic:"results-panic" group:"results-panic"`
	a                   *attempts
}

func (l *PanicListener) Handle(_ context.Context, m *listener.Message) error { return l.a.handle(m) }

// A panic is recovered, logged with its stack and retried like an error.
func TestPanicIsRecoveredAndRetried(t *testing.T) {
	a := newAttempts(func(_ *listener.Message, n int) error {
		if n == 1 {
			panic("handler bug")
		}
		return nil
	})
	var logs clienttest.LockedBuffer
	app := startertest.New(t, startertest.Logger(slog.New(slog.NewTextHandler(&logs, nil))),
		startertest.Listener(func() *PanicListener { return &PanicListener{a: a} }))
	if _, err := app.Template.Send(sendCtx(t), "results-panic", "x"); err != nil {
		t.Fatal(err)
	}
	got := a.in.waitFor(t, 2, 10*time.Second)
	if got[1].ReconsumeTimes != 1 {
		t.Errorf("redelivery ReconsumeTimes %d", got[1].ReconsumeTimes)
	}
	out := logs.String()
	for _, want := range []string{"listener handler panicked", "panic=\"handler bug\"", "results_test.go", "listener=PanicListener"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
}

type ExhaustListener struct {
	listener.Concurrent `topic:"results-exhaust" group:"results-exhaust" maxReconsume:"2"`
	a                   *attempts
}

func (l *ExhaustListener) Handle(_ context.Context, m *listener.Message) error { return l.a.handle(m) }

// After maxReconsume retries a failing message is dead-lettered.
func TestRetriesExhaustedGoToDLQ(t *testing.T) {
	a := newAttempts(func(*listener.Message, int) error { return errors.New("always") })
	dlq, opts := dlqReader("results-exhaust")
	app := startertest.New(t, append(opts, startertest.Listener(func() *ExhaustListener { return &ExhaustListener{a: a} }))...)
	if _, err := app.Template.Send(sendCtx(t), "results-exhaust", "x"); err != nil {
		t.Fatal(err)
	}
	dlq.in.waitFor(t, 1, 15*time.Second)
	got := a.in.snapshot()
	if len(got) != 3 || got[0].ReconsumeTimes != 0 || got[2].ReconsumeTimes != 2 {
		var rt []int
		for _, m := range got {
			rt = append(rt, m.ReconsumeTimes)
		}
		t.Errorf("attempts with ReconsumeTimes %v, want [0 1 2]", rt)
	}
}
