package broker_test

// A broker given name servers (Config.NamesrvAddr) registers with each,
// in virtual time over an in-memory network: at start, after a topic
// change, every 30s, with a restarted name server, and unregisters at
// Close. It no longer answers name-server requests itself.

import (
	"net"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rocketkit/rocketkit/broker"
	"github.com/rocketkit/rocketkit/internal/memnet"
	"github.com/rocketkit/rocketkit/namesrv"
	"github.com/rocketkit/rocketkit/protocol/payload"
	"github.com/rocketkit/rocketkit/protocol/remoting"
)

func TestRegistersWithNameServers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var n memnet.Network
		startNS := func(addr string, cfg namesrv.Config) *namesrv.Server {
			cfg.Listen = addr
			ns, err := namesrv.Start(t.Context(), cfg, namesrv.WithListenFunc(n.Listen))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = ns.Close() })
			return ns
		}
		ns1 := startNS("127.0.0.1:9876", namesrv.Config{IdleTimeout: -1})
		// ns2 drops topics a broker stops registering
		// (deleteTopicWithBrokerRegistration); ns1 keeps them, Java's default.
		ns2 := startNS("127.0.0.2:9876", namesrv.Config{IdleTimeout: -1, DeleteTopicWithBrokerRegistration: true})

		cfg := broker.Config{Listen: "127.0.0.1:0", DataDir: t.TempDir(), IdleTimeout: -1,
			NamesrvAddr: "127.0.0.1:9876; 127.0.0.2:9876", ClusterName: "vc", BrokerName: "broker-v"}
		start := time.Now()
		b, err := broker.Start(t.Context(), cfg, broker.WithListenFunc(n.Listen), broker.WithDialFunc(n.Dial))
		if err != nil {
			t.Fatal(err)
		}
		closed := false
		t.Cleanup(func() {
			if !closed {
				_ = b.Close()
			}
		})
		dial := func(addr string) *rawConn {
			nc, err := n.Dial(t.Context(), "tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			return newRawConn(t, nc)
		}
		bc, c1, c2 := dial(b.Addr()), dial(ns1.Addr()), dial(ns2.Addr())

		// Registered with both at start, as master, with Java's HA address
		// for a broker without HA (listen port + 1).
		host, port, _ := net.SplitHostPort(b.Addr())
		p, _ := strconv.Atoi(port)
		wantHA := net.JoinHostPort(host, strconv.Itoa(p+1))
		for i, ns := range []*namesrv.Server{ns1, ns2} {
			got := ns.Brokers()
			if len(got) != 1 || got[0].Name != "broker-v" || got[0].Cluster != "vc" || got[0].ID != 0 ||
				got[0].Addr != b.Addr() || got[0].HAAddr != wantHA || !got[0].LastRegistered.Equal(start) {
				t.Fatalf("name server %d lists %+v; want broker-v at %s (HA %s) registered at start", i+1, got, b.Addr(), wantHA)
			}
		}

		// The broker is not a name server any more.
		resp := bc.mustCall(t, remoting.GetRouteInfoByTopic, remoting.Fields{{Key: "topic", Value: "TBW102"}}, nil)
		if resp.Code != remoting.RequestCodeNotSupported || !strings.Contains(resp.Remark, "127.0.0.2:9876") {
			t.Fatalf("route from the broker: code %d %q, want REQUEST_CODE_NOT_SUPPORTED naming the name servers", resp.Code, resp.Remark)
		}

		routeOf := func(c *rawConn, topic string) (payload.TopicRoute, bool) {
			resp := c.mustCall(t, remoting.GetRouteInfoByTopic, remoting.Fields{{Key: "topic", Value: topic}}, nil)
			if resp.Code != remoting.Success {
				return payload.TopicRoute{}, false
			}
			r, err := payload.ParseTopicRoute(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			return r, true
		}
		// A topic created on the broker is routed by both as soon as the
		// broker answered (no synctest.Wait: the registrar's own loop
		// would register it only a second later).
		resp = bc.mustCall(t, remoting.UpdateAndCreateTopic, remoting.Fields{{Key: "topic", Value: "vt"},
			{Key: "readQueueNums", Value: "3"}, {Key: "writeQueueNums", Value: "3"}, {Key: "perm", Value: "6"}}, nil)
		if resp.Code != remoting.Success {
			t.Fatalf("create topic: %d %s", resp.Code, resp.Remark)
		}
		for i, c := range []*rawConn{c1, c2} {
			r, ok := routeOf(c, "vt")
			if bd, _ := r.Broker("broker-v"); !ok || len(r.Queues) != 1 || r.Queues[0].WriteQueues != 3 || bd.Master() != b.Addr() {
				t.Fatalf("name server %d: route of vt %+v (found %v)", i+1, r, ok)
			}
		}
		if time.Since(start) != 0 {
			t.Fatalf("registration took %v of virtual time", time.Since(start))
		}

		// Deleted on the broker: ns2 drops it with the next registration,
		// ns1 keeps routing it until DELETE_TOPIC_IN_NAMESRV.
		if resp := bc.mustCall(t, remoting.DeleteTopicInBroker, remoting.Fields{{Key: "topic", Value: "vt"}}, nil); resp.Code != remoting.Success {
			t.Fatalf("delete topic: %d %s", resp.Code, resp.Remark)
		}
		if _, ok := routeOf(c2, "vt"); ok {
			t.Fatal("ns2 still routes vt after the broker deleted it")
		}
		if _, ok := routeOf(c1, "vt"); !ok {
			t.Fatal("ns1 (Java's default) dropped vt without DELETE_TOPIC_IN_NAMESRV")
		}

		// A consumer's heartbeat creates its retry topic, routed once the
		// heartbeat is answered (the kit's client looks it up next).
		hb := `{"clientID":"vc-client","producerDataSet":[],"consumerDataSet":[{"groupName":"vg","consumeType":"CONSUME_PASSIVELY",` +
			`"messageModel":"CLUSTERING","consumeFromWhere":"CONSUME_FROM_LAST_OFFSET","subscriptionDataSet":[],"unitMode":false}]}`
		if resp := bc.mustCall(t, remoting.HeartBeat, nil, []byte(hb)); resp.Code != remoting.Success {
			t.Fatalf("heartbeat: %d %s", resp.Code, resp.Remark)
		}
		if _, ok := routeOf(c1, "%RETRY%vg"); !ok {
			t.Fatal("the retry topic a heartbeat created is not routed when the heartbeat is answered")
		}

		// Every 30s (registerNameServerPeriod).
		time.Sleep(30 * time.Second)
		synctest.Wait()
		if got := ns1.Brokers(); len(got) != 1 || !got[0].LastRegistered.Equal(start.Add(30*time.Second)) {
			t.Fatalf("after 30s ns1 lists %+v, want a registration at +30s", got)
		}

		// A restarted name server learns the broker at its next round.
		if err := ns2.Close(); err != nil {
			t.Fatal(err)
		}
		ns2 = startNS("127.0.0.2:9876", namesrv.Config{IdleTimeout: -1})
		time.Sleep(30 * time.Second)
		synctest.Wait()
		if got := ns2.Brokers(); len(got) != 1 || got[0].Addr != b.Addr() {
			t.Fatalf("restarted ns2 lists %+v after one period", got)
		}

		// Close unregisters from both before it returns.
		closed = true
		if err := b.Close(); err != nil {
			t.Fatal(err)
		}
		for i, ns := range []*namesrv.Server{ns1, ns2} {
			if got := ns.Brokers(); len(got) != 0 {
				t.Fatalf("name server %d still lists %+v after Close", i+1, got)
			}
		}
		if _, ok := routeOf(c1, "TBW102"); ok {
			t.Fatal("ns1 still routes TBW102 after the only broker closed")
		}
	})
}

