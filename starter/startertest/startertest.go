package startertest

import (
	"context"
	"log/slog"
	"maps"
	"regexp"
	"sync"
	"testing"

	"github.com/rocketkit/rocketkit/starter"
	"go.uber.org/fx"
)

// FastDelayLevels is the 18-level delay table the test apps use.
const FastDelayLevels = "20ms 40ms 60ms 80ms 100ms 120ms 140ms 160ms 180ms 200ms 220ms 240ms 260ms 280ms 300ms 320ms 340ms 360ms"

// App is a started application.
type App struct {
	*fx.App
	tb testing.TB
	// Template is the app's producer template.
	Template *starter.Template
	// Endpoint is how the app reaches its broker; NameServers()[0] is the
	// embedded broker's address, which other apps of the test can use as
	// their rocketmq.name-server.
	Endpoint *starter.Endpoint

	stopOnce sync.Once
}

// NameServer is the address of the app's broker, for another app's
// rocketmq.name-server or a raw client.
func (a *App) NameServer() string { return a.Endpoint.NameServers()[0] }

// Option configures the test app. Options are sealed.
type Option interface{ apply(*options) }

type options struct {
	values map[string]any
	fx     []fx.Option
	logger *slog.Logger
}

type optionFunc func(*options)

func (f optionFunc) apply(o *options) { f(o) }

// Config sets configuration values (flat keys such as
// "rocketmq.consumer.pull-batch-size", or nested maps), over the test
// defaults.
func Config(values map[string]any) Option {
	return optionFunc(func(o *options) { maps.Copy(o.values, values) })
}

// Fx adds fx options to the app: providers, invokes, starter.ConfigFile,
// fx.WithLogger (fx's own events are discarded by default)…
func Fx(opts ...fx.Option) Option {
	return optionFunc(func(o *options) { o.fx = append(o.fx, opts...) })
}

// Listener registers a listener constructor (starter.Listener).
func Listener(constructor any) Option { return Fx(starter.Listener(constructor)) }

// Logger provides l as the app's *slog.Logger. Default: none (the module
// discards its logs).
func Logger(l *slog.Logger) Option {
	return optionFunc(func(o *options) { o.logger = l })
}

var unsafeChars = regexp.MustCompile(`[^a-zA-Z0-9_-]+`)

// New builds and starts the app and registers its stop as a cleanup. It
// fails the test if the app does not build or start, or does not stop
// cleanly.
func New(tb testing.TB, opts ...Option) *App {
	tb.Helper()
	app, err := Start(tb, opts...)
	if err != nil {
		tb.Fatalf("startertest: %v", err)
	}
	return app
}

// Start builds and starts the app and returns what went wrong instead of
// failing the test: the build error (bad configuration, bad listener tags,
// two listeners in one group) or the start error. On success the app is
// stopped at cleanup.
func Start(tb testing.TB, opts ...Option) (*App, error) {
	tb.Helper()
	app := build(tb, opts)
	if err := app.Err(); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), app.StartTimeout())
	defer cancel()
	if err := app.App.Start(ctx); err != nil {
		return nil, err
	}
	tb.Cleanup(app.RequireStop)
	return app, nil
}

// RequireStop stops the app, failing the test if it does not stop
// cleanly. Stopping twice is harmless.
func (a *App) RequireStop() {
	a.tb.Helper()
	a.stopOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), a.StopTimeout())
		defer cancel()
		if err := a.App.Stop(ctx); err != nil {
			a.tb.Errorf("startertest: stop app: %v", err)
		}
	})
}

func build(tb testing.TB, opts []Option) *App {
	o := options{values: map[string]any{
		"rocketmq.service-name":                          unsafeChars.ReplaceAllString(tb.Name(), "_"),
		"rocketmq.shutdown-timeout":                      "5s",
		"rocketmq.embedded.message-delay-level":          FastDelayLevels,
		"rocketmq.embedded.max-pull-hold":                "2s",
		"rocketmq.embedded.rebalance-lock-max-live-time": "5s",
		"rocketmq.embedded.data-dir":                     tb.TempDir(),
	}}
	for _, opt := range opts {
		opt.apply(&o)
	}
	a := &App{tb: tb}
	fxOpts := []fx.Option{
		fx.NopLogger,
		starter.Module,
		starter.ConfigValues(o.values),
		fx.Populate(&a.Template, &a.Endpoint),
	}
	if o.logger != nil {
		fxOpts = append(fxOpts, fx.Supply(o.logger))
	}
	fxOpts = append(fxOpts, o.fx...)
	a.App = fx.New(fxOpts...)
	return a
}
