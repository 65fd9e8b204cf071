package starter

import (
	"context"
	"log/slog"

	"github.com/rocketkit/rocketkit/listener"
	"github.com/rocketkit/rocketkit/tracing"
	"go.uber.org/fx"
)

// Module is the RocketMQ starter. It reads the rocketmq.* configuration,
// runs the embedded broker when rocketmq.name-server is "embedded",
// provides a *Template, an *Endpoint and a *Health, and runs every listener
// registered with Listener. Start order: broker (or name-server check),
// producer, listeners; stop runs in reverse, draining the listeners first.
var Module = fx.Module("rocketmq",
	fx.Provide(fx.Private, newSettings),
	fx.Provide(newAppTree), // for AppConfig, outside the module
	fx.Provide(provideEndpoint, provideTemplate, newHealth),
	fx.Invoke(runListeners),
)

// ListenerGroup is the fx value group Listener feeds.
const ListenerGroup = "rocketmq.listeners"

// Params is what the module takes from the application; everything is
// optional.
type Params struct {
	fx.In

	Lifecycle fx.Lifecycle
	// Logger receives the module's logs and, at or above
	// rocketmq.client-log-level, the client's own. Default: discard.
	Logger *slog.Logger `optional:"true"`
	// Metrics receives send and handler measurements.
	Metrics Metrics `optional:"true"`
	// Tracer is called around every send and delivery, and by Outbox's
	// relay and TxCheck (see package tracing). Default: none.
	Tracer tracing.Tracer `optional:"true"`
	// Codec encodes template payloads and decodes Message.Decode targets.
	// Default listener.JSON.
	Codec listener.Codec `optional:"true"`
}

func (p Params) logger() *slog.Logger {
	if p.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return p.Logger.With("component", "rocketmq")
}

func (p Params) codec() listener.Codec {
	if p.Codec == nil {
		return listener.JSON{}
	}
	return p.Codec
}

func provideEndpoint(p Params, s *settings) *Endpoint {
	ep := newEndpoint(s.cfg, p.logger(), clientLogger(p.Logger, s.cfg.ClientLogLevel))
	unroute := func() {}
	p.Lifecycle.Append(fx.Hook{
		OnStart: func(ctx context.Context) error {
			unroute = routeClientLog(p.Logger, s.cfg.ClientLogLevel)
			if err := ep.start(ctx); err != nil {
				unroute()
				return err
			}
			return nil
		},
		OnStop: func(ctx context.Context) error {
			defer unroute()
			return ep.stop(ctx)
		},
	})
	return ep
}

func provideTemplate(p Params, s *settings, ep *Endpoint) *Template {
	t := newTemplate(s.cfg, ep, p.codec(), p.logger(), p.Metrics, p.Tracer)
	p.Lifecycle.Append(fx.Hook{OnStart: t.start, OnStop: t.stop})
	return t
}

type listenerParams struct {
	fx.In

	Params
	Settings  *settings
	Endpoint  *Endpoint
	Template  *Template // started before, stopped after the listeners
	Health    *Health
	Listeners []any `group:"rocketmq.listeners"`
}

func runListeners(p listenerParams) error {
	ls, err := newListenerSet(p.Settings, p.Endpoint, p.Listeners, p.codec(), p.logger(), p.Metrics, p.Tracer)
	if err != nil {
		return err
	}
	p.Health.watch(ls)
	p.Lifecycle.Append(fx.Hook{OnStart: ls.start, OnStop: ls.stop})
	return nil
}

// Listener registers a listener constructor: a function (with any fx
// dependencies as parameters) returning a listener struct pointer, and
// optionally an error. The module parses its tags and runs it.
//
//	fx.New(
//		starter.Module,
//		starter.Listener(NewBillOrders),
//	)
func Listener(constructor any) fx.Option {
	return fx.Provide(fx.Annotate(constructor, fx.As(new(any)), fx.ResultTags(`group:"`+ListenerGroup+`"`)))
}
