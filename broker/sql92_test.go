package broker_test

import (
	"context"
	"encoding/json"
	"github.com/rocketkit/rocketkit/internal/clienttest"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/rocketkit/rocketkit/broker"
	"github.com/rocketkit/rocketkit/broker/brokertest"
	"github.com/rocketkit/rocketkit/protocol/message"
	"github.com/rocketkit/rocketkit/protocol/remoting"
)

// sqlQuietWindow is how long a consumer that has pulled past every message
// must then receive nothing more.
const sqlQuietWindow = 2 * time.Second

// The official client's SQL92 selector is evaluated by the broker: of
// messages with property a = 0..19, "a >= 10 AND a < 15" receives exactly
// a = 10..14, and nothing else arrives once the group has pulled past
// every message.
func TestSQL92OfficialClient(t *testing.T) {
	b := brokertest.Start(t)
	topic, group := uniqueName("t_sql"), uniqueName("c_sql")
	p := startProducer(t, b)
	for i := range 20 {
		msg := primitive.NewMessage(topic, []byte("m"+strconv.Itoa(i)))
		msg.WithProperty("a", strconv.Itoa(i))
		sendSync(t, p, msg)
	}
	r := newReceived()
	c := newConsumer(t, b, group)
	err := c.Subscribe(topic, consumer.MessageSelector{Type: consumer.SQL92, Expression: "a >= 10 AND a < 15"},
		func(_ context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
			r.add(msgs...)
			return consumer.ConsumeSuccess, nil
		})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	r.waitFor(t, 5, 30*time.Second)
	waitConsumedToEnd(t, b, group, topic, 30*time.Second)
	quiet := time.NewTimer(sqlQuietWindow)
	<-quiet.C
	got := r.snapshot()
	var bodies, props []string
	for _, m := range got {
		bodies = append(bodies, string(m.Body))
		props = append(props, m.GetProperty("a"))
	}
	slices.Sort(bodies)
	slices.Sort(props)
	if want := []string{"m10", "m11", "m12", "m13", "m14"}; !slices.Equal(bodies, want) {
		t.Errorf("received %v, want %v", bodies, want)
	}
	if want := []string{"10", "11", "12", "13", "14"}; !slices.Equal(props, want) {
		t.Errorf("properties a %v, want %v", props, want)
	}
}

// waitConsumedToEnd waits until group's committed offset on every queue of
// topic is the queue's end: it has pulled past every message.
func waitConsumedToEnd(t testing.TB, b *broker.Broker, group, topic string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		stats := b.ConsumeStats(group, topic)
		lag := int64(0)
		for _, q := range stats {
			lag += q.Lag()
		}
		if len(stats) > 0 && lag == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("group %s has not consumed %s to its end within %v: %+v", group, topic, timeout, stats)
		}
		time.Sleep(50 * time.Millisecond) // polling the condition
	}
}

