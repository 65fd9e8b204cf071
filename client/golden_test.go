package client

// Golden frames: the same operations done by the official Go client and by
// this client, each through a recording proxy (internal/wiretap) in front
// of a broker of its own; for every request code both sent, the frames
// must agree on code, language, version, flag, the set of ext field keys
// and the format of each value, the properties of sent messages, and the
// shape of JSON bodies. Deliberate differences are listed in deviations
// with the reason.

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	rocketmq "github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
	"github.com/rocketkit/rocketkit/broker"
	"github.com/rocketkit/rocketkit/broker/brokertest"
	"github.com/rocketkit/rocketkit/internal/clienttest"
	"github.com/rocketkit/rocketkit/internal/wiretap"
	"github.com/rocketkit/rocketkit/protocol/message"
	"github.com/rocketkit/rocketkit/protocol/remoting"
)

// tappedBroker starts a broker whose advertised address is a wiretap in
// front of it, so every request of its clients is recorded.
func tappedBroker(t *testing.T) (*broker.Broker, *wiretap.Tap) {
	t.Helper()
	tap, err := wiretap.Listen()
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	listen := ln.Addr().String()
	_ = ln.Close()
	b := brokertest.Start(t, brokertest.WithConfig(func(c *broker.Config) {
		c.Listen, c.AdvertisedAddr = listen, tap.Addr()
		c.MessageDelayLevel = fastDelays
		c.TransactionTimeout, c.TransactionCheckInterval = 100*time.Millisecond, 100*time.Millisecond
	}))
	tap.Forward(listen)
	t.Cleanup(func() { _ = tap.Close() })
	return b, tap
}

// goldenMessage is the message both clients send.
const (
	goldenTopic = "golden"
	goldenTag   = "TagA"
)

var goldenKeys = []string{"k1", "k2"}

// officialScenario does the operations with the official client.
func officialScenario(t *testing.T, b *broker.Broker, tap *wiretap.Tap) {
	ns := primitive.NamesrvAddr{tap.Addr()}
	p, err := rocketmq.NewProducer(producer.WithNameServer(ns), producer.WithGroupName("golden_pg"),
		producer.WithInstanceName("golden-official-p"))
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	msg := primitive.NewMessage(goldenTopic, []byte("one")).WithTag(goldenTag).WithKeys(goldenKeys)
	msg.WithProperty("p", "v")
	if _, err := p.SendSync(t.Context(), msg); err != nil {
		t.Fatal(err)
	}
	if _, err := p.SendSync(t.Context(), primitive.NewMessage(goldenTopic, []byte("b1")).WithTag(goldenTag),
		primitive.NewMessage(goldenTopic, []byte("b2")).WithTag(goldenTag)); err != nil {
		t.Fatal(err)
	}
	if err := p.SendOneWay(t.Context(), primitive.NewMessage(goldenTopic, []byte("oneway")).WithTag(goldenTag)); err != nil {
		t.Fatal(err)
	}
	_ = p.Shutdown()

	tp, err := rocketmq.NewTransactionProducer(goldenTxListener{}, producer.WithNameServer(ns),
		producer.WithGroupName("golden_tpg"), producer.WithInstanceName("golden-official-tp"))
	if err != nil {
		t.Fatal(err)
	}
	if err := tp.Start(); err != nil {
		t.Fatal(err)
	}
	if _, err := tp.SendMessageInTransaction(t.Context(), primitive.NewMessage(goldenTopic, []byte("tx")).WithTag(goldenTag)); err != nil {
		t.Fatal(err)
	}
	_ = tp.Shutdown()

	var (
		mu    sync.Mutex
		seen  = map[string]int{}
		done  = make(chan struct{})
		close sync.Once
	)
	c := clienttest.NewConsumer(t, b, consumer.WithNameServer(ns), consumer.WithGroupName("golden_cg"),
		consumer.WithInstance("golden-official-c"), consumer.WithConsumeFromWhere(consumer.ConsumeFromFirstOffset))
	err = c.Subscribe(goldenTopic, consumer.MessageSelector{Type: consumer.TAG, Expression: "TagA || TagB"},
		func(ctx context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
			mu.Lock()
			defer mu.Unlock()
			for _, m := range msgs {
				seen[string(m.Body)]++
				if string(m.Body) == "one" && seen["one"] == 1 {
					return consumer.ConsumeRetryLater, nil // a send-back
				}
			}
			if seen["one"] >= 2 && len(seen) >= 5 {
				close.Do(func() { closeChan(done) })
			}
			return consumer.ConsumeSuccess, nil
		})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	waitChan(t, done, "the official consumer to get everything and a redelivery")
	_ = c.Shutdown()
}

func closeChan(c chan struct{}) { close(c) }

