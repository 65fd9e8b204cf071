package brokertest

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/broker"
	"github.com/rocketkit/rocketkit/namesrv"
)

// ClusterSpec describes an in-process cluster for StartCluster. Zero
// fields take the defaults given.
type ClusterSpec struct {
	// NameServers is how many name servers to start. Default 2.
	NameServers int
	// Groups is how many broker groups (broker-a, broker-b, ...), each a
	// master and its slaves. Default 1.
	Groups int
	// Slaves is how many slaves each master has. Default 1; -1: none.
	Slaves int
	// MasterRole is broker.AsyncMaster (the default) or broker.SyncMaster.
	MasterRole string
	// Edit changes every broker's configuration before it starts (the
	// role, id, name, addresses and data directory are set already).
	Edit func(*broker.Config)
}

// Cluster is a running in-process cluster: name servers, and broker groups
// of a master and slaves replicating it, each broker on a free loopback
// port with its own data directory.
type Cluster struct {
	NameServers []*namesrv.Server
	Groups      []*Group
}

// Group is one broker name: a master (brokerId 0) and its slaves.
type Group struct {
	Name   string
	Master *Node
	Slaves []*Node
}

// Node is one broker of a cluster, which a test may crash, stop and
// restart on the same addresses and data.
type Node struct {
	cfg  broker.Config
	opts []broker.Option

	mu sync.Mutex
	b  *broker.Broker // nil while down
}

// StartCluster starts spec's cluster for tb with LaunchCluster, in
// tb.TempDir, closes it when the test ends, and fails the test when it
// does not start.
func StartCluster(tb testing.TB, spec ClusterSpec, opts ...Option) *Cluster {
	tb.Helper()
	c, err := LaunchCluster(spec, tb.TempDir(), opts...)
	if err != nil {
		tb.Fatalf("brokertest: %v", err)
	}
	tb.Cleanup(func() {
		if err := c.Close(); err != nil {
			tb.Errorf("brokertest: close cluster: %v", err)
		}
	})
	return c
}

// LaunchCluster starts spec's cluster with its data under dir, for tests
// and demos that are not tests (StartCluster is the test's way), and waits
// until every slave streams from its master. Close stops it.
func LaunchCluster(spec ClusterSpec, dir string, opts ...Option) (*Cluster, error) {
	if spec.NameServers <= 0 {
		spec.NameServers = 2
	}
	if spec.Groups <= 0 {
		spec.Groups = 1
	}
	switch {
	case spec.Slaves == 0:
		spec.Slaves = 1
	case spec.Slaves < 0:
		spec.Slaves = 0
	}
	if spec.MasterRole == "" {
		spec.MasterRole = broker.AsyncMaster
	}
	var s settings
	for _, o := range opts {
		o.apply(&s)
	}
	bopts := s.opts
	if s.logger != nil {
		bopts = append(bopts, broker.WithLogger(s.logger))
	}

	c := &Cluster{}
	for range spec.NameServers {
		ns, err := namesrv.Start(context.Background(), namesrv.Config{Listen: "127.0.0.1:0"})
		if err != nil {
			return nil, errors.Join(fmt.Errorf("start name server: %w", err), c.Close())
		}
		c.NameServers = append(c.NameServers, ns)
	}
	for i := range spec.Groups {
		g := &Group{Name: "broker-" + string(rune('a'+i))}
		c.Groups = append(c.Groups, g)
		for id := 0; id <= spec.Slaves; id++ {
			cfg := broker.Config{
				Listen: "127.0.0.1:0", DataDir: filepath.Join(dir, fmt.Sprintf("%s-%d", g.Name, id)), MaxPullHold: 2 * time.Second,
				BrokerName: g.Name, BrokerID: int64(id), NamesrvAddr: c.NamesrvAddr(),
				BrokerRole: spec.MasterRole, HAHeartbeatInterval: 200 * time.Millisecond,
				SlaveSyncInterval: 200 * time.Millisecond,
			}
			if id > 0 {
				cfg.BrokerRole = broker.Slave
			}
			if spec.Edit != nil {
				spec.Edit(&cfg)
			}
			n := &Node{cfg: cfg, opts: bopts}
			if id == 0 {
				g.Master = n
			} else {
				g.Slaves = append(g.Slaves, n)
			}
			if err := n.Start(); err != nil {
				return nil, errors.Join(err, c.Close())
			}
		}
	}
	for _, g := range c.Groups {
		if err := g.WaitSlaves(10 * time.Second); err != nil {
			return nil, errors.Join(err, c.Close())
		}
	}
	return c, nil
}

