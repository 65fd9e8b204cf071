package outbox

import (
	"log/slog"

	"github.com/rocketkit/rocketkit/tracing"
)

// Option injects what only code can provide. Options that do not concern
// a component are ignored by it.
type Option interface{ apply(*settings) }

type settings struct {
	logger  *slog.Logger
	codec   Codec
	metrics Metrics
	tracer  tracing.Tracer
}

func newSettings(opts []Option) settings {
	s := settings{codec: JSONCodec{}}
	for _, o := range opts {
		if o != nil {
			o.apply(&s)
		}
	}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	return s
}

type optionFunc func(*settings)

func (f optionFunc) apply(s *settings) { f(s) }

// WithLogger sets the logger (nil discards).
func WithLogger(l *slog.Logger) Option {
	return optionFunc(func(s *settings) { s.logger = l })
}

// WithCodec sets the payload codec of a Publisher (default JSONCodec).
func WithCodec(c Codec) Option {
	return optionFunc(func(s *settings) {
		if c != nil {
			s.codec = c
		}
	})
}

// WithTracer traces the outbox with t (nil traces nothing): a Publisher
// records the trace context of Publish's ctx in each row's properties
// (t.Inject), and a Relay calls t.StartSend around each send (mode
// "outbox"), whose messages carry their writer's trace context.
func WithTracer(t tracing.Tracer) Option {
	return optionFunc(func(s *settings) { s.tracer = t })
}

// WithMetrics makes a Relay report what it does to m (nil reports
// nothing); other components ignore it.
func WithMetrics(m Metrics) Option {
	return optionFunc(func(s *settings) { s.metrics = m })
}
