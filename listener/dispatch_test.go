package listener_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
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
	t.Cleanup(d.Release)
	return d, &r
}

func ext(id string) *primitive.MessageExt {
	m := &primitive.MessageExt{Message: primitive.Message{Topic: "t", Body: []byte(`{"n":1}`),
		Queue: &primitive.MessageQueue{Topic: "t", BrokerName: "broker-a", QueueId: 2}},
		MsgId: id, QueueOffset: 7, BornTimestamp: 1700000000000}
	m.WithProperties(map[string]string{"TAGS": "created", "KEYS": "k1 k2", "UNIQ_KEY": id})
	return m
}

func concurrentCtx() (context.Context, *primitive.ConsumeConcurrentlyContext) {
	c := primitive.NewConsumeConcurrentlyContext()
	return primitive.WithConcurrentlyCtx(context.Background(), c), c
}

func orderlyCtx() (context.Context, *primitive.ConsumeOrderlyContext) {
	c := primitive.NewConsumeOrderlyContext()
	return primitive.WithOrderlyCtx(context.Background(), c), c
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
	ctx, _ := concurrentCtx()
	res, err := d.Consume(ctx, ext("id1"))
	if res != consumer.ConsumeSuccess || err != nil {
		t.Fatalf("Consume = %v, %v", res, err)
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
	ctx, cc := concurrentCtx()
	if res, _ := d.Consume(ctx, ext("a")); res != consumer.ConsumeRetryLater || cc.DelayLevelWhenNextConsume != 0 {
		t.Errorf("concurrent error: %v, delay level %d", res, cc.DelayLevelWhenNextConsume)
	}
	if x := r.last(); x.Outcome != listener.OutcomeRetry || !errors.Is(x.Err, boom) {
		t.Errorf("result = %+v", x)
	}

	od, _ := newDispatcher(t, &funcOrderly{f: func(context.Context, *listener.Message) error { return boom }})
	octx, oc := orderlyCtx()
	if res, _ := od.Consume(octx, ext("b")); res != consumer.SuspendCurrentQueueAMoment || oc.SuspendCurrentQueueTimeMillis != 25 {
		t.Errorf("orderly error: %v, suspend %dms", res, oc.SuspendCurrentQueueTimeMillis)
	}
}

func TestDispatchDiscard(t *testing.T) {
	bad := errors.New("undecodable")
	calls := 0
	f := func(context.Context, *listener.Message) error { calls++; return listener.Discard(bad) }

	d, r := newDispatcher(t, &funcConcurrent{f: f})
	ctx, cc := concurrentCtx()
	if res, _ := d.Consume(ctx, ext("a")); res != consumer.ConsumeRetryLater || cc.DelayLevelWhenNextConsume != -1 {
		t.Errorf("concurrent discard: %v, delay level %d, want RetryLater with -1", res, cc.DelayLevelWhenNextConsume)
	}
	if x := r.last(); x.Outcome != listener.OutcomeDiscard || !errors.Is(x.Err, bad) || !errors.Is(x.Err, listener.ErrDiscard) {
		t.Errorf("result = %+v", x)
	}

	od, _ := newDispatcher(t, &funcOrderly{f: f})
	e := ext("b")
	octx, _ := orderlyCtx()
	if res, _ := od.Consume(octx, e); res != consumer.SuspendCurrentQueueAMoment || e.ReconsumeTimes != 6 {
		t.Errorf("orderly discard: %v, reconsumeTimes %d, want Suspend with 6 (past maxReconsume 5)", res, e.ReconsumeTimes)
	}
	// The client failed to send it back and offers it again: not handled again.
	calls = 0
	e.ReconsumeTimes++
	if res, _ := od.Consume(octx, e); res != consumer.SuspendCurrentQueueAMoment || calls != 0 {
		t.Errorf("message bound for the DLQ: %v, handler called %d times", res, calls)
	}

	bd, _ := newDispatcher(t, &funcBroadcast{f: f})
	if res, _ := bd.Consume(ctx, ext("c")); res != consumer.ConsumeSuccess {
		t.Errorf("broadcast discard: %v, want success (dropped)", res)
	}
}

func TestDispatchPanic(t *testing.T) {
	d, r := newDispatcher(t, &funcConcurrent{f: func(context.Context, *listener.Message) error { panic("kaboom") }})
	ctx, _ := concurrentCtx()
	if res, err := d.Consume(ctx, ext("a")); res != consumer.ConsumeRetryLater || err != nil {
		t.Fatalf("Consume = %v, %v", res, err)
	}
	x := r.last()
	var pe *listener.PanicError
	if x.Outcome != listener.OutcomePanic || !errors.As(x.Err, &pe) || pe.Value != "kaboom" || !strings.Contains(string(pe.Stack), "dispatch_test.go") {
		t.Errorf("result = %+v", x)
	}
}

// Drain waits for a running handler; deliveries that arrive meanwhile are
// parked unhandled until Release and then answered with a retry.
func TestDispatchDrain(t *testing.T) {
	started, finish := make(chan struct{}), make(chan struct{})
	var calls sync.Map
	d, r := newDispatcher(t, &funcConcurrent{f: func(_ context.Context, m *listener.Message) error {
		calls.Store(m.MsgID, true)
		close(started)
		<-finish
		return nil
	}})
	ctx, _ := concurrentCtx()
	first := make(chan consumer.ConsumeResult)
	go func() { res, _ := d.Consume(ctx, ext("running")); first <- res }()
	<-started

	drained := make(chan error)
	go func() { drained <- d.Drain(context.Background()) }()
	time.Sleep(20 * time.Millisecond) // let Drain set its flag
	parked := make(chan consumer.ConsumeResult)
	go func() { res, _ := d.Consume(ctx, ext("late")); parked <- res }()

	select {
	case err := <-drained:
		t.Fatalf("Drain returned %v while a handler runs", err)
	case <-time.After(50 * time.Millisecond):
	}
	close(finish)
	if res := <-first; res != consumer.ConsumeSuccess {
		t.Errorf("running handler result %v", res)
	}
	if err := <-drained; err != nil {
		t.Errorf("Drain = %v", err)
	}
	select {
	case res := <-parked:
		t.Fatalf("parked delivery returned %v before Release", res)
	case <-time.After(50 * time.Millisecond):
	}
	d.Release()
	if res := <-parked; res != consumer.ConsumeRetryLater {
		t.Errorf("parked delivery result %v, want RetryLater", res)
	}
	if _, ok := calls.Load("late"); ok {
		t.Errorf("handler called for a delivery that arrived while draining")
	}
	if x := r.last(); x.Outcome != listener.OutcomeInterrupted && x.Outcome != listener.OutcomeSuccess {
		t.Errorf("last result %+v", x)
	}
}

// A handler still running at the drain deadline has its ctx cancelled; its
// failure is not acknowledged (parked until Release).
func TestDispatchDrainTimeoutCancels(t *testing.T) {
	started := make(chan struct{})
	d, r := newDispatcher(t, &funcConcurrent{f: func(ctx context.Context, _ *listener.Message) error {
		close(started)
		<-ctx.Done()
		return ctx.Err()
	}})
	ctx, _ := concurrentCtx()
	out := make(chan consumer.ConsumeResult)
	go func() { res, _ := d.Consume(ctx, ext("slow")); out <- res }()
	<-started
	dctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := d.Drain(dctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Drain = %v, want deadline exceeded", err)
	}
	select {
	case res := <-out:
		t.Fatalf("interrupted delivery returned %v before Release", res)
	case <-time.After(50 * time.Millisecond):
	}
	if x := r.last(); x.Outcome != listener.OutcomeInterrupted {
		t.Errorf("result = %+v, want interrupted", x)
	}
	d.Release()
	if res := <-out; res != consumer.ConsumeRetryLater {
		t.Errorf("result %v", res)
	}
}
