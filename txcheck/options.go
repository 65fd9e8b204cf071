package txcheck

import (
	"log/slog"

	"github.com/rocketkit/rocketkit/outbox"
	"github.com/rocketkit/rocketkit/tracing"
)

// Option injects what only code can provide. Options that do not concern
// a component are ignored by it.
type Option interface{ apply(*settings) }

type settings struct {
	logger *slog.Logger
	codec  outbox.Codec
	routes map[string]route
	tracer tracing.Tracer
}

// route is where a topic's local transactions run and how its check-backs
// are answered.
type route struct {
	db      outbox.Beginner // nil: the producer's database
	checker Checker         // nil: the key table in db
}

func newSettings(opts []Option) settings {
	s := settings{codec: outbox.JSONCodec{}, routes: map[string]route{}}
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

// WithCodec sets the payload codec (default outbox.JSONCodec).
func WithCodec(c outbox.Codec) Option {
	return optionFunc(func(s *settings) {
		if c != nil {
			s.codec = c
		}
	})
}

// WithTracer traces a Producer with t (nil traces nothing): t.StartSend
// around each SendInTransaction (mode "transaction": the half message,
// the local transaction, which runs in the send's context, and the
// outcome) and t.StartCheck around each check-back, whose context the
// Checker gets.
func WithTracer(t tracing.Tracer) Option {
	return optionFunc(func(s *settings) { s.tracer = t })
}

// WithRoute runs the local transactions of messages to topic on db (with
// the same table name) instead of the producer's database, and answers
// their check-backs from it: one producer serves flows in several
// databases.
func WithRoute(topic string, db outbox.Beginner) Option {
	return optionFunc(func(s *settings) {
		r := s.routes[topic]
		r.db = db
		s.routes[topic] = r
	})
}

// WithChecker answers the check-backs of topic with c instead of the key
// table, for flows whose outcome is known elsewhere.
func WithChecker(topic string, c Checker) Option {
	return optionFunc(func(s *settings) {
		r := s.routes[topic]
		r.checker = c
		s.routes[topic] = r
	})
}
