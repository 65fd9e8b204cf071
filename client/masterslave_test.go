package client

// Broker groups with a master and a slave, on real brokers registered with
// a real name server: broker-a is a master (id 0) and a slave (id 1),
// broker-b a master. The slave starts from a copy of the master's data
// directory, so both hold the seeded messages whether or not the brokers
// replicate (the tests tell the brokers apart by their own counters, never
// by what their stores hold).

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/broker"
	"github.com/rocketkit/rocketkit/namesrv"
	"github.com/rocketkit/rocketkit/protocol/payload"
	"github.com/rocketkit/rocketkit/protocol/remoting"
)

// findSubscribeAddr picks the suggested broker, else (for a slave id) the
// next one, else the lowest id: the master while there is one.
func TestFindSubscribeAddr(t *testing.T) {
	const m, s1, s2 = "10.0.0.1:10911", "10.0.0.2:10911", "10.0.0.3:10911"
	tests := []struct {
		name   string
		addrs  map[int64]string
		want   int64 // the id asked for
		addr   string
		got    int64
		absent bool
	}{
		{name: "master asked, present", addrs: map[int64]string{0: m, 1: s1}, want: 0, addr: m, got: 0},
		{name: "master asked, down: a slave", addrs: map[int64]string{1: s1}, want: 0, addr: s1, got: 1},
		{name: "master asked, down: the lowest slave", addrs: map[int64]string{2: s2, 1: s1}, want: 0, addr: s1, got: 1},
		{name: "slave suggested, present", addrs: map[int64]string{0: m, 1: s1}, want: 1, addr: s1, got: 1},
		{name: "slave suggested, master down", addrs: map[int64]string{1: s1}, want: 1, addr: s1, got: 1},
		{name: "slave suggested, absent: the next id", addrs: map[int64]string{0: m, 2: s2}, want: 1, addr: s2, got: 2},
		{name: "slave suggested, absent: the master", addrs: map[int64]string{0: m}, want: 1, addr: m, got: 0},
		{name: "slave suggested, absent, master down", addrs: map[int64]string{3: s2}, want: 1, addr: s2, got: 3},
		{name: "master suggested, down: no next-id step", addrs: map[int64]string{1: s1, 2: s2}, want: 0, addr: s1, got: 1},
		{name: "empty address skipped", addrs: map[int64]string{0: "", 1: s1}, want: 0, addr: s1, got: 1},
		{name: "no address", addrs: map[int64]string{}, want: 0, absent: true},
		{name: "no group", addrs: nil, want: 1, absent: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr, got, ok := findSubscribeAddr(payload.BrokerData{BrokerName: "broker-a", Addrs: tt.addrs}, tt.want)
			if tt.absent {
				if ok {
					t.Fatalf("got %s (id %d), want none", addr, got)
				}
				return
			}
			if !ok || addr != tt.addr || got != tt.got {
				t.Fatalf("got %s (id %d, %v), want %s (id %d)", addr, got, ok, tt.addr, tt.got)
			}
		})
	}
}

// A queue's pulls go where the last answer suggested (suggestWhichBrokerId)
// as long as the route has that broker; the master, or with the master
// down a slave, otherwise.
func TestPullFollowsSuggestedBroker(t *testing.T) {
	const m, m2, s1 = "10.0.0.1:10911", "10.0.0.9:10911", "10.0.0.2:10911"
	c := &Client{routes: newRouteTable()}
	q := &pullQueue{mq: MessageQueue{Topic: "t", BrokerName: "broker-a"}}
	answer := func(suggest string) *remoting.Command {
		resp := &remoting.Command{Code: remoting.PullNotFound}
		if suggest != "" {
			resp.ExtFields = remoting.Fields{{Key: "suggestWhichBrokerId", Value: suggest}}
		}
		return resp
	}
	steps := []struct {
		name    string
		addrs   map[int64]string // the route's broker-a, when it changes
		suggest string           // the answer to the pull before, "" for none
		addr    string
	}{
		{name: "first pull: the master", addrs: map[int64]string{0: m, 1: s1}, addr: m},
		{name: "the master sends it to the slave", suggest: "1", addr: s1},
		{name: "an answer without a suggestion", suggest: "", addr: s1},
		{name: "the slave sends it back", suggest: "0", addr: m},
		{name: "master down: the slave", addrs: map[int64]string{1: s1}, addr: s1},
		{name: "master still down, suggested", suggest: "0", addr: s1},
		{name: "master back on a new address", addrs: map[int64]string{0: m2, 1: s1}, addr: m2},
	}
	for _, st := range steps {
		if st.addrs != nil {
			c.routes.put("t", newTopicRoute("t", payload.TopicRoute{
				Queues:  []payload.QueueData{{BrokerName: "broker-a", ReadQueues: 1, WriteQueues: 1, Perm: 6}},
				Brokers: []payload.BrokerData{{BrokerName: "broker-a", Addrs: st.addrs}}}, allQueues))
		}
		if st.suggest != "" || st.addrs == nil {
			q.follow(answer(st.suggest))
		}
		addr, _, err := c.subscribeAddr("broker-a", q.node.Load())
		if err != nil || addr != st.addr {
			t.Fatalf("%s: pull goes to %s (%v), want %s", st.name, addr, err, st.addr)
		}
	}
}

