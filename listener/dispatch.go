package listener

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
)

// interruptGrace is how long Drain still waits after cancelling handler
// contexts.
const interruptGrace = time.Second

// Dispatcher calls a listener's handler for the official client's push
// consumer: pass its Consume method to PushConsumer.Subscribe. It maps
// handler results to the client's consume results (see Handler), recovers
// panics, gives every call a context that shutdown can cancel, and drains
// on shutdown. The starter creates one per listener; use it directly only
// to run a listener without the starter.
//
// Shutdown order: Drain, then the consumer's Shutdown, then Release.
type Dispatcher struct {
	spec    Spec
	single  Handler
	batch   BatchHandler
	codec   Codec
	log     *slog.Logger
	observe func(Result)
	limit   int32         // effective reconsume limit
	suspend time.Duration // orderly suspension after a failure

	base   context.Context // parent of every handler context
	cancel context.CancelFunc

	mu       sync.Mutex
	draining bool           // guarded by mu
	inflight sync.WaitGroup // Add only under mu while !draining

	released    chan struct{} // closed by Release
	releaseOnce sync.Once
}

// Option configures a Dispatcher. Options are sealed.
type Option interface{ apply(*Dispatcher) }

type optionFunc func(*Dispatcher)

func (f optionFunc) apply(d *Dispatcher) { f(d) }

// WithCodec sets the codec Message.Decode uses. Default JSON.
func WithCodec(c Codec) Option { return optionFunc(func(d *Dispatcher) { d.codec = c }) }

// WithLogger sets where failures and panics are logged. Default: discarded.
func WithLogger(l *slog.Logger) Option { return optionFunc(func(d *Dispatcher) { d.log = l }) }

// WithObserver registers f to be called after every handler call (for
// metrics). f runs on the consuming goroutine and must not block.
func WithObserver(f func(Result)) Option { return optionFunc(func(d *Dispatcher) { d.observe = f }) }

// WithSuspend sets how long an orderly queue pauses after a failed
// delivery when spec.Suspend is -1. Default 1s.
func WithSuspend(t time.Duration) Option {
	return optionFunc(func(d *Dispatcher) { d.suspend = t })
}

// NewDispatcher returns a dispatcher calling l, a listener that Parse
// accepted with spec. spec.Group must be set.
func NewDispatcher(spec *Spec, l any, opts ...Option) (*Dispatcher, error) {
	d := &Dispatcher{spec: *spec, codec: JSON{}, suspend: time.Second, released: make(chan struct{})}
	for _, o := range opts {
		o.apply(d)
	}
	if d.log == nil {
		d.log = slog.New(slog.DiscardHandler)
	}
	if spec.Suspend >= 0 {
		d.suspend = spec.Suspend
	}
	if spec.Batch > 0 {
		d.batch, _ = l.(BatchHandler)
	} else {
		d.single, _ = l.(Handler)
	}
	if d.batch == nil && d.single == nil {
		return nil, fmt.Errorf("listener %s: %w", spec.Listener, ErrNoHandler)
	}
	if spec.Group == "" {
		return nil, fmt.Errorf("listener %s: dispatcher needs a group", spec.Listener)
	}
	d.limit = spec.ReconsumeLimit()
	d.log = d.log.With("listener", spec.Listener, "group", spec.Group, "topic", spec.Topic)
	d.base, d.cancel = context.WithCancel(context.Background())
	return d, nil
}

// Spec returns the listener's annotation.
func (d *Dispatcher) Spec() *Spec { return &d.spec }

