package watermill

import (
	"fmt"
	"slices"

	wmlog "github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/rocketkit/rocketkit/client"
	"github.com/rocketkit/rocketkit/transport"
)

// PublisherOption injects what only code can provide into NewPublisher.
// Options are sealed.
type PublisherOption interface{ applyPublisher(*publisherOptions) }

type publisherOptions struct {
	hashKey func(topic string, msg *message.Message) string
}

type publisherOptionFunc func(*publisherOptions)

func (f publisherOptionFunc) applyPublisher(o *publisherOptions) { f(o) }

// WithHashKey picks each message's queue by the key f returns: messages
// with the same key go to the same queue (while the topic's queues stay
// the same), so an Orderly subscriber receives them in publish order. An
// empty key spreads the message over the queues as usual. topic is the
// watermill topic given to Publish. f must be safe for concurrent use; it
// replaces PublisherConfig.HashKeyMetadata.
//
// A constant key puts every message of a topic in one queue, which gives
// an Orderly subscriber the topic's total order (and one consumer at a
// time).
func WithHashKey(f func(topic string, msg *message.Message) string) PublisherOption {
	return publisherOptionFunc(func(o *publisherOptions) { o.hashKey = f })
}

// orNop returns l, or a logger that discards when l is nil.
func orNop(l wmlog.LoggerAdapter) wmlog.LoggerAdapter {
	if l == nil {
		return wmlog.NopLogger{}
	}
	return l
}

// backendFor returns b, or a Native backend on cfg that the caller owns
// when b is nil.
func backendFor(b transport.Backend, cfg client.Config, what string) (backend transport.Backend, owned bool, err error) {
	if b != nil {
		return b, false, nil
	}
	cfg.NameServers = slices.Clone(cfg.NameServers) // the client trims them in place
	b, err = transport.Native(cfg)
	if err != nil {
		return nil, false, fmt.Errorf("watermill %s config client: %w", what, err)
	}
	return b, true, nil
}
