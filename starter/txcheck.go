package starter

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"reflect"

	"github.com/rocketkit/rocketkit/client"
	"github.com/rocketkit/rocketkit/outbox"
	"github.com/rocketkit/rocketkit/outbox/sqlkit"
	"github.com/rocketkit/rocketkit/protocol/message"
	"github.com/rocketkit/rocketkit/tracing"
	"github.com/rocketkit/rocketkit/transport"
	"github.com/rocketkit/rocketkit/txcheck"
	"go.uber.org/fx"
)

// TxCheck adds RocketMQ transactional messages (package txcheck) to an app
// that uses Module: it provides a *txcheck.Producer configured by the
// rocketmq.txcheck.* keys (the group defaults to "<service-name>-tx"),
// sending through the app's endpoint (rocketmq.client, name servers,
// rocketmq.producer.* credentials, namespace, TLS), and runs a
// txcheck.Sweeper for the app's lifetime. The key table is migrated on
// start (unless rocketmq.txcheck.skip-migrations). The app must provide
// its *sql.DB; opts add routes, checkers, a codec.
//
//	app := fx.New(
//		starter.Module,
//		starter.ConfigValues(map[string]any{"rocketmq.txcheck.group": "shop-tx"}),
//		starter.TxCheck(),
//		fx.Supply(db),
//		...
//	)
//
// Start order: the endpoint, then the producer (which answers check-backs
// from then on), then the sweeper; stop runs in reverse, before the
// endpoint closes its connections. SendInTransaction before start or after
// stop returns txcheck.ErrNotStarted. An app has one TxCheck: one producer
// serves any number of topics.
func TxCheck(opts ...txcheck.Option) fx.Option {
	return fx.Options(
		fx.Provide(func(p txCheckParams) (*txcheck.Producer, error) { return newTxCheck(p, opts) }),
		fx.Invoke(func(*txcheck.Producer) {}), // it answers check-backs even if nothing sends
	)
}

// TxChecker registers the constructor of the txcheck.Checker that answers
// the check-backs of topic (txcheck.WithChecker), for checkers that need
// the app's dependencies: a function with any fx dependencies as
// parameters, returning a value that implements txcheck.Checker and
// optionally an error. Checkers of the same topic fail start-up.
//
//	app := fx.New(
//		starter.Module,
//		starter.TxCheck(),
//		starter.TxChecker("payments", NewPaymentChecker),
//		...
//	)
func TxChecker(topic string, constructor any) fx.Option {
	fn := reflect.ValueOf(constructor)
	t := fn.Type()
	errType := reflect.TypeFor[error]()
	if t.Kind() != reflect.Func || t.NumOut() == 0 || t.NumOut() > 2 ||
		!t.Out(0).Implements(reflect.TypeFor[txcheck.Checker]()) || t.NumOut() == 2 && t.Out(1) != errType {
		return fx.Error(fmt.Errorf("starter: TxChecker(%q): %T is not a constructor returning a txcheck.Checker (and optionally an error)", topic, constructor))
	}
	in := make([]reflect.Type, t.NumIn())
	for i := range in {
		in[i] = t.In(i)
	}
	outType := reflect.TypeFor[txCheckerOut]()
	wrapped := reflect.MakeFunc(reflect.FuncOf(in, []reflect.Type{outType, errType}, t.IsVariadic()),
		func(args []reflect.Value) []reflect.Value {
			var res []reflect.Value
			if t.IsVariadic() {
				res = fn.CallSlice(args)
			} else {
				res = fn.Call(args)
			}
			errOut := reflect.Zero(errType)
			if len(res) == 2 && !res[1].IsNil() {
				return []reflect.Value{reflect.Zero(outType), res[1]}
			}
			c, _ := res[0].Interface().(txcheck.Checker)
			if k := res[0].Kind(); c == nil || (k == reflect.Pointer || k == reflect.Interface) && res[0].IsNil() {
				errOut = reflect.ValueOf(fmt.Errorf("starter: TxChecker(%q): the constructor returned nil", topic))
			}
			return []reflect.Value{reflect.ValueOf(txCheckerOut{Route: txCheckRoute{topic: topic, checker: c}}), errOut}
		})
	return fx.Provide(wrapped.Interface())
}

