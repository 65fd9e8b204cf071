package broker_test

// Master/slave replication through the broker: roles from the config, a
// slave refusing writes and copying its master's metadata, SYNC_MASTER's
// send statuses, and the official client reading from the slave while the
// master is down.

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
	"github.com/rocketkit/rocketkit/broker"
	"github.com/rocketkit/rocketkit/broker/brokertest"
	"github.com/rocketkit/rocketkit/client"
	"github.com/rocketkit/rocketkit/protocol/payload"
	"github.com/rocketkit/rocketkit/protocol/remoting"
)

func TestReplicationConfigValidation(t *testing.T) {
	base := broker.Config{DataDir: t.TempDir(), NamesrvAddr: "127.0.0.1:9876"}
	tests := []struct {
		name, wantErr string
		edit          func(*broker.Config)
		check         func(t *testing.T, c broker.Config)
	}{
		{name: "a master by default", check: func(t *testing.T, c broker.Config) {
			if c.BrokerRole != broker.AsyncMaster || c.HAListen != "127.0.0.1:9877" {
				t.Errorf("role %q ha %q, want ASYNC_MASTER on 127.0.0.1:9877 (listen port + 1)", c.BrokerRole, c.HAListen)
			}
		}},
		{name: "brokerId above 0 is a slave", edit: func(c *broker.Config) { c.BrokerID = 2 },
			check: func(t *testing.T, c broker.Config) {
				if c.BrokerRole != broker.Slave || c.HAListen != "" {
					t.Errorf("role %q ha %q, want SLAVE without an HA port", c.BrokerRole, c.HAListen)
				}
			}},
		{name: "a standalone master opens no HA port", edit: func(c *broker.Config) { c.NamesrvAddr = "" },
			check: func(t *testing.T, c broker.Config) {
				if c.HAListen != "" {
					t.Errorf("ha %q, want none", c.HAListen)
				}
			}},
		{name: "a master with an id", edit: func(c *broker.Config) { c.BrokerRole, c.BrokerID = broker.SyncMaster, 1 },
			wantErr: "a master's brokerId is 0"},
		{name: "a slave with id 0", edit: func(c *broker.Config) { c.BrokerRole = broker.Slave },
			wantErr: "a slave's brokerId must be 1 or more"},
		{name: "a slave without a way to its master", edit: func(c *broker.Config) { c.BrokerID, c.NamesrvAddr = 1, "" },
			wantErr: "a slave needs namesrvAddr"},
		{name: "an unknown role", edit: func(c *broker.Config) { c.BrokerRole = "MASTER" },
			wantErr: `"MASTER" is not ASYNC_MASTER, SYNC_MASTER or SLAVE`},
		{name: "a SYNC_MASTER without an HA port", edit: func(c *broker.Config) { c.BrokerRole, c.NamesrvAddr = broker.SyncMaster, "" },
			wantErr: "SYNC_MASTER needs an HA port"},
		{name: "a bad permission", edit: func(c *broker.Config) { c.BrokerPermission = 9 },
			wantErr: "9 is not a permission"},
		{name: "a bad HA address", edit: func(c *broker.Config) { c.BrokerID, c.HAMasterAddress = 1, "nohost" },
			wantErr: `ha-master-address: "nohost" is not host:port`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := base
			if tt.edit != nil {
				tt.edit(&c)
			}
			c = c.WithDefaults()
			err := c.Validate()
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("Validate: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("Validate: %v, want an error with %q", err, tt.wantErr)
			}
			if tt.check != nil {
				tt.check(t, c)
			}
		})
	}
}

