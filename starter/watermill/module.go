package watermill

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"sync"

	wmlog "github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"go.uber.org/fx"

	"github.com/rocketkit/rocketkit/starter"
)

// moduleParams is what ProvidePublisher and ProvideSubscriber take from
// the application graph.
type moduleParams struct {
	fx.In

	Lifecycle fx.Lifecycle
	Endpoint  *starter.Endpoint
	// Logger receives the adapter's records (component rocketmq-watermill).
	// Default: discard.
	Logger *slog.Logger `optional:"true"`
}

func (p moduleParams) logger() wmlog.LoggerAdapter {
	if p.Logger == nil {
		return wmlog.NopLogger{}
	}
	return wmlog.NewSlogLogger(p.Logger.With("component", "rocketmq-watermill"))
}

// ProvidePublisher adds a Publisher to an app that uses starter.Module. It
// provides a message.Publisher that sends through the app's endpoint:
// rocketmq.client's backend with the rocketmq.producer.* credentials, on
// the name servers (or the embedded broker), with rocketmq.namespace and
// rocketmq.tls. cfg.Client must be left empty: those keys replace it.
// cfg.ProducerGroup (default "rocketkit-watermill") must differ from the
// app's other producer groups, rocketmq.producer.group's among them.
// The package documentation shows an app with both.
//
// The Publisher is made on start, after the endpoint's, and closed on
// stop (waiting for publishes in flight) before the endpoint closes its
// connections. Publish before start returns ErrNotStarted, after stop
// ErrPublisherClosed. An invalid cfg fails the app's construction.
func ProvidePublisher(cfg PublisherConfig, opts ...PublisherOption) fx.Option {
	return fx.Provide(func(p moduleParams) (message.Publisher, error) {
		cfg := cfg
		cfg.setDefaults()
		if err := errors.Join(cfg.Validate(), endpointOwned("publisher", cfg.Client)); err != nil {
			return nil, err
		}
		fp := &fxPublisher{}
		p.Lifecycle.Append(fx.Hook{
			OnStart: func(context.Context) error {
				b, err := p.Endpoint.ProducerBackend()
				if err != nil {
					return fmt.Errorf("watermill publisher: %w", err)
				}
				pub, err := NewPublisher(cfg, b, p.logger(), opts...)
				if err != nil {
					return err
				}
				fp.set(pub)
				return nil
			},
			OnStop: func(context.Context) error { return fp.Close() },
		})
		return fp, nil
	})
}

// ProvideSubscriber adds a Subscriber to an app that uses starter.Module.
// It provides a message.Subscriber whose subscriptions consume through the
// app's endpoint: rocketmq.client's backend with the rocketmq.consumer.*
// credentials, on the name servers (or the embedded broker), with
// rocketmq.namespace and rocketmq.tls. cfg.Client must be left empty:
// those keys replace it. A Broadcasting subscriber without an OffsetDir
// keeps its offsets where broadcasting listeners do
// (rocketmq.consumer.offset-dir; with the embedded broker, beside its
// data).
//
// The Subscriber is made on start, after the endpoint's, and closed on
// stop before the endpoint closes its connections: subscriptions end, what
// was acked is committed, and their channels close. Subscribe before
// start returns ErrNotStarted, after stop ErrSubscriberClosed. Components
// that depend on the message.Subscriber (a router) stop before it. An
// invalid cfg fails the app's construction.
func ProvideSubscriber(cfg SubscriberConfig) fx.Option {
	return fx.Provide(func(p moduleParams) (message.Subscriber, error) {
		cfg := cfg
		cfg.setDefaults()
		if err := errors.Join(cfg.Validate(), endpointOwned("subscriber", cfg.Client)); err != nil {
			return nil, err
		}
		fs := &fxSubscriber{}
		p.Lifecycle.Append(fx.Hook{
			OnStart: func(context.Context) error {
				b, err := p.Endpoint.ConsumerBackend()
				if err != nil {
					return fmt.Errorf("watermill subscriber: %w", err)
				}
				cfg := cfg
				if cfg.MessageModel == Broadcasting && cfg.OffsetDir == "" {
					if cfg.OffsetDir, err = p.Endpoint.OffsetDir(); err != nil {
						return fmt.Errorf("watermill subscriber config offset-dir: %w", err)
					}
				}
				sub, err := NewSubscriber(cfg, b, p.logger())
				if err != nil {
					return err
				}
				fs.set(sub)
				return nil
			},
			OnStop: func(context.Context) error { return fs.Close() },
		})
		return fs, nil
	})
}

// endpointOwned refuses a Client in the config of an fx-provided
// publisher or subscriber: the app's rocketmq.* keys say where the
// cluster is.
func endpointOwned(what string, c any) error {
	if reflect.ValueOf(c).IsZero() {
		return nil
	}
	return fmt.Errorf("watermill %s config client: must be empty with starter.Module, whose rocketmq.* keys (name-server, client, credentials, namespace, tls) say where the cluster is", what)
}

// fxPublisher is the message.Publisher of ProvidePublisher: the Publisher
// made on start.
type fxPublisher struct {
	mu  sync.Mutex
	pub *Publisher // nil before start; guarded by mu
}

func (f *fxPublisher) set(p *Publisher) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pub = p
}

func (f *fxPublisher) get() *Publisher {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.pub
}

// Publish implements message.Publisher.
func (f *fxPublisher) Publish(topic string, messages ...*message.Message) error {
	p := f.get()
	if p == nil {
		return ErrNotStarted
	}
	return p.Publish(topic, messages...)
}

// Close closes the Publisher early; the app's stop does it too.
func (f *fxPublisher) Close() error {
	if p := f.get(); p != nil {
		return p.Close()
	}
	return nil
}

// fxSubscriber is the message.Subscriber of ProvideSubscriber: the
// Subscriber made on start.
type fxSubscriber struct {
	mu  sync.Mutex
	sub *Subscriber // nil before start; guarded by mu
}

func (f *fxSubscriber) set(s *Subscriber) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sub = s
}

func (f *fxSubscriber) get() *Subscriber {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.sub
}

// Subscribe implements message.Subscriber.
func (f *fxSubscriber) Subscribe(ctx context.Context, topic string) (<-chan *message.Message, error) {
	s := f.get()
	if s == nil {
		return nil, ErrNotStarted
	}
	return s.Subscribe(ctx, topic)
}

// Close closes the Subscriber early; the app's stop does it too.
func (f *fxSubscriber) Close() error {
	if s := f.get(); s != nil {
		return s.Close()
	}
	return nil
}
