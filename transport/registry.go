package transport

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/rocketkit/rocketkit/client"
)

// OpenOptions is what Open passes a backend's factory besides the client
// configuration.
type OpenOptions struct {
	// Logger receives the backend's own records; nil discards them.
	Logger *slog.Logger
	// QuietWait, when set, waits until the broker has received no request
	// for quiet (broker.Broker.WaitQuiet of an embedded broker). Backends
	// that must let a client settle before shutting it down use it.
	QuietWait func(ctx context.Context, quiet time.Duration) error
	// TLS, when set with cfg.TLS, is the TLS configuration (a CA to trust,
	// InsecureSkipVerify) of backends that take one: the kit's client
	// does (client.WithTLSConfig); the official client has no such knob
	// and never verifies certificates.
	TLS *tls.Config
}

// A Factory makes a Backend; see Register.
type Factory func(cfg client.Config, opts OpenOptions) (Backend, error)

var (
	registryMu sync.RWMutex
	registry   = map[string]Factory{
		NativeName: func(cfg client.Config, o OpenOptions) (Backend, error) {
			var opts []client.Option
			if o.Logger != nil {
				opts = append(opts, client.WithLogger(o.Logger))
			}
			if o.TLS != nil {
				opts = append(opts, client.WithTLSConfig(o.TLS))
			}
			return Native(cfg, opts...)
		},
	}
)

// Register makes a backend available to Open (and to the starter's
// rocketmq.client) under name, as database/sql drivers register: package
// transport/official registers "official" when imported. It panics when
// name is taken, as a second registration is a programming error.
func Register(name string, f Factory) {
	registryMu.Lock()
	defer registryMu.Unlock()
	if _, ok := registry[name]; ok {
		panic("transport: backend " + name + " registered twice")
	}
	registry[name] = f
}

// Names lists the registered backends, sorted.
func Names() []string {
	registryMu.RLock()
	defer registryMu.RUnlock()
	out := make([]string, 0, len(registry))
	for name := range registry {
		out = append(out, name)
	}
	slices.Sort(out)
	return out
}

// Open makes the backend registered as name. "rocketkit" (NativeName) is
// always there; "official" once package transport/official is imported.
func Open(name string, cfg client.Config, opts OpenOptions) (Backend, error) {
	registryMu.RLock()
	f := registry[name]
	registryMu.RUnlock()
	if f == nil {
		hint := ""
		if name == "official" {
			hint = `; import _ "github.com/rocketkit/rocketkit/transport/official" to register it`
		}
		return nil, fmt.Errorf("%w: %q (registered: %v)%s", ErrUnknownBackend, name, Names(), hint)
	}
	return f(cfg, opts)
}