// A slave refuses writes with Java's code and copies its master's topics,
// consumer offsets and subscription groups; a copy later in the master is
// copied again.
func TestSlaveRefusesWritesAndCopiesMetadata(t *testing.T) {
	c := brokertest.StartCluster(t, brokertest.ClusterSpec{NameServers: 1})
	g := c.Groups[0]
	m := dialRaw(t, g.Master.Addr())
	s := dialRaw(t, g.Slaves[0].Addr())

	createTopicRaw(t, m, "copied", 8)
	commit := func(off int64) {
		resp := m.mustCall(t, remoting.UpdateConsumerOffset, remoting.Fields{{Key: "consumerGroup", Value: "g1"},
			{Key: "topic", Value: "copied"}, {Key: "queueId", Value: "3"}, {Key: "commitOffset", Value: fmt.Sprint(off)}}, nil)
		if resp.Code != remoting.Success {
			t.Fatalf("commit: %d %s", resp.Code, resp.Remark)
		}
	}
	commit(42)
	putGroup(t, m, map[string]any{"groupName": "configured", "consumeEnable": true, "retryMaxTimes": 3})

	send := s.mustCall(t, remoting.SendMessageV2, remoting.Fields{{Key: "a", Value: "pg"}, {Key: "b", Value: "copied"},
		{Key: "c", Value: "TBW102"}, {Key: "d", Value: "4"}, {Key: "e", Value: "0"}, {Key: "f", Value: "0"},
		{Key: "g", Value: fmt.Sprint(time.Now().UnixMilli())}, {Key: "h", Value: "0"}, {Key: "i", Value: ""},
		{Key: "j", Value: "0"}, {Key: "k", Value: "false"}}, []byte("to a slave"))
	if send.Code != remoting.ServiceNotAvailable || !strings.Contains(send.Remark, "is a slave") {
		t.Errorf("send to the slave: code %d %q, want SERVICE_NOT_AVAILABLE saying it is a slave", send.Code, send.Remark)
	}

	offsetOnSlave := func() int64 {
		resp := s.mustCall(t, remoting.QueryConsumerOffset, remoting.Fields{{Key: "consumerGroup", Value: "g1"},
			{Key: "topic", Value: "copied"}, {Key: "queueId", Value: "3"}}, nil)
		if resp.Code != remoting.Success {
			return -1
		}
		off, _ := resp.ExtFields.Int64("offset")
		return off
	}
	waitUntil(t, 15*time.Second, func() bool {
		resp := s.mustCall(t, remoting.GetAllTopicConfig, nil, nil)
		var w payload.TopicConfigWrapper
		if resp.Code != remoting.Success || json.Unmarshal(resp.Body, &w) != nil || w.Table["copied"].ReadQueues != 8 {
			return false
		}
		groups := s.mustCall(t, remoting.GetAllSubscriptionGroupConfig, nil, nil)
		return offsetOnSlave() == 42 && strings.Contains(string(groups.Body), `"retryMaxTimes":3`)
	})
	commit(50)
	waitUntil(t, 15*time.Second, func() bool { return offsetOnSlave() == 50 })
}

// TestSlaveFollowsTopicDeletion: a topic deleted on the master and then
// created and written again restarts its queues at 0; the slave follows
// (replication does not stop), reads the new messages at the master's
// offsets, and refuses a deletion of its own.
func TestSlaveFollowsTopicDeletion(t *testing.T) {
	c := brokertest.StartCluster(t, brokertest.ClusterSpec{NameServers: 1})
	g := c.Groups[0]
	m := dialRaw(t, g.Master.Addr())
	s := dialRaw(t, g.Slaves[0].Addr())
	const topic = "recreated"
	send := func(queue, n int) {
		t.Helper()
		for i := range n {
			resp := m.mustCall(t, remoting.SendMessageV2, remoting.Fields{{Key: "a", Value: "pg"}, {Key: "b", Value: topic},
				{Key: "c", Value: "TBW102"}, {Key: "d", Value: "4"}, {Key: "e", Value: fmt.Sprint(queue)}, {Key: "f", Value: "0"},
				{Key: "g", Value: fmt.Sprint(time.Now().UnixMilli())}, {Key: "h", Value: "0"}, {Key: "i", Value: ""},
				{Key: "j", Value: "0"}, {Key: "k", Value: "false"}}, fmt.Appendf(nil, "q%d-%d", queue, i))
			if resp.Code != remoting.Success {
				t.Fatalf("send: %d %s", resp.Code, resp.Remark)
			}
		}
	}
	maxOffset := func(rc *rawConn, queue int) int64 {
		t.Helper()
		resp := rc.mustCall(t, remoting.GetMaxOffset, remoting.Fields{{Key: "topic", Value: topic}, {Key: "queueId", Value: fmt.Sprint(queue)}}, nil)
		if resp.Code != remoting.Success {
			t.Fatalf("GET_MAX_OFFSET: %d %s", resp.Code, resp.Remark)
		}
		off, _ := resp.ExtFields.Int64("offset")
		return off
	}
	caughtUp := func() {
		t.Helper()
		if err := g.WaitCaughtUp(20 * time.Second); err != nil {
			t.Fatal(err)
		}
	}

	createTopicRaw(t, m, topic, 4)
	send(0, 7)
	send(1, 5)
	caughtUp()
	if got := maxOffset(s, 0); got != 7 {
		t.Fatalf("slave %s/0 max offset %d before the deletion, want 7", topic, got)
	}

	del := s.mustCall(t, remoting.DeleteTopicInBroker, remoting.Fields{{Key: "topic", Value: topic}}, nil)
	if del.Code != remoting.ServiceNotAvailable || !strings.Contains(del.Remark, "on its master") {
		t.Fatalf("delete on the slave: %d %q, want SERVICE_NOT_AVAILABLE pointing to the master", del.Code, del.Remark)
	}
	if del := m.mustCall(t, remoting.DeleteTopicInBroker, remoting.Fields{{Key: "topic", Value: topic}}, nil); del.Code != remoting.Success {
		t.Fatalf("delete on the master: %d %s", del.Code, del.Remark)
	}
	createTopicRaw(t, m, topic, 4)
	send(1, 3)
	send(0, 2)
	caughtUp()
	for q, want := range []int64{2, 3} {
		if a, b := maxOffset(m, q), maxOffset(s, q); a != want || b != want {
			t.Fatalf("%s/%d max offset after the restart: master %d, slave %d, want %d", topic, q, a, b, want)
		}
	}
	send(0, 4) // replication goes on
	caughtUp()
	if got := maxOffset(s, 0); got != 6 {
		t.Fatalf("slave %s/0 max offset %d, want 6", topic, got)
	}
}

