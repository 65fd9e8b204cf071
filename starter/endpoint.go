package starter

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"

	"github.com/rocketkit/rocketkit/admin"
	"github.com/rocketkit/rocketkit/broker"
	"github.com/rocketkit/rocketkit/client"
	"github.com/rocketkit/rocketkit/transport"
)

// Endpoint is how the application reaches its cluster: the embedded
// broker or the configured name servers, with credentials and namespace,
// through the client rocketmq.client picks. The module provides it so
// that other components (txcheck, the outbox, the watermill adapter) send
// and consume the same way, on the same connections. Its addresses and
// backends are ready once the module's start hooks ran, which fx runs
// before the start hooks of anything depending on Endpoint.
type Endpoint struct {
	cfg       Config
	log       *slog.Logger
	clientLog *slog.Logger // the kit's client's records, from rocketmq.client-log-level

	mu       sync.Mutex
	servers  []string                                 // guarded by mu; set on start
	backends map[client.Credentials]transport.Backend // by credentials; guarded by mu
	broker   *broker.Broker
	tls      *tls.Config // rocketmq.tls*; nil without TLS; set on start
	tempDir  string
}

func newEndpoint(cfg Config, log, clientLog *slog.Logger) *Endpoint {
	return &Endpoint{cfg: cfg, log: log, clientLog: clientLog}
}

// Embedded reports whether the application runs its own broker.
func (e *Endpoint) Embedded() bool { return e.cfg.IsEmbedded() }

// NameServers returns the name server addresses (ip:port or host:port);
// nil before start.
func (e *Endpoint) NameServers() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.servers...)
}

// Namespace returns rocketmq.namespace.
func (e *Endpoint) Namespace() string { return e.cfg.Namespace }

// Backend returns the transport the application's producers and
// consumers use: rocketmq.client's, connected to the cluster with
// rocketmq.access-key's credentials (the producer's, when only those are
// set). Every caller gets the same one, so the kit's own client shares one
// connection per broker among them. Call it after start; the module closes
// it on stop.
func (e *Endpoint) Backend() (transport.Backend, error) { return e.backend(e.credentials()) }

// credentials are Backend's: rocketmq.access-key's, or the producer's
// when only those are set, with rocketmq.security-token.
func (e *Endpoint) credentials() client.Credentials {
	if e.cfg.AccessKey == "" {
		return e.producerCredentials()
	}
	return e.withToken(e.cfg.AccessKey, e.cfg.SecretKey)
}

func (e *Endpoint) producerCredentials() client.Credentials {
	return e.withToken(e.cfg.Producer.AccessKey, e.cfg.Producer.SecretKey)
}

func (e *Endpoint) consumerCredentials() client.Credentials {
	return e.withToken(e.cfg.Consumer.AccessKey, e.cfg.Consumer.SecretKey)
}

// withToken adds rocketmq.security-token to a configured key pair.
func (e *Endpoint) withToken(ak, sk string) client.Credentials {
	return client.Credentials{AccessKey: ak, SecretKey: sk, SecurityToken: e.cfg.SecurityToken}
}

// ProducerBackend returns the backend for the application's producers:
// Backend's, with rocketmq.producer.access-key's credentials (the
// Template, the outbox relay, txcheck and the watermill publisher send
// through it). Call it after start; the module closes it on stop.
func (e *Endpoint) ProducerBackend() (transport.Backend, error) { return e.producerBackend() }

// ConsumerBackend returns the backend for the application's consumers:
// Backend's, with rocketmq.consumer.access-key's credentials (listeners
// and the watermill subscriber consume through it). Call it after start;
// the module closes it on stop.
func (e *Endpoint) ConsumerBackend() (transport.Backend, error) { return e.consumerBackend() }

// OffsetDir returns where broadcasting consumers keep their offsets:
// rocketmq.consumer.offset-dir, or with the embedded broker a directory
// beside its data. It fails when neither is set, or before start with
// the embedded broker.
func (e *Endpoint) OffsetDir() (string, error) { return e.offsetDir() }

// producerBackend and consumerBackend honour rocketmq.producer.* and
// rocketmq.consumer.* credentials (each defaults to rocketmq.access-key).
func (e *Endpoint) producerBackend() (transport.Backend, error) {
	return e.backend(e.producerCredentials())
}

func (e *Endpoint) consumerBackend() (transport.Backend, error) {
	return e.backend(e.consumerCredentials())
}

