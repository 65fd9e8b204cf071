package listener_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/client"
	"github.com/rocketkit/rocketkit/listener"
)

// funcListener adapts a function to a listener of either kind.
type funcConcurrent struct {
	listener.Concurrent `topic:"t" group:"g" timeout:"5s"`
	f                   func(context.Context, *listener.Message) error
}

func (l *funcConcurrent) Handle(ctx context.Context, m *listener.Message) error { return l.f(ctx, m) }

type funcOrderly struct {
	listener.Orderly `topic:"t" group:"g" maxReconsume:"5" suspend:"25ms"`
	f                func(context.Context, *listener.Message) error
}

func (l *funcOrderly) Handle(ctx context.Context, m *listener.Message) error { return l.f(ctx, m) }

type funcBroadcast struct {
	listener.Concurrent `topic:"t" group:"g" model:"broadcasting"`
	f                   func(context.Context, *listener.Message) error
}

func (l *funcBroadcast) Handle(ctx context.Context, m *listener.Message) error { return l.f(ctx, m) }

type results struct {
	mu  sync.Mutex
	all []listener.Result
}

func (r *results) add(x listener.Result) { r.mu.Lock(); r.all = append(r.all, x); r.mu.Unlock() }
func (r *results) last() listener.Result {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.all[len(r.all)-1]
}

func newDispatcher(t *testing.T, l any) (*listener.Dispatcher, *results) {
	t.Helper()
	spec, err := listener.Parse(l, nil)
	if err != nil {
		t.Fatal(err)
	}
	var r results
	d, err := listener.NewDispatcher(spec, l, listener.WithObserver(r.add))
	if err != nil {
		t.Fatal(err)
	}
	return d, &r
}

func ext(id string) *client.MessageExt {
	return client.NewMessageExt(client.MessageExt{Topic: "t", Body: []byte(`{"n":1}`),
		Queue:       client.MessageQueue{Topic: "t", BrokerName: "broker-a", QueueID: 2},
		QueueOffset: 7, BornTime: time.UnixMilli(1700000000000)},
		map[string]string{"TAGS": "created", "KEYS": "k1 k2", "UNIQ_KEY": id})
}

func consume(d *listener.Dispatcher, ctx context.Context, exts ...*client.MessageExt) client.ConsumeResult {
	return d.Consume(ctx, exts)
}

func TestDispatchSuccessAndMetadata(t *testing.T) {
	var got *listener.Message
	var fromCtx bool
	var deadline bool
	d, r := newDispatcher(t, &funcConcurrent{f: func(ctx context.Context, m *listener.Message) error {
		got = m
		c, ok := listener.MessageFromCtx(ctx)
		fromCtx = ok && c == m
		_, deadline = ctx.Deadline()
		var v struct{ N int }
		return m.Decode(&v)
	}})
	if res := consume(d, t.Context(), ext("id1")); res != client.ConsumeSuccess {
		t.Fatalf("Consume = %v", res)
	}
	if got.MsgID != "id1" || got.Tag != "created" || strings.Join(got.Keys, ",") != "k1,k2" || got.QueueID != 2 ||
		got.QueueOffset != 7 || got.BrokerName != "broker-a" || got.BornTime.UnixMilli() != 1700000000000 || got.Property("UNIQ_KEY") != "id1" {
		t.Errorf("message = %+v", got)
	}
	if !fromCtx || !deadline {
		t.Errorf("MessageFromCtx ok=%v, deadline from timeout tag=%v", fromCtx, deadline)
	}
	if x := r.last(); x.Outcome != listener.OutcomeSuccess || x.Messages != 1 || x.Group != "g" {
		t.Errorf("result = %+v", x)
	}
}

