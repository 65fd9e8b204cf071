package starter

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"

	"github.com/rocketkit/rocketkit/outbox"
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
}

// Outbox adds the transactional outbox to an app that uses Module: it
// provides an *outbox.Publisher (Publish inside the app's own *sql.Tx) and
// runs an outbox relay for the app's lifetime, sending through the app's
// name servers and looking keys up there for crash compensation. The
// schema is migrated on start. The app must provide its *sql.DB.
//
//	fx.New(starter.Module, starter.Outbox(outbox.Config{}), fx.Provide(openDB), ...)
func Outbox(cfg outbox.Config, opts ...outbox.Option) fx.Option {
	return fx.Options(
		fx.Provide(func() (*outbox.Publisher, error) { return outbox.NewPublisher(cfg, opts...) }),
		fx.Invoke(func(p OutboxParams) { runOutboxRelay(p, cfg, opts) }),
	)
}

// runOutboxRelay registers the relay's start and stop. The producer and
// admin client are built on start, once the endpoint (and the embedded
// broker) is up.
func runOutboxRelay(p OutboxParams, cfg outbox.Config, opts []outbox.Option) {
	var (
		prod  *outbox.Producer
		relay *outbox.Relay
	)
	log := p.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	p.Lifecycle.Append(fx.Hook{
		OnStart: func(ctx context.Context) error {
			if err := outbox.Migrate(ctx, p.DB, cfg); err != nil {
				return fmt.Errorf("starter: outbox: %w", err)
			}
			adm, err := p.Endpoint.Admin()
			if err != nil {
				return fmt.Errorf("starter: outbox: %w", err)
			}
			backend, err := p.Endpoint.producerBackend()
			if err != nil {
				return fmt.Errorf("starter: outbox: %w", err)
			}
			prod, err = outbox.NewProducer(backend, outbox.ProducerConfig{Group: outbox.DefaultProducerGroup})
			if err != nil {
				return fmt.Errorf("starter: outbox producer: %w", err)
			}
			relay, err = outbox.NewRelay(cfg, p.DB, prod, outbox.AdminLookup(adm), append(opts, outbox.WithLogger(log))...)
			if err != nil {
				return errors.Join(fmt.Errorf("starter: outbox relay: %w", err), prod.Close())
			}
			return relay.Start(ctx)
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
