package brokertest

import (
	"context"
	"crypto/tls"
	"log/slog"
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/broker"
)

// Option adjusts the broker a test starts.
type Option interface{ apply(*settings) }

type settings struct {
	cfg    broker.Config
	logger *slog.Logger
	opts   []broker.Option
}

type optionFunc func(*settings)

func (f optionFunc) apply(s *settings) { f(s) }

// WithConfig lets the test change the configuration before start. DataDir
// and Listen are preset (temp dir, free loopback port) and may be replaced,
// e.g. to restart a broker on the same data.
func WithConfig(edit func(*broker.Config)) Option {
	return optionFunc(func(s *settings) { edit(&s.cfg) })
}

// WithLogger sends the broker's logs to l (default: discarded).
func WithLogger(l *slog.Logger) Option {
	return optionFunc(func(s *settings) { s.logger = l })
}

// WithACL turns on ACL with the plain_acl.yml at path (Config.ACLEnable,
// Config.ACLFile), read again for changes every 20ms so that a test that
// rewrites the file sees the change promptly (wait for it: the broker
// applies it on its next read, not at once).
func WithACL(path string) Option {
	return optionFunc(func(s *settings) {
		s.cfg.ACLEnable = true
		s.cfg.ACLFile = path
		s.opts = append(s.opts, broker.WithACLPollInterval(20*time.Millisecond))
	})
}

// WithTLS serves TLS only (TLSEnforcing) with the PEM certificate and
// key files (Config.TLSCertFile, TLSKeyFile); internal/testcert makes a
// self-signed pair for 127.0.0.1. Set Config.TLSMode to
// broker.TLSPermissive with WithConfig to serve plain clients too.
func WithTLS(certFile, keyFile string) Option {
	return optionFunc(func(s *settings) {
		s.cfg.TLSCertFile, s.cfg.TLSKeyFile = certFile, keyFile
	})
}

// WithTLSConfig serves TLS with c (broker.WithTLSConfig), TLS only unless
// WithConfig sets Config.TLSMode.
func WithTLSConfig(c *tls.Config) Option {
	return optionFunc(func(s *settings) { s.opts = append(s.opts, broker.WithTLSConfig(c)) })
}

// Start starts a broker for tb and registers its Close as a cleanup. It
// fails the test if the broker does not start.
func Start(tb testing.TB, opts ...Option) *broker.Broker {
	tb.Helper()
	s := settings{cfg: broker.Config{
		Listen:      "127.0.0.1:0",
		DataDir:     tb.TempDir(),
		MaxPullHold: 2 * time.Second,
	}}
	for _, o := range opts {
		o.apply(&s)
	}
	bopts := s.opts
	if s.logger != nil {
		bopts = append(bopts, broker.WithLogger(s.logger))
	}
	b, err := broker.Start(context.Background(), s.cfg, bopts...)
	if err != nil {
		tb.Fatalf("brokertest: start broker: %v", err)
	}
	tb.Cleanup(func() {
		if err := b.Close(); err != nil {
			tb.Errorf("brokertest: close broker: %v", err)
		}
	})
	return b
}
