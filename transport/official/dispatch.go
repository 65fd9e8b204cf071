package official

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/rocketkit/rocketkit/client"
)

// interruptGrace is how long Close still waits for handlers after it
// cancelled their context.
const interruptGrace = time.Second

// dispatcher is the official push consumer's callback for a client.Handler
// (the listener package's Dispatcher, on package client's types): it maps
// handler results to the official client's consume results, recovers
// panics, and drains at Close.
//
// Results, concurrent consumer (clustering):
//
//   - ConsumeSuccess: ConsumeSuccess;
//   - ConsumeRetry (or a panic, or no known result): ConsumeRetryLater with
//     the context's DelayLevelWhenNextConsume set to RetryDelayLevel: the
//     client sends the messages back, the broker redelivers them, or puts
//     them in %DLQ%group after MaxReconsumeTimes redeliveries;
//   - ConsumeDeadLetter: ConsumeRetryLater with DelayLevelWhenNextConsume
//     -1: the broker puts the messages in %DLQ%group at once.
//
// Orderly consumer (clustering): ConsumeRetry is SuspendCurrentQueueAMoment
// with SuspendCurrentQueueTimeMillis set to SuspendInterval: the client
// holds the queue up and redelivers locally, counting ReconsumeTimes up.
// Once a message's ReconsumeTimes exceeds MaxReconsumeTimes the client
// sends it back with delay level -1 (the DLQ) when it is suspended again,
// so such a message is not given to the handler but suspended at once;
// ConsumeDeadLetter raises the messages' ReconsumeTimes past the limit and
// suspends, which sends them to the DLQ the same way.
//
// Broadcasting has neither retry nor dead-letter topic: ConsumeRetry
// redelivers locally after SuspendInterval until MaxReconsumeTimes (the
// orderly consumer through the client, the concurrent one here, as the
// official client would drop the messages at once), then the messages are
// dropped with a log line, as are messages given ConsumeDeadLetter.
type dispatcher struct {
	b            *backend
	h            client.Handler
	log          *slog.Logger
	orderly      bool
	broadcasting bool
	limit        int32 // MaxReconsumeTimes, as given to the official client
	suspend      time.Duration
	retryDelay   int

	base   context.Context // handlers' ctx; cancelled when Close gives up on them
	cancel context.CancelFunc

	mu       sync.Mutex
	draining bool           // guarded by mu
	drainCh  chan struct{}  // closed when draining starts; under mu
	inflight sync.WaitGroup // Add only under mu while !draining
	lastDone atomic.Int64   // unix nanos when a handler call last ended

	released    chan struct{} // closed by release
	releaseOnce sync.Once
}

func newDispatcher(b *backend, cfg *client.ConsumerConfig, h client.Handler) *dispatcher {
	d := &dispatcher{b: b, h: h, orderly: cfg.Orderly, broadcasting: cfg.Broadcasting,
		limit: reconsumeLimit(cfg), suspend: cfg.SuspendInterval, retryDelay: cfg.RetryDelayLevel,
		log: b.log.With("group", cfg.Group), drainCh: make(chan struct{}), released: make(chan struct{})}
	d.base, d.cancel = context.WithCancel(context.Background())
	return d
}

// consume is the push consumer's callback.
func (d *dispatcher) consume(ctx context.Context, exts ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
	if !d.enter() {
		return d.park(ctx), nil
	}
	res, interrupted := d.handle(ctx, exts)
	d.leave()
	if interrupted {
		return d.park(ctx), nil
	}
	return res, nil
}

