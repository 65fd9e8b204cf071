package namesrv

import (
	"cmp"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"
)

// Config is the name server's configuration. A zero field means its
// documented default; Start applies the defaults and Validate.
type Config struct {
	// Listen is the TCP address served. Default "127.0.0.1:9876"; port 0
	// picks a free port (Server.Addr tells which).
	Listen string `koanf:"listen"`
	// BrokerExpiry is how long a broker may go without registering before
	// it is dropped, unless its registration asked for another
	// (heartbeatTimeoutMillis). Default 120s, Java's
	// DEFAULT_BROKER_CHANNEL_EXPIRED_TIME.
	BrokerExpiry time.Duration `koanf:"broker-expiry"`
	// ScanInterval is how often expired brokers are looked for
	// (scanNotActiveBrokerInterval). Default 5s.
	ScanInterval time.Duration `koanf:"scan-interval"`
	// DeleteTopicWithBrokerRegistration (deleteTopicWithBrokerRegistration)
	// drops a broker's share of the topics its new registration no longer
	// lists. Default false, as Java: a topic deleted on a broker stays
	// routed until DELETE_TOPIC_IN_NAMESRV.
	DeleteTopicWithBrokerRegistration bool `koanf:"delete-topic-with-broker-registration"`
	// IdleTimeout closes a connection that sends nothing for this long
	// (serverChannelMaxIdleTimeSeconds); a broker whose registration
	// connection closes is dropped at once, as Java's channel-destroy
	// does. Brokers register every 30s and clients refresh routes every
	// 30s. Default 120s; negative: never.
	IdleTimeout time.Duration `koanf:"idle-timeout"`
	// MaxFrameSize bounds one request frame. Default 16 MiB.
	MaxFrameSize int `koanf:"max-frame-size"`
	// MaxConnections caps the open connections; one more is closed on
	// accept. Default 16384; negative: no limit.
	MaxConnections int `koanf:"max-connections"`
}

// Defaults applied by Start.
const (
	defaultListen         = "127.0.0.1:9876"
	defaultBrokerExpiry   = 120 * time.Second
	defaultScanInterval   = 5 * time.Second
	defaultIdleTimeout    = 120 * time.Second
	defaultMaxFrame       = 16 << 20
	defaultMaxConnections = 16384
	writeTimeout          = 30 * time.Second
)

// WithDefaults returns c with every zero field set to its default.
func (c Config) WithDefaults() Config {
	c.Listen = cmp.Or(c.Listen, defaultListen)
	c.BrokerExpiry = cmp.Or(c.BrokerExpiry, defaultBrokerExpiry)
	c.ScanInterval = cmp.Or(c.ScanInterval, defaultScanInterval)
	c.IdleTimeout = cmp.Or(c.IdleTimeout, defaultIdleTimeout)
	c.MaxFrameSize = cmp.Or(c.MaxFrameSize, defaultMaxFrame)
	c.MaxConnections = cmp.Or(c.MaxConnections, defaultMaxConnections)
	return c
}

// Validate reports every field out of range, by its koanf key. It
// expects the defaults applied.
func (c Config) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: %s: %s", ErrConfig, key, fmt.Sprintf(format, args...)))
	}
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		bad("listen", "%q is not host:port: %v", c.Listen, err)
	}
	if c.BrokerExpiry < time.Second {
		bad("broker-expiry", "%v is below 1s", c.BrokerExpiry)
	}
	if c.ScanInterval < 10*time.Millisecond {
		bad("scan-interval", "%v is below 10ms", c.ScanInterval)
	}
	if c.MaxFrameSize < 1024 {
		bad("max-frame-size", "%d is below 1 KiB", c.MaxFrameSize)
	}
	return errors.Join(errs...)
}

// Option injects what only code can provide. Options are sealed.
type Option interface{ apply(*options) }

type options struct {
	logger *slog.Logger
	listen func(network, addr string) (net.Listener, error)
}

type optionFunc func(*options)

func (f optionFunc) apply(o *options) { f(o) }

// WithLogger routes the name server's logs to l. nil (the default)
// discards them.
func WithLogger(l *slog.Logger) Option {
	return optionFunc(func(o *options) { o.logger = l })
}

// WithListenFunc replaces net.Listen, e.g. to serve over an in-memory
// network in tests.
func WithListenFunc(f func(network, addr string) (net.Listener, error)) Option {
	return optionFunc(func(o *options) { o.listen = f })
}
