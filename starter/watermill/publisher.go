package watermill

import (
	"errors"
	"fmt"
	"sync"

	wmlog "github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/rocketkit/rocketkit/client"
	"github.com/rocketkit/rocketkit/transport"
)

// Publisher publishes watermill messages to RocketMQ through a producer of
// a transport.Backend. It is safe for concurrent use.
type Publisher struct {
	cfg     PublisherConfig
	logger  wmlog.LoggerAdapter
	backend transport.Backend
	owned   bool // backend made by NewPublisher; Close closes it
	prod    transport.Producer
	hashKey func(topic string, msg *message.Message) string

	// mu is held for reading by every Publish and for writing by Close,
	// so Close waits for publishes in flight.
	mu     sync.RWMutex
	closed bool // Lock should be held.
}

var _ message.Publisher = (*Publisher)(nil)

// NewPublisher checks cfg and returns a Publisher sending through a
// producer of backend (group cfg.ProducerGroup). A nil backend makes the
// Publisher start the kit's own client on cfg.Client
// (transport.Native), which Close closes; a given backend stays the
// caller's to close, after the Publisher. A nil logger discards.
//
// NewPublisher does not contact the broker: the first Publish to a topic
// looks up its route.
func NewPublisher(cfg PublisherConfig, backend transport.Backend, logger wmlog.LoggerAdapter, opts ...PublisherOption) (*Publisher, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	var o publisherOptions
	for _, opt := range opts {
		if opt != nil {
			opt.applyPublisher(&o)
		}
	}
	b, owned, err := backendFor(backend, cfg.Client, "publisher")
	if err != nil {
		return nil, err
	}
	prod, err := b.NewProducer(cfg.producerConfig())
	if err != nil {
		if owned {
			_ = b.Close()
		}
		if errors.Is(err, client.ErrGroupTaken) {
			return nil, fmt.Errorf("watermill publisher config producer-group: %q is used by another producer of this backend: %w",
				cfg.ProducerGroup, err)
		}
		return nil, fmt.Errorf("new producer: %w", err)
	}
	p := &Publisher{cfg: cfg, backend: b, owned: owned, prod: prod, hashKey: o.hashKey}
	if p.hashKey == nil && cfg.HashKeyMetadata != "" {
		key := cfg.HashKeyMetadata
		p.hashKey = func(_ string, msg *message.Message) string { return msg.Metadata.Get(key) }
	}
	p.logger = orNop(logger).With(wmlog.LogFields{"producer_group": cfg.ProducerGroup, "backend": b.Name()})
	p.logger.Debug("publisher started", nil)
	return p, nil
}

// Publish sends messages to topic, one synchronous send each, in order,
// and returns when the broker has stored them all (or at the first
// failure; the messages before it are published).
//
// topic is a RocketMQ topic, optionally followed by ":tag" to set every
// message's tag: "orders" or "orders:created". The message UUID becomes
// the message key (KEYS) and UUIDProperty, metadata becomes user
// properties, the payload the body (see EmptyPayloadProperty for an empty
// one). Every message is checked before any is sent: metadata keys that
// are RocketMQ system properties fail with ErrReservedMetadata.
//
// Each send uses the message's Context(): cancelling it abandons the send
// (the message may still be stored). Publish after Close returns
// ErrPublisherClosed.
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
	out := make([]*client.Message, len(messages))
	for i, msg := range messages {
		if out[i], err = toRocketMQ(rmqTopic, tag, msg); err != nil {
			return fmt.Errorf("publish to %s: %w", topic, err)
		}
	}
	for i, msg := range messages {
		var opts []client.SendOption
		if p.hashKey != nil {
			if key := p.hashKey(topic, msg); key != "" {
				opts = append(opts, client.HashKey(key))
			}
		}
		res, err := p.prod.Send(msg.Context(), out[i], opts...)
		if err != nil {
			return fmt.Errorf("publish message %s to %s: %w", msg.UUID, topic, err)
		}
		fields := wmlog.LogFields{"topic": topic, "uuid": msg.UUID, "msg_id": res.MsgID, "queue_id": res.Queue.QueueID}
		if res.Status != client.SendOK {
			if p.cfg.RequireSendOK {
				return fmt.Errorf("publish message %s to %s: %w: %s", msg.UUID, topic, ErrSendStatus, res.Status)
			}
			fields["status"] = res.Status.String()
			p.logger.Info("message stored without SEND_OK", fields)
			continue
		}
		p.logger.Trace("message published", fields)
	}
	return nil
}

// Close waits for publishes in flight and closes the producer, and the
// backend when NewPublisher made it. Later Publish calls return
// ErrPublisherClosed. Close is idempotent.
func (p *Publisher) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil
	}
	p.closed = true
	var errs []error
	if err := p.prod.Close(); err != nil {
		errs = append(errs, fmt.Errorf("close producer: %w", err))
	}
	if p.owned {
		if err := p.backend.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close backend: %w", err))
		}
	}
	p.logger.Debug("publisher closed", nil)
	return errors.Join(errs...)
}