// heartbeatBody is a HEART_BEAT body with one consumer group subscribed to
// one topic.
func heartbeatBody(t testing.TB, clientID, group, topic, exprType, expr string, version int64) []byte {
	t.Helper()
	sub := map[string]any{"topic": topic, "subString": expr, "expressionType": exprType,
		"tagsSet": []string{}, "codeSet": []int{}, "subVersion": version}
	if exprType == "TAG" {
		sub["tagsSet"] = strings.Split(expr, "||")
	}
	b, err := json.Marshal(map[string]any{
		"clientID":        clientID,
		"producerDataSet": []any{},
		"consumerDataSet": []any{map[string]any{"groupName": group, "consumeType": "CONSUME_PASSIVELY",
			"messageModel": "CLUSTERING", "consumeFromWhere": "CONSUME_FROM_FIRST_OFFSET",
			"subscriptionDataSet": []any{sub}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sqlPull is a PULL_MESSAGE header of queue 0 with a subscription and a
// subVersion.
func sqlPull(group, topic string, offset int64, sysFlag int, suspend time.Duration, exprType, expr string, version int64) remoting.Fields {
	f := pullFields(group, topic, 0, offset, 32, sysFlag)
	for i := range f {
		switch f[i].Key {
		case "subscription":
			f[i].Value = expr
		case "expressionType":
			f[i].Value = exprType
		case "subVersion":
			f[i].Value = strconv.FormatInt(version, 10)
		case "suspendTimeoutMillis":
			f[i].Value = strconv.FormatInt(suspend.Milliseconds(), 10)
		}
	}
	return f
}

// rawSend stores one message in queue 0 of topic with the given properties
// (auto-creating the topic) and fails the test unless it is stored.
func rawSend(t testing.TB, c *rawConn, topic, body string, props ...string) {
	t.Helper()
	var ps string
	for i := 0; i+1 < len(props); i += 2 {
		ps = message.SetProperty(ps, props[i], props[i+1])
	}
	if resp := c.mustCall(t, remoting.SendMessage, sendFields(topic, "0", ps), []byte(body)); resp.Code != remoting.Success {
		t.Fatalf("send: %d %s", resp.Code, resp.Remark)
	}
}

// A selector that does not compile is refused with its line and column:
// CHECK_CLIENT_CONFIG (the Java client's start-up check) and a PULL
// carrying it answer SUBSCRIPTION_PARSE_FAILED, a PULL by a group that
// registered it FILTER_DATA_NOT_EXIST; a good one is accepted and filters.
// A pull newer than the registered subscription is SUBSCRIPTION_NOT_LATEST.
func TestSQL92BadExpressionRefused(t *testing.T) {
	logs := &clienttest.LockedBuffer{}
	b := brokertest.Start(t, brokertest.WithLogger(slog.New(slog.NewTextHandler(logs, nil))))
	c := dialRaw(t, b.Addr())
	topic, group := uniqueName("t_sqlbad"), uniqueName("c_sqlbad")
	rawSend(t, c, topic, "twelve", "a", "12")
	const bad, where = "a >= 10 AND", "line 1, column 12: unexpected end of expression"

	check := func(exprType, expr string) *remoting.Command {
		body, _ := json.Marshal(map[string]any{"clientId": "cid", "group": group,
			"subscriptionData": map[string]any{"topic": topic, "subString": expr, "expressionType": exprType}})
		return c.mustCall(t, remoting.CheckClientConfig, nil, body)
	}
	expect := func(name string, resp *remoting.Command, code int16, remark ...string) {
		t.Helper()
		if resp.Code != code {
			t.Errorf("%s: code %d (%s), want %d", name, resp.Code, resp.Remark, code)
		}
		for _, r := range remark {
			if !strings.Contains(resp.Remark, r) {
				t.Errorf("%s: remark %q, want it to contain %q", name, resp.Remark, r)
			}
		}
	}
	expect("CHECK_CLIENT_CONFIG bad", check("SQL92", bad), remoting.SubscriptionParseFailed, where)
	expect("CHECK_CLIENT_CONFIG good", check("SQL92", "a >= 10 AND a < 15"), remoting.Success)
	expect("CHECK_CLIENT_CONFIG tag", check("TAG", "x || y"), remoting.Success)
	expect("CHECK_CLIENT_CONFIG no body", c.mustCall(t, remoting.CheckClientConfig, nil, nil), remoting.Success)

	carried := sqlPull(group, topic, 0, 4, 0, "SQL92", bad, 0)
	expect("PULL carrying it", c.mustCall(t, remoting.PullMessage, carried, nil), remoting.SubscriptionParseFailed,
		"parse the consumer's subscription failed", where)
	good := sqlPull(group, topic, 0, 4, 0, "SQL92", "a >= 10 AND a < 15", 0)
	expect("PULL carrying a good one", c.mustCall(t, remoting.PullMessage, good, nil), remoting.Success)
	other := sqlPull(group, topic, 0, 4, 0, "SQL92", "a > 12", 0)
	expect("PULL carrying one that does not match", c.mustCall(t, remoting.PullMessage, other, nil), remoting.PullRetryImmediately)

	if resp := c.mustCall(t, remoting.HeartBeat, nil, heartbeatBody(t, "cid", group, topic, "SQL92", bad, 5)); resp.Code != remoting.Success {
		t.Fatalf("heartbeat: %d %s", resp.Code, resp.Remark)
	}
	// Logged at registration, as Java's ConsumerFilterManager does.
	if !strings.Contains(logs.String(), "consumer subscription does not compile") || !strings.Contains(logs.String(), where) {
		t.Errorf("the bad registered expression was not logged; logs:\n%s", logs)
	}
	registered := sqlPull(group, topic, 0, 0, 0, "TAG", "", 5)
	expect("PULL by the group that registered it", c.mustCall(t, remoting.PullMessage, registered, nil),
		remoting.FilterDataNotExist, "does not compile", where)

	group2 := uniqueName("c_sqlver")
	if resp := c.mustCall(t, remoting.HeartBeat, nil, heartbeatBody(t, "cid2", group2, topic, "SQL92", "a > 1", 5)); resp.Code != remoting.Success {
		t.Fatalf("heartbeat: %d %s", resp.Code, resp.Remark)
	}
	expect("PULL newer than the registration", c.mustCall(t, remoting.PullMessage, sqlPull(group2, topic, 0, 0, 0, "TAG", "", 6), nil),
		remoting.SubscriptionNotLatest, "version 5", "version 6")
	expect("PULL as new as the registration", c.mustCall(t, remoting.PullMessage, sqlPull(group2, topic, 0, 0, 0, "TAG", "", 5), nil),
		remoting.Success)
}

// A pull held while the consumer re-subscribes is served by the new
// subscription when it wakes (Java re-runs a woken pull with the group's
// registered subscription): the message only the new expression matches
// is delivered, not skipped.
func TestHeldPullFollowsResubscription(t *testing.T) {
	for _, tt := range []struct{ typ, old, new string }{
		{"SQL92", "a = 1", "a = 2"},
		{"TAG", "x", "y"},
	} {
		t.Run(tt.typ, func(t *testing.T) {
			b := brokertest.Start(t)
			c, c2 := dialRaw(t, b.Addr()), dialRaw(t, b.Addr())
			topic, group := uniqueName("t_hold"), uniqueName("c_hold")
			rawSend(t, c2, topic, "first", "a", "0", message.PropertyTags, "z") // offset 0, matches neither

			if resp := c.mustCall(t, remoting.HeartBeat, nil, heartbeatBody(t, "cid", group, topic, tt.typ, tt.old, 1)); resp.Code != remoting.Success {
				t.Fatalf("heartbeat: %d %s", resp.Code, resp.Remark)
			}
			pull := &remoting.Command{Code: remoting.PullMessage, Language: "GO", Version: remoting.Version, Opaque: 1000,
				ExtFields: sqlPull(group, topic, 1, 2, 5*time.Second, "TAG", "", 1)}
			if err := c.write(remoting.AppendFrame(nil, pull)); err != nil {
				t.Fatal(err)
			}
			waitHeld(t, b, 1, 10*time.Second)

			// The client re-subscribes (a newer subVersion), then the message
			// only the new expression matches arrives.
			if resp := c2.mustCall(t, remoting.HeartBeat, nil, heartbeatBody(t, "cid", group, topic, tt.typ, tt.new, 2)); resp.Code != remoting.Success {
				t.Fatalf("heartbeat: %d %s", resp.Code, resp.Remark)
			}
			rawSend(t, c2, topic, "second", "a", "2", message.PropertyTags, "y")

			resp := nextResponse(t, c, rawTimeout)
			if resp.Opaque != pull.Opaque || resp.Code != remoting.Success {
				t.Fatalf("held pull answered %d %s (opaque %d, nextBeginOffset %s), want SUCCESS with the new message",
					resp.Code, resp.Remark, resp.Opaque, resp.ExtFields.Get("nextBeginOffset"))
			}
			m, _, err := message.Decode(resp.Body, true)
			if err != nil || string(m.Body) != "second" || m.QueueOffset != 1 {
				t.Fatalf("held pull got %q at offset %d (%v), want \"second\" at 1", m.Body, m.QueueOffset, err)
			}
		})
	}
}

// waitHeld waits until n pulls are held.
func waitHeld(t testing.TB, b *broker.Broker, n int, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for b.Stats().HeldPulls != n {
		if time.Now().After(deadline) {
			t.Fatalf("%d pulls held after %v, want %d", b.Stats().HeldPulls, timeout, n)
		}
		time.Sleep(10 * time.Millisecond) // polling the condition
	}
}

// nextResponse reads the next response on c, skipping the requests the
// broker sends on its own.
func nextResponse(t testing.TB, c *rawConn, wait time.Duration) *remoting.Command {
	t.Helper()
	for {
		_ = c.nc.SetReadDeadline(time.Now().Add(wait))
		cmd, err := remoting.ReadCommand(c.r, 256<<20)
		if err != nil {
			t.Fatalf("waiting for a response: %v", err)
		}
		if cmd.IsResponse() {
			return cmd
		}
	}
}