// offsetDir is where broadcasting consumers keep offsets
// (rocketmq.consumer.offset-dir; with the embedded broker, beside its
// data by default).
func (e *Endpoint) offsetDir() (string, error) {
	if dir := e.cfg.Consumer.OffsetDir; dir != "" {
		return dir, nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.broker != nil {
		return filepath.Join(e.broker.Config().DataDir, "client-offsets"), nil
	}
	return "", errors.New("set rocketmq.consumer.offset-dir: a broadcasting consumer keeps its offsets in a local file")
}

// backend returns the backend for cred, made on first use: one per
// distinct credentials (a listener with keys of its own gets its own).
func (e *Endpoint) backend(cred client.Credentials) (transport.Backend, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.servers == nil {
		return nil, ErrNotStarted
	}
	if b := e.backends[cred]; b != nil {
		return b, nil
	}
	cfg := client.Config{NameServers: e.servers, Namespace: e.cfg.Namespace, Credentials: cred, TLS: e.cfg.TLS,
		InstanceName: e.cfg.InstanceName, UnitName: e.cfg.UnitName}
	o := transport.OpenOptions{TLS: e.tls}
	if e.cfg.Client == transport.NativeName {
		o.Logger = e.clientLog
	}
	if bk := e.broker; bk != nil {
		o.QuietWait = bk.WaitQuiet
	}
	b, err := transport.Open(e.cfg.Client, cfg, o)
	if err != nil {
		return nil, fmt.Errorf("starter: rocketmq.client %s: %w", e.cfg.Client, err)
	}
	if e.backends == nil {
		e.backends = make(map[client.Credentials]transport.Backend)
	}
	e.backends[cred] = b
	return b, nil
}

// Admin returns an administration client for the cluster, signing with
// Backend's credentials and dialling with rocketmq.tls*. Call it after
// start.
func (e *Endpoint) Admin() (*admin.Client, error) { return e.adminWith(e.credentials()) }

// adminWith returns an administration client signing with cred.
func (e *Endpoint) adminWith(cred client.Credentials) (*admin.Client, error) {
	servers := e.NameServers()
	if servers == nil {
		return nil, ErrNotStarted
	}
	return e.adminOf(servers, cred)
}

func (e *Endpoint) adminOf(servers []string, cred client.Credentials) (*admin.Client, error) {
	e.mu.Lock()
	tc := e.tls
	e.mu.Unlock()
	return admin.New(admin.Config{NameServers: servers, Credentials: cred, TLS: tc != nil}, admin.WithTLSConfig(tc))
}

// tlsConfig builds the TLS configuration of rocketmq.tls, tls-ca and
// tls-insecure-skip-verify; nil without TLS.
func (c Config) tlsConfig() (*tls.Config, error) {
	if !c.TLS {
		return nil, nil
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: c.TLSInsecureSkipVerify}
	if c.TLSCA != "" {
		pem, err := os.ReadFile(c.TLSCA)
		if err != nil {
			return nil, fmt.Errorf("starter: rocketmq.tls-ca: %w", err)
		}
		tc.RootCAs = x509.NewCertPool()
		if !tc.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("starter: rocketmq.tls-ca %s holds no PEM certificate", c.TLSCA)
		}
	}
	return tc, nil
}

// start runs the embedded broker, or checks the configured name servers.
func (e *Endpoint) start(ctx context.Context) error {
	tc, err := e.cfg.tlsConfig()
	if err != nil {
		return err
	}
	e.mu.Lock()
	e.tls = tc
	e.mu.Unlock()
	if !e.cfg.IsEmbedded() {
		return e.checkNameServers(ctx)
	}
	bc := e.cfg.Embedded
	if bc.DataDir == "" {
		dir, err := os.MkdirTemp("", "rocketkit-embedded-")
		if err != nil {
			return fmt.Errorf("starter: embedded broker data dir: %w", err)
		}
		e.tempDir, bc.DataDir = dir, dir
	}
	b, err := broker.Start(ctx, bc, broker.WithLogger(e.log.With("component", "broker")))
	if err != nil {
		e.removeTemp()
		return fmt.Errorf("starter: start embedded broker: %w", err)
	}
	e.mu.Lock()
	e.broker, e.servers = b, []string{b.Addr()}
	e.mu.Unlock()
	e.log.Info("embedded RocketMQ broker started", "addr", b.Addr(), "data_dir", bc.DataDir)
	return nil
}

// checkNameServers warns about a single name server (S15) and about dead
// ones, and fails when none answers.
func (e *Endpoint) checkNameServers(ctx context.Context) error {
	addrs, _ := ParseNameServers(e.cfg.NameServer) // validated
	if len(addrs) == 1 {
		e.log.Warn("rocketmq.name-server lists a single name server: if it is down, producers fail and consumers silently consume nothing (S15); list every name server, separated by ';'",
			"name_server", addrs[0])
	}
	var dead []string
	var errs []error
	for _, a := range addrs {
		c, err := e.adminOf([]string{a}, e.credentials())
		if err == nil {
			_, err = c.Cluster(ctx)
		}
		if err != nil {
			dead = append(dead, a)
			errs = append(errs, err)
			e.log.Warn("name server not answering", "name_server", a, "err", err)
		}
	}
	if len(dead) == len(addrs) {
		return fmt.Errorf("%w: rocketmq.name-server %q: %w", ErrNameServerUnreachable, e.cfg.NameServer, errors.Join(errs...))
	}
	e.mu.Lock()
	e.servers = addrs
	e.mu.Unlock()
	return nil
}

// stop closes the backends, then the embedded broker, and removes its
// temporary directory.
func (e *Endpoint) stop(context.Context) error {
	e.mu.Lock()
	b, backends := e.broker, e.backends
	e.broker, e.backends = nil, nil
	e.mu.Unlock()
	var errs []error
	for _, tb := range backends {
		errs = append(errs, tb.Close())
	}
	if b != nil {
		errs = append(errs, b.Close())
	}
	return errors.Join(append(errs, e.removeTemp())...)
}

func (e *Endpoint) removeTemp() error {
	if e.tempDir == "" {
		return nil
	}
	dir := e.tempDir
	e.tempDir = ""
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("starter: remove embedded data dir: %w", err)
	}
	return nil
}