// handle runs the handler and maps its result; interrupted reports that
// Close gave up on it (or stopped a local redelivery), so nothing must be
// acknowledged.
func (d *dispatcher) handle(ctx context.Context, exts []*primitive.MessageExt) (res consumer.ConsumeResult, interrupted bool) {
	if d.orderly {
		if octx, ok := primitive.GetOrderlyCtx(ctx); ok {
			octx.SuspendCurrentQueueTimeMillis = int(d.suspend / time.Millisecond)
		}
		for _, e := range exts {
			if e.ReconsumeTimes > d.limit {
				if d.broadcasting {
					d.logDropped(exts, "redelivered MaxReconsumeTimes times")
					return consumer.ConsumeSuccess, false
				}
				return consumer.SuspendCurrentQueueAMoment, false // the client sends it to the DLQ
			}
		}
	}
	msgs := make([]*client.MessageExt, len(exts))
	for i, e := range exts {
		msgs[i] = d.b.fromExt(e)
	}
	for {
		r := d.call(msgs)
		if d.base.Err() != nil {
			d.log.Warn("handler interrupted by Close; its messages will be redelivered", "msg_id", msgs[0].MsgID,
				"messages", len(msgs))
			return 0, true
		}
		switch {
		case r == client.ConsumeSuccess:
			return consumer.ConsumeSuccess, false
		case r == client.ConsumeDeadLetter:
			return d.deadLetter(ctx, exts), false
		case d.orderly:
			return consumer.SuspendCurrentQueueAMoment, false
		case !d.broadcasting:
			if cctx, ok := primitive.GetConcurrentlyCtx(ctx); ok && d.retryDelay > 0 {
				cctx.DelayLevelWhenNextConsume = d.retryDelay
			}
			return consumer.ConsumeRetryLater, false
		}
		// Broadcasting, concurrent: redeliver here.
		if msgs[0].ReconsumeTimes >= d.limit {
			d.logDropped(exts, "redelivered MaxReconsumeTimes times")
			return consumer.ConsumeSuccess, false
		}
		select {
		case <-time.After(d.suspend):
		case <-d.drainCh:
			return 0, true
		}
		for _, m := range msgs {
			m.ReconsumeTimes++
		}
	}
}

// deadLetter sends the messages to the dead-letter topic (see dispatcher).
func (d *dispatcher) deadLetter(ctx context.Context, exts []*primitive.MessageExt) consumer.ConsumeResult {
	switch {
	case d.broadcasting:
		d.logDropped(exts, "the handler dead-lettered them; broadcasting has no dead-letter topic")
		return consumer.ConsumeSuccess
	case d.orderly:
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

// call runs the handler; a panic counts as ConsumeRetry and is logged with
// its stack.
func (d *dispatcher) call(msgs []*client.MessageExt) (r client.ConsumeResult) {
	defer func() {
		if v := recover(); v != nil {
			d.log.Error("handler panicked; its messages will be redelivered", "panic", fmt.Sprint(v),
				"msg_id", msgs[0].MsgID, "stack", string(debug.Stack()))
			r = client.ConsumeRetry
		}
	}()
	return d.h(d.base, msgs)
}

func (d *dispatcher) logDropped(exts []*primitive.MessageExt, why string) {
	for _, e := range exts {
		d.log.Warn("message dropped: "+why, "topic", d.b.bareName(e.Topic), "msg_id", e.MsgId,
			"reconsume_times", e.ReconsumeTimes)
	}
}

// enter registers a handler call in flight; false while draining.
func (d *dispatcher) enter() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.draining {
		return false
	}
	d.inflight.Add(1)
	return true
}

func (d *dispatcher) leave() {
	d.lastDone.Store(time.Now().UnixNano())
	d.inflight.Done()
}

// lastActivity is when a handler call last ended (the zero time if none).
func (d *dispatcher) lastActivity() time.Time {
	if n := d.lastDone.Load(); n != 0 {
		return time.Unix(0, n)
	}
	return time.Time{}
}

// park holds a delivery that must be neither handled nor acknowledged
// until release (after the consumer's Shutdown, when the client ignores
// results), then asks for a retry.
func (d *dispatcher) park(ctx context.Context) consumer.ConsumeResult {
	<-d.released
	if d.orderly {
		if octx, ok := primitive.GetOrderlyCtx(ctx); ok {
			octx.SuspendCurrentQueueTimeMillis = 0
		}
		return consumer.SuspendCurrentQueueAMoment
	}
	return consumer.ConsumeRetryLater
}

// drain stops handing out deliveries (new ones are parked until release)
// and waits for the running handler calls. When ctx ends first, it cancels
// their context, waits up to interruptGrace more and returns ctx's error;
// whatever they return then is not acknowledged.
func (d *dispatcher) drain(ctx context.Context) error {
	d.startDraining()
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
		d.log.Warn("handlers still running after Close cancelled them")
	}
	return fmt.Errorf("handlers still running: %w", context.Cause(ctx))
}

func (d *dispatcher) startDraining() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.draining {
		d.draining = true
		close(d.drainCh)
	}
}

// release lets parked deliveries return and cancels the handlers' context.
// Call it after the consumer's Shutdown.
func (d *dispatcher) release() {
	d.releaseOnce.Do(func() {
		d.startDraining()
		d.cancel()
		close(d.released)
	})
}
