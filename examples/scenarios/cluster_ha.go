package main

// S13-S17 on an in-process cluster (brokertest.LaunchCluster): two name
// servers, masters broker-a and broker-b, a slave each, replicating over
// their HA ports as separate RocketMQ processes would over the network.

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/rocketkit/rocketkit/admin"
	"github.com/rocketkit/rocketkit/broker"
	"github.com/rocketkit/rocketkit/broker/brokertest"
	"github.com/rocketkit/rocketkit/client"
)

// clusterEnv is a running cluster with a client and an admin client on
// both name servers.
type clusterEnv struct {
	*brokertest.Cluster
	c   *client.Client
	adm *admin.Client
}

// withCluster runs fn on a new cluster of groups masters of role, a slave
// each, and stops it after.
func withCluster(groups int, role string, fn func(*clusterEnv) (string, error)) (string, error) {
	dir, cleanup, err := tempDir()
	if err != nil {
		return "", err
	}
	defer cleanup()
	cl, err := brokertest.LaunchCluster(brokertest.ClusterSpec{Groups: groups, MasterRole: role,
		Edit: func(c *broker.Config) { c.SyncFlushTimeout = 2 * time.Second }}, dir) // generous: a busy machine must not turn SEND_OK into FLUSH_SLAVE_TIMEOUT
	if err != nil {
		return "", err
	}
	defer cl.Close()
	c, err := client.New(client.Config{NameServers: cl.NamesrvAddrs(), RouteRefreshInterval: 200 * time.Millisecond})
	if err != nil {
		return "", err
	}
	defer c.Close()
	adm, err := admin.New(admin.Config{NameServers: cl.NamesrvAddrs()})
	if err != nil {
		return "", err
	}
	return fn(&clusterEnv{Cluster: cl, c: c, adm: adm})
}

// s13ClusterStatuses: the study never saw FLUSH_SLAVE_TIMEOUT or
// SLAVE_NOT_AVAILABLE; a SYNC_MASTER with a slave produces both.
func s13ClusterStatuses(ctx context.Context, _ *env) (string, error) {
	return withCluster(1, broker.SyncMaster, func(ce *clusterEnv) (string, error) {
		g := ce.Groups[0]
		p, err := ce.c.NewProducer(client.ProducerConfig{Group: "p_sync_master"})
		if err != nil {
			return "", err
		}
		defer p.Close()
		send := func(body string) (client.SendStatus, error) {
			res, err := p.Send(ctx, &client.Message{Topic: "t_sync_master", Body: []byte(body)})
			if err != nil {
				return 0, err
			}
			return res.Status, nil
		}
		ok, err := send("with the slave in step")
		if err != nil || ok != client.SendOK {
			return "", fmt.Errorf("with a slave: %v %v", ok, err)
		}
		// A slave that is connected but acknowledges nothing more (its
		// disk stuck, say): the send waits syncFlushTimeout, then FLUSH_SLAVE_TIMEOUT.
		if err := g.Slaves[0].Stop(); err != nil {
			return "", err
		}
		stuck, err := stuckSlave(g.Master.Broker())
		if err != nil {
			return "", err
		}
		timeout, err := send("slave stuck")
		_ = stuck.Close()
		if err != nil || timeout != client.SendFlushSlaveTimeout {
			return "", fmt.Errorf("stuck slave: %v %v, want FLUSH_SLAVE_TIMEOUT", timeout, err)
		}
		if err := waitUntil(5*time.Second, func() bool { return len(g.Master.Broker().Replication().Slaves) == 0 }); err != nil {
			return "", err
		}
		none, err := send("no slave")
		if err != nil || none != client.SendSlaveNotAvailable {
			return "", fmt.Errorf("no slave: %v %v, want SLAVE_NOT_AVAILABLE", none, err)
		}
		return fmt.Sprintf("SYNC_MASTER: %v with its slave, %v with the slave stuck (after syncFlushTimeout), %v with none; each message stored all the same",
			ok, timeout, none), nil
	})
}

// stuckSlave connects to m's HA port as a slave that reports where the
// log ends and then never acknowledges anything.
func stuckSlave(m *broker.Broker) (net.Conn, error) {
	conn, err := net.Dial("tcp", m.Replication().HAAddr)
	if err != nil {
		return nil, err
	}
	var report [8]byte
	binary.BigEndian.PutUint64(report[:], uint64(m.Replication().MaxOffset))
	if _, err := conn.Write(report[:]); err != nil {
		_ = conn.Close()
		return nil, err
	}
	return conn, waitUntil(5*time.Second, func() bool { return len(m.Replication().Slaves) == 1 })
}

