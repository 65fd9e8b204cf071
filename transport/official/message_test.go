package official

import (
	"maps"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
	"github.com/rocketkit/rocketkit/client"
	"github.com/rocketkit/rocketkit/protocol/message"
)

func testBackend(t *testing.T, cfg client.Config) *backend {
	t.Helper()
	if cfg.NameServers == nil {
		cfg.NameServers = []string{"127.0.0.1:9876"}
	}
	b, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return b.(*backend)
}

func TestToPrimitiveCarriesEveryField(t *testing.T) {
	at := time.UnixMilli(1_700_000_000_123)
	tests := []struct {
		name string
		msg  client.Message
		want map[string]string
	}{
		{"plain", client.Message{Topic: "t", Body: []byte("b")}, map[string]string{}},
		{"tag keys props", client.Message{Topic: "t", Tag: "created", Keys: []string{"k1", "k2"}, Body: []byte("b"),
			Properties: map[string]string{"a": "1"}},
			map[string]string{"TAGS": "created", "KEYS": "k1 k2", "a": "1"}},
		{"delay level", client.Message{Topic: "t", Body: []byte("b"), DelayLevel: 3}, map[string]string{"DELAY": "3"}},
		{"deliver at", client.Message{Topic: "t", Body: []byte("b"), DeliverAt: at},
			map[string]string{"TIMER_DELIVER_MS": "1700000000123"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.msg.Flag = 7
			pm := toPrimitive(&tt.msg)
			if pm.Topic != tt.msg.Topic || string(pm.Body) != string(tt.msg.Body) || pm.Flag != 7 {
				t.Errorf("topic %q body %q flag %d", pm.Topic, pm.Body, pm.Flag)
			}
			if got := pm.GetProperties(); !maps.Equal(got, tt.want) {
				t.Errorf("properties %v, want %v", got, tt.want)
			}
		})
	}
}

func TestCheckMessageRefusesWhatPackageClientRefuses(t *testing.T) {
	tests := []struct {
		name string
		msg  *client.Message
		want string
	}{
		{"nil", nil, "nil message"},
		{"bad topic", &client.Message{Topic: "a b", Body: []byte("x")}, "topic"},
		{"retry topic", &client.Message{Topic: "%RETRY%g", Body: []byte("x")}, "retry or dead-letter"},
		{"empty body", &client.Message{Topic: "t"}, "empty body"},
		{"too large", &client.Message{Topic: "t", Body: make([]byte, 11)}, "MaxMessageSize"},
		{"negative delay", &client.Message{Topic: "t", Body: []byte("x"), DelayLevel: -1}, "negative"},
		{"delay and time", &client.Message{Topic: "t", Body: []byte("x"), DelayLevel: 1, DeliverAt: time.Now()}, "not both"},
		{"system property", &client.Message{Topic: "t", Body: []byte("x"), Properties: map[string]string{"TAGS": "x"}}, "set by RocketMQ"},
		{"separator in property", &client.Message{Topic: "t", Body: []byte("x"), Properties: map[string]string{"a\x01": "x"}}, "property"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkMessage(tt.msg, 10)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("checkMessage: %v, want an error about %q", err, tt.want)
			}
		})
	}
	if err := checkMessage(&client.Message{Topic: "t", Body: []byte("x"), Properties: map[string]string{"a": "b"}}, 10); err != nil {
		t.Errorf("a valid message: %v", err)
	}
}

func TestFromExtConvertsAReceivedMessage(t *testing.T) {
	b := testBackend(t, client.Config{Namespace: "ns"})
	e := &primitive.MessageExt{
		Message: primitive.Message{Topic: "ns%orders", Body: []byte("body"), Flag: 3,
			Queue: &primitive.MessageQueue{Topic: "%RETRY%ns%g", BrokerName: "broker-a", QueueId: 0}},
		MsgId: "UNIQ", OffsetMsgId: "OFFSET", QueueOffset: 5, CommitLogOffset: 500, ReconsumeTimes: 2,
		SysFlag: message.FlagTransactionCommit, BornTimestamp: 1000, StoreTimestamp: 2000,
		BornHost: "10.0.0.1:1234", StoreHost: "10.0.0.2:10911",
	}
	e.WithProperties(map[string]string{
		"TAGS": "created", "KEYS": "k1 k2", "UNIQ_KEY": "UNIQ", "user": "v", "RETRY_TOPIC": "ns%orders",
		"__transactionId__": "TX", "CONSUME_START_TIME": "1", "MIN_OFFSET": "0", "MAX_OFFSET": "9",
	})
	m := b.fromExt(e)
	want := client.MessageExt{Topic: "orders", Tag: "created", Keys: []string{"k1", "k2"}, Body: []byte("body"), Flag: 3,
		MsgID: "UNIQ", OffsetMsgID: "OFFSET", Queue: client.MessageQueue{Topic: "%RETRY%g", BrokerName: "broker-a"},
		QueueOffset: 5, CommitLogOffset: 500, ReconsumeTimes: 2, SysFlag: message.FlagTransactionCommit,
		BornTime: time.UnixMilli(1000), StoreTime: time.UnixMilli(2000),
		BornHost: netip.MustParseAddrPort("10.0.0.1:1234"), StoreHost: netip.MustParseAddrPort("10.0.0.2:10911"),
		TransactionID: "TX"}
	if m.Topic != want.Topic || m.Tag != want.Tag || strings.Join(m.Keys, ",") != "k1,k2" || string(m.Body) != "body" ||
		m.Flag != want.Flag || m.MsgID != want.MsgID || m.OffsetMsgID != want.OffsetMsgID || m.Queue != want.Queue ||
		m.QueueOffset != want.QueueOffset || m.CommitLogOffset != want.CommitLogOffset ||
		m.ReconsumeTimes != want.ReconsumeTimes || m.SysFlag != want.SysFlag || !m.BornTime.Equal(want.BornTime) ||
		!m.StoreTime.Equal(want.StoreTime) || m.BornHost != want.BornHost || m.StoreHost != want.StoreHost ||
		m.TransactionID != want.TransactionID {
		t.Errorf("got  %+v\nwant %+v", *m, want)
	}
	if got, want := m.UserProperties(), map[string]string{"user": "v", "__transactionId__": "TX"}; !maps.Equal(got, want) {
		t.Errorf("UserProperties %v, want %v (the consumer's own properties removed)", got, want)
	}
	if got := m.Property("RETRY_TOPIC"); got != "ns%orders" {
		t.Errorf("Property(RETRY_TOPIC) = %q", got)
	}
}