// Close stops every broker (as administrators stop them) and then the
// name servers.
func (c *Cluster) Close() error {
	var errs []error
	for _, g := range c.Groups {
		for _, n := range append(slices.Clone(g.Slaves), g.Master) {
			if n != nil {
				errs = append(errs, n.Stop())
			}
		}
	}
	for _, ns := range c.NameServers {
		errs = append(errs, ns.Close())
	}
	return errors.Join(errs...)
}

// NamesrvAddr lists the name servers as a namesrvAddr value: "a;b".
func (c *Cluster) NamesrvAddr() string { return strings.Join(c.NamesrvAddrs(), ";") }

// NamesrvAddrs lists the name servers' addresses.
func (c *Cluster) NamesrvAddrs() []string {
	out := make([]string, len(c.NameServers))
	for i, ns := range c.NameServers {
		out[i] = ns.Addr()
	}
	return out
}

// WaitSlaves waits up to timeout until the master (when up) has every
// slave that is up connected.
func (g *Group) WaitSlaves(timeout time.Duration) error {
	return poll(timeout, func() error {
		up := 0
		for _, s := range g.Slaves {
			if s.Broker() != nil {
				up++
			}
		}
		m := g.Master.Broker()
		if m == nil || len(m.Replication().Slaves) >= up {
			return nil
		}
		return fmt.Errorf("%s: %d of %d slaves connected", g.Name, len(m.Replication().Slaves), up)
	})
}

// WaitCaughtUp waits up to timeout until every slave that is up has the
// master's whole commit log.
func (g *Group) WaitCaughtUp(timeout time.Duration) error {
	return poll(timeout, func() error {
		m := g.Master.Broker()
		if m == nil {
			return fmt.Errorf("%s: the master is down", g.Name)
		}
		end := m.Replication().MaxOffset
		for _, s := range g.Slaves {
			if b := s.Broker(); b != nil && b.Replication().MaxOffset < end {
				return fmt.Errorf("%s: slave %s at %d of %d", g.Name, b.Addr(), b.Replication().MaxOffset, end)
			}
		}
		return nil
	})
}

// poll calls check every 10ms until it returns nil or timeout passes, and
// then returns its last error.
func poll(timeout time.Duration, check func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		err := check()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("after %v: %w", timeout, err)
		}
		time.Sleep(10 * time.Millisecond) // polling a status; there is nothing to wait on
	}
}

// Broker returns the running broker, or nil while the node is down.
func (n *Node) Broker() *broker.Broker {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.b
}

// Addr is the node's broker address (the same across restarts).
func (n *Node) Addr() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.cfg.Listen
}

// Config is the node's configuration; after the first start, its Listen
// and HAListen are the addresses picked then.
func (n *Node) Config() broker.Config {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.cfg
}

// Start starts the node, again on the same addresses and data directory
// after a Stop or Crash. Starting a running node is an error.
func (n *Node) Start() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.b != nil {
		return fmt.Errorf("%s id %d at %s is running", n.cfg.BrokerName, n.cfg.BrokerID, n.cfg.Listen)
	}
	b, err := broker.Start(context.Background(), n.cfg, n.opts...)
	if err != nil {
		return fmt.Errorf("start %s id %d: %w", n.cfg.BrokerName, n.cfg.BrokerID, err)
	}
	n.b = b
	// The next start reuses the ports picked now.
	n.cfg.Listen = b.Addr()
	if ha := b.Replication().HAAddr; ha != "" {
		n.cfg.HAListen = ha
	}
	return nil
}

// Stop closes the node as an administrator stops a broker: it unregisters
// from the name servers and persists everything. Stopping a stopped node
// does nothing.
func (n *Node) Stop() error { return n.down((*broker.Broker).Close) }

// Crash stops the node as a killed process stops (broker.Broker.Halt): no
// unregistration, no final persist; the next Start recovers its store.
func (n *Node) Crash() error { return n.down((*broker.Broker).Halt) }

func (n *Node) down(stop func(*broker.Broker) error) error {
	n.mu.Lock()
	b := n.b
	n.b = nil
	n.mu.Unlock()
	if b == nil {
		return nil
	}
	return stop(b)
}
