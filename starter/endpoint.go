package starter

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"sync"
	"time"

	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
	"github.com/rocketkit/rocketkit/admin"
	"github.com/rocketkit/rocketkit/broker"
)

// Endpoint is how the application reaches its cluster: the embedded
// broker or the configured name servers, with credentials and namespace.
// The module provides it so that other components (the transactional
// producer in txcheck, the watermill adapter) build their clients the
// same way. Its addresses are known once the module's start hooks ran,
// which fx runs before the start hooks of anything depending on Endpoint.
type Endpoint struct {
	cfg Config
	log *slog.Logger

	mu      sync.Mutex
	servers []string // guarded by mu; set on start
	broker  *broker.Broker
	tempDir string
}

func newEndpoint(cfg Config, log *slog.Logger) *Endpoint {
	return &Endpoint{cfg: cfg, log: log}
}

// Embedded reports whether the application runs its own broker.
func (e *Endpoint) Embedded() bool { return e.cfg.IsEmbedded() }

// waitQuiet waits until the embedded broker, if any, has received no
// request for quiet, or ctx ends.
func (e *Endpoint) waitQuiet(ctx context.Context, quiet time.Duration) {
	e.mu.Lock()
	b := e.broker
	e.mu.Unlock()
	if b != nil {
		_ = b.WaitQuiet(ctx, quiet)
	}
}

// NameServers returns the name server addresses (ip:port or host:port);
// nil before start.
func (e *Endpoint) NameServers() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.servers...)
}

// Namespace returns rocketmq.namespace.
func (e *Endpoint) Namespace() string { return e.cfg.Namespace }

// ProducerOptions returns the options for an official-client producer of
// group: name servers, credentials, namespace and a fresh instance name.
// Call it after start.
func (e *Endpoint) ProducerOptions(group string) []producer.Option {
	opts := []producer.Option{
		producer.WithNameServer(clientAddrs(e.NameServers())),
		producer.WithGroupName(group),
		producer.WithInstanceName(instanceName(group)),
	}
	if e.cfg.Producer.AccessKey != "" {
		opts = append(opts, producer.WithCredentials(primitive.Credentials{
			AccessKey: e.cfg.Producer.AccessKey, SecretKey: e.cfg.Producer.SecretKey}))
	}
	if e.cfg.Namespace != "" {
		opts = append(opts, producer.WithNamespace(e.cfg.Namespace))
	}
	return opts
}

// ConsumerOptions returns the options for an official-client consumer of
// group: name servers, credentials, namespace and a fresh instance name.
// Call it after start.
func (e *Endpoint) ConsumerOptions(group string) []consumer.Option {
	opts := []consumer.Option{
		consumer.WithNameServer(clientAddrs(e.NameServers())),
		consumer.WithGroupName(group),
		consumer.WithInstance(instanceName(group)),
	}
	if e.cfg.Consumer.AccessKey != "" {
		opts = append(opts, consumer.WithCredentials(primitive.Credentials{
			AccessKey: e.cfg.Consumer.AccessKey, SecretKey: e.cfg.Consumer.SecretKey}))
	}
	if e.cfg.Namespace != "" {
		opts = append(opts, consumer.WithNamespace(e.cfg.Namespace))
	}
	return opts
}

// Admin returns an administration client for the cluster. Call it after
// start.
func (e *Endpoint) Admin() (*admin.Client, error) {
	return admin.New(admin.Config{NameServers: e.NameServers()})
}

// clientAddrs adapts addresses for the official client, which accepts only
// IP literals: a host name is given as http://host:port, which it
// resolves.
func clientAddrs(addrs []string) primitive.NamesrvAddr {
	out := make(primitive.NamesrvAddr, len(addrs))
	for i, a := range addrs {
		if ap, err := netip.ParseAddrPort(a); err == nil && ap.IsValid() {
			out[i] = a
		} else {
			out[i] = "http://" + a
		}
	}
	return out
}

// start runs the embedded broker, or checks the configured name servers.
func (e *Endpoint) start(ctx context.Context) error {
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
		c, err := admin.New(admin.Config{NameServers: []string{a}})
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

// stop closes the embedded broker and removes its temporary directory.
func (e *Endpoint) stop(context.Context) error {
	e.mu.Lock()
	b := e.broker
	e.broker = nil
	e.mu.Unlock()
	var err error
	if b != nil {
		err = b.Close()
	}
	return errors.Join(err, e.removeTemp())
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