// Only broker groups whose route has a master get producer queues; every
// readable queue is a consumer's.
func TestPublishQueuesNeedAMaster(t *testing.T) {
	data := payload.TopicRoute{
		Queues: []payload.QueueData{{BrokerName: "broker-a", ReadQueues: 2, WriteQueues: 2, Perm: 6},
			{BrokerName: "broker-b", ReadQueues: 2, WriteQueues: 2, Perm: 6}},
		Brokers: []payload.BrokerData{{BrokerName: "broker-a", Addrs: map[int64]string{1: "10.0.0.2:10911"}},
			{BrokerName: "broker-b", Addrs: map[int64]string{0: "10.0.0.3:10911", 1: "10.0.0.4:10911"}}},
	}
	r := newTopicRoute("t", data, allQueues)
	for _, q := range r.publish {
		if q.BrokerName != "broker-b" {
			t.Fatalf("publish queue %v on a group without a master", q)
		}
	}
	if len(r.publish) != 2 || len(r.subscribe) != 4 {
		t.Fatalf("publish %v, subscribe %v; want broker-b's 2 queues and all 4", r.publish, r.subscribe)
	}
}

// masterSlave is the cluster: a name server, broker-a's master and slave,
// broker-b's master.
type masterSlave struct {
	t       *testing.T
	ns      *namesrv.Server
	dirA    string // broker-a master's data directory
	masterA *broker.Broker
	slaveA  *broker.Broker
	masterB *broker.Broker
}

