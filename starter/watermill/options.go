package watermill

import (
	"fmt"
	"log/slog"
	"os"
	"sync/atomic"

	wmlog "github.com/ThreeDotsLabs/watermill"
)

// Option injects what only code can provide into NewPublisher and
// NewSubscriber. Options are sealed.
type Option interface{ apply(*options) }

type options struct {
	logger wmlog.LoggerAdapter
}

type optionFunc func(*options)

func (f optionFunc) apply(o *options) { f(o) }

// WithLogger sends the adapter's logs to l. nil (the default) discards them
// (watermill.NewSlogLogger over slog.DiscardHandler).
//
// The official client logs through its own process-global logger, which
// this option does not change.
func WithLogger(l wmlog.LoggerAdapter) Option {
	return optionFunc(func(o *options) { o.logger = l })
}

func buildOptions(opts []Option) options {
	var o options
	for _, opt := range opts {
		if opt != nil {
			opt.apply(&o)
		}
	}
	if o.logger == nil {
		o.logger = wmlog.NewSlogLogger(slog.New(slog.DiscardHandler))
	}
	return o
}

// instanceSeq numbers the client instances this process creates.
var instanceSeq atomic.Uint64

// newInstanceName returns prefix-pid-n, unique in the process and, through
// the pid, among processes on one host. The official client shares one
// client instance (connections, heartbeat, rebalance) among all producers
// and consumers with the same instance name, and two consumers of one group
// in one instance are one member to the broker (wire doc §2.2); a fresh
// name per client object avoids both.
func newInstanceName(prefix string) string {
	return fmt.Sprintf("%s-%d-%d", prefix, os.Getpid(), instanceSeq.Add(1))
}
