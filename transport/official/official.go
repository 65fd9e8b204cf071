package official

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/rocketkit/rocketkit/client"
	"github.com/rocketkit/rocketkit/transport"
)

// Name is the Name of the backend.
const Name = "official"

// An Option injects what only code can provide. Options are sealed.
type Option interface{ apply(*options) }

type options struct {
	logger    *slog.Logger
	routeLog  bool
	quietWait func(ctx context.Context, quiet time.Duration) error
}

type optionFunc func(*options)

func (f optionFunc) apply(o *options) { f(o) }

// WithLogger sets where the backend logs (handler panics, failed messages,
// shutdown that did not drain), and routes the official client's own
// process-global logger (rlog) to l as well, through internal/clientlog.
// Without it the backend discards its records and leaves the client's
// logger as the process set it. The client's logger being one per process,
// the backend created last with WithLogger wins.
func WithLogger(l *slog.Logger) Option {
	return optionFunc(func(o *options) { o.logger, o.routeLog = l, true })
}

// WithQuietWait gives the backend a way to wait until the broker has
// received no request for a while, such as broker.Broker.WaitQuiet of an
// embedded broker. Closing a consumer or producer uses it (see Consumer
// Close): on an embedded broker it is an event, where a remote cluster
// only allows a fixed wait. Errors are ignored: the wait just ends.
func WithQuietWait(f func(ctx context.Context, quiet time.Duration) error) Option {
	return optionFunc(func(o *options) { o.quietWait = f })
}

// backend is the Backend on the official client. Every producer and
// consumer is a client object of its own with its own instance name:
// nothing is shared between them but the process-global state of the
// official client itself.
type backend struct {
	cfg  client.Config
	opts options
	log  *slog.Logger
	base string // instance name prefix

	closed atomic.Bool
}

var _ transport.Backend = (*backend)(nil)

// New returns the backend on the official Go client, connecting as cfg
// says:
//
//   - NameServers, Namespace, Credentials, UnitName and InstanceName are
//     passed on (a host name is given to the client as http://host:port,
//     since it accepts only IP literals otherwise);
//   - every producer and consumer gets its own instance name,
//     InstanceName (default: the process id and a random token) followed
//     by its group and a number, because the official client shares one
//     client instance between objects with the same ClientID and breaks
//     when two groups share one (wire doc §2.2, §11.6);
//   - TLS switches on the client's TLS for every official client the
//     process creates afterwards (the client keeps it in a process-global
//     default; it never verifies the broker's certificate);
//   - RequestTimeout, RouteRefreshInterval, HeartbeatInterval and
//     BrokerBackoff have no per-client counterpart in the official client
//     and are ignored: it uses 3s per request, refreshes routes and sends
//     heartbeats every 30s.
func New(cfg client.Config, opts ...Option) (transport.Backend, error) {
	cfg.NameServers = append([]string(nil), cfg.NameServers...)
	for i, ns := range cfg.NameServers {
		cfg.NameServers[i] = strings.TrimPrefix(strings.TrimSpace(ns), "http://")
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("official: %w", err)
	}
	b := &backend{cfg: cfg}
	for _, o := range opts {
		o.apply(&b.opts)
	}
	b.log = b.opts.logger
	if b.log == nil {
		b.log = slog.New(slog.DiscardHandler)
	}
	if b.opts.routeLog {
		routeClientLog(b.opts.logger)
	}
	b.base = cfg.InstanceName
	if b.base == "" {
		b.base = processToken
	}
	return b, nil
}

func (b *backend) Name() string { return Name }

// Close marks the backend closed: it holds nothing of its own, each
// producer and consumer having its own client instance. Close them first.
func (b *backend) Close() error {
	b.closed.Store(true)
	return nil
}

// nameServers adapts the addresses for the official client, which accepts
// only IP literals: a host name is given as http://host:port, which it
// resolves.
func (b *backend) nameServers() primitive.NamesrvAddr {
	out := make(primitive.NamesrvAddr, len(b.cfg.NameServers))
	for i, a := range b.cfg.NameServers {
		if ap, err := netip.ParseAddrPort(a); err == nil && ap.IsValid() {
			out[i] = a
		} else {
			out[i] = "http://" + a
		}
	}
	return out
}

func (b *backend) credentials() primitive.Credentials {
	c := b.cfg.Credentials
	return primitive.Credentials{AccessKey: c.AccessKey, SecretKey: c.SecretKey, SecurityToken: c.SecurityToken}
}

// bareName is a topic or group without the namespace the official client
// puts in front on the wire: "namespace%name", "%RETRY%namespace%group".
func (b *backend) bareName(wire string) string {
	ns := b.cfg.Namespace
	if ns == "" {
		return wire
	}
	for _, prefix := range []string{"%RETRY%", "%DLQ%"} {
		if rest, ok := strings.CutPrefix(wire, prefix); ok {
			return prefix + b.bareName(rest)
		}
	}
	return strings.TrimPrefix(wire, ns+"%")
}

// Instance names: see New. The number counts the objects of one group made
// with one prefix in this process, so a process that creates its
// consumers in the same order gives each the same name again (a
// broadcasting consumer of the official client keeps its offsets in a
// file named by its ClientID).
var (
	processToken = func() string {
		t := make([]byte, 3)
		_, _ = rand.Read(t)
		return fmt.Sprintf("%d%s", os.Getpid(), hex.EncodeToString(t))
	}()
	instanceMu  sync.Mutex
	instanceSeq = map[string]int{}
)

// instanceName returns a process-unique client instance name for group.
func (b *backend) instanceName(group string) string {
	key := b.base + "-" + group
	instanceMu.Lock()
	defer instanceMu.Unlock()
	instanceSeq[key]++
	return fmt.Sprintf("%s-%d", key, instanceSeq[key])
}
