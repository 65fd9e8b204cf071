package watermill

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	wmlog "github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/hooks"
	"github.com/apache/rocketmq-client-go/v2/primitive"

	rmqmessage "github.com/rocketkit/rocketkit/protocol/message"
)

// Subscriber consumes RocketMQ topics as watermill subscriptions through
// the official client's push consumer. Every Subscribe call starts its own
// consumer with its own client instance. It is safe for concurrent use.
type Subscriber struct {
	cfg    SubscriberConfig
	addrs  primitive.NamesrvAddr
	logger wmlog.LoggerAdapter

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

// pushConsumer is the part of the official push consumer a subscription
// uses.
type pushConsumer interface {
	Start() error
	Suspend()
	Rebalance()
	Shutdown() error
	Subscribe(topic string, selector consumer.MessageSelector,
		f func(context.Context, ...*primitive.MessageExt) (consumer.ConsumeResult, error)) error
}

// NewSubscriber checks cfg and returns a Subscriber. It starts nothing:
// each Subscribe call starts a consumer.
func NewSubscriber(cfg SubscriberConfig, opts ...Option) (*Subscriber, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	addrs, _ := parseNameServer(cfg.NameServer) // checked by Validate
	o := buildOptions(opts)
	return &Subscriber{
		cfg:    cfg,
		addrs:  addrs,
		logger: o.logger,
		subs:   make(map[*subscription]struct{}),
		groups: make(map[string]*groupUse),
	}, nil
}

// Subscribe starts a push consumer for topic and returns its messages.
//
// topic is a RocketMQ topic, optionally followed by ":" and a tag
// expression: "orders", "orders:created", "orders:created || paid". The
// consumer group is [ConsumerGroupFor](cfg.ConsumerGroup, topic); a new
// group starts at cfg.ConsumeFrom. In one Subscriber, a group may be used by
// several subscriptions only with the same topic and expression
// (ErrGroupConflict otherwise); several subscriptions of one group share the
// topic's queues, as members of a group do.
//
// Each message must be acked or nacked. Ack marks it consumed; Nack has it
// redelivered: in the Clustering model through the group's retry topic
// after cfg.NackDelayLevel (and to %DLQ%<group> after cfg.MaxReconsumeTimes
// nacks), in the Broadcasting model locally after cfg.BroadcastNackDelay.
// Up to cfg.ConsumeGoroutines messages may be delivered before earlier ones
// are acked, so order is not preserved.
//
// Cancelling ctx, or Close, ends the subscription: messages that were not
// acked stay unconsumed (the group's committed offset never passes them)
// and are delivered again to the group's next subscriber; the output
// channel is closed once no message can be sent on it. Every message's
// Context() derives from ctx and is cancelled after its Ack or Nack and
// when the subscription ends.
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

	instance := newInstanceName(s.cfg.InstanceName)
	sub := newSubscription(topic, rmqTopic, expr, group, &s.cfg, ctx, s.logger.With(wmlog.LogFields{
		"topic": topic, "group": group, "instance": instance,
	}))
	sub.onClosed = func() { s.forget(sub) }
	c, err := s.startConsumer(sub, instance)
	if err != nil {
		s.release(group)
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

// Bounds of Subscribe's wait for the consumer's first rebalance, of the
// topic and then of the group's retry topic.
const (
	initialRebalanceTimeout = 5 * time.Second
	retryRebalanceTimeout   = 500 * time.Millisecond
)

// startConsumer creates and starts the push consumer of sub. In the
// clustering model it waits until the consumer's first rebalance (which the
// client runs in the background right after Start) has assigned it its
// queues, so that this rebalance cannot overlap the subscription's close
// (see subscription.close).
func (s *Subscriber) startConsumer(sub *subscription, instance string) (pushConsumer, error) {
	from := consumer.ConsumeFromFirstOffset
	if s.cfg.ConsumeFrom == ConsumeFromLast {
		from = consumer.ConsumeFromLastOffset
	}
	model := consumer.Clustering
	if s.cfg.MessageModel == Broadcasting {
		model = consumer.BroadCasting
	}
	c, err := consumer.NewPushConsumer(
		consumer.WithNameServer(s.addrs),
		consumer.WithGroupName(sub.group),
		consumer.WithInstance(instance),
		consumer.WithConsumerModel(model),
		consumer.WithConsumeFromWhere(from),
		consumer.WithMaxReconsumeTimes(int32(s.cfg.MaxReconsumeTimes)),
		consumer.WithConsumeGoroutineNums(s.cfg.ConsumeGoroutines),
		consumer.WithPullBatchSize(int32(s.cfg.PullBatchSize)),
		consumer.WithConsumeTimeout(s.cfg.ConsumeTimeout),
		consumer.WithConsumeMessageBatchMaxSize(1),
		consumer.WithFilterMessageHook([]hooks.FilterMessageHook{sub.gate.filter}),
		consumer.WithStrategy(sub.gate.allocate(consumer.AllocateByAveragely)),
	)
	if err != nil {
		return nil, fmt.Errorf("new consumer: %w", err)
	}
	selector := consumer.MessageSelector{Type: consumer.TAG, Expression: sub.expr}
	if err := c.Subscribe(sub.rmqTopic, selector, sub.consume); err != nil {
		_ = c.Shutdown()
		return nil, fmt.Errorf("subscribe consumer: %w", err)
	}
	if err := c.Start(); err != nil {
		_ = c.Shutdown()
		return nil, fmt.Errorf("start consumer: %w", err)
	}
	if model == consumer.Clustering {
		// The retry topic follows within moments when the broker already
		// routes it; a Java broker routes a new group's retry topic only
		// after its next registration with the name server.
		if !sub.gate.waitAllocated(sub.rmqTopic, initialRebalanceTimeout) {
			sub.logger.Info("initial rebalance not done yet; continuing", wmlog.LogFields{"waited": initialRebalanceTimeout})
		} else {
			sub.gate.waitAllocated(rmqmessage.RetryTopic(sub.group), retryRebalanceTimeout)
		}
	}
	return c, nil
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
// until their output channels are closed and their consumers shut down
// (which commits their offsets). Later Subscribe calls return
// ErrSubscriberClosed. Close is idempotent.
func (s *Subscriber) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
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
	s.logger.Debug("subscriber closed", wmlog.LogFields{"subscriptions": len(subs)})
	return errors.Join(errs...)
}
