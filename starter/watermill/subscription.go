package watermill

import (
	"context"
	"errors"
	"fmt"
	"sync"

	wmlog "github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/rocketkit/rocketkit/client"
	"github.com/rocketkit/rocketkit/transport"
)

// subscription is one Subscribe call: one consumer feeding one output
// channel.
//
// The consumer calls handle with one message at a time, from up to
// ConsumeGoroutines goroutines (Orderly: one per queue). handle hands the
// message to out and waits for its Ack or Nack, and only then returns the
// result, so the consumer never commits an offset past a message that was
// not acked. Closing therefore loses nothing:
//
//  1. stopping is closed: handler calls stop handing out and waiting; the
//     contexts of delivered messages are cancelled. A call whose message
//     was acked returns ConsumeSuccess as usual; every other call
//     abandons its message (see abandon), and so does every call that
//     starts from now on;
//  2. the consumer is closed (transport.Consumer.Close): it stops pulling
//     and waits for the running handler calls. Once no call is busy
//     delivering and some are abandoning, the ctx given to Close is ended
//     (giveUp): the backend then cancels the calls' context and ignores
//     their results, so their messages stay unconsumed and uncommitted,
//     and the group gets them again. Close commits what was consumed;
//  3. when no call is busy (idle), the Subscriber forgets the
//     subscription (onClosed), freeing its group, and out is closed.
type subscription struct {
	topic    string // as given to Subscribe
	group    string
	ctx      context.Context // Subscribe's ctx, the parent of message contexts
	out      chan *message.Message
	consumer transport.Consumer
	logger   wmlog.LoggerAdapter
	onClosed func()

	stopping chan struct{} // closed when closing starts
	idle     chan struct{} // closed when closing and no call is busy

	closeCtx context.Context // given to consumer.Close
	giveUp   context.CancelCauseFunc

	closeOnce sync.Once
	closeErr  error

	mu         sync.Mutex
	closing    bool // Lock should be held.
	busy       int  // handler calls delivering; Lock should be held.
	waiting    int  // handler calls abandoning; Lock should be held.
	idleClosed bool // Lock should be held.
}

// errClosing is the cause of closeCtx: the subscription gave up on the
// handler calls that abandon their messages.
var errClosing = errors.New("watermill: subscription closing")

func newSubscription(topic, group string, ctx context.Context, logger wmlog.LoggerAdapter) *subscription {
	s := &subscription{
		topic:    topic,
		group:    group,
		ctx:      ctx,
		out:      make(chan *message.Message),
		logger:   logger,
		stopping: make(chan struct{}),
		idle:     make(chan struct{}),
	}
	s.closeCtx, s.giveUp = context.WithCancelCause(context.Background())
	return s
}

// outcome is how a delivery ended.
type outcome int

const (
	acked outcome = iota
	nacked
	deadLettered
	stopped
)

// handle is the consumer's Handler.
func (s *subscription) handle(ctx context.Context, msgs []*client.MessageExt) client.ConsumeResult {
	if !s.enter() {
		return s.abandon(ctx, false)
	}
	for _, m := range msgs { // one message (ConsumeBatchSize 1)
		switch s.deliver(ctx, m) {
		case acked:
		case nacked:
			s.leave()
			return client.ConsumeRetry
		case deadLettered:
			s.leave()
			return client.ConsumeDeadLetter
		case stopped:
			return s.abandon(ctx, true)
		}
	}
	s.leave()
	return client.ConsumeSuccess
}

// deliver hands one message to the output channel and waits for its Ack or
// Nack, or for the subscription to stop.
func (s *subscription) deliver(ctx context.Context, m *client.MessageExt) outcome {
	msg := fromRocketMQ(m)
	mctx, d := withDelivery(s.ctx, m)
	mctx, cancel := context.WithCancel(mctx)
	defer cancel()
	msg.SetContext(mctx)
	fields := wmlog.LogFields{
		"uuid": msg.UUID, "msg_id": m.MsgID, "queue_id": m.Queue.QueueID, "offset": m.QueueOffset,
		"reconsume_times": m.ReconsumeTimes,
	}
	select {
	case <-s.stopping:
		return stopped
	default:
	}
	select {
	case s.out <- msg:
	case <-s.stopping:
		return stopped
	case <-ctx.Done():
		return stopped
	}
	s.logger.Trace("message delivered", fields)
	select {
	case <-msg.Acked():
		s.logger.Trace("message acked", fields)
		return acked
	case <-msg.Nacked():
		if d.deadLetter.Load() {
			s.logger.Trace("message nacked for the dead-letter topic", fields)
			return deadLettered
		}
		s.logger.Trace("message nacked", fields)
		return nacked
	case <-s.stopping:
	case <-ctx.Done():
	}
	// An Ack that raced the stop still counts.
	select {
	case <-msg.Acked():
		return acked
	default:
		return stopped
	}
}

// enter registers a handler call that delivers; it fails once closing
// started.
func (s *subscription) enter() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return false
	}
	s.busy++
	return true
}

// leave ends a call registered by enter.
func (s *subscription) leave() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.busy--
	s.checkLocked()
}

// abandon leaves a call's message unconsumed: it waits until the consumer's
// Close gives up on the call (ctx ends), after which the backend ignores
// the result. busy says whether the call was registered by enter.
func (s *subscription) abandon(ctx context.Context, busy bool) client.ConsumeResult {
	s.mu.Lock()
	if busy {
		s.busy--
	}
	s.waiting++
	s.checkLocked()
	s.mu.Unlock()

	<-ctx.Done()

	s.mu.Lock()
	s.waiting--
	s.mu.Unlock()
	return client.ConsumeRetry // ignored
}

// checkLocked closes idle and gives up on the abandoning calls once no
// call is busy while closing. Lock should be held.
func (s *subscription) checkLocked() {
	if !s.closing || s.busy > 0 {
		return
	}
	if !s.idleClosed {
		s.idleClosed = true
		close(s.idle)
	}
	if s.waiting > 0 {
		s.giveUp(errClosing)
	}
}

// close ends the subscription (see the type comment) and reports the
// consumer's close error. Only the first call does the work; later calls
// wait for it and return the same error.
func (s *subscription) close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closing = true
		close(s.stopping)
		s.checkLocked()
		s.mu.Unlock()

		err := s.consumer.Close(s.closeCtx)
		gaveUp := errors.Is(context.Cause(s.closeCtx), errClosing)
		if err != nil && !(gaveUp && onlyCancellations(err)) {
			s.closeErr = fmt.Errorf("close consumer of %s: %w", s.topic, err)
		}
		<-s.idle
		s.onClosed() // before out closes: a reader seeing it closed may reuse the group
		close(s.out)
		s.giveUp(errClosing)
		s.logger.Debug("subscription closed", wmlog.LogFields{"abandoned_deliveries": gaveUp})
	})
	return s.closeErr
}

// onlyCancellations reports whether err says nothing but that the
// subscription gave up on handler calls: every error it joins ends in
// context.Canceled or errClosing.
func onlyCancellations(err error) bool {
	for {
		if err == context.Canceled || err == errClosing { //nolint:errorlint // the leaves of the chain
			return true
		}
		switch e := err.(type) {
		case interface{ Unwrap() []error }:
			for _, c := range e.Unwrap() {
				if !onlyCancellations(c) {
					return false
				}
			}
			return true
		case interface{ Unwrap() error }:
			if err = e.Unwrap(); err != nil {
				continue
			}
		}
		return false
	}
}