func TestDispatchErrorRetries(t *testing.T) {
	boom := errors.New("boom")
	d, r := newDispatcher(t, &funcConcurrent{f: func(context.Context, *listener.Message) error { return boom }})
	if res := consume(d, t.Context(), ext("a")); res != client.ConsumeRetry {
		t.Errorf("concurrent error: %v, want ConsumeRetry", res)
	}
	if x := r.last(); x.Outcome != listener.OutcomeRetry || !errors.Is(x.Err, boom) {
		t.Errorf("result = %+v", x)
	}

	od, _ := newDispatcher(t, &funcOrderly{f: func(context.Context, *listener.Message) error { return boom }})
	if res := consume(od, t.Context(), ext("b")); res != client.ConsumeRetry {
		t.Errorf("orderly error: %v, want ConsumeRetry (the consumer suspends the queue)", res)
	}
}

func TestDispatchDiscard(t *testing.T) {
	bad := errors.New("undecodable")
	calls := 0
	f := func(context.Context, *listener.Message) error { calls++; return listener.Discard(bad) }

	d, r := newDispatcher(t, &funcConcurrent{f: f})
	if res := consume(d, t.Context(), ext("a")); res != client.ConsumeDeadLetter {
		t.Errorf("concurrent discard: %v, want ConsumeDeadLetter", res)
	}
	if x := r.last(); x.Outcome != listener.OutcomeDiscard || !errors.Is(x.Err, bad) || !errors.Is(x.Err, listener.ErrDiscard) {
		t.Errorf("result = %+v", x)
	}

	od, _ := newDispatcher(t, &funcOrderly{f: f})
	if res := consume(od, t.Context(), ext("b")); res != client.ConsumeDeadLetter {
		t.Errorf("orderly discard: %v, want ConsumeDeadLetter", res)
	}

	bd, _ := newDispatcher(t, &funcBroadcast{f: f})
	if res := consume(bd, t.Context(), ext("c")); res != client.ConsumeSuccess || calls != 3 {
		t.Errorf("broadcast discard: %v (calls %d), want success (dropped)", res, calls)
	}
}

func TestDispatchPanic(t *testing.T) {
	d, r := newDispatcher(t, &funcConcurrent{f: func(context.Context, *listener.Message) error { panic("kaboom") }})
	if res := consume(d, t.Context(), ext("a")); res != client.ConsumeRetry {
		t.Fatalf("Consume = %v", res)
	}
	x := r.last()
	var pe *listener.PanicError
	if x.Outcome != listener.OutcomePanic || !errors.As(x.Err, &pe) || pe.Value != "kaboom" || !strings.Contains(string(pe.Stack), "dispatch_test.go") {
		t.Errorf("result = %+v", x)
	}
}

// A handler whose context the consumer cancels at shutdown is reported as
// interrupted, and its messages are not acknowledged.
func TestDispatchInterrupted(t *testing.T) {
	started := make(chan struct{})
	d, r := newDispatcher(t, &funcConcurrent{f: func(ctx context.Context, _ *listener.Message) error {
		close(started)
		<-ctx.Done()
		return ctx.Err()
	}})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan client.ConsumeResult, 1)
	go func() { done <- consume(d, ctx, ext("a")) }()
	<-started
	cancel()
	if res := <-done; res != client.ConsumeRetry {
		t.Fatalf("interrupted delivery: %v, want ConsumeRetry", res)
	}
	if x := r.last(); x.Outcome != listener.OutcomeInterrupted {
		t.Fatalf("result = %+v, want interrupted", x)
	}
}

func TestDispatchBatch(t *testing.T) {
	var n int
	l := &batchListener{f: func(_ context.Context, msgs []*listener.Message) error { n = len(msgs); return nil }}
	d, r := newDispatcher(t, l)
	if res := consume(d, t.Context(), ext("a"), ext("b"), ext("c")); res != client.ConsumeSuccess || n != 3 {
		t.Fatalf("batch: %v with %d messages", res, n)
	}
	if x := r.last(); x.Messages != 3 {
		t.Fatalf("result = %+v", x)
	}
}

type batchListener struct {
	listener.Concurrent `topic:"t" group:"g" batch:"8"`
	f                   func(context.Context, []*listener.Message) error
}

func (l *batchListener) HandleBatch(ctx context.Context, msgs []*listener.Message) error {
	return l.f(ctx, msgs)
}
