package starter_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/listener"
	"github.com/rocketkit/rocketkit/starter/startertest"
)

// FailOnceSlowRetry fails each message's first delivery; its failures are
// sent back at delay level 18 (360 ms in startertest's table) instead of
// the broker's step-up, which starts at level 3 (60 ms).
type FailOnceSlowRetry struct {
	listener.Concurrent `topic:"retry_level" group:"retry-level" delayLevelWhenNextConsume:"18"`
	mu                  sync.Mutex
	at                  []time.Time // delivery times
	in                  *inbox
}

func (l *FailOnceSlowRetry) Handle(_ context.Context, m *listener.Message) error {
	l.mu.Lock()
	l.at = append(l.at, time.Now())
	l.mu.Unlock()
	l.in.add(m)
	if m.ReconsumeTimes == 0 {
		return errors.New("first delivery fails")
	}
	return nil
}

// TestListenerRetryDelayLevel checks the tag reaches the consumer: the
// retry comes no sooner than level 18's delay. Only that lower bound is
// asserted; without the tag the broker's level 3 brings it back after
// 60 ms.
func TestListenerRetryDelayLevel(t *testing.T) {
	l := &FailOnceSlowRetry{in: newInbox()}
	app := startertest.New(t, startertest.Listener(func() *FailOnceSlowRetry { return l }))
	if _, err := app.Template.Send(sendCtx(t), "retry_level", "again"); err != nil {
		t.Fatal(err)
	}
	got := l.in.waitFor(t, 2, 20*time.Second)
	if got[1].ReconsumeTimes != 1 || string(got[1].Body) != "again" {
		t.Fatalf("second delivery: %+v", got[1])
	}
	l.mu.Lock()
	gap := l.at[1].Sub(l.at[0])
	l.mu.Unlock()
	if gap < 360*time.Millisecond {
		t.Errorf("retried after %v, before level 18's 360ms", gap)
	}
}
