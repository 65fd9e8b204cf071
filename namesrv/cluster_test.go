package namesrv_test

// A cluster on loopback: two name servers, two brokers (broker-a and
// broker-b, each registered with both), and the official client and the
// kit's client producing and consuming through them; then one name
// server dies and new clients given both addresses keep working.

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	rocketmq "github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"

	"github.com/rocketkit/rocketkit/admin"
	"github.com/rocketkit/rocketkit/broker"
	"github.com/rocketkit/rocketkit/broker/brokertest"
	"github.com/rocketkit/rocketkit/client"
	"github.com/rocketkit/rocketkit/internal/clienttest"
	"github.com/rocketkit/rocketkit/namesrv"
)

const waitLong = 60 * time.Second

type cluster struct {
	ns      []*namesrv.Server
	brokers []*broker.Broker
}

func (c *cluster) nameServers() []string {
	var out []string
	for _, ns := range c.ns {
		out = append(out, ns.Addr())
	}
	return out
}

// startCluster starts two name servers and brokers broker-a and broker-b
// of cluster kc, each given both name servers in namesrvAddr.
func startCluster(t *testing.T) *cluster {
	t.Helper()
	c := &cluster{ns: []*namesrv.Server{startTCP(t, namesrv.Config{}), startTCP(t, namesrv.Config{})}}
	addrs := strings.Join(c.nameServers(), ";")
	for _, name := range []string{"broker-a", "broker-b"} {
		c.brokers = append(c.brokers, brokertest.Start(t, brokertest.WithConfig(func(cfg *broker.Config) {
			cfg.NamesrvAddr, cfg.BrokerName, cfg.ClusterName = addrs, name, "kc"
		})))
	}
	return c
}

// received collects message bodies from any goroutine.
type received struct {
	mu     sync.Mutex
	bodies map[string]int
	more   chan struct{}
}

func newReceived() *received {
	return &received{bodies: map[string]int{}, more: make(chan struct{}, 1)}
}

func (r *received) add(body string) {
	r.mu.Lock()
	r.bodies[body]++
	r.mu.Unlock()
	select {
	case r.more <- struct{}{}:
	default:
	}
}

// waitAll waits until every body in want arrived.
func (r *received) waitAll(t *testing.T, what string, want []string) {
	t.Helper()
	deadline := time.After(waitLong)
	for {
		r.mu.Lock()
		var missing []string
		for _, b := range want {
			if r.bodies[b] == 0 {
				missing = append(missing, b)
			}
		}
		r.mu.Unlock()
		if len(missing) == 0 {
			return
		}
		select {
		case <-r.more:
		case <-deadline:
			t.Fatalf("%s: %d of %d messages missing after %v, e.g. %q", what, len(missing), len(want), waitLong, missing[0])
		}
	}
}

// officialSend sends n messages through the official client and returns
// their bodies and how many went to each broker. (A client may reorder
// the name server slice it is given, so every client gets a copy.)
func officialSend(t *testing.T, nameServers []string, topic, prefix string, n int) ([]string, map[string]int) {
	t.Helper()
	p, err := producer.NewDefaultProducer(producer.WithNameServer(primitive.NamesrvAddr(slices.Clone(nameServers))),
		producer.WithGroupName(clienttest.UniqueName("pg")), producer.WithRetry(2))
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = p.Shutdown() }()
	var bodies []string
	perBroker := map[string]int{}
	for i := range n {
		body := fmt.Sprintf("%s-%d", prefix, i)
		res, err := p.SendSync(context.Background(), primitive.NewMessage(topic, []byte(body)))
		if err != nil || res.Status != primitive.SendOK {
			t.Fatalf("official send %s: %v %v", body, res, err)
		}
		bodies = append(bodies, body)
		perBroker[res.MessageQueue.BrokerName]++
	}
	return bodies, perBroker
}

// officialConsume starts an official push consumer of topic from the
// first offset; it is shut down when both brokers are quiet.
func officialConsume(t *testing.T, c *cluster, nameServers []string, topic string) *received {
	t.Helper()
	got := newReceived()
	pc, err := consumer.NewPushConsumer(consumer.WithNameServer(primitive.NamesrvAddr(slices.Clone(nameServers))),
		consumer.WithGroupName(clienttest.UniqueName("cg")), consumer.WithConsumeFromWhere(consumer.ConsumeFromFirstOffset))
	if err != nil {
		t.Fatal(err)
	}
	err = pc.Subscribe(topic, consumer.MessageSelector{}, func(_ context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
		for _, m := range msgs {
			got.add(string(m.Body))
		}
		return consumer.ConsumeSuccess, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	started := time.Now()
	if err := pc.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { shutdownOfficial(c, pc, started) })
	return got
}

// shutdownOfficial settles the consumer as clienttest.Consumer does, on
// both brokers, before shutting it down.
func shutdownOfficial(c *cluster, pc rocketmq.PushConsumer, started time.Time) {
	pc.Suspend()
	time.Sleep(time.Until(started.Add(clienttest.SettleAfterStart)))
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	for _, b := range c.brokers {
		_ = b.WaitQuiet(ctx, clienttest.SettleQuiet)
	}
	_ = pc.Shutdown()
}

func kitClient(t *testing.T, nameServers []string) *client.Client {
	t.Helper()
	kc, err := client.New(client.Config{NameServers: slices.Clone(nameServers)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = kc.Close() })
	return kc
}

func kitSend(t *testing.T, kc *client.Client, topic, prefix string, n int) ([]string, map[string]int) {
	t.Helper()
	p, err := kc.NewProducer(client.ProducerConfig{Group: clienttest.UniqueName("kpg")})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = p.Close() }()
	var bodies []string
	perBroker := map[string]int{}
	for i := range n {
		body := fmt.Sprintf("%s-%d", prefix, i)
		res, err := p.Send(t.Context(), &client.Message{Topic: topic, Body: []byte(body)})
		if err != nil {
			t.Fatalf("kit send %s: %v", body, err)
		}
		bodies = append(bodies, body)
		perBroker[res.Queue.BrokerName]++
	}
	return bodies, perBroker
}

