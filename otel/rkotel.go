package rkotel

import (
	"context"

	"github.com/rocketkit/rocketkit/starter"
	"github.com/rocketkit/rocketkit/tracing"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/fx"
)

// ScopeName is the instrumentation scope of the package's tracer and
// meter.
const ScopeName = "github.com/rocketkit/rocketkit/otel"

// Instrumentation traces and measures the kit with OpenTelemetry: it is
// a tracing.Tracer, a starter.Metrics (and starter.OutboxMetrics) and an
// outbox.Metrics. It is safe for concurrent use.
type Instrumentation struct {
	tracer trace.Tracer
	meter  metric.Meter
	prop   propagation.TextMapPropagator
	inst   instruments
}

// Option configures New and Module. Options are sealed.
type Option interface{ apply(*Instrumentation) }

type optionFunc func(*Instrumentation)

func (f optionFunc) apply(in *Instrumentation) { f(in) }

// WithPropagator sets how the trace context is written into and read
// from message properties. Default: propagation.TraceContext (W3C
// traceparent and tracestate), whatever the global propagator is.
func WithPropagator(p propagation.TextMapPropagator) Option {
	return optionFunc(func(in *Instrumentation) {
		if p != nil {
			in.prop = p
		}
	})
}

// New returns an Instrumentation that starts spans with tp's tracer and
// records with mp's meter, both of scope ScopeName; nil stands for
// OpenTelemetry's global provider (otel.GetTracerProvider,
// otel.GetMeterProvider). It fails only when mp refuses an instrument.
func New(tp trace.TracerProvider, mp metric.MeterProvider, opts ...Option) (*Instrumentation, error) {
	if tp == nil {
		tp = otel.GetTracerProvider()
	}
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	in := &Instrumentation{
		tracer: tp.Tracer(ScopeName),
		meter:  mp.Meter(ScopeName),
		prop:   propagation.TraceContext{},
	}
	for _, o := range opts {
		o.apply(in)
	}
	var err error
	if in.inst, err = newInstruments(in.meter); err != nil {
		return nil, err
	}
	return in, nil
}

// Module instruments an app that uses starter.Module: it provides an
// *Instrumentation (see New) as the app's tracing.Tracer and
// starter.Metrics, so the Template, the listeners, starter.Outbox and
// starter.TxCheck are traced and measured, and, when the app runs
// starter.Outbox, reports the outbox backlog from start to stop. An app
// that provides its own starter.Metrics uses New and provides the
// tracer alone: fx.Supply(fx.Annotate(in, fx.As(new(tracing.Tracer)))).
func Module(tp trace.TracerProvider, mp metric.MeterProvider, opts ...Option) fx.Option {
	return fx.Module("rocketmq-otel",
		fx.Provide(
			func() (*Instrumentation, error) { return New(tp, mp, opts...) },
			func(in *Instrumentation) tracing.Tracer { return in },
			func(in *Instrumentation) starter.Metrics { return in },
		),
		fx.Invoke(observeBacklog),
	)
}

type backlogParams struct {
	fx.In

	Lifecycle       fx.Lifecycle
	Instrumentation *Instrumentation
	Relay           *starter.OutboxRelay `optional:"true"`
}

// observeBacklog reports the app's outbox backlog while the app runs.
func observeBacklog(p backlogParams) {
	if p.Relay == nil {
		return
	}
	var reg metric.Registration
	p.Lifecycle.Append(fx.Hook{
		OnStart: func(context.Context) (err error) {
			reg, err = p.Instrumentation.ObserveBacklog(p.Relay)
			return err
		},
		OnStop: func(context.Context) error {
			if reg == nil {
				return nil
			}
			return reg.Unregister()
		},
	})
}