// txCheckRoute is one TxChecker: a topic and its checker.
type txCheckRoute struct {
	topic   string
	checker txcheck.Checker
}

// txCheckerOut feeds the fx value group rocketmq.txcheck.checkers, which
// txCheckParams.Checkers collects.
type txCheckerOut struct {
	fx.Out

	Route txCheckRoute `group:"rocketmq.txcheck.checkers"`
}

// txCheckParams is what TxCheck takes from the application graph.
type txCheckParams struct {
	fx.In

	Lifecycle fx.Lifecycle
	// DB is the application's database (MySQL 8.0.1+ or MariaDB 10.6+):
	// local transactions run in it and the key table lives there.
	DB       *sql.DB
	Endpoint *Endpoint
	Logger   *slog.Logger   `optional:"true"`
	Tracer   tracing.Tracer `optional:"true"` // txcheck.WithTracer
	Checkers []txCheckRoute `group:"rocketmq.txcheck.checkers"`
}

// newTxCheck makes the producer and registers its start and stop and the
// sweeper's; the sweeper's sender and key lookup are made on start, once
// the endpoint is up.
func newTxCheck(p txCheckParams, opts []txcheck.Option) (*txcheck.Producer, error) {
	cfg := p.Endpoint.cfg.TxCheck
	if cfg.Group == "" {
		cfg.Group = sanitize(p.Endpoint.cfg.ServiceName) + "-tx"
	}
	log := p.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	opts = append([]txcheck.Option{txcheck.WithLogger(log.With("component", "rocketmq-txcheck")), txcheck.WithTracer(p.Tracer)}, opts...)
	topics := map[string]bool{}
	for _, r := range p.Checkers {
		if topics[r.topic] {
			return nil, fmt.Errorf("starter: two TxCheckers for topic %q", r.topic)
		}
		topics[r.topic] = true
		opts = append(opts, txcheck.WithChecker(r.topic, r.checker))
	}
	backend := lazyBackend{name: p.Endpoint.cfg.Client, get: p.Endpoint.producerBackend}
	prod, err := txcheck.New(backend, p.DB, cfg, opts...)
	if err != nil {
		return nil, &ConfigError{Key: Prefix + ".txcheck", Msg: err.Error(), Err: err}
	}
	var (
		sender  *outbox.Producer
		sweeper *txcheck.Sweeper
	)
	stop := func() error {
		var errs []error
		if sweeper != nil {
			errs = append(errs, sweeper.Close())
		}
		if sender != nil {
			errs = append(errs, sender.Close())
		}
		return errors.Join(append(errs, prod.Close())...)
	}
	p.Lifecycle.Append(fx.Hook{
		OnStart: func(ctx context.Context) error {
			err := startTxCheck(ctx, p, cfg, prod, opts, &sender, &sweeper)
			if err != nil {
				return errors.Join(err, stop())
			}
			return nil
		},
		OnStop: func(context.Context) error { return stop() },
	})
	return prod, nil
}