// TestNamesrvAddrValidation: a malformed namesrvAddr or a negative broker
// id is refused at start, naming the key.
func TestNamesrvAddrValidation(t *testing.T) {
	for _, tt := range []struct {
		cfg  broker.Config
		want string
	}{
		{broker.Config{NamesrvAddr: "127.0.0.1"}, "namesrv-addr"},
		{broker.Config{NamesrvAddr: "a:1;a:1"}, "listed twice"},
		{broker.Config{NamesrvAddr: "a:0"}, "1-65535"},
		{broker.Config{BrokerID: -1}, "broker-id"},
	} {
		tt.cfg.DataDir = t.TempDir()
		cfg := tt.cfg.WithDefaults()
		if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%+v: err = %v, want %q", tt.cfg, err, tt.want)
		}
	}
}

// A name server that takes the connection and never answers (its host
// cut off mid-way) does not hold a request that created a topic for the
// registration timeout: the request is answered shortly after the other
// name server accepted the registration, and that one routes the topic.
func TestTopicChangeNotHeldBySilentNameServer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var n memnet.Network
		ns, err := namesrv.Start(t.Context(), namesrv.Config{Listen: "127.0.0.1:9876", IdleTimeout: -1}, namesrv.WithListenFunc(n.Listen))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = ns.Close() })
		silent, err := n.Listen("tcp", "127.0.0.2:9876")
		if err != nil {
			t.Fatal(err)
		}
		held := make(chan net.Conn, 16) // read by nobody, answered never
		go func() {
			for {
				c, err := silent.Accept()
				if err != nil {
					close(held)
					return
				}
				held <- c
			}
		}()
		// The silent name server goes before the broker closes: Close waits
		// for the registration round it holds (in virtual time a goroutine
		// waiting on a mutex keeps the clock from reaching the deadline).
		cutSilent := func() {
			_ = silent.Close()
			for c := range held {
				_ = c.Close()
			}
		}
		cfg := broker.Config{Listen: "127.0.0.1:0", DataDir: t.TempDir(), IdleTimeout: -1,
			NamesrvAddr: "127.0.0.1:9876;127.0.0.2:9876", BrokerName: "broker-s"}
		b, err := broker.Start(t.Context(), cfg, broker.WithListenFunc(n.Listen), broker.WithDialFunc(n.Dial))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			cutSilent()
			_ = b.Close()
		})
		nc, err := n.Dial(t.Context(), "tcp", b.Addr())
		if err != nil {
			t.Fatal(err)
		}
		bc := newRawConn(t, nc)
		start := time.Now()
		resp := bc.mustCall(t, remoting.UpdateAndCreateTopic, remoting.Fields{{Key: "topic", Value: "st"},
			{Key: "readQueueNums", Value: "2"}, {Key: "writeQueueNums", Value: "2"}, {Key: "perm", Value: "6"}}, nil)
		if resp.Code != remoting.Success {
			t.Fatalf("create topic: %d %s", resp.Code, resp.Remark)
		}
		if took := time.Since(start); took >= 3*time.Second {
			t.Fatalf("the topic creation was answered after %v of virtual time; clients give up after 3s", took)
		}
		nsc, err := n.Dial(t.Context(), "tcp", ns.Addr())
		if err != nil {
			t.Fatal(err)
		}
		if resp := newRawConn(t, nsc).mustCall(t, remoting.GetRouteInfoByTopic, remoting.Fields{{Key: "topic", Value: "st"}}, nil); resp.Code != remoting.Success {
			t.Fatalf("route of st from the answering name server: %d %s", resp.Code, resp.Remark)
		}
	})
}
