package watermill

import (
	"context"
	"errors"
	"fmt"
	"sync"

	wmlog "github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"

	rmqmessage "github.com/rocketkit/rocketkit/protocol/message"
	"github.com/rocketkit/rocketkit/transport"
)

// Subscriber consumes RocketMQ topics as watermill subscriptions. Every
// Subscribe call starts its own consumer on the Subscriber's
// transport.Backend. It is safe for concurrent use.
type Subscriber struct {
	cfg     SubscriberConfig
	backend transport.Backend
	owned   bool // backend made by NewSubscriber; Close closes it
	logger  wmlog.LoggerAdapter

	closeOnce sync.Once
	closeErr  error // set by the first Close

	mu     sync.Mutex
	closed bool                       // Lock should be held.
	subs   map[*subscription]struct{} // live subscriptions; Lock should be held.
	groups map[string]*groupUse       // subscriptions per group; Lock should be held.
}

var _ message.Subscriber = (*Subscriber)(nil)

// groupUse is what the subscriptions of one consumer group subscribe to.
type groupUse struct {
	rmqTopic string
	expr     string
	n        int
}

// NewSubscriber checks cfg and returns a Subscriber whose subscriptions
// consume through backend. A nil backend makes the Subscriber start the
// kit's own client on cfg.Client (transport.Native), shared by all its
// subscriptions and closed by Close; a given backend stays the caller's
// to close, after the Subscriber. A nil logger discards. It starts no
// consumer: each Subscribe call does.
func NewSubscriber(cfg SubscriberConfig, backend transport.Backend, logger wmlog.LoggerAdapter) (*Subscriber, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	b, owned, err := backendFor(backend, cfg.Client, "subscriber")
	if err != nil {
		return nil, err
	}
	if cfg.MessageModel == Broadcasting && cfg.OffsetDir == "" && b.Name() == transport.NativeName {
		if owned {
			_ = b.Close()
		}
		return nil, errors.New("watermill subscriber config offset-dir: is required for " + Broadcasting +
			" (where each subscription keeps its offsets)")
	}
	return &Subscriber{
		cfg:     cfg,
		backend: b,
		owned:   owned,
		logger:  orNop(logger).With(wmlog.LogFields{"backend": b.Name()}),
		subs:    make(map[*subscription]struct{}),
		groups:  make(map[string]*groupUse),
	}, nil
}

