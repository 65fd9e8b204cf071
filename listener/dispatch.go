package listener

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"time"

	"github.com/rocketkit/rocketkit/client"
	"github.com/rocketkit/rocketkit/tracing"
)

// Dispatcher is a listener's client.Handler: it calls the listener's
// Handle or HandleBatch with the messages a consumer delivers, maps the
// outcome to a client.ConsumeResult (see Handler), recovers panics, and
// reports every call to the observer. The starter creates one per listener
// and passes its Consume method to the consumer; use it directly only to
// run a listener without the starter.
//
// Shutdown is the consumer's: Consumer.Close stops deliveries, waits for
// running handlers and cancels their contexts when its own ends; what a
// cancelled handler returns is not acknowledged.
type Dispatcher struct {
	spec    Spec
	single  Handler
	batch   BatchHandler
	reply   ReplyHandler // reply.go
	send    ReplySender
	codec   Codec
	log     *slog.Logger
	observe func(Result)
	tracer  tracing.Tracer // nil: none
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

// WithTracer makes the dispatcher call t around every handler call: the
// handler's context is the one t.StartDelivery returns, and the end
// function gets the call's Outcome (see package tracing). Default: none.
func WithTracer(t tracing.Tracer) Option { return optionFunc(func(d *Dispatcher) { d.tracer = t }) }

// NewDispatcher returns a dispatcher calling l, a listener that Parse
// accepted with spec. spec.Group must be set.
func NewDispatcher(spec *Spec, l any, opts ...Option) (*Dispatcher, error) {
	d := &Dispatcher{spec: *spec, codec: JSON{}}
	for _, o := range opts {
		o.apply(d)
	}
	if d.log == nil {
		d.log = slog.New(slog.DiscardHandler)
	}
	if spec.Batch > 0 {
		d.batch, _ = l.(BatchHandler)
	} else if d.single, _ = l.(Handler); d.single == nil {
		d.reply, _ = l.(ReplyHandler)
	}
	if d.batch == nil && d.single == nil && d.reply == nil {
		return nil, fmt.Errorf("listener %s: %w", spec.Listener, ErrNoHandler)
	}
	if d.reply != nil && d.send == nil {
		return nil, fmt.Errorf("listener %s: HandleReply needs WithReplySender: %w", spec.Listener, ErrNoHandler)
	}
	if spec.Group == "" {
		return nil, fmt.Errorf("listener %s: dispatcher needs a group", spec.Listener)
	}
	d.log = d.log.With("listener", spec.Listener, "group", spec.Group, "topic", spec.Topic)
	return d, nil
}

// Spec returns the listener's annotation.
func (d *Dispatcher) Spec() *Spec { return &d.spec }

// Consume is the consumer's client.Handler. ctx is the consumer's: it ends
// when Close gives up waiting, and the handler's context ends with it.
func (d *Dispatcher) Consume(ctx context.Context, exts []*client.MessageExt) client.ConsumeResult {
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

	hctx, end := d.traceDelivery(ctx, exts)
	start := time.Now()
	err := d.call(hctx, msgs)
	res := Result{Listener: d.spec.Listener, Group: d.spec.Group, Topic: d.spec.Topic,
		Messages: len(msgs), Latency: time.Since(start), Err: err}
	result := client.ConsumeSuccess
	switch {
	case err == nil:
		res.Outcome = OutcomeSuccess
	case ctx.Err() != nil:
		// Shutdown cancelled the handler: the consumer acknowledges nothing.
		res.Outcome = OutcomeInterrupted
		d.logFailure(msgs, err, "handler interrupted by shutdown; messages will be redelivered")
		result = client.ConsumeRetry
	case isDiscard(err):
		res.Outcome = OutcomeDiscard
		result = d.discard(msgs, err)
	default:
		res.Outcome = OutcomeRetry
		if isPanic(err) {
			res.Outcome = OutcomePanic
		}
		result = client.ConsumeRetry
		if res.Outcome != OutcomePanic { // panics were logged with their stack
			d.logFailure(msgs, err, "handler failed; will retry")
		}
	}
	end(res.Outcome.String(), err)
	d.notify(res)
	return result
}

// traceDelivery starts the tracer's delivery of exts.
func (d *Dispatcher) traceDelivery(ctx context.Context, exts []*client.MessageExt) (context.Context, func(string, error)) {
	if d.tracer == nil {
		return ctx, endDelivery
	}
	return d.tracer.StartDelivery(ctx, tracing.Delivery{Listener: d.spec.Listener, Group: d.spec.Group, Topic: d.spec.Topic,
		Broadcasting: d.spec.Model == Broadcasting, Orderly: d.spec.Kind == KindOrderly, Messages: exts})
}

// endDelivery ends an untraced delivery.
func endDelivery(string, error) {}

// call runs the handler, recovering panics. Its context is the consumer's
// (cancelled when shutdown gives up on it), with the listener's timeout and
// the delivery attached.
func (d *Dispatcher) call(parent context.Context, msgs []*Message) (err error) {
	var ctx context.Context = &handlerCtx{Context: parent, d: delivery{spec: &d.spec, msgs: msgs}}
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
	switch {
	case d.batch != nil:
		return d.batch.HandleBatch(ctx, msgs)
	case d.reply != nil:
		return d.handleReply(ctx, msgs[0])
	}
	return d.single.Handle(ctx, msgs[0])
}

// handlerCtx is a handler's context: the consumer's, carrying the
// delivery. One allocation per call, where WithValue would cost the same
// plus a lookup chain.
type handlerCtx struct {
	context.Context
	d delivery
}

var _ context.Context = (*handlerCtx)(nil)

func (c *handlerCtx) Value(key any) any {
	if key == (ctxKey{}) {
		return &c.d
	}
	return c.Context.Value(key)
}

// discard dead-letters the messages: the consumer stores them in
// %DLQ%group at once. Broadcasting has no retry or dead-letter topic: the
// messages are logged and dropped.
func (d *Dispatcher) discard(msgs []*Message, err error) client.ConsumeResult {
	if d.spec.Model == Broadcasting {
		d.logFailure(msgs, err, "handler discarded messages; broadcasting has no dead-letter queue, dropped")
		return client.ConsumeSuccess
	}
	d.logFailure(msgs, err, "handler discarded messages; sending them to the dead-letter queue")
	return client.ConsumeDeadLetter
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
