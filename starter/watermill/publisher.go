package watermill

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	wmlog "github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
)

// Publisher publishes watermill messages to RocketMQ through the official
// client's producer. It is safe for concurrent use.
type Publisher struct {
	cfg    PublisherConfig
	logger wmlog.LoggerAdapter
	prod   sender

	// mu is held for reading by every Publish and for writing by Close,
	// so Close waits for publishes in flight.
	mu     sync.RWMutex
	closed bool // Lock should be held.

	topics sync.Map // RocketMQ topic -> *topicRoute
}

// topicRoute tracks whether the producer has the route of a topic.
type topicRoute struct {
	mu    sync.Mutex
	ready atomic.Bool
}

var _ message.Publisher = (*Publisher)(nil)

// sender is the part of the official producer the publisher uses.
type sender interface {
	Start() error
	Shutdown() error
	SendSync(ctx context.Context, msgs ...*primitive.Message) (*primitive.SendResult, error)
}

// NewPublisher starts a producer (its own client instance) for cfg. It
// does not contact the broker: the first Publish to a topic looks up its
// route.
func NewPublisher(cfg PublisherConfig, opts ...Option) (*Publisher, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	o := buildOptions(opts)
	addrs, _ := parseNameServer(cfg.NameServer) // checked by Validate
	retries := max(cfg.SendRetries, 0)
	instance := newInstanceName(cfg.InstanceName)
	p, err := producer.NewDefaultProducer(
		producer.WithNameServer(addrs),
		producer.WithGroupName(cfg.ProducerGroup),
		producer.WithInstanceName(instance),
		producer.WithSendMsgTimeout(cfg.SendTimeout),
		producer.WithRetry(retries),
	)
	if err != nil {
		return nil, fmt.Errorf("new producer: %w", err)
	}
	if err := p.Start(); err != nil {
		_ = p.Shutdown()
		return nil, fmt.Errorf("start producer: %w", err)
	}
	logger := o.logger.With(wmlog.LogFields{"instance": instance, "producer_group": cfg.ProducerGroup})
	logger.Debug("publisher started", nil)
	return &Publisher{cfg: cfg, logger: logger, prod: p}, nil
}

// Publish sends messages to topic, one synchronous send each, in order,
// and returns when the broker has stored them all (or at the first
// failure; the messages before it are published).
//
// topic is a RocketMQ topic, optionally followed by ":tag" to set every
// message's tag: "orders" or "orders:created". The message UUID becomes
// the message key (KEYS) and UUIDProperty, metadata becomes user
// properties, the payload the body. Every message is checked before any
// is sent: metadata keys that are RocketMQ system properties fail with
// ErrReservedMetadata.
//
// Each send uses the message's Context(): cancelling it abandons the send.
// Publish after Close returns ErrPublisherClosed.
func (p *Publisher) Publish(topic string, messages ...*message.Message) error {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.closed {
		return ErrPublisherClosed
	}
	rmqTopic, tag, err := publishTarget(topic)
	if err != nil {
		return err
	}
	out := make([]*primitive.Message, len(messages))
	for i, msg := range messages {
		if out[i], err = toRocketMQ(rmqTopic, tag, msg); err != nil {
			return fmt.Errorf("publish to %s: %w", topic, err)
		}
	}
	for i, msg := range messages {
		res, err := p.send(msg.Context(), rmqTopic, out[i])
		if err != nil {
			return fmt.Errorf("publish message %s to %s: %w", msg.UUID, topic, err)
		}
		fields := wmlog.LogFields{"topic": topic, "uuid": msg.UUID, "msg_id": res.MsgID}
		if res.MessageQueue != nil {
			fields["queue_id"] = res.MessageQueue.QueueId
		}
		if res.Status != primitive.SendOK {
			if p.cfg.RequireSendOK {
				return fmt.Errorf("publish message %s to %s: %w: %s", msg.UUID, topic, ErrSendStatus, sendStatusName(res.Status))
			}
			fields["status"] = sendStatusName(res.Status)
			p.logger.Info("message stored without SEND_OK", fields)
			continue
		}
		p.logger.Trace("message published", fields)
	}
	return nil
}

// send sends one message. Until a send to topic has succeeded, sends to it
// go one at a time: the client, on its first send to a topic, makes the
// topic's queues visible to concurrent sends before the broker's address,
// and such a send fails at once with "route info not found".
func (p *Publisher) send(ctx context.Context, topic string, msg *primitive.Message) (*primitive.SendResult, error) {
	v, _ := p.topics.LoadOrStore(topic, &topicRoute{})
	r := v.(*topicRoute)
	if !r.ready.Load() {
		r.mu.Lock()
		if !r.ready.Load() {
			res, err := p.prod.SendSync(ctx, msg)
			if err == nil {
				r.ready.Store(true)
			}
			r.mu.Unlock()
			return res, err
		}
		r.mu.Unlock()
	}
	return p.prod.SendSync(ctx, msg)
}

// Close waits for publishes in flight and shuts the producer down. Later
// Publish calls return ErrPublisherClosed. Close is idempotent.
func (p *Publisher) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil
	}
	p.closed = true
	if err := p.prod.Shutdown(); err != nil {
		return fmt.Errorf("shut down producer: %w", err)
	}
	p.logger.Debug("publisher closed", nil)
	return nil
}

func sendStatusName(s primitive.SendStatus) string {
	switch s {
	case primitive.SendOK:
		return "SEND_OK"
	case primitive.SendFlushDiskTimeout:
		return "FLUSH_DISK_TIMEOUT"
	case primitive.SendFlushSlaveTimeout:
		return "FLUSH_SLAVE_TIMEOUT"
	case primitive.SendSlaveNotAvailable:
		return "SLAVE_NOT_AVAILABLE"
	default:
		return fmt.Sprintf("SendStatus(%d)", int(s))
	}
}
