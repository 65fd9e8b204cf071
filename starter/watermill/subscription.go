package watermill

import (
	"context"
	"fmt"
	"sync"
	"time"

	wmlog "github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
)

// subscription is one Subscribe call: one push consumer, with its own
// client instance, feeding one output channel.
//
// The consumer calls consume from up to ConsumeGoroutines goroutines, one
// message per call. consume hands the message to out and waits for its Ack
// or Nack; only then does it return, and only then does the client let the
// group's offset pass the message. Closing therefore never loses a message:
//
//  1. stopping is closed: consume calls stop handing out and waiting, the
//     contexts of delivered messages are cancelled, and the pull gate holds
//     every fetched batch from now on;
//  2. the consumer is suspended, so rebalances the broker triggers (other
//     members leaving at the same time) become no-ops;
//  3. after pullGrace, which lets pull goroutines already past the gate
//     finish handing their batch over, the consumer is shut down: it
//     commits each queue's offset as the oldest message still in the
//     client's cache (the unacked ones among them) and marks the queues
//     dropped, so results returned from now on are ignored;
//  4. released is closed: consume calls and held pulls return;
//  5. when no consume call is inside (idle), out is closed.
//
// Steps 1 to 3 work around the client's shutdown races (see pullGate and
// close).
type subscription struct {
	topic    string // as given to Subscribe
	rmqTopic string
	expr     string
	group    string
	cfg      *SubscriberConfig
	ctx      context.Context // Subscribe's ctx, the parent of message contexts
	out      chan *message.Message
	gate     *pullGate
	consumer pushConsumer
	logger   wmlog.LoggerAdapter
	onClosed func()

	stopping chan struct{} // closed when closing starts
	released chan struct{} // closed after the consumer shut down
	idle     chan struct{} // closed when closing and no consume call is inside

	closeOnce sync.Once
	closeErr  error

	mu      sync.Mutex
	closing bool // Lock should be held.
	active  int  // consume calls inside; Lock should be held.
}

// pullGrace is how long close waits between holding pulls and shutting the
// consumer down; see the subscription comment.
const pullGrace = 100 * time.Millisecond

// maxSpan bounds the offset span of one queue's outstanding messages, below
// the client's ConsumeConcurrentlyMaxSpan (1000).
const maxSpan = 900

func newSubscription(topic, rmqTopic, expr, group string, cfg *SubscriberConfig,
	ctx context.Context, logger wmlog.LoggerAdapter) *subscription {
	s := &subscription{
		topic:    topic,
		rmqTopic: rmqTopic,
		expr:     expr,
		group:    group,
		cfg:      cfg,
		ctx:      ctx,
		out:      make(chan *message.Message),
		logger:   logger,
		stopping: make(chan struct{}),
		released: make(chan struct{}),
		idle:     make(chan struct{}),
	}
	s.gate = newPullGate(cfg.MaxPrefetch, maxSpan, s.stopping, s.released)
	return s
}

// outcome is how a delivery ended.
type outcome int

const (
	acked outcome = iota
	nacked
	stopped
)

// consume is the consumer's callback.
func (s *subscription) consume(ctx context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
	defer s.gate.done(msgs...)
	if !s.enter() {
		<-s.released
		return consumer.ConsumeRetryLater, nil
	}
	defer s.leave()
	for _, m := range msgs {
	redeliver:
		switch s.deliver(m) {
		case acked:
		case nacked:
			if s.cfg.MessageModel == Broadcasting {
				// The client drops failed messages in this model, so
				// redeliver here.
				if s.sleep(s.cfg.BroadcastNackDelay) {
					goto redeliver
				}
				<-s.released
				return consumer.ConsumeRetryLater, nil
			}
			if cc, ok := primitive.GetConcurrentlyCtx(ctx); ok {
				cc.DelayLevelWhenNextConsume = s.cfg.NackDelayLevel
			}
			return consumer.ConsumeRetryLater, nil
		case stopped:
			<-s.released
			return consumer.ConsumeRetryLater, nil
		}
	}
	return consumer.ConsumeSuccess, nil
}

// deliver hands one message to the output channel and waits for its Ack or
// Nack, or for the subscription to stop.
func (s *subscription) deliver(m *primitive.MessageExt) outcome {
	msg := fromRocketMQ(m)
	ctx, cancel := context.WithCancel(withDelivery(s.ctx, m))
	defer cancel()
	msg.SetContext(ctx)
	fields := wmlog.LogFields{
		"uuid": msg.UUID, "msg_id": m.MsgId, "offset": m.QueueOffset,
		"reconsume_times": m.ReconsumeTimes,
	}
	if m.Queue != nil {
		fields["queue_id"] = m.Queue.QueueId
	}
	select {
	case s.out <- msg:
	case <-s.stopping:
		return stopped
	}
	s.logger.Trace("message delivered", fields)
	select {
	case <-msg.Acked():
		s.logger.Trace("message acked", fields)
		return acked
	case <-msg.Nacked():
		s.logger.Trace("message nacked", fields)
		return nacked
	case <-s.stopping:
		// An Ack that raced the stop still counts.
		select {
		case <-msg.Acked():
			return acked
		default:
			return stopped
		}
	}
}

// sleep waits d or until the subscription stops; it reports whether d
// passed.
func (s *subscription) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-s.stopping:
		return false
	}
}

// enter registers a consume call; it fails once closing started.
func (s *subscription) enter() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return false
	}
	s.active++
	return true
}

// leave ends a consume call registered by enter.
func (s *subscription) leave() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.active--
	if s.closing && s.active == 0 {
		close(s.idle)
	}
}

// close ends the subscription (see the type comment) and reports the
// consumer's shutdown error. Only the first call does the work; later calls
// wait for it and return the same error.
//
// Besides the steps in the type comment, close orders the client's
// background work before Shutdown for the race detector: gate.sync for the
// batch hand-overs, and a last rebalance (an RPC, so it takes the client's
// connection lock, which every earlier RPC of the consumer released) for the
// rebalances the broker triggered. Shutdown sets the client's "closed" flag
// without synchronisation, and those earlier RPCs read it.
func (s *subscription) close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closing = true
		if s.active == 0 {
			close(s.idle)
		}
		s.mu.Unlock()
		close(s.stopping)

		s.consumer.Suspend()
		time.Sleep(pullGrace)
		s.gate.sync()
		if s.cfg.MessageModel == Clustering {
			s.consumer.Rebalance()
		}
		if err := s.consumer.Shutdown(); err != nil {
			s.closeErr = fmt.Errorf("shut down consumer of %s: %w", s.topic, err)
		}
		close(s.released)
		<-s.idle
		close(s.out)
		s.onClosed()
		s.logger.Debug("subscription closed", nil)
	})
	return s.closeErr
}