// startMasterSlave starts the cluster with topics of queues queues each,
// and perQueue messages seeded in every queue of broker-a (seedBodies);
// the first topic is on broker-b too, with its queues empty, the others on
// broker-a only.
func startMasterSlave(t *testing.T, queues, perQueue int, topics ...string) *masterSlave {
	t.Helper()
	seedDir := t.TempDir()
	seed, err := broker.Start(t.Context(), broker.Config{Listen: "127.0.0.1:0", DataDir: seedDir, BrokerName: "broker-a"})
	if err != nil {
		t.Fatalf("start seed broker: %v", err)
	}
	sc := newTestClient(t, seed, "seed")
	for _, topic := range topics {
		createTopic(t, sc, seed, topic, queues)
		var msgs []testMsg
		for i, body := range seedBodies(topic, queues, perQueue) {
			msgs = append(msgs, testMsg{queue: i / perQueue, body: body})
		}
		send(t, sc, seed, topic, msgs...)
	}
	if err := errors.Join(sc.Close(), seed.Close()); err != nil {
		t.Fatalf("close seed broker: %v", err)
	}

	m := &masterSlave{t: t, dirA: t.TempDir()}
	slaveDir := t.TempDir()
	for _, dir := range []string{m.dirA, slaveDir} {
		if err := os.CopyFS(dir, os.DirFS(seedDir)); err != nil {
			t.Fatalf("copy the seeded store: %v", err)
		}
	}
	m.ns, err = namesrv.Start(t.Context(), namesrv.Config{Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatalf("start name server: %v", err)
	}
	t.Cleanup(func() { _ = m.ns.Close() })
	m.masterA = m.startBroker("broker-a", payload.MasterID, m.dirA)
	m.slaveA = m.startBroker("broker-a", 1, slaveDir)
	m.masterB = m.startBroker("broker-b", payload.MasterID, t.TempDir())
	bc := m.client("setup")
	createTopic(t, bc, m.masterB, topics[0], queues)
	for i, topic := range topics {
		m.waitRoute(bc, topic, "broker-a's master and slave (and broker-b's master)", func(r payload.TopicRoute) bool {
			a, _ := r.Broker("broker-a")
			b, _ := r.Broker("broker-b")
			return a.Addrs[0] == m.masterA.Addr() && a.Addrs[1] == m.slaveA.Addr() &&
				(i > 0 || len(r.Queues) == 2 && b.Master() == m.masterB.Addr())
		})
	}
	return m
}

// startBroker starts a broker of the cluster, closed at the end of the test.
func (m *masterSlave) startBroker(name string, id int64, dir string) *broker.Broker {
	m.t.Helper()
	b, err := broker.Start(context.Background(), broker.Config{Listen: "127.0.0.1:0", DataDir: dir,
		NamesrvAddr: m.ns.Addr(), ClusterName: "ms", BrokerName: name, BrokerID: id,
		MaxPullHold: 2 * time.Second, MessageDelayLevel: fastDelays})
	if err != nil {
		m.t.Fatalf("start %s id %d: %v", name, id, err)
	}
	m.t.Cleanup(func() {
		if err := b.Close(); err != nil {
			m.t.Errorf("close %s id %d: %v", name, id, err)
		}
	})
	return b
}

// stopMasterA closes broker-a's master, which unregisters it from the name
// server, and waits until the name server routes broker-a's slave alone.
func (m *masterSlave) stopMasterA(c *Client, topic string) {
	m.t.Helper()
	if err := m.masterA.Close(); err != nil {
		m.t.Fatalf("close broker-a's master: %v", err)
	}
	m.waitRoute(c, topic, "broker-a without its master", func(r payload.TopicRoute) bool {
		a, _ := r.Broker("broker-a")
		return len(a.Addrs) == 1 && a.Addrs[1] == m.slaveA.Addr()
	})
}

// restartMasterA starts broker-a's master again on its data directory (on a
// new port) and waits until the name server routes it.
func (m *masterSlave) restartMasterA(c *Client, topic string) {
	m.t.Helper()
	m.masterA = m.startBroker("broker-a", payload.MasterID, m.dirA)
	m.waitRoute(c, topic, "broker-a's master back", func(r payload.TopicRoute) bool {
		a, _ := r.Broker("broker-a")
		return a.Master() == m.masterA.Addr()
	})
}

// waitRoute polls the name server for topic's route until ok holds.
func (m *masterSlave) waitRoute(c *Client, topic, what string, ok func(payload.TopicRoute) bool) {
	m.t.Helper()
	waitUntil(m.t, "name server route: "+what, func() bool {
		r, err := c.queryRoute(m.t.Context(), topic)
		return err == nil && ok(r)
	})
}

// client returns a client of the cluster with fast route refreshes and
// heartbeats.
func (m *masterSlave) client(instance string) *Client {
	m.t.Helper()
	c, err := New(Config{NameServers: []string{m.ns.Addr()}, InstanceName: instance,
		RouteRefreshInterval: 100 * time.Millisecond, HeartbeatInterval: 200 * time.Millisecond})
	if err != nil {
		m.t.Fatalf("new client: %v", err)
	}
	m.t.Cleanup(func() { _ = c.Close() })
	return c
}

// requests is how many requests named code broker b served since it
// started.
func requests(b *broker.Broker, code string) int64 { return b.Stats().Requests[code] }

// pulledBy is how many messages of topic broker b's pulls returned to group.
func pulledBy(b *broker.Broker, group, topic string) int64 {
	return b.Traffic().Out[broker.GroupTopic{Group: group, Topic: topic}].Messages
}

// storedOffset asks broker b for group's committed offset of a queue
// (QUERY_CONSUMER_OFFSET); -1 when it has none.
func storedOffset(t *testing.T, c *Client, b *broker.Broker, group, topic string, queue int) int64 {
	t.Helper()
	req := remoting.NewClientRequest(remoting.QueryConsumerOffset, remoting.Fields{
		{Key: "consumerGroup", Value: group}, {Key: "topic", Value: topic}, {Key: "queueId", Value: strconv.Itoa(queue)}}, nil)
	resp, err := c.call(t.Context(), b.Addr(), req)
	if err != nil {
		t.Fatalf("QUERY_CONSUMER_OFFSET to %s: %v", b.Addr(), err)
	}
	if resp.Code != remoting.Success {
		return -1
	}
	off, err := resp.ExtFields.Int64("offset")
	if err != nil {
		t.Fatalf("QUERY_CONSUMER_OFFSET answer: %v", err)
	}
	return off
}

// pullSources returns, for each queue of topic on broker group brokerName
// the consumer owns, the broker id its last pull went to.
func pullSources(con *Consumer, brokerName, topic string) map[int]int64 {
	con.mu.Lock()
	defer con.mu.Unlock()
	out := map[int]int64{}
	for mq, q := range con.queues {
		if mq.BrokerName == brokerName && mq.Topic == topic {
			out[mq.QueueID] = q.from.Load()
		}
	}
	return out
}

// bodySet collects message bodies from handlers.
type bodySet struct {
	mu   sync.Mutex
	seen map[string]bool
}

func (s *bodySet) handler(_ context.Context, msgs []*MessageExt) ConsumeResult {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.seen == nil {
		s.seen = map[string]bool{}
	}
	for _, m := range msgs {
		s.seen[string(m.Body)] = true
	}
	return ConsumeSuccess
}

// missing returns the bodies of want not seen yet.
func (s *bodySet) missing(want []string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, b := range want {
		if !s.seen[b] {
			out = append(out, b)
		}
	}
	return out
}

func (s *bodySet) waitAll(t *testing.T, what string, want []string) {
	t.Helper()
	waitUntil(t, fmt.Sprintf("%s: %d messages", what, len(want)), func() bool { return len(s.missing(want)) == 0 })
}

// seedBodies are the bodies seeded in topic on broker-a, queue by queue
// in offset order.
func seedBodies(topic string, queues, perQueue int) []string {
	var out []string
	for q := range queues {
		for i := range perQueue {
			out = append(out, fmt.Sprintf("seed-%s-%d-%d", topic, q, i))
		}
	}
	return out
}

// With broker-a's master down, producers send to broker-b's master only,
// a consumer reads broker-a's queues from its slave (its member list too,
// for a topic only broker-a holds) and commits their offsets there; once
// the master is back, producers use it again and the consumer's pulls
// (and commits) go back to it, as the slave's answers suggest.
func TestMasterDownSlaveServesConsumers(t *testing.T) {
	const (
		topic    = "ms-orders"
		onlyA    = "ms-audit" // on broker-a alone
		group    = "ms-billing"
		queues   = 2
		perQueue = 5
	)
	m := startMasterSlave(t, queues, perQueue, topic, onlyA)
	c := m.client("ms")
	p, err := c.NewProducer(ProducerConfig{Group: "ms-producer"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	if qs, err := p.Queues(t.Context(), topic); err != nil || len(qs) != 2*queues {
		t.Fatalf("producer queues with every master up: %v, %v", qs, err)
	}

	m.stopMasterA(c, topic)
	// Producers leave broker-a at the next route refresh...
	waitUntil(t, "the producer to drop broker-a's queues", func() bool {
		qs, err := p.Queues(t.Context(), topic)
		if err != nil {
			return false
		}
		for _, q := range qs {
			if q.BrokerName != "broker-b" {
				return false
			}
		}
		return len(qs) == queues
	})
	// ...and every send goes to broker-b's master, none fails.
	var sent []string
	for i := range 20 {
		body := fmt.Sprintf("while-down-%d", i)
		res, err := p.Send(t.Context(), &Message{Topic: topic, Body: []byte(body)})
		if err != nil {
			t.Fatalf("send %d with broker-a's master down: %v", i, err)
		}
		if res.Queue.BrokerName != "broker-b" {
			t.Fatalf("send %d went to %s, want broker-b", i, res.Queue.BrokerName)
		}
		sent = append(sent, body)
	}

	// A consumer started now reads broker-a's queues from the slave: the
	// seeded messages come from it, and their offsets are committed there.
	got := &bodySet{}
	con := startConsumer(t, c, ConsumerConfig{Group: group, Subscriptions: []Subscription{{Topic: topic}, {Topic: onlyA}},
		ConsumeFrom: ConsumeFromFirstOffset, PullHold: 500 * time.Millisecond,
		RebalanceInterval: 500 * time.Millisecond, OffsetCommitInterval: 100 * time.Millisecond}, got.handler)
	want := append(append(seedBodies(topic, queues, perQueue), seedBodies(onlyA, queues, perQueue)...), sent...)
	got.waitAll(t, "messages with broker-a's master down", want)
	for _, tp := range []string{topic, onlyA} {
		if n := pulledBy(m.slaveA, group, tp); n < queues*perQueue {
			t.Fatalf("broker-a's slave returned %d messages of %s to the consumer, want at least the %d seeded",
				n, tp, queues*perQueue)
		}
		for q := range queues {
			waitUntil(t, fmt.Sprintf("the offset of %s queue %d on broker-a committed at the slave", tp, q), func() bool {
				return storedOffset(t, c, m.slaveA, group, tp, q) == perQueue
			})
		}
		if src := pullSources(con, "broker-a", tp); len(src) != queues || src[0] != 1 || src[1] != 1 {
			t.Fatalf("broker-a's queues of %s last pulled from broker ids %v, want 1 (the slave)", tp, src)
		}
	}
	if len(m.slaveA.GroupMembers(group)) == 0 {
		t.Fatal("the consumer's heartbeats did not reach broker-a's slave")
	}

	// The master comes back: producers use it again, and the consumer's
	// pulls follow the slave's suggestion (broker id 0) back to it.
	m.restartMasterA(c, topic)
	waitUntil(t, "the producer to use broker-a again", func() bool {
		qs, err := p.Queues(t.Context(), topic)
		return err == nil && len(qs) == 2*queues
	})
	waitUntil(t, "broker-a's queues to be pulled from its master", func() bool {
		src := pullSources(con, "broker-a", topic)
		return len(src) == queues && src[0] == payload.MasterID && src[1] == payload.MasterID
	})
	var after []string
	for q := range queues {
		for i := range 3 {
			body := fmt.Sprintf("master-back-%d-%d", q, i)
			res, err := p.Send(t.Context(), &Message{Topic: topic, Body: []byte(body)},
				ToQueue(MessageQueue{Topic: topic, BrokerName: "broker-a", QueueID: q}))
			if err != nil || res.Queue.BrokerName != "broker-a" {
				t.Fatalf("send to broker-a queue %d after its master came back: %+v, %v", q, res, err)
			}
			after = append(after, body)
		}
	}
	got.waitAll(t, "messages sent to broker-a's master after it came back", after)
	if n := pulledBy(m.masterA, group, topic); n < int64(len(after)) {
		t.Fatalf("broker-a's master returned %d messages to the consumer, want at least the %d sent to it", n, len(after))
	}
	for q := range queues {
		waitUntil(t, fmt.Sprintf("the offset of broker-a queue %d committed at the master", q), func() bool {
			return storedOffset(t, c, m.masterA, group, topic, q) == perQueue+3
		})
	}
	for _, code := range []string{"SEND_MESSAGE", "SEND_BATCH_MESSAGE", "CONSUMER_SEND_MSG_BACK"} {
		if n := requests(m.slaveA, code); n != 0 {
			t.Errorf("broker-a's slave got %d %s requests, want none", n, code)
		}
	}
	closeConsumer(t, con) // before the brokers stop
}

// Orderly queues are locked at their master only: with broker-a's master
// down its queues are not locked (the slave never sees LOCK_BATCH_MQ) and
// not consumed, while broker-b's are; once the master is back the consumer
// locks them there and consumes them in order.
func TestMasterDownOrderlyQueuesWait(t *testing.T) {
	const (
		topic    = "ms-ledger"
		group    = "ms-ledger-orderly"
		queues   = 2
		perQueue = 5
	)
	m := startMasterSlave(t, queues, perQueue, topic)
	c := m.client("ms-orderly")
	m.stopMasterA(c, topic)
	var toB []string
	for q := range queues {
		for i := range perQueue {
			toB = append(toB, fmt.Sprintf("b-%d-%d", q, i))
		}
	}
	var msgs []testMsg
	for i, body := range toB {
		msgs = append(msgs, testMsg{queue: i / perQueue, body: body})
	}
	send(t, c, m.masterB, topic, msgs...)

	in := newInbox()
	con := startConsumer(t, c, ConsumerConfig{Group: group, Subscriptions: []Subscription{{Topic: topic}}, Orderly: true,
		ConsumeFrom: ConsumeFromFirstOffset, PullHold: 500 * time.Millisecond, RebalanceInterval: 300 * time.Millisecond,
		LockRenewInterval: 300 * time.Millisecond, OffsetCommitInterval: 100 * time.Millisecond}, in.handler(nil))
	for _, msg := range in.wait(t, len(toB)) {
		if msg.Queue.BrokerName != "broker-b" {
			t.Fatalf("consumed %q from %s while its master was down", msg.Body, msg.Queue.BrokerName)
		}
	}
	if n := requests(m.slaveA, "LOCK_BATCH_MQ"); n != 0 {
		t.Fatalf("broker-a's slave got %d LOCK_BATCH_MQ requests, want none", n)
	}

	m.restartMasterA(c, topic)
	all := in.wait(t, len(toB)+queues*perQueue)
	seeded := seedBodies(topic, queues, perQueue)
	next := map[int]int{}
	for _, msg := range all {
		if msg.Queue.BrokerName != "broker-a" {
			continue
		}
		q := msg.Queue.QueueID
		want := seeded[q*perQueue+next[q]]
		if string(msg.Body) != want {
			t.Fatalf("broker-a queue %d delivered %q, want %q next", msg.Queue.QueueID, msg.Body, want)
		}
		next[q]++
	}
	if requests(m.masterA, "LOCK_BATCH_MQ") == 0 {
		t.Fatal("broker-a's master got no LOCK_BATCH_MQ after it came back")
	}
	if n := requests(m.slaveA, "LOCK_BATCH_MQ") + requests(m.slaveA, "UNLOCK_BATCH_MQ"); n != 0 {
		t.Fatalf("broker-a's slave got %d lock requests, want none", n)
	}
	closeConsumer(t, con) // before the brokers stop
}

// With broker-a's master down, a message read from broker-a's slave that
// the handler fails cannot be sent back (CONSUMER_SEND_MSG_BACK goes to a
// master); as Java's consumer does, the client sends a copy to the group's
// retry topic on broker-b's master instead: it comes back from there with
// ReconsumeTimes 1, the same MsgID and its original topic, and nothing is
// redelivered locally.
func TestSendBackFailsOverToRetryTopic(t *testing.T) {
	const (
		topic    = "ms-resend"
		group    = "ms-resend-group"
		queues   = 2
		perQueue = 3
	)
	m := startMasterSlave(t, queues, perQueue, topic)
	c := m.client("resend")
	m.stopMasterA(c, topic)

	type delivery struct {
		id, topic, broker string
		reconsume         int32
	}
	var mu sync.Mutex
	deliveries := map[string][]delivery{} // by body
	con := startConsumer(t, c, ConsumerConfig{Group: group, Subscriptions: []Subscription{{Topic: topic}},
		ConsumeFrom: ConsumeFromFirstOffset, PullHold: 500 * time.Millisecond, MaxReconsumeTimes: 5,
		RebalanceInterval: 500 * time.Millisecond, SuspendInterval: 100 * time.Millisecond},
		func(_ context.Context, msgs []*MessageExt) ConsumeResult {
			mu.Lock()
			defer mu.Unlock()
			result := ConsumeSuccess
			for _, msg := range msgs {
				body := string(msg.Body)
				deliveries[body] = append(deliveries[body], delivery{id: msg.MsgID, topic: msg.Topic,
					broker: msg.Queue.BrokerName, reconsume: msg.ReconsumeTimes})
				if msg.ReconsumeTimes == 0 {
					result = ConsumeRetry
				}
			}
			return result
		})
	seeded := seedBodies(topic, queues, perQueue)
	waitUntil(t, "every seeded message delivered twice", func() bool {
		mu.Lock()
		defer mu.Unlock()
		for _, b := range seeded {
			if len(deliveries[b]) < 2 {
				return false
			}
		}
		return true
	})
	closeConsumer(t, con)
	mu.Lock()
	defer mu.Unlock()
	for _, b := range seeded {
		d := deliveries[b]
		first, again := d[0], d[1]
		if first.broker != "broker-a" || first.reconsume != 0 {
			t.Fatalf("%s first delivered %+v, want from broker-a (its slave) with ReconsumeTimes 0", b, first)
		}
		if again.broker != "broker-b" || again.reconsume != 1 || again.id != first.id || again.topic != topic {
			t.Fatalf("%s delivered again %+v, want from broker-b's retry topic with ReconsumeTimes 1, MsgID %s, topic %s",
				b, again, first.id, topic)
		}
	}
	if n := pulledBy(m.masterB, group, "%RETRY%"+group); n < int64(len(seeded)) {
		t.Fatalf("broker-b returned %d retry messages to the group, want %d", n, len(seeded))
	}
}
