package client

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/rocketkit/rocketkit/protocol/message"
)

// Config configures a Client: where the cluster is and who this process is
// to it. A zero value field means its documented default.
type Config struct {
	// NameServers are the name servers' host:port addresses. The client
	// asks them in turn, starting from the last one that answered, so any
	// one of them being up is enough. Required.
	NameServers []string `koanf:"name-servers"`
	// Namespace, when set, prefixes every topic and group on the wire as
	// "namespace%name" (RocketMQ's namespaces); the application sees the
	// bare names.
	Namespace string `koanf:"namespace"`
	// InstanceName tells clients of one host apart: the client id is
	// ip@InstanceName (plus @UnitName). Default: the process id and a
	// random per-process token (containers on one host often share pid 1),
	// then a sequence number for the second Client of the process on: each
	// Client is a member of its groups of its own (the official client's
	// shared instances, which make two consumers of a group in one process
	// one member, are not reproduced).
	InstanceName string `koanf:"instance-name"`
	// UnitName is appended to the client id when set.
	UnitName string `koanf:"unit-name"`
	// Credentials sign every request (ACL 1.0) when AccessKey is set.
	Credentials Credentials `koanf:"credentials"`
	// TLS dials name servers and brokers over TLS. WithTLSConfig sets the
	// tls.Config; the default verifies against the system roots.
	TLS bool `koanf:"tls"`
	// JSONHeaders sends request headers as JSON, as the official Go client
	// does. By default they go in RocketMQ's binary ("ROCKETMQ") header
	// format, as a Java client configured with
	// rocketmq.serialize.type=ROCKETMQ sends them: every RocketMQ broker
	// and name server (Java's since 4.0, and RocketKit's) reads both and
	// answers in the request's format, and the binary header costs both
	// sides a fraction of the JSON one. Set it for a server that only
	// reads JSON, or to make the traffic readable in a packet capture.
	JSONHeaders bool `koanf:"json-headers"`
	// RequestTimeout bounds each request that has no deadline of its own.
	// Default 3s.
	RequestTimeout time.Duration `koanf:"request-timeout"`
	// RouteRefreshInterval is how often routes of topics in use are
	// refreshed from the name servers. Default 30s.
	RouteRefreshInterval time.Duration `koanf:"route-refresh-interval"`
	// HeartbeatInterval is how often the client tells every broker which
	// groups it takes part in. Default 30s.
	HeartbeatInterval time.Duration `koanf:"heartbeat-interval"`
	// BrokerBackoff is how long a broker that just failed a send is
	// avoided while another broker can take the message. Default 10s;
	// negative disables the avoidance.
	BrokerBackoff time.Duration `koanf:"broker-backoff"`
}

func (c *Config) setDefaults() {
	if c.InstanceName == "" {
		c.InstanceName = processToken
		if n := clientsMade.Add(1); n > 1 {
			c.InstanceName += "-" + strconv.FormatInt(n, 10)
		}
	}
	if c.RequestTimeout == 0 {
		c.RequestTimeout = 3 * time.Second
	}
	if c.RouteRefreshInterval == 0 {
		c.RouteRefreshInterval = 30 * time.Second
	}
	if c.HeartbeatInterval == 0 {
		c.HeartbeatInterval = 30 * time.Second
	}
	if c.BrokerBackoff == 0 {
		c.BrokerBackoff = 10 * time.Second
	}
	for i, ns := range c.NameServers {
		c.NameServers[i] = strings.TrimPrefix(strings.TrimSpace(ns), "http://")
	}
}

// clientsMade counts the Clients of this process that took the default
// instance name; processToken is that name's stem.
var (
	clientsMade  atomic.Int64
	processToken = func() string {
		var b [2]byte
		_, _ = rand.Read(b[:])
		return strconv.Itoa(os.Getpid()) + "-" + hex.EncodeToString(b[:])
	}()
)

// Validate reports the first problem with c, naming the field.
func (c Config) Validate() error {
	if len(c.NameServers) == 0 {
		return ErrNoNameServer
	}
	for _, ns := range c.NameServers {
		if _, port, err := net.SplitHostPort(ns); err != nil || port == "" {
			return fmt.Errorf("client: name server %q is not host:port", ns)
		}
	}
	if c.Namespace != "" {
		if err := message.ValidateGroup(c.Namespace); err != nil || strings.Contains(c.Namespace, "%") {
			return fmt.Errorf("client: namespace %q: only letters, digits, '-' and '_' are allowed", c.Namespace)
		}
	}
	if strings.ContainsAny(c.InstanceName+c.UnitName, "@ ") {
		return fmt.Errorf("client: instance name %q and unit name %q must not contain '@' or blanks", c.InstanceName, c.UnitName)
	}
	if (c.Credentials.AccessKey == "") != (c.Credentials.SecretKey == "") {
		return fmt.Errorf("client: credentials need both an access key and a secret key")
	}
	for name, d := range map[string]time.Duration{"RequestTimeout": c.RequestTimeout,
		"RouteRefreshInterval": c.RouteRefreshInterval, "HeartbeatInterval": c.HeartbeatInterval} {
		if d < 0 {
			return fmt.Errorf("client: %s %v is negative", name, d)
		}
	}
	return nil
}

// ParseNameServers splits RocketMQ's "a:9876;b:9876" notation.
func ParseNameServers(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ";") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, strings.TrimPrefix(part, "http://"))
		}
	}
	return out
}

// An Option injects what only code can provide.
type Option interface{ apply(*options) }

type options struct {
	logger *slog.Logger
	dial   func(ctx context.Context, network, addr string) (net.Conn, error)
	tls    *tls.Config
}

type optionFunc func(*options)

func (f optionFunc) apply(o *options) { f(o) }

// WithLogger sets the logger; the default discards.
func WithLogger(l *slog.Logger) Option { return optionFunc(func(o *options) { o.logger = l }) }

// WithDialFunc replaces how connections are dialled (tests use an
// in-memory network).
func WithDialFunc(f func(ctx context.Context, network, addr string) (net.Conn, error)) Option {
	return optionFunc(func(o *options) { o.dial = f })
}

// WithTLSConfig sets the TLS configuration used when Config.TLS is set.
func WithTLSConfig(c *tls.Config) Option { return optionFunc(func(o *options) { o.tls = c }) }