func TestParseHost(t *testing.T) {
	for in, want := range map[string]string{
		"10.0.0.1:80": "10.0.0.1:80", "[::1]:80": "[::1]:80", "::1:80": "[::1]:80", "": "invalid AddrPort", "x:y": "invalid AddrPort",
	} {
		if got := parseHost(in).String(); got != want {
			t.Errorf("parseHost(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestSendResultMapsStatuses(t *testing.T) {
	b := testBackend(t, client.Config{Namespace: "ns"})
	for st, want := range map[primitive.SendStatus]client.SendStatus{
		primitive.SendOK: client.SendOK, primitive.SendFlushDiskTimeout: client.SendFlushDiskTimeout,
		primitive.SendFlushSlaveTimeout: client.SendFlushSlaveTimeout, primitive.SendSlaveNotAvailable: client.SendSlaveNotAvailable,
	} {
		res, err := b.sendResult(&primitive.SendResult{Status: st, MsgID: "m", OffsetMsgID: "o", QueueOffset: 4,
			TransactionID: "tx", RegionID: "r", MessageQueue: &primitive.MessageQueue{Topic: "ns%t", BrokerName: "b", QueueId: 2}})
		if err != nil {
			t.Fatal(err)
		}
		wantRes := client.SendResult{Status: want, MsgID: "m", OffsetMsgID: "o", QueueOffset: 4, TransactionID: "tx",
			RegionID: "r", Queue: client.MessageQueue{Topic: "t", BrokerName: "b", QueueID: 2}}
		if *res != wantRes {
			t.Errorf("status %v: %+v, want %+v", st, *res, wantRes)
		}
	}
	if _, err := b.sendResult(&primitive.SendResult{Status: primitive.SendUnknownError}); err == nil {
		t.Error("an unknown status converted without error")
	}
}

func TestSelectorPicksAsPackageClient(t *testing.T) {
	b := testBackend(t, client.Config{Namespace: "ns"})
	s := newSelector(b)
	mqs := make([]*primitive.MessageQueue, 4)
	for i := range mqs {
		mqs[i] = &primitive.MessageQueue{Topic: "ns%t", BrokerName: "broker-a", QueueId: i}
	}
	pick := func(opts ...client.SendOption) *primitive.MessageQueue {
		msg := &client.Message{Topic: "t", Body: []byte("x")}
		pm := toPrimitive(msg)
		done := s.choose(pm, msg, opts)
		defer done()
		return s.Select(pm, mqs, "")
	}
	if q := pick(client.ToQueue(client.MessageQueue{Topic: "t", BrokerName: "broker-a", QueueID: 3})); q != mqs[3] {
		t.Errorf("ToQueue(3) picked %v", q)
	}
	if q := pick(client.ToQueue(client.MessageQueue{Topic: "t", BrokerName: "broker-b", QueueID: 1})); q.BrokerName != "broker-b" ||
		q.QueueId != 1 || q.Topic != "ns%t" {
		t.Errorf("ToQueue of a queue the route lacks picked %v", q)
	}
	for _, key := range []string{"a", "order-17", "customer-9", "k"} {
		// The official client's own hash selector, on a sharding key.
		want := producer.NewHashQueueSelector().Select(primitive.NewMessage("t", nil).WithShardingKey(key), mqs, "")
		if q := pick(client.HashKey(key)); q != want {
			t.Errorf("HashKey(%q) picked %v, the official hash selector %v", key, q, want)
		}
	}
	var offered []client.MessageQueue
	q := pick(client.WithSelector(client.QueueSelectorFunc(func(_ *client.Message, qs []client.MessageQueue) client.MessageQueue {
		offered = qs
		return qs[1]
	})))
	if q != mqs[1] || len(offered) != 4 || offered[0].Topic != "t" {
		t.Errorf("WithSelector picked %v, offered %v", q, offered)
	}
	seen := map[int]bool{}
	for range 4 {
		seen[pick().QueueId] = true
	}
	if len(seen) != 4 {
		t.Errorf("round-robin picked only queues %v of 4", seen)
	}
	n := 0
	s.pending.Range(func(any, any) bool { n++; return true })
	if n != 0 {
		t.Errorf("%d queue choices left behind", n)
	}
}
