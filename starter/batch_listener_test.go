package starter_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/listener"
	"github.com/rocketkit/rocketkit/starter"
	"github.com/rocketkit/rocketkit/starter/startertest"
)

// BatchSink takes up to 8 messages per call and fails its first call, so
// the messages of that call come back.
type BatchSink struct {
	listener.Concurrent `topic:"batch_sink" group:"batch-sink" batch:"8"`
	mu                  sync.Mutex
	calls               [][]*listener.Message
	in                  *inbox
}

func (l *BatchSink) HandleBatch(_ context.Context, msgs []*listener.Message) error {
	l.mu.Lock()
	l.calls = append(l.calls, msgs)
	first := len(l.calls) == 1
	l.mu.Unlock()
	if first {
		return errors.New("the first batch fails")
	}
	l.in.add(msgs...)
	return nil
}

// TestBatchListenerThroughBroker sends 20 messages stored together and
// checks the listener's HandleBatch gets them in calls of 2..8 messages,
// that a failed call's messages all come back (and only once succeed),
// and that every message is handled.
func TestBatchListenerThroughBroker(t *testing.T) {
	l := &BatchSink{in: newInbox()}
	app := startertest.New(t, startertest.Listener(func() *BatchSink { return l }))
	msgs := make([]starter.BatchMessage, 20)
	for i := range msgs {
		msgs[i] = starter.BatchMessage{Payload: fmt.Sprintf("m%02d", i)}
	}
	if _, err := app.Template.SendBatch(sendCtx(t), "batch_sink", msgs); err != nil {
		t.Fatal(err)
	}
	got := l.in.waitFor(t, 20, 30*time.Second)
	quietWindow(300 * time.Millisecond) // a repeat would arrive now
	l.mu.Lock()
	defer l.mu.Unlock()
	if n := l.in.count(); n != 20 {
		t.Errorf("handled %d messages, want 20 once each", n)
	}
	b := bodies(got)
	slices.Sort(b)
	want := make([]string, 20)
	for i := range want {
		want[i] = fmt.Sprintf("m%02d", i)
	}
	if !slices.Equal(b, want) {
		t.Errorf("handled %v, want m00..m19 once each", b)
	}
	multi := false
	for i, call := range l.calls {
		if len(call) > 8 {
			t.Errorf("call %d had %d messages, more than batch:\"8\"", i, len(call))
		}
		multi = multi || len(call) > 1
	}
	if !multi {
		t.Errorf("no call had more than one message: %d calls", len(l.calls))
	}
	var retried int
	for _, m := range got {
		if m.ReconsumeTimes == 1 {
			retried++
		}
	}
	if first := len(l.calls[0]); retried != first {
		t.Errorf("%d messages came back after the failed call of %d", retried, first)
	}
}