// Consume is the push consumer's callback. It never returns an error: the
// handler's errors are reported through the result and the log.
func (d *Dispatcher) Consume(ctx context.Context, exts ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
	if !d.enter() {
		return d.park(ctx, len(exts)), nil
	}
	orderly := d.spec.Kind == KindOrderly
	if orderly {
		if octx, ok := primitive.GetOrderlyCtx(ctx); ok {
			octx.SuspendCurrentQueueTimeMillis = int(d.suspend / time.Millisecond)
		}
		for _, e := range exts {
			if e.ReconsumeTimes > d.limit { // bound for the DLQ; the client retries the send-back
				d.inflight.Done()
				return consumer.SuspendCurrentQueueAMoment, nil
			}
		}
	}

	var one [1]Message
	var onePtr [1]*Message
	var msgs []*Message
	if len(exts) == 1 {
		onePtr[0] = newMessage(&one[0], exts[0], d.codec)
		msgs = onePtr[:]
	} else {
		vals := make([]Message, len(exts))
		msgs = make([]*Message, len(exts))
		for i, e := range exts {
			msgs[i] = newMessage(&vals[i], e, d.codec)
		}
	}

	start := time.Now()
	err := d.call(ctx, msgs)
	res := Result{Listener: d.spec.Listener, Group: d.spec.Group, Topic: d.spec.Topic,
		Messages: len(msgs), Latency: time.Since(start), Err: err}
	result := consumer.ConsumeSuccess
	switch {
	case err == nil:
		res.Outcome = OutcomeSuccess
	case d.base.Err() != nil:
		// Shutdown cancelled the handler: acknowledge nothing.
		res.Outcome = OutcomeInterrupted
		d.logFailure(msgs, err, "handler interrupted by shutdown; messages will be redelivered")
		d.inflight.Done()
		d.notify(res)
		return d.park(ctx, 0), nil
	case isDiscard(err):
		res.Outcome = OutcomeDiscard
		result = d.discard(ctx, exts, msgs, err)
	default:
		res.Outcome = OutcomeRetry
		if isPanic(err) {
			res.Outcome = OutcomePanic
		}
		result = consumer.ConsumeRetryLater
		if orderly {
			result = consumer.SuspendCurrentQueueAMoment
		}
		if res.Outcome != OutcomePanic { // panics were logged with their stack
			d.logFailure(msgs, err, "handler failed; will retry")
		}
	}
	d.inflight.Done()
	d.notify(res)
	return result, nil
}

// enter registers an in-flight call; false while draining.
func (d *Dispatcher) enter() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.draining {
		return false
	}
	d.inflight.Add(1)
	return true
}

// call runs the handler, recovering panics. Its context is cancelled by
// Drain's deadline (through d.base) and carries the client's values too.
func (d *Dispatcher) call(client context.Context, msgs []*Message) (err error) {
	var ctx context.Context = &handlerCtx{Context: d.base, client: client,
		d: delivery{spec: &d.spec, msgs: msgs}}
	if d.spec.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, d.spec.Timeout)
		defer cancel()
	}
	defer func() {
		if r := recover(); r != nil {
			pe := &PanicError{Value: r, Stack: debug.Stack()}
			d.log.Error("listener handler panicked; will retry", "panic", fmt.Sprint(r),
				"msg_id", msgs[0].MsgID, "stack", string(pe.Stack))
			err = pe
		}
	}()
	if d.batch != nil {
		return d.batch.HandleBatch(ctx, msgs)
	}
	return d.single.Handle(ctx, msgs[0])
}

// handlerCtx is a handler's context: deadline and cancellation of the
// dispatcher's base context (cancelled at shutdown), the delivery, and the
// client's values (primitive.GetConsumerCtx and friends). One allocation
// per call, where WithCancel+AfterFunc+WithValue cost several.
type handlerCtx struct {
	context.Context // the dispatcher's base
	client          context.Context
	d               delivery
}

var _ context.Context = (*handlerCtx)(nil)

func (c *handlerCtx) Value(key any) any {
	if key == (ctxKey{}) {
		return &c.d
	}
	// The base first: it answers the context package's own lookups, so
	// that WithTimeout on top attaches to it without a goroutine.
	if v := c.Context.Value(key); v != nil {
		return v
	}
	return c.client.Value(key)
}