func kitConsume(t *testing.T, kc *client.Client, topic string) *received {
	t.Helper()
	got := newReceived()
	cons, err := kc.NewConsumer(client.ConsumerConfig{Group: clienttest.UniqueName("kcg"),
		Subscriptions: []client.Subscription{{Topic: topic}}, ConsumeFrom: client.ConsumeFromFirstOffset},
		func(_ context.Context, msgs []*client.MessageExt) client.ConsumeResult {
			for _, m := range msgs {
				got.add(string(m.Body))
			}
			return client.ConsumeSuccess
		})
	if err != nil {
		t.Fatal(err)
	}
	if err := cons.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		_ = cons.Close(ctx)
	})
	return got
}

func bothBrokers(t *testing.T, what string, perBroker map[string]int) {
	t.Helper()
	if perBroker["broker-a"] == 0 || perBroker["broker-b"] == 0 || len(perBroker) != 2 {
		t.Fatalf("%s went to %v; want both broker-a and broker-b", what, perBroker)
	}
}

func TestClusterTwoNameServersTwoBrokers(t *testing.T) {
	c := startCluster(t)
	nss := c.nameServers()
	topic := clienttest.UniqueName("cluster-orders")
	ctx := t.Context()

	// Created on every master of kc, found through the name servers.
	adm, err := admin.New(admin.Config{NameServers: slices.Clone(nss)})
	if err != nil {
		t.Fatal(err)
	}
	updated, err := adm.UpdateTopic(ctx, admin.TopicSpec{Topic: topic, ReadQueues: 4, WriteQueues: 4, Cluster: "kc"})
	if err != nil || len(updated) != 2 {
		t.Fatalf("create topic on the cluster: %v %v", updated, err)
	}
	// Each name server routes the queues of both brokers (the brokers
	// registered the new topic before answering the create).
	for i, ns := range nss {
		one, err := admin.New(admin.Config{NameServers: []string{ns}})
		if err != nil {
			t.Fatal(err)
		}
		r, err := one.Route(ctx, topic)
		if err != nil {
			t.Fatalf("route from name server %d: %v", i+1, err)
		}
		queues := map[string]int{}
		for _, q := range r.Queues {
			queues[q.BrokerName] += q.WriteQueues
		}
		if queues["broker-a"] != 4 || queues["broker-b"] != 4 || len(r.Brokers) != 2 {
			t.Fatalf("name server %d routes %+v", i+1, r)
		}
		for _, bd := range r.Brokers {
			want := c.brokers[0].Addr()
			if bd.BrokerName == "broker-b" {
				want = c.brokers[1].Addr()
			}
			if bd.Master() != want || bd.Cluster != "kc" {
				t.Fatalf("name server %d: %s at %+v, want master %s", i+1, bd.BrokerName, bd, want)
			}
		}
	}

	// Both clients produce across both brokers and consume everything.
	official, offPer := officialSend(t, nss, topic, "official", 40)
	bothBrokers(t, "official sends", offPer)
	kc := kitClient(t, nss)
	kit, kitPer := kitSend(t, kc, topic, "kit", 40)
	bothBrokers(t, "kit sends", kitPer)
	all := append(append([]string(nil), official...), kit...)
	officialConsume(t, c, nss, topic).waitAll(t, "official consumer", all)
	kitConsume(t, kc, topic).waitAll(t, "kit consumer", all)

	// The first name server dies: clients given both (the dead one first)
	// use the other.
	if err := c.ns[0].Close(); err != nil {
		t.Fatal(err)
	}
	official2, offPer2 := officialSend(t, nss, topic, "official-after", 20)
	bothBrokers(t, "official sends after a name server died", offPer2)
	kc2 := kitClient(t, nss)
	kit2, kitPer2 := kitSend(t, kc2, topic, "kit-after", 20)
	bothBrokers(t, "kit sends after a name server died", kitPer2)
	all = append(append(all, official2...), kit2...)
	officialConsume(t, c, nss, topic).waitAll(t, "official consumer after a name server died", all)
	kitConsume(t, kc2, topic).waitAll(t, "kit consumer after a name server died", all)

	// A broker that stops unregisters at once: the survivor's routes
	// list broker-b alone.
	if err := c.brokers[0].Close(); err != nil {
		t.Fatal(err)
	}
	one, err := admin.New(admin.Config{NameServers: []string{c.ns[1].Addr()}})
	if err != nil {
		t.Fatal(err)
	}
	r, err := one.Route(ctx, topic)
	if err != nil || len(r.Brokers) != 1 || r.Brokers[0].BrokerName != "broker-b" || len(r.Queues) != 1 {
		t.Fatalf("after broker-a closed: route %+v, %v", r, err)
	}
}
