package namesrv_test

// The name server through crafted frames, as a Java broker and clients
// send them: registrations, routes, cluster info, unregistration, bad
// headers; and the 120s expiry in virtual time.

import (
	"bufio"
	"context"
	"encoding/json"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rocketkit/rocketkit/internal/memnet"
	"github.com/rocketkit/rocketkit/namesrv"
	"github.com/rocketkit/rocketkit/protocol/payload"
	"github.com/rocketkit/rocketkit/protocol/remoting"
)

// rawConn speaks frames to the name server.
type rawConn struct {
	nc     net.Conn
	r      *bufio.Reader
	opaque atomic.Int32
}

func dialRaw(t *testing.T, nc net.Conn) *rawConn {
	t.Helper()
	t.Cleanup(func() { _ = nc.Close() })
	return &rawConn{nc: nc, r: bufio.NewReader(nc)}
}

func (c *rawConn) call(t *testing.T, code int16, fields remoting.Fields, body []byte) *remoting.Command {
	t.Helper()
	req := remoting.NewRequest(code, fields, body)
	req.Version = 453 // a Java 5.1 broker
	req.Opaque = c.opaque.Add(1)
	if _, err := c.nc.Write(remoting.AppendFrame(nil, req)); err != nil {
		t.Fatalf("write %s: %v", remoting.RequestName(code), err)
	}
	resp, err := remoting.ReadCommand(c.r, 0)
	if err != nil {
		t.Fatalf("read answer to %s: %v", remoting.RequestName(code), err)
	}
	if !resp.IsResponse() || resp.Opaque != req.Opaque {
		t.Fatalf("answer %v does not match request %d", resp, req.Opaque)
	}
	return resp
}

// javaHeader is REGISTER_BROKER's header as BrokerOuterAPI.registerBrokerAll
// fills it for a broker without HA (haServerAddr is brokerIP2:listenPort+1).
func javaHeader(cluster, name, addr string, id int64, body []byte) remoting.Fields {
	host, port, _ := net.SplitHostPort(addr)
	p, _ := strconv.Atoi(port)
	return remoting.Fields{
		{Key: "brokerAddr", Value: addr}, {Key: "brokerId", Value: strconv.FormatInt(id, 10)},
		{Key: "brokerName", Value: name}, {Key: "clusterName", Value: cluster},
		{Key: "haServerAddr", Value: net.JoinHostPort(host, strconv.Itoa(p+1))},
		{Key: "enableActingMaster", Value: "false"}, {Key: "compressed", Value: "false"},
		{Key: "bodyCrc32", Value: strconv.Itoa(int(payload.BodyCRC32(body)))},
	}
}

func javaBody(t *testing.T) []byte {
	t.Helper()
	body, err := os.ReadFile("testdata/register_broker_java.json")
	if err != nil {
		t.Fatal(err)
	}
	return body
}

func mustCode(t *testing.T, resp *remoting.Command, want int16, what string) {
	t.Helper()
	if resp.Code != want {
		t.Fatalf("%s: code %s (%q), want %s", what, remoting.ResponseName(resp.Code), resp.Remark, remoting.ResponseName(want))
	}
}

func route(t *testing.T, c *rawConn, topic string) (payload.TopicRoute, int16) {
	t.Helper()
	resp := c.call(t, remoting.GetRouteInfoByTopic, remoting.Fields{{Key: "topic", Value: topic}}, nil)
	if resp.Code != remoting.Success {
		return payload.TopicRoute{}, resp.Code
	}
	r, err := payload.ParseTopicRoute(resp.Body)
	if err != nil {
		t.Fatalf("route of %s: %v (%s)", topic, err, resp.Body)
	}
	return r, resp.Code
}

