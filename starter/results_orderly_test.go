package starter_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/listener"
	"github.com/rocketkit/rocketkit/starter/startertest"
)

type OrderlySteps struct {
	listener.Orderly `topic:"${steps.topic}" group:"${steps.topic}" suspend:"30ms" maxReconsume:"${steps.max:-1}"`
	a                *attempts
}

func (l *OrderlySteps) Handle(_ context.Context, m *listener.Message) error { return l.a.handle(m) }

// startSteps runs an orderly listener on topic deciding with decide, sends
// steps 0..n-1 of one key, and returns the app and what the listener saw.
func startSteps(t *testing.T, topic string, max int, decide func(*listener.Message, int) error, extra ...startertest.Option) (*startertest.App, *attempts) {
	t.Helper()
	a := newAttempts(decide)
	opts := append([]startertest.Option{
		startertest.Config(map[string]any{"steps.topic": topic, "steps.max": max}),
		startertest.Listener(func() *OrderlySteps { return &OrderlySteps{a: a} }),
	}, extra...)
	app := startertest.New(t, opts...)
	for step := range 4 {
		if _, err := app.Template.SendOrderly(sendCtx(t), topic, fmt.Sprintf("step-%d", step), "one-key"); err != nil {
			t.Fatal(err)
		}
	}
	return app, a
}

// An error suspends the queue and retries the same message before any
// later one, with ReconsumeTimes counting up.
func TestOrderlyErrorSuspendsAndRetriesInOrder(t *testing.T) {
	_, a := startSteps(t, "orderly-suspend", -1, func(m *listener.Message, n int) error {
		if string(m.Body) == "step-1" && n <= 2 {
			return errors.New("not yet")
		}
		return nil
	})
	got := a.in.waitFor(t, 6, 20*time.Second)
	want := []string{"step-0", "step-1", "step-1", "step-1", "step-2", "step-3"}
	if b := bodies(got); !slices.Equal(b, want) {
		t.Errorf("deliveries %v, want %v", b, want)
	}
	if got[1].ReconsumeTimes != 0 || got[2].ReconsumeTimes != 1 || got[3].ReconsumeTimes != 2 {
		t.Errorf("ReconsumeTimes %d %d %d, want 0 1 2", got[1].ReconsumeTimes, got[2].ReconsumeTimes, got[3].ReconsumeTimes)
	}
}

// Discard on an orderly listener dead-letters the message and moves on.
func TestOrderlyDiscardDeadLetters(t *testing.T) {
	dlq, opts := dlqReader("orderly-discard")
	_, a := startSteps(t, "orderly-discard", -1, func(m *listener.Message, _ int) error {
		if string(m.Body) == "step-1" {
			return listener.Discard(errors.New("poison"))
		}
		return nil
	}, opts...)
	got := a.in.waitFor(t, 4, 20*time.Second)
	if b := bodies(got); !slices.Equal(b, []string{"step-0", "step-1", "step-2", "step-3"}) {
		t.Errorf("deliveries %v: step-1 handled once, then the rest in order", b)
	}
	dead := dlq.in.waitFor(t, 1, 10*time.Second)
	if string(dead[0].Body) != "step-1" {
		t.Errorf("dead letter %q", dead[0].Body)
	}
}

// After maxReconsume local retries an orderly message is dead-lettered.
func TestOrderlyRetriesExhaustedGoToDLQ(t *testing.T) {
	dlq, opts := dlqReader("orderly-exhaust")
	_, a := startSteps(t, "orderly-exhaust", 2, func(m *listener.Message, _ int) error {
		if string(m.Body) == "step-1" {
			return errors.New("always")
		}
		return nil
	}, opts...)
	dead := dlq.in.waitFor(t, 1, 20*time.Second)
	got := a.in.waitFor(t, 6, 10*time.Second)
	want := []string{"step-0", "step-1", "step-1", "step-1", "step-2", "step-3"}
	if b := bodies(got); !slices.Equal(b, want) || string(dead[0].Body) != "step-1" {
		t.Errorf("deliveries %v (want %v), dead letter %q", b, want, dead[0].Body)
	}
}