// Subscribe starts a consumer for topic and returns its messages.
//
// topic is a RocketMQ topic, optionally followed by ":" and a tag
// expression: "orders", "orders:created", "orders:created || paid". The
// consumer group is [ConsumerGroupFor](cfg.ConsumerGroup, topic); a new
// group starts at cfg.ConsumeFrom. In one Subscriber, a group may be used by
// several subscriptions only with the same topic and expression
// (ErrGroupConflict otherwise); several subscriptions of one group share the
// topic's queues, as members of a group do. On the kit's own client,
// Subscribe returns once the consumer has joined the group and has its
// queues and their start offsets.
//
// Each message must be acked or nacked. Ack marks it consumed; Nack has it
// redelivered: in the Clustering model through the group's retry topic
// after cfg.NackDelayLevel (and to %DLQ%<group> after
// cfg.MaxReconsumeTimes redeliveries, or at once after [DeadLetter]),
// locally after cfg.LocalNackDelay in the Broadcasting model and when
// Orderly. Up to cfg.ConsumeGoroutines messages may be delivered before
// earlier ones are acked, so order is not preserved unless cfg.Orderly.
//
// Cancelling ctx, or Close, ends the subscription: messages that were not
// acked stay unconsumed (the group's committed offset never passes them)
// and are delivered again to the group's next subscriber; the output
// channel is closed once no message can be sent on it. Every message's
// Context() derives from ctx and is cancelled after its Ack or Nack and
// when the subscription ends. Cancelling ctx while Subscribe runs aborts
// it.
//
// Subscribe after Close returns ErrSubscriberClosed.
func (s *Subscriber) Subscribe(ctx context.Context, topic string) (<-chan *message.Message, error) {
	rmqTopic, expr, err := subscribeTarget(topic)
	if err != nil {
		return nil, err
	}
	group := ConsumerGroupFor(s.cfg.ConsumerGroup, topic)
	if err := rmqmessage.ValidateGroup(group); err != nil {
		return nil, fmt.Errorf("subscribe to %s: %w", topic, err)
	}
	if err := s.reserve(group, rmqTopic, expr); err != nil {
		return nil, err
	}

	sub := newSubscription(topic, group, ctx, s.logger.With(wmlog.LogFields{"topic": topic, "group": group}))
	sub.onClosed = func() { s.forget(sub) }
	c, err := s.backend.NewConsumer(s.cfg.consumerConfig(group, rmqTopic, expr), sub.handle)
	if err == nil {
		if err = c.Start(ctx); err != nil {
			_ = c.Close(context.Background())
		}
	}
	if err != nil {
		s.release(group)
		if s.isClosed() {
			return nil, ErrSubscriberClosed
		}
		return nil, fmt.Errorf("subscribe to %s: %w", topic, err)
	}
	sub.consumer = c

	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		_ = sub.close()
		return nil, ErrSubscriberClosed
	}
	s.subs[sub] = struct{}{}
	s.mu.Unlock()

	go func() {
		select {
		case <-ctx.Done():
			if err := sub.close(); err != nil {
				sub.logger.Error("close subscription", err, nil)
			}
		case <-sub.stopping:
		}
	}()
	sub.logger.Debug("subscribed", wmlog.LogFields{"expression": expr})
	return sub.out, nil
}

// reserve records that a subscription of group to rmqTopic with expr is
// being made, or fails if the Subscriber is closed or the group already
// subscribes differently.
func (s *Subscriber) reserve(group, rmqTopic, expr string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrSubscriberClosed
	}
	if u, ok := s.groups[group]; ok {
		if u.rmqTopic != rmqTopic || u.expr != expr {
			return fmt.Errorf("%w: group %q subscribes to %s with %q, not %s with %q",
				ErrGroupConflict, group, u.rmqTopic, u.expr, rmqTopic, expr)
		}
		u.n++
		return nil
	}
	s.groups[group] = &groupUse{rmqTopic: rmqTopic, expr: expr, n: 1}
	return nil
}

func (s *Subscriber) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// release undoes one reserve of group.
func (s *Subscriber) release(group string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.releaseLocked(group)
}

// releaseLocked undoes one reserve of group. Lock should be held.
func (s *Subscriber) releaseLocked(group string) {
	if u, ok := s.groups[group]; ok {
		if u.n--; u.n == 0 {
			delete(s.groups, group)
		}
	}
}

// forget drops a closed subscription.
func (s *Subscriber) forget(sub *subscription) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.subs, sub)
	s.releaseLocked(sub.group)
}

// Close ends every subscription as if its ctx were cancelled and waits
// until their output channels are closed and their consumers closed (which
// commits their offsets), then closes the backend when NewSubscriber made
// it. Later Subscribe calls return ErrSubscriberClosed. Close is
// idempotent: a later call waits until the first is done and returns its
// error.
func (s *Subscriber) Close() error {
	s.closeOnce.Do(func() { s.closeErr = s.close() })
	return s.closeErr
}

func (s *Subscriber) close() error {
	s.mu.Lock()
	s.closed = true
	subs := make([]*subscription, 0, len(s.subs))
	for sub := range s.subs {
		subs = append(subs, sub)
	}
	s.mu.Unlock()

	errs := make([]error, len(subs))
	var wg sync.WaitGroup
	for i, sub := range subs {
		wg.Go(func() { errs[i] = sub.close() })
	}
	wg.Wait()
	if s.owned {
		if err := s.backend.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close backend: %w", err))
		}
	}
	s.logger.Debug("subscriber closed", wmlog.LogFields{"subscriptions": len(subs)})
	return errors.Join(errs...)
}