func startTCP(t *testing.T, cfg namesrv.Config) *namesrv.Server {
	t.Helper()
	cfg.Listen = "127.0.0.1:0"
	ns, err := namesrv.Start(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := ns.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return ns
}

func dialTCP(t *testing.T, addr string) *rawConn {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	return dialRaw(t, nc)
}

// TestJavaBrokerRegistration registers a master and a slave of broker-j as
// a Java 5 broker does (the body is Java's RegisterBrokerBody JSON) and
// checks what clients are told: the routes, the cluster, the topic list,
// the slave's master; then unregisters both.
func TestJavaBrokerRegistration(t *testing.T) {
	ns := startTCP(t, namesrv.Config{})
	c := dialTCP(t, ns.Addr())
	body := javaBody(t)
	const master, slave = "10.1.0.1:10911", "10.1.0.2:10911"

	resp := c.call(t, remoting.RegisterBroker, javaHeader("JavaCluster", "broker-j", master, 0, body), body)
	mustCode(t, resp, remoting.Success, "register master")
	if v := resp.ExtFields.Get("masterAddr"); v != "" {
		t.Fatalf("a master was told its master is %q", v)
	}
	r, code := route(t, c, "java-orders")
	mustCode(t, &remoting.Command{Code: code}, remoting.Success, "route")
	want := payload.TopicRoute{
		Queues:  []payload.QueueData{{BrokerName: "broker-j", ReadQueues: 4, WriteQueues: 4, Perm: 6}},
		Brokers: []payload.BrokerData{{Cluster: "JavaCluster", BrokerName: "broker-j", Addrs: map[int64]string{0: master}}},
	}
	if !r.Equal(want) {
		t.Fatalf("route = %+v, want %+v", r, want)
	}

	resp = c.call(t, remoting.RegisterBroker, javaHeader("JavaCluster", "broker-j", slave, 1, body), body)
	mustCode(t, resp, remoting.Success, "register slave")
	if m, ha := resp.ExtFields.Get("masterAddr"), resp.ExtFields.Get("haServerAddr"); m != master || ha != "10.1.0.1:10912" {
		t.Fatalf("slave told master %q, HA %q; want %s, 10.1.0.1:10912", m, ha, master)
	}
	r, _ = route(t, c, "TBW102")
	if b, _ := r.Broker("broker-j"); b.Addrs[0] != master || b.Addrs[1] != slave || len(r.Queues) != 1 || r.Queues[0].WriteQueues != 8 {
		t.Fatalf("TBW102 route = %+v", r)
	}

	resp = c.call(t, remoting.GetBrokerClusterInfo, nil, nil)
	mustCode(t, resp, remoting.Success, "cluster info")
	var info struct {
		Brokers  map[string]payload.BrokerData `json:"brokerAddrTable"`
		Clusters map[string][]string           `json:"clusterAddrTable"`
	}
	if err := json.Unmarshal(resp.Body, &info); err != nil {
		t.Fatal(err)
	}
	if got := info.Brokers["broker-j"].Addrs; got[0] != master || got[1] != slave || !slices.Equal(info.Clusters["JavaCluster"], []string{"broker-j"}) {
		t.Fatalf("cluster info = %s", resp.Body)
	}
	resp = c.call(t, remoting.GetAllTopicListFromNameServer, nil, nil)
	var list struct {
		Topics []string `json:"topicList"`
	}
	if err := json.Unmarshal(resp.Body, &list); err != nil || !slices.Equal(list.Topics, []string{"%RETRY%java-group", "SCHEDULE_TOPIC_XXXX", "TBW102", "java-orders"}) {
		t.Fatalf("topic list = %s (%v)", resp.Body, err)
	}

	unreg := func(addr string, id int64) {
		resp := c.call(t, remoting.UnregisterBroker, remoting.Fields{{Key: "brokerAddr", Value: addr},
			{Key: "brokerName", Value: "broker-j"}, {Key: "clusterName", Value: "JavaCluster"}, {Key: "brokerId", Value: strconv.FormatInt(id, 10)}}, nil)
		mustCode(t, resp, remoting.Success, "unregister")
	}
	unreg(master, 0)
	r, _ = route(t, c, "java-orders")
	if b, _ := r.Broker("broker-j"); b.Master() != "" || b.Addrs[1] != slave {
		t.Fatalf("after the master left: %+v", r)
	}
	unreg(slave, 1)
	if _, code := route(t, c, "java-orders"); code != remoting.TopicNotExist {
		t.Fatalf("after both left: code %d, want TOPIC_NOT_EXIST", code)
	}
	if got := ns.Brokers(); len(got) != 0 {
		t.Fatalf("brokers left: %+v", got)
	}
}

// TestRoutesMergeBrokers: two broker names holding one topic give one
// route with both; each keeps its own queue count.
func TestRoutesMergeBrokers(t *testing.T) {
	ns := startTCP(t, namesrv.Config{})
	c := dialTCP(t, ns.Addr())
	for i, name := range []string{"broker-a", "broker-b"} {
		body := payload.RegisterBrokerBody{Topics: payload.TopicConfigWrapper{Table: map[string]payload.TopicConfig{
			"orders": {Name: "orders", ReadQueues: 2 + i, WriteQueues: 2 + i, Perm: 6},
			"TBW102": {Name: "TBW102", ReadQueues: 8, WriteQueues: 8, Perm: 7},
		}}}.Encode()
		addr := "127.0.0." + strconv.Itoa(i+1) + ":10911"
		mustCode(t, c.call(t, remoting.RegisterBroker, javaHeader("c1", name, addr, 0, body), body), remoting.Success, "register")
	}
	r, _ := route(t, c, "orders")
	want := payload.TopicRoute{
		Queues: []payload.QueueData{{BrokerName: "broker-a", ReadQueues: 2, WriteQueues: 2, Perm: 6},
			{BrokerName: "broker-b", ReadQueues: 3, WriteQueues: 3, Perm: 6}},
		Brokers: []payload.BrokerData{{Cluster: "c1", BrokerName: "broker-a", Addrs: map[int64]string{0: "127.0.0.1:10911"}},
			{Cluster: "c1", BrokerName: "broker-b", Addrs: map[int64]string{0: "127.0.0.2:10911"}}},
	}
	if !r.Equal(want) {
		t.Fatalf("route = %+v\nwant %+v", r, want)
	}
}

// TestBadRequests: each malformed registration is refused with a remark
// naming the problem, and registers nothing.
func TestBadRequests(t *testing.T) {
	ns := startTCP(t, namesrv.Config{})
	c := dialTCP(t, ns.Addr())
	body := javaBody(t)
	good := javaHeader("c", "b", "10.0.0.1:10911", 0, body)
	without := func(key string) remoting.Fields {
		return slices.DeleteFunc(good.Clone(), func(f remoting.Field) bool { return f.Key == key })
	}
	with := func(key, v string) remoting.Fields {
		f := good.Clone()
		f.Set(key, v)
		return f
	}
	tests := []struct {
		name   string
		fields remoting.Fields
		body   []byte
		remark string
	}{
		{"no brokerName", without("brokerName"), body, "<brokerName> is null"},
		{"no haServerAddr", without("haServerAddr"), body, "<haServerAddr> is null"},
		{"bad brokerId", with("brokerId", "x"), body, "brokerId"},
		{"negative brokerId", with("brokerId", "-1"), body, "negative"},
		{"bad address", with("brokerAddr", "nohost"), body, "host:port"},
		{"crc mismatch", with("bodyCrc32", "12345"), body, "crc32 not match"},
		{"compressed", with("compressed", "true"), body, "compressedRegister=false"},
		{"not a body", with("bodyCrc32", "0"), []byte("{oops"), "Failed to decode RegisterBrokerBody"},
		{"one topic, first registration", with("bodyCrc32", "0"), []byte(`{"topicConfigSerializeWrapper":{"topicConfigTable":{"T":{"topicName":"T","perm":6}}}}`), "register broker failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := c.call(t, remoting.RegisterBroker, tt.fields, tt.body)
			mustCode(t, resp, remoting.SystemError, tt.name)
			if !strings.Contains(resp.Remark, tt.remark) {
				t.Fatalf("remark %q does not say %q", resp.Remark, tt.remark)
			}
		})
	}
	if got := ns.Brokers(); len(got) != 0 {
		t.Fatalf("registered: %+v", got)
	}
	resp := c.call(t, remoting.GetKVConfig, remoting.Fields{{Key: "namespace", Value: "ORDER_TOPIC_CONFIG"}, {Key: "key", Value: "T"}}, nil)
	mustCode(t, resp, remoting.QueryNotFound, "GET_KV_CONFIG")
	if resp.Remark != "No config item, Namespace: ORDER_TOPIC_CONFIG Key: T" {
		t.Fatalf("GET_KV_CONFIG remark %q", resp.Remark)
	}
	mustCode(t, c.call(t, remoting.SendMessage, nil, nil), remoting.RequestCodeNotSupported, "SEND_MESSAGE")
}

