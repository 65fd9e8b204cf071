package outbox

import "log/slog"

// Option injects what only code can provide. Options that do not concern
// a component are ignored by it.
type Option interface{ apply(*settings) }

type settings struct {
	logger  *slog.Logger
	codec   Codec
	counter QueueCounter
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

// WithQueueCounter tells a Relay how many queues each topic has, so that
// it can batch messages of different sharding keys bound for one queue.
// The relay finds one by itself when its Sender is a *Producer (or any
// Sender that is also a QueueCounter); use this option when the sender is
// an official producer configured with a QueueSelector.
func WithQueueCounter(c QueueCounter) Option {
	return optionFunc(func(s *settings) { s.counter = c })
}
