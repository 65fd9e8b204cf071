package listener_test

// Tests that kill mutants `task mutation` found alive: each checks a
// behaviour no other test pinned down.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/rocketkit/rocketkit/client"
	"github.com/rocketkit/rocketkit/listener"
)

type untimed struct {
	listener.Concurrent `topic:"t" group:"g"`
	f                   func(context.Context, *listener.Message) error
}

func (l *untimed) Handle(ctx context.Context, m *listener.Message) error { return l.f(ctx, m) }

// Without a timeout tag the handler's context has no deadline of its own:
// it is the consumer's, live until shutdown.
func TestNoTimeoutTagMeansNoHandlerDeadline(t *testing.T) {
	var hasDeadline bool
	var ctxErr error
	d, _ := newDispatcher(t, &untimed{f: func(ctx context.Context, _ *listener.Message) error {
		_, hasDeadline = ctx.Deadline()
		ctxErr = ctx.Err()
		return ctxErr
	}})
	if res := consume(d, context.Background(), ext("a")); res != client.ConsumeSuccess {
		t.Fatalf("Consume = %v, want success", res)
	}
	if hasDeadline || ctxErr != nil {
		t.Fatalf("handler context without timeout tag: deadline %v, err %v; want none", hasDeadline, ctxErr)
	}
}

// logRecords is a slog handler that keeps every record as JSON lines.
type logRecords struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logRecords) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logRecords) records(t *testing.T) []map[string]any {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(l.buf.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		out = append(out, m)
	}
	return out
}

// A failed handler is logged once, as a warning naming the message; a
// panicking one once, as an error with its stack - not a second time as a
// failure.
func TestFailureAndPanicAreLoggedOnce(t *testing.T) {
	for _, tt := range []struct {
		name      string
		f         func(context.Context, *listener.Message) error
		wantLevel string
		wantMsg   string
		wantStack bool
	}{
		{name: "error", f: func(context.Context, *listener.Message) error { return errors.New("boom") },
			wantLevel: "WARN", wantMsg: "listener handler failed; will retry"},
		{name: "panic", f: func(context.Context, *listener.Message) error { panic("kaboom") },
			wantLevel: "ERROR", wantMsg: "listener handler panicked; will retry", wantStack: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var logs logRecords
			l := &funcConcurrent{f: tt.f}
			spec, err := listener.Parse(l, nil)
			if err != nil {
				t.Fatal(err)
			}
			d, err := listener.NewDispatcher(spec, l, listener.WithLogger(slog.New(slog.NewJSONHandler(&logs, nil))))
			if err != nil {
				t.Fatal(err)
			}
			if res := consume(d, t.Context(), ext("id1")); res != client.ConsumeRetry {
				t.Fatalf("Consume = %v, want retry", res)
			}
			recs := logs.records(t)
			if len(recs) != 1 {
				t.Fatalf("logged %d records, want 1: %v", len(recs), recs)
			}
			r := recs[0]
			stack, _ := r["stack"].(string)
			if r["level"] != tt.wantLevel || r["msg"] != tt.wantMsg || r["msg_id"] != "id1" || r["listener"] != "funcConcurrent" ||
				(stack != "") != tt.wantStack {
				t.Fatalf("record = %v, want level %s msg %q msg_id id1, stack %v", r, tt.wantLevel, tt.wantMsg, tt.wantStack)
			}
		})
	}
}

// NewMessage (a message built outside a delivery, e.g. in tests) takes its
// business keys from the KEYS property, split on spaces.
func TestNewMessageKeysFromProperty(t *testing.T) {
	m := listener.NewMessage("t", "tag", []byte("b"), map[string]string{"KEYS": "k1  k2", "X": "y"}, nil)
	if !slices.Equal(m.Keys, []string{"k1", "k2"}) || m.Property("X") != "y" {
		t.Fatalf("Keys = %q, Property(X) = %q; want [k1 k2], y", m.Keys, m.Property("X"))
	}
	if m := listener.NewMessage("t", "", nil, map[string]string{"X": "y"}, nil); m.Keys != nil {
		t.Fatalf("Keys without KEYS = %q, want nil", m.Keys)
	}
}

// Outcome names are the metric and trace labels; a value past the known
// ones is "unknown", not a panic.
func TestOutcomeNames(t *testing.T) {
	want := map[listener.Outcome]string{
		listener.OutcomeSuccess: "success", listener.OutcomeRetry: "retry", listener.OutcomeDiscard: "discard",
		listener.OutcomePanic: "panic", listener.OutcomeInterrupted: "interrupted",
		listener.OutcomeInterrupted + 1: "unknown", 1000: "unknown",
	}
	for o, name := range want {
		if got := o.String(); got != name {
			t.Errorf("Outcome(%d).String() = %q, want %q", int(o), got, name)
		}
	}
}