// TestBrokerExpiry (virtual time): a broker that stops registering but
// keeps its connection open is routed for 120s and dropped by the next
// scan (every 5s); one that keeps registering every 30s stays; one whose
// connection closes is dropped at once.
func TestBrokerExpiry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var n memnet.Network
		ns, err := namesrv.Start(t.Context(), namesrv.Config{Listen: "127.0.0.1:9876", IdleTimeout: -1}, namesrv.WithListenFunc(n.Listen))
		if err != nil {
			t.Fatal(err)
		}
		defer ns.Close()
		dial := func() *rawConn {
			nc, err := n.Dial(t.Context(), "tcp", ns.Addr())
			if err != nil {
				t.Fatal(err)
			}
			return dialRaw(t, nc)
		}
		register := func(c *rawConn, name, addr string) {
			body := payload.RegisterBrokerBody{Topics: payload.TopicConfigWrapper{Table: map[string]payload.TopicConfig{
				"t-" + name: {Name: "t-" + name, ReadQueues: 1, WriteQueues: 1, Perm: 6},
				"TBW102":    {Name: "TBW102", ReadQueues: 1, WriteQueues: 1, Perm: 7},
			}}}.Encode()
			mustCode(t, c.call(t, remoting.RegisterBroker, javaHeader("c", name, addr, 0, body), body), remoting.Success, "register "+name)
		}
		names := func() (out []string) {
			for _, b := range ns.Brokers() {
				out = append(out, b.Name)
			}
			return out
		}
		silent, alive, client := dial(), dial(), dial()
		start := time.Now()
		register(silent, "silent", "10.0.0.1:10911")
		register(alive, "alive", "10.0.0.2:10911")
		stop := make(chan struct{})
		go func() {
			tick := time.NewTicker(30 * time.Second)
			defer tick.Stop()
			for {
				select {
				case <-stop:
					return
				case <-tick.C:
					register(alive, "alive", "10.0.0.2:10911")
				}
			}
		}()
		defer close(stop)

		time.Sleep(120*time.Second - time.Millisecond)
		synctest.Wait()
		if got := names(); !slices.Equal(got, []string{"alive", "silent"}) {
			t.Fatalf("at %v: brokers %v, want both", time.Since(start), got)
		}
		time.Sleep(5*time.Second + time.Millisecond) // the next scan
		synctest.Wait()
		if got := names(); !slices.Equal(got, []string{"alive"}) {
			t.Fatalf("at %v: brokers %v, want silent dropped", time.Since(start), got)
		}
		if _, code := route(t, client, "t-silent"); code != remoting.TopicNotExist {
			t.Fatalf("t-silent still routed (code %d)", code)
		}
		if _, code := route(t, client, "t-alive"); code != remoting.Success {
			t.Fatalf("t-alive not routed (code %d)", code)
		}

		_ = alive.nc.Close()
		synctest.Wait()
		if got := names(); len(got) != 0 {
			t.Fatalf("after its connection closed: brokers %v", got)
		}
	})
}

// TestConfigErrors: out-of-range settings name their key.
func TestConfigErrors(t *testing.T) {
	_, err := namesrv.Start(context.Background(), namesrv.Config{Listen: "nohost", BrokerExpiry: time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), "listen") || !strings.Contains(err.Error(), "broker-expiry") {
		t.Fatalf("err = %v", err)
	}
}