// s14SeveralMasters: their topic's queues all sat on one master. Created
// on the cluster, a topic has queues on every master, and a producer
// spreads its sends over them.
func s14SeveralMasters(ctx context.Context, _ *env) (string, error) {
	return withCluster(2, broker.AsyncMaster, func(ce *clusterEnv) (string, error) {
		brokers, err := ce.adm.UpdateTopic(ctx, admin.TopicSpec{Topic: "t_spread"})
		if err != nil {
			return "", err
		}
		p, err := ce.c.NewProducer(client.ProducerConfig{Group: "p_spread"})
		if err != nil {
			return "", err
		}
		defer p.Close()
		per := map[string]int{}
		for i := range 40 {
			res, err := p.Send(ctx, &client.Message{Topic: "t_spread", Body: fmt.Appendf(nil, "m%d", i)})
			if err != nil {
				return "", err
			}
			per[res.Queue.BrokerName]++
		}
		if len(per) != 2 {
			return "", fmt.Errorf("sends landed on %v, want both masters", per)
		}
		return fmt.Sprintf("updateTopic on the cluster made queues on %d masters; 40 sends went %d to broker-a, %d to broker-b",
			len(brokers), per["broker-a"], per["broker-b"]), nil
	})
}

// s15NameServerLoss: name servers share nothing; every broker registers
// with each, so a client keeps working when one dies.
func s15NameServerLoss(ctx context.Context, _ *env) (string, error) {
	return withCluster(1, broker.AsyncMaster, func(ce *clusterEnv) (string, error) {
		p, err := ce.c.NewProducer(client.ProducerConfig{Group: "p_ns_loss"})
		if err != nil {
			return "", err
		}
		defer p.Close()
		if _, err := p.Send(ctx, &client.Message{Topic: "t_ns_loss", Body: []byte("before")}); err != nil {
			return "", err
		}
		if err := ce.NameServers[0].Close(); err != nil {
			return "", err
		}
		// A new client given both addresses, the first one dead, finds the route.
		fresh, err := client.New(client.Config{NameServers: ce.NamesrvAddrs()})
		if err != nil {
			return "", err
		}
		defer fresh.Close()
		fp, err := fresh.NewProducer(client.ProducerConfig{Group: "p_ns_loss_new"})
		if err != nil {
			return "", err
		}
		defer fp.Close()
		for _, prod := range []*client.Producer{p, fp} {
			if res, err := prod.Send(ctx, &client.Message{Topic: "t_ns_loss", Body: []byte("after")}); err != nil || res.Status != client.SendOK {
				return "", fmt.Errorf("send with one name server dead: %v %v", res, err)
			}
		}
		return "both brokers registered with both name servers; with the first one dead, the running producer and a new client both send", nil
	})
}

// s16MasterDown: with master-a stopped, their producers failed and its
// messages could not be read from the slave. Here the slave has every
// message, producers move to broker-b, consumers read broker-a's queues
// from the slave, and go back to the master when it returns.
func s16MasterDown(ctx context.Context, e *env) (string, error) {
	return withCluster(2, broker.SyncMaster, func(ce *clusterEnv) (string, error) {
		if _, err := ce.adm.UpdateTopic(ctx, admin.TopicSpec{Topic: "t_failover"}); err != nil {
			return "", err
		}
		p, err := ce.c.NewProducer(client.ProducerConfig{Group: "p_failover"})
		if err != nil {
			return "", err
		}
		defer p.Close()
		onA := 0
		for i := range 40 {
			res, err := p.Send(ctx, &client.Message{Topic: "t_failover", Body: fmt.Appendf(nil, "before %d", i)})
			if err != nil || res.Status != client.SendOK {
				return "", fmt.Errorf("send: %v %v", res, err)
			}
			if res.Queue.BrokerName == "broker-a" {
				onA++
			}
		}
		a := ce.Groups[0]
		if err := a.Master.Crash(); err != nil {
			return "", err
		}
		// The name servers drop master-a at once (its connections closed);
		// the producer's next route refresh leaves it out.
		failed := 0
		for i := range 20 {
			res, err := p.Send(ctx, &client.Message{Topic: "t_failover", Body: fmt.Appendf(nil, "during %d", i)})
			switch {
			case err != nil:
				failed++
			case res.Queue.BrokerName != "broker-b":
				return "", fmt.Errorf("send during the outage went to %s", res.Queue.BrokerName)
			}
		}
		col, con, err := (&env{c: ce.c, timeout: e.timeout}).consume(ctx, nil, client.ConsumerConfig{
			Group: "c_failover", Subscriptions: []client.Subscription{{Topic: "t_failover", Expression: "*"}},
			ConsumeFrom: client.ConsumeFromFirstOffset,
		})
		if err != nil {
			return "", err
		}
		defer stop(con)
		got, err := (&env{timeout: e.timeout}).waitFor(col, 60-failed)
		if err != nil {
			return "", err
		}
		if err := a.Master.Start(); err != nil {
			return "", err
		}
		if err := a.WaitSlaves(10 * time.Second); err != nil {
			return "", err
		}
		for i := range 20 {
			if _, err := p.Send(ctx, &client.Message{Topic: "t_failover", Body: fmt.Appendf(nil, "after %d", i)}); err != nil {
				return "", err
			}
		}
		all, err := (&env{timeout: e.timeout}).waitFor(col, 80-failed)
		if err != nil {
			return "", err
		}
		if len(all) != 80-failed {
			return "", errors.New("messages delivered twice")
		}
		return fmt.Sprintf("master-a crashed: its %d messages read from its slave (%d in all before the restart); of 20 sends during the outage %d failed, the rest went to broker-b; master back: %d more consumed, none twice",
			onA, len(got), failed, len(all)-len(got)), nil
	})
}