// startTxCheck starts the producer, then the sweeper: it re-sends through
// a producer of "<group>-sweeper" and looks keys up on the app's name
// servers.
func startTxCheck(ctx context.Context, p txCheckParams, cfg txcheck.Config, prod *txcheck.Producer, opts []txcheck.Option,
	sender **outbox.Producer, sweeper **txcheck.Sweeper) error {
	if err := prod.Start(ctx); err != nil {
		return fmt.Errorf("starter: txcheck producer: %w", err)
	}
	adm, err := p.Endpoint.adminWith(p.Endpoint.producerCredentials())
	if err != nil {
		return fmt.Errorf("starter: txcheck sweeper: %w", err)
	}
	backend, err := p.Endpoint.producerBackend()
	if err != nil {
		return fmt.Errorf("starter: txcheck sweeper: %w", err)
	}
	if *sender, err = outbox.NewProducer(backend, outbox.ProducerConfig{Group: cfg.Group + "-sweeper", SendTimeout: cfg.SendTimeout}); err != nil {
		return fmt.Errorf("starter: txcheck sweeper: %w", err)
	}
	if *sweeper, err = txcheck.NewSweeper(cfg, p.DB, *sender, outbox.AdminLookup(adm), opts...); err != nil {
		return fmt.Errorf("starter: txcheck sweeper: %w", err)
	}
	return (*sweeper).Start(ctx)
}

// validateTxCheck checks the rocketmq.txcheck.* keys one by one (zero
// means txcheck's default); txcheck.New checks how they relate (sweeper.after
// must exceed grace-period) when TxCheck is used.
func (c *Config) validateTxCheck(bad func(key, format string, args ...any)) {
	t := c.TxCheck
	if t.Group != "" {
		if err := message.ValidateGroup(t.Group); err != nil {
			bad("txcheck.group", "%q is not a valid group: [%%|a-zA-Z0-9_-], 1..255 bytes", t.Group)
		}
	}
	for _, tb := range [][2]string{{"txcheck.table", t.Table}, {"txcheck.schema-table", t.SchemaTable}} {
		if tb[1] != "" && sqlkit.ValidateTableName(tb[1]) != nil {
			bad(tb[0], "%q is not a table name ([a-zA-Z0-9_$]+, optionally schema.table)", tb[1])
		}
	}
	if t.MaxPayloadSize < 0 || t.MaxPayloadSize > 16<<20 {
		bad("txcheck.max-payload-size", "%d is outside 1..%d", t.MaxPayloadSize, 16<<20)
	}
	s := t.Sweeper
	for _, d := range []struct {
		key string
		v   any
		neg bool
	}{
		{"grace-period", t.GracePeriod, t.GracePeriod < 0},
		{"send-timeout", t.SendTimeout, t.SendTimeout < 0},
		{"check-timeout", t.CheckTimeout, t.CheckTimeout < 0},
		{"sweeper.after", s.After, s.After < 0},
		{"sweeper.interval", s.Interval, s.Interval < 0},
		{"sweeper.retention", s.Retention, s.Retention < 0},
		{"sweeper.batch-size", s.BatchSize, s.BatchSize < 0},
		{"sweeper.lookup-concurrency", s.LookupConcurrency, s.LookupConcurrency < 0},
	} {
		if d.neg {
			bad("txcheck."+d.key, "%v must be positive", d.v)
		}
	}
}

// lazyBackend is one of the endpoint's backends, looked up at each use, so
// that components made before start (txcheck.New) can hold it; they use it
// from their start hooks on. The endpoint closes it.
type lazyBackend struct {
	name string
	get  func() (transport.Backend, error)
}

var _ transport.Backend = lazyBackend{}

func (l lazyBackend) Name() string { return l.name }

func (l lazyBackend) NewProducer(cfg client.ProducerConfig) (transport.Producer, error) {
	b, err := l.get()
	if err != nil {
		return nil, err
	}
	return b.NewProducer(cfg)
}

func (l lazyBackend) NewTransactionProducer(cfg client.ProducerConfig, c client.TransactionChecker) (transport.Producer, error) {
	b, err := l.get()
	if err != nil {
		return nil, err
	}
	return b.NewTransactionProducer(cfg, c)
}

func (l lazyBackend) NewConsumer(cfg client.ConsumerConfig, h client.Handler) (transport.Consumer, error) {
	b, err := l.get()
	if err != nil {
		return nil, err
	}
	return b.NewConsumer(cfg, h)
}

func (lazyBackend) Close() error { return nil }