// discard sends the messages to the dead-letter queue.
//
// Concurrent: delay level -1 on the send-back makes the broker store them
// in %DLQ%group. Orderly: the client sends a message back with delay
// level -1 once its ReconsumeTimes exceeds the limit, so raising it past
// the limit and suspending has the client do exactly that. Broadcasting
// has no retry or dead-letter topic: the messages are logged and dropped.
func (d *Dispatcher) discard(ctx context.Context, exts []*primitive.MessageExt, msgs []*Message, err error) consumer.ConsumeResult {
	if d.spec.Model == Broadcasting {
		d.logFailure(msgs, err, "handler discarded messages; broadcasting has no dead-letter queue, dropped")
		return consumer.ConsumeSuccess
	}
	d.logFailure(msgs, err, "handler discarded messages; sending them to the dead-letter queue")
	if d.spec.Kind == KindOrderly {
		for _, e := range exts {
			e.ReconsumeTimes = d.limit + 1
		}
		return consumer.SuspendCurrentQueueAMoment
	}
	if cctx, ok := primitive.GetConcurrentlyCtx(ctx); ok {
		cctx.DelayLevelWhenNextConsume = -1
	}
	return consumer.ConsumeRetryLater
}

// park holds a delivery that must not be handled or acknowledged until
// Release (after the consumer shut down, when the client ignores results),
// then asks for a retry. n > 0 reports the parked messages as
// interrupted.
func (d *Dispatcher) park(ctx context.Context, n int) consumer.ConsumeResult {
	if n > 0 {
		d.notify(Result{Listener: d.spec.Listener, Group: d.spec.Group, Topic: d.spec.Topic,
			Messages: n, Outcome: OutcomeInterrupted, Err: ErrInterrupted})
	}
	<-d.released
	if d.spec.Kind == KindOrderly {
		if octx, ok := primitive.GetOrderlyCtx(ctx); ok {
			octx.SuspendCurrentQueueTimeMillis = 0
		}
		return consumer.SuspendCurrentQueueAMoment
	}
	return consumer.ConsumeRetryLater
}

// Drain stops handing out deliveries (new ones are parked until Release)
// and waits for the running handlers to return. When ctx ends first, it
// cancels their contexts, waits up to a second more and returns ctx's
// error; whatever they return then is not acknowledged.
func (d *Dispatcher) Drain(ctx context.Context) error {
	d.mu.Lock()
	d.draining = true
	d.mu.Unlock()
	done := make(chan struct{})
	go func() {
		d.inflight.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
	}
	d.cancel()
	t := time.NewTimer(interruptGrace)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		d.log.Warn("listener handlers still running after shutdown cancelled them")
	}
	return fmt.Errorf("listener %s: drain: %w", d.spec.Listener, context.Cause(ctx))
}

// Release lets parked deliveries return (asking the client to retry) and
// cancels any handler context still open. Call it after the consumer's
// Shutdown, which makes the client ignore their results, so nothing that
// was not handled is acknowledged.
func (d *Dispatcher) Release() {
	d.releaseOnce.Do(func() {
		d.mu.Lock()
		d.draining = true
		d.mu.Unlock()
		d.cancel()
		close(d.released)
	})
}

func (d *Dispatcher) notify(r Result) {
	if d.observe != nil {
		d.observe(r)
	}
}

func (d *Dispatcher) logFailure(msgs []*Message, err error, what string) {
	if !d.log.Enabled(context.Background(), slog.LevelWarn) {
		return
	}
	d.log.Warn("listener "+what, "msg_id", msgs[0].MsgID, "messages", len(msgs),
		"queue_id", msgs[0].QueueID, "offset", msgs[0].QueueOffset,
		"reconsume_times", msgs[0].ReconsumeTimes, "err", err)
}

func isDiscard(err error) bool { return errors.Is(err, ErrDiscard) }
func isPanic(err error) bool   { return errors.Is(err, ErrPanic) }
