package starter

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/rocketkit/rocketkit/outbox"
	"github.com/rocketkit/rocketkit/tracing"
	"go.uber.org/fx"
)

// OutboxParams is what Outbox takes from the application graph.
type OutboxParams struct {
	fx.In

	Lifecycle fx.Lifecycle
	// DB is the application's database (MySQL 8.0+ or MariaDB 10.6+): the
	// outbox table lives there and Publish writes in its transactions.
	DB       *sql.DB
	Endpoint *Endpoint
	Logger   *slog.Logger `optional:"true"`
	// Metrics, when it implements OutboxMetrics, receives the relay's
	// counts as they happen.
	Metrics Metrics `optional:"true"`
	// Tracer traces the relay's sends (outbox.WithTracer).
	Tracer tracing.Tracer `optional:"true"`
}

// outboxPublisherParams is what Outbox's publisher takes from the graph.
type outboxPublisherParams struct {
	fx.In

	// Tracer makes Publish record the writer's trace context in each row.
	Tracer tracing.Tracer `optional:"true"`
}

// Outbox adds the transactional outbox to an app that uses Module: it
// provides an *outbox.Publisher (Publish inside the app's own *sql.Tx) and
// runs an outbox relay for the app's lifetime, sending through the app's
// name servers and looking keys up there for crash compensation. The
// schema is migrated on start. The app must provide its *sql.DB.
//
// It also provides an *OutboxRelay to observe the relay (its counts and
// backlog), and reports each batch to the app's Metrics when that
// implements OutboxMetrics.
//
//	fx.New(starter.Module, starter.Outbox(outbox.Config{}), fx.Provide(openDB), ...)
func Outbox(cfg outbox.Config, opts ...outbox.Option) fx.Option {
	return fx.Options(
		fx.Provide(func(p outboxPublisherParams) (*outbox.Publisher, error) {
			return outbox.NewPublisher(cfg, withTracer(opts, p.Tracer)...)
		}),
		fx.Provide(func() *OutboxRelay { return &OutboxRelay{} }),
		fx.Invoke(func(p OutboxParams, o *OutboxRelay) { runOutboxRelay(p, o, cfg, opts) }),
	)
}

// errOutboxNotStarted is returned by OutboxRelay.Backlog before the app
// started.
var errOutboxNotStarted = errors.New("starter: outbox relay not started")

// OutboxRelay observes the outbox relay that Outbox runs: take it from the
// application graph (a constructor parameter, or fx.Populate). Its methods
// are safe for concurrent use, and for use before the app starts (zero
// counts) and after it stopped (the final ones).
type OutboxRelay struct {
	mu    sync.Mutex
	relay *outbox.Relay // nil until the app started; guarded by mu
}

// Stats returns the relay's counts since the app started: rows sent,
// retried (sent again after an unknown outcome), compensated (retried or
// found on the broker by key), failed, and so on; zero before the start.
func (o *OutboxRelay) Stats() outbox.RelayStats {
	if r := o.get(); r != nil {
		return r.Stats()
	}
	return outbox.RelayStats{}
}

// Backlog counts the outbox rows not sent yet, with one query on the
// app's database (a gauge to read on scrape, not on a hot path); ctx
// bounds it. Before the app started it returns an error.
func (o *OutboxRelay) Backlog(ctx context.Context) (int64, error) {
	r := o.get()
	if r == nil {
		return 0, errOutboxNotStarted
	}
	return r.Backlog(ctx)
}

// Relay returns the running relay (nil before the app started).
func (o *OutboxRelay) Relay() *outbox.Relay { return o.get() }

func (o *OutboxRelay) get() *outbox.Relay {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.relay
}

func (o *OutboxRelay) set(r *outbox.Relay) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.relay = r
}

// runOutboxRelay registers the relay's start and stop. The producer and
// admin client are built on start, once the endpoint (and the embedded
// broker) is up.
func runOutboxRelay(p OutboxParams, o *OutboxRelay, cfg outbox.Config, opts []outbox.Option) {
	var (
		prod  *outbox.Producer
		relay *outbox.Relay
	)
	log := p.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	opts = append(withTracer(opts, p.Tracer), outbox.WithLogger(log))
	if m, ok := p.Metrics.(OutboxMetrics); ok {
		opts = append(opts, outbox.WithMetrics(outboxMetrics{m}))
	}
	p.Lifecycle.Append(fx.Hook{
		OnStart: func(ctx context.Context) error {
			if err := outbox.Migrate(ctx, p.DB, cfg); err != nil {
				return fmt.Errorf("starter: %w", err) // outbox's error says "outbox:"
			}
			adm, err := p.Endpoint.adminWith(p.Endpoint.producerCredentials())
			if err != nil {
				return fmt.Errorf("starter: outbox: %w", err)
			}
			backend, err := p.Endpoint.producerBackend()
			if err != nil {
				return fmt.Errorf("starter: outbox: %w", err)
			}
			prod, err = outbox.NewProducer(backend, outbox.ProducerConfig{Group: outbox.DefaultProducerGroup})
			if err != nil {
				return fmt.Errorf("starter: %w", err)
			}
			relay, err = outbox.NewRelay(cfg, p.DB, prod, outbox.AdminLookup(adm), opts...)
			if err != nil {
				return errors.Join(fmt.Errorf("starter: %w", err), prod.Close())
			}
			if err := relay.Start(ctx); err != nil {
				return fmt.Errorf("starter: %w", err)
			}
			o.set(relay)
			return nil
		},
		OnStop: func(context.Context) error {
			var errs []error
			if relay != nil {
				errs = append(errs, relay.Close())
			}
			if prod != nil {
				errs = append(errs, prod.Close())
			}
			return errors.Join(errs...)
		},
	})
}

// withTracer returns opts, after outbox.WithTracer(tr) when tr is set
// (so that an option of the app's comes after it and wins).
func withTracer(opts []outbox.Option, tr tracing.Tracer) []outbox.Option {
	opts = opts[:len(opts):len(opts)]
	if tr == nil {
		return opts
	}
	return append([]outbox.Option{outbox.WithTracer(tr)}, opts...)
}

// outboxMetrics passes a relay's counts on to an OutboxMetrics.
type outboxMetrics struct{ m OutboxMetrics }

var _ outbox.Metrics = outboxMetrics{}

func (a outboxMetrics) Relayed(s outbox.RelayStats) { a.m.OutboxRelayed(s) }
