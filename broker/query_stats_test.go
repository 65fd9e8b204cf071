package broker_test

import (
	"bufio"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/rocketkit/rocketkit/broker"
	"github.com/rocketkit/rocketkit/broker/brokertest"
	"github.com/rocketkit/rocketkit/protocol/remoting"
)

// rawRequest sends one request over a fresh connection and returns the
// answer.
func rawRequest(t testing.TB, addr string, req *remoting.Command) *remoting.Command {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	req.Opaque = 4242
	if _, err := conn.Write(remoting.AppendFrame(nil, req)); err != nil {
		t.Fatal(err)
	}
	resp, err := remoting.ReadCommand(bufio.NewReader(conn), 64<<20)
	if err != nil {
		t.Fatalf("read answer to %s: %v", remoting.RequestName(req.Code), err)
	}
	if resp.Opaque != req.Opaque || !resp.IsResponse() {
		t.Fatalf("answer opaque %d flag %d, want %d and a response", resp.Opaque, resp.Flag, req.Opaque)
	}
	return resp
}

// Query by key and by the client's unique id finds a message, also after a
// restart; an offset message id finds it by commit-log offset.
func TestQueryMessageByKeyAndID(t *testing.T) {
	dir := t.TempDir()
	opt := brokertest.WithConfig(func(c *broker.Config) { c.DataDir = dir })
	b := brokertest.Start(t, opt)
	topic := uniqueName("t_query")
	p := startProducer(t, b)
	for i := range 20 {
		sendSync(t, p, primitive.NewMessage(topic, []byte("filler-"+strconv.Itoa(i))).WithKeys([]string{"other-" + strconv.Itoa(i)}))
	}
	sent := sendSync(t, p, primitive.NewMessage(topic, []byte("needle")).WithKeys([]string{"order-42", "customer-7"}))
	_ = p.Shutdown()
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	b = brokertest.Start(t, opt)

	for _, key := range []string{"order-42", "customer-7", sent.MsgID} {
		resp := rawRequest(t, b.Addr(), remoting.NewRequest(remoting.QueryMessage, remoting.Fields{
			{Key: "topic", Value: topic}, {Key: "key", Value: key}, {Key: "maxNum", Value: "32"},
			{Key: "beginTimestamp", Value: "0"},
			{Key: "endTimestamp", Value: strconv.FormatInt(time.Now().Add(time.Minute).UnixMilli(), 10)},
		}, nil))
		if resp.Code != remoting.Success {
			t.Fatalf("query %q: code %d %s", key, resp.Code, resp.Remark)
		}
		msgs := primitive.DecodeMessage(resp.Body)
		if len(msgs) != 1 || string(msgs[0].Body) != "needle" {
			t.Errorf("query %q found %d messages (%v), want the needle only", key, len(msgs), len(msgs) > 0)
		}
	}
	resp := rawRequest(t, b.Addr(), remoting.NewRequest(remoting.QueryMessage, remoting.Fields{
		{Key: "topic", Value: topic}, {Key: "key", Value: "no-such-key"}, {Key: "maxNum", Value: "32"},
		{Key: "beginTimestamp", Value: "0"}, {Key: "endTimestamp", Value: "0"},
	}, nil))
	if resp.Code != remoting.QueryNotFound {
		t.Errorf("query of a missing key: code %d, want QUERY_NOT_FOUND", resp.Code)
	}

	id, err := primitive.UnmarshalMsgID([]byte(sent.OffsetMsgID))
	if err != nil {
		t.Fatal(err)
	}
	resp = rawRequest(t, b.Addr(), remoting.NewRequest(remoting.ViewMessageByID, remoting.Fields{
		{Key: "offset", Value: strconv.FormatInt(id.Offset, 10)},
	}, nil))
	if msgs := primitive.DecodeMessage(resp.Body); resp.Code != remoting.Success || len(msgs) != 1 || string(msgs[0].Body) != "needle" {
		t.Errorf("view by offset id %s: code %d, %d messages", sent.OffsetMsgID, resp.Code, len(msgs))
	}
}

// Consume stats show the lag going to zero; connection lists show each
// member's subscription.
func TestConsumeStatsLagGoesToZero(t *testing.T) {
	b := brokertest.Start(t)
	topic, group := uniqueName("t_stats"), uniqueName("g_stats")
	p := startProducer(t, b)
	for i := range 40 {
		sendSync(t, p, primitive.NewMessage(topic, []byte(strconv.Itoa(i))))
	}
	lag := func() (total int64) {
		for _, q := range b.ConsumeStats(group, topic) {
			total += q.Lag()
		}
		return total
	}
	r := newReceived()
	startConsumer(t, b, group, topic, "*", r)
	r.waitFor(t, 40, 20*time.Second)
	if stats := b.ConsumeStats(group, topic); len(stats) != 4 {
		t.Fatalf("consume stats cover %d queues, want 4", len(stats))
	}
	// The client commits offsets with its pulls and every 5 s.
	waitUntil(t, 20*time.Second, func() bool { return lag() == 0 })

	resp := rawRequest(t, b.Addr(), remoting.NewRequest(remoting.GetConsumeStats, remoting.Fields{
		{Key: "consumerGroup", Value: group}, {Key: "topic", Value: topic}}, nil))
	if resp.Code != remoting.Success || !strings.Contains(string(resp.Body), `"consumerOffset":`) {
		t.Errorf("GET_CONSUME_STATS: code %d body %s", resp.Code, resp.Body)
	}

	resp = rawRequest(t, b.Addr(), remoting.NewRequest(remoting.GetConsumerConnectionList, remoting.Fields{
		{Key: "consumerGroup", Value: group}}, nil))
	if resp.Code != remoting.Success || !strings.Contains(string(resp.Body), `"topic":"`+topic+`"`) {
		t.Errorf("GET_CONSUMER_CONNECTION_LIST: code %d body %s", resp.Code, resp.Body)
	}
	if members := b.GroupMembers(group); len(members) != 1 {
		t.Errorf("group members %v, want the one live consumer", members)
	}
}