// A SYNC_MASTER answers SEND_OK once its slave has the message, and the
// statuses Java gives when it cannot: FLUSH_SLAVE_TIMEOUT while a
// connected slave does not acknowledge in syncFlushTimeout,
// SLAVE_NOT_AVAILABLE with no slave. The official client reports each as
// its send status; the message is stored either way.
func TestSyncMasterSendStatuses(t *testing.T) {
	c := brokertest.StartCluster(t, brokertest.ClusterSpec{NameServers: 1, MasterRole: broker.SyncMaster,
		Edit: func(c *broker.Config) { c.SyncFlushTimeout = 2 * time.Second }}) // the stalled slave waits it out once
	g := c.Groups[0]
	p := startProducerAt(t, c.NamesrvAddr(), producer.WithRetry(0))
	send := func(body string) primitive.SendStatus {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		res, err := p.SendSync(ctx, primitive.NewMessage("synced", []byte(body)))
		if err != nil {
			t.Fatalf("send %s: %v", body, err)
		}
		return res.Status
	}
	if st := send("with a slave"); st != primitive.SendOK {
		t.Fatalf("with a slave: status %v, want SEND_OK", st)
	}
	if end, got := g.Master.Broker().Replication().MaxOffset, g.Slaves[0].Broker().Replication().MaxOffset; got != end {
		t.Errorf("SEND_OK answered with the slave at %d of %d", got, end)
	}

	// A slave that connects, reports where it is and never acknowledges more.
	if err := g.Slaves[0].Stop(); err != nil {
		t.Fatal(err)
	}
	stalled, err := net.Dial("tcp", g.Master.Broker().Replication().HAAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer stalled.Close()
	var report [8]byte
	binary.BigEndian.PutUint64(report[:], uint64(g.Master.Broker().Replication().MaxOffset))
	if _, err := stalled.Write(report[:]); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 15*time.Second, func() bool { return len(g.Master.Broker().Replication().Slaves) == 1 })
	if st := send("stalled slave"); st != primitive.SendFlushSlaveTimeout {
		t.Errorf("stalled slave: status %v, want FLUSH_SLAVE_TIMEOUT", st)
	}

	_ = stalled.Close()
	waitUntil(t, 15*time.Second, func() bool { return len(g.Master.Broker().Replication().Slaves) == 0 })
	if st := send("no slave"); st != primitive.SendSlaveNotAvailable {
		t.Errorf("no slave: status %v, want SLAVE_NOT_AVAILABLE", st)
	}

	if err := g.Slaves[0].Start(); err != nil {
		t.Fatal(err)
	}
	if err := g.WaitSlaves(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	if err := g.WaitCaughtUp(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	if st := send("slave back"); st != primitive.SendOK {
		t.Errorf("slave back: status %v, want SEND_OK", st)
	}
}

// The official client, given both name servers, sends keyed messages to a
// SYNC_MASTER; the master crashes; a new group reading from the first
// offset gets every message intact from the slave.
func TestReadFromSlaveWhenMasterDown(t *testing.T) {
	c := brokertest.StartCluster(t, brokertest.ClusterSpec{MasterRole: broker.SyncMaster})
	g := c.Groups[0]
	topic := uniqueName("ha")
	p := startProducerAt(t, c.NamesrvAddrs()[0], producer.WithRetry(0),
		producer.WithNameServer(primitive.NamesrvAddr(c.NamesrvAddrs())))
	want := map[string]string{}
	for i := range 200 {
		msg := primitive.NewMessage(topic, []byte(fmt.Sprintf("body-%03d", i)))
		msg.WithKeys([]string{fmt.Sprintf("key-%03d", i)})
		msg.WithTag("t")
		res := sendSync(t, p, msg)
		if res.Status != primitive.SendOK {
			t.Fatalf("send %d: %v", i, res.Status)
		}
		want[fmt.Sprintf("key-%03d", i)] = fmt.Sprintf("body-%03d", i)
	}
	if err := g.Master.Crash(); err != nil {
		t.Fatal(err)
	}

	// The official Go client cannot read a broker group without its
	// master: it fetches offsets from the master only
	// (FindBrokerAddrByName), so its rebalance skips the queues. The kit's
	// client falls back to the slave as the Java client does.
	cl, err := client.New(client.Config{NameServers: c.NamesrvAddrs()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cl.Close() })
	r := make(chan *client.MessageExt, 400)
	cons, err := cl.NewConsumer(client.ConsumerConfig{
		Group:         uniqueName("from-slave"),
		Subscriptions: []client.Subscription{{Topic: topic, Expression: "*"}},
		ConsumeFrom:   client.ConsumeFromFirstOffset,
	}, func(_ context.Context, msgs []*client.MessageExt) client.ConsumeResult {
		for _, m := range msgs {
			r <- m
		}
		return client.ConsumeSuccess
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := cons.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cons.Close(context.Background()) })
	got := map[string]string{}
	timeout := time.After(30 * time.Second)
	for len(got) < 200 {
		select {
		case m := <-r:
			if prev, dup := got[strings.Join(m.Keys, " ")]; dup {
				t.Errorf("key %v delivered twice (%q, %q)", m.Keys, prev, m.Body)
			}
			got[strings.Join(m.Keys, " ")] = string(m.Body)
		case <-timeout:
			t.Fatalf("received %d of 200 from the slave", len(got))
		}
	}
	if len(got) != 200 {
		t.Fatalf("%d distinct keys, want 200", len(got))
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("key %s: body %q, want %q", k, got[k], v)
		}
	}
}

// With slaveReadEnable a master sends a consumer that reads far behind the
// end of the log (more than InMemoryWindow) to the slave, and one near the
// end to the master; a slave asked for an offset beyond its log (it may
// only lag) answers PULL_RETRY_IMMEDIATELY, not OFFSET_MOVED.
func TestPullSuggestionsAndSlaveOffsetCheck(t *testing.T) {
	c := brokertest.StartCluster(t, brokertest.ClusterSpec{NameServers: 1, Edit: func(c *broker.Config) {
		c.SlaveReadEnable, c.InMemoryWindow = true, 4096
	}})
	g := c.Groups[0]
	m := dialRaw(t, g.Master.Addr())
	body := strings.Repeat("x", 1024)
	for range 10 {
		rawSend(t, m, "lagging", body)
	}
	suggest := func(rc *rawConn, offset int64) (int16, string) {
		resp := rc.mustCall(t, remoting.PullMessage, pullFields("g_lag", "lagging", 0, offset, 1, 0), nil)
		return resp.Code, resp.ExtFields.Get("suggestWhichBrokerId")
	}
	if code, id := suggest(m, 0); code != remoting.Success || id != "1" {
		t.Errorf("pull 9 KiB behind the end: code %d, suggestWhichBrokerId %q, want SUCCESS and 1 (the slave)", code, id)
	}
	if code, id := suggest(m, 9); code != remoting.Success || id != "0" {
		t.Errorf("pull of the last message: code %d, suggestWhichBrokerId %q, want SUCCESS and 0", code, id)
	}
	if err := g.WaitCaughtUp(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	s := dialRaw(t, g.Slaves[0].Addr())
	if code, _ := suggest(s, 9); code != remoting.Success {
		t.Errorf("slave pull of the last message: code %d, want SUCCESS", code)
	}
	if code, id := suggest(s, 50); code != remoting.PullRetryImmediately || id != "0" {
		t.Errorf("slave pull beyond its log: code %d, suggestWhichBrokerId %q, want PULL_RETRY_IMMEDIATELY and 0", code, id)
	}
	if code, _ := suggest(m, 50); code != remoting.PullOffsetMoved {
		t.Errorf("master pull beyond its log: code %d, want OFFSET_MOVED", code)
	}
}