func waitChan(t *testing.T, c chan struct{}, what string) {
	t.Helper()
	select {
	case <-c:
	case <-time.After(waitTimeout):
		t.Fatalf("timed out waiting for %s", what)
	}
}

type goldenTxListener struct{}

func (goldenTxListener) ExecuteLocalTransaction(*primitive.Message) primitive.LocalTransactionState {
	return primitive.CommitMessageState
}

func (goldenTxListener) CheckLocalTransaction(*primitive.MessageExt) primitive.LocalTransactionState {
	return primitive.CommitMessageState
}

// ourScenario does the same operations with this client.
func ourScenario(t *testing.T, tap *wiretap.Tap, jsonHeaders bool) {
	c, err := New(Config{NameServers: []string{tap.Addr()}, InstanceName: "golden-ours", JSONHeaders: jsonHeaders})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	p, err := c.NewProducer(ProducerConfig{Group: "golden_pg"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Send(t.Context(), &Message{Topic: goldenTopic, Tag: goldenTag, Keys: goldenKeys, Body: []byte("one"),
		Properties: map[string]string{"p": "v"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := p.SendBatch(t.Context(), []*Message{{Topic: goldenTopic, Tag: goldenTag, Body: []byte("b1")},
		{Topic: goldenTopic, Tag: goldenTag, Body: []byte("b2")}}); err != nil {
		t.Fatal(err)
	}
	if err := p.SendOneway(t.Context(), &Message{Topic: goldenTopic, Tag: goldenTag, Body: []byte("oneway")}); err != nil {
		t.Fatal(err)
	}
	_ = p.Close()
	tp, err := c.NewTransactionProducer(ProducerConfig{Group: "golden_tpg"}, TransactionCheckerFunc(
		func(context.Context, *MessageExt) TransactionState { return CommitTransaction }))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := tp.SendInTransaction(t.Context(), &Message{Topic: goldenTopic, Tag: goldenTag, Body: []byte("tx")},
		func(context.Context, *SendResult) TransactionState { return CommitTransaction }); err != nil {
		t.Fatal(err)
	}
	_ = tp.Close()

	var (
		mu   sync.Mutex
		seen = map[string]int{}
		done = make(chan struct{})
		once sync.Once
	)
	con, err := c.NewConsumer(ConsumerConfig{Group: "golden_cg", ConsumeFrom: ConsumeFromFirstOffset,
		Subscriptions: []Subscription{{Topic: goldenTopic, Expression: "TagA || TagB"}}},
		func(ctx context.Context, msgs []*MessageExt) ConsumeResult {
			mu.Lock()
			defer mu.Unlock()
			for _, m := range msgs {
				seen[string(m.Body)]++
				if string(m.Body) == "one" && seen["one"] == 1 {
					return ConsumeRetry
				}
			}
			if seen["one"] >= 2 && len(seen) >= 5 {
				once.Do(func() { close(done) })
			}
			return ConsumeSuccess
		})
	if err != nil {
		t.Fatal(err)
	}
	if err := con.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	waitChan(t, done, "our consumer to get everything and a redelivery")
	if err := con.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
}

// deviations are the request codes and fields where this client differs
// from the official one on purpose.
var deviations = map[string]string{
	// Java marks one-way requests with flag bit 1; the official Go client
	// never does, so a broker cannot tell them from calls.
	"flag:oneway": "one-way requests carry Java's one-way flag",
	// The official Go client always writes JSON headers; this one writes
	// RocketMQ's binary header by default, as a Java client configured
	// with rocketmq.serialize.type=ROCKETMQ does (Config.JSONHeaders
	// restores JSON). Every RocketMQ server reads both and answers in the
	// request's format. The frames are compared decoded, so both formats
	// must carry the same header.
	"serialize": "binary (ROCKETMQ) headers unless Config.JSONHeaders",
}

// valueFormat classifies a field value, so that values that must differ
// (ids, timestamps) still compare by shape.
func valueFormat(v string) string {
	switch {
	case v == "":
		return "empty"
	case v == "true" || v == "false":
		return "bool"
	case regexp.MustCompile(`^-?[0-9]+$`).MatchString(v):
		return "int"
	case regexp.MustCompile(`^[0-9A-Fa-f]{32}$`).MatchString(v):
		return "hex32"
	case strings.Contains(v, "\x01"):
		return "properties"
	}
	return "text"
}

// jsonShape describes a JSON value by its keys and value kinds, recursively;
// arrays by the distinct shapes of their elements.
func jsonShape(v any) string {
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k + ":" + jsonShape(x[k])
		}
		return "{" + strings.Join(parts, ",") + "}"
	case []any:
		var shapes []string
		for _, e := range x {
			shapes = append(shapes, jsonShape(e))
		}
		slices.Sort(shapes)
		return "[" + strings.Join(slices.Compact(shapes), "|") + "]"
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "bool"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}

// describe summarises a request for comparison.
func describe(cmd *remoting.Command, onewayOK bool) map[string]string {
	d := map[string]string{
		"language": cmd.Language,
		"version":  fmt.Sprint(cmd.Version),
		"flag":     fmt.Sprint(cmd.Flag &^ remoting.FlagOneway),
	}
	if !onewayOK {
		d["flag"] = fmt.Sprint(cmd.Flag)
	}
	for _, f := range cmd.ExtFields {
		d["field "+f.Key] = valueFormat(f.Value)
		if f.Key == "properties" || f.Key == "i" {
			keys := slices.Sorted(mapKeys(message.ParseProperties(f.Value)))
			d["properties of "+f.Key] = strings.Join(keys, ",")
		}
	}
	if len(cmd.Body) > 0 && json.Valid(cmd.Body) {
		var v any
		_ = json.Unmarshal(cmd.Body, &v)
		d["body"] = jsonShape(v)
	}
	return d
}

func mapKeys(m map[string]string) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func TestGoldenFramesMatchTheOfficialClient(t *testing.T) {
	ob, otap := tappedBroker(t)
	officialScenario(t, ob, otap)
	for _, tt := range []struct {
		name        string
		jsonHeaders bool
		serialize   byte
	}{
		{"binary headers (default)", false, remoting.SerializeRocketMQ},
		{"JSONHeaders", true, remoting.SerializeJSON},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, ktap := tappedBroker(t)
			ourScenario(t, ktap, tt.jsonHeaders)
			compareGolden(t, otap, ktap, tt.serialize)
		})
	}
}

// compareGolden compares the requests recorded by otap (the official
// client's) and ktap (ours, whose headers must all be in serialize).
func compareGolden(t *testing.T, otap, ktap *wiretap.Tap, serialize byte) {
	// Requests the official client sends one-way (without saying so).
	oneway := map[int16]bool{remoting.UpdateConsumerOffset: true, remoting.EndTransaction: true, remoting.SendMessage: true}
	// Requests whose first frame is not comparable: SEND_MESSAGE is
	// compared on the single message with properties (the first sent).
	must := []int16{remoting.GetRouteInfoByTopic, remoting.HeartBeat, remoting.SendMessage, remoting.SendBatchMessage,
		remoting.EndTransaction, remoting.PullMessage, remoting.GetConsumerListByGroup,
		remoting.QueryConsumerOffset, remoting.ConsumerSendMsgBack}
	theirs, ours := otap.Codes(), ktap.Codes()
	for _, code := range must {
		if !theirs[code] || !ours[code] {
			t.Errorf("%s: official sent it %v, ours %v; the scenario must make both send it",
				remoting.RequestName(code), theirs[code], ours[code])
		}
	}
	compared := 0
	for code := range theirs {
		for _, r := range otap.Requests(code) {
			if r.SerializeType != remoting.SerializeJSON {
				t.Errorf("%s: the official client sent serialize type %d", remoting.RequestName(code), r.SerializeType)
			}
		}
		if !ours[code] {
			continue
		}
		for _, r := range ktap.Requests(code) {
			if r.SerializeType != serialize {
				t.Errorf("%s: ours sent serialize type %d, want %d", remoting.RequestName(code), r.SerializeType, serialize)
			}
		}
		o, k := pickComparable(otap.Requests(code)), pickComparable(ktap.Requests(code))
		do, dk := describe(o, oneway[code]), describe(k, oneway[code])
		for key := range union(do, dk) {
			if do[key] != dk[key] {
				t.Errorf("%s: %s: official %q, ours %q", remoting.RequestName(code), key, do[key], dk[key])
			}
		}
		compared++
	}
	if compared < len(must) {
		t.Fatalf("compared %d request codes, want at least %d", compared, len(must))
	}
	t.Logf("compared %d request codes; deviations allowed: %v", compared, deviations)
}

// pickComparable picks the most informative request of a code: the first
// with properties or a JSON body with consumers, else the first.
func pickComparable(reqs []*remoting.Command) *remoting.Command {
	for _, r := range reqs {
		if strings.Contains(string(r.Body), `"subscriptionDataSet":[{`) {
			return r
		}
		if v := r.ExtFields.Get("properties"); strings.Contains(v, "p\x01v") {
			return r
		}
	}
	return reqs[0]
}

func union(a, b map[string]string) map[string]bool {
	out := map[string]bool{}
	for k := range a {
		out[k] = true
	}
	for k := range b {
		out[k] = true
	}
	return out
}
