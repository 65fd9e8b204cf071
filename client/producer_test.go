package client

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/broker"
	"github.com/rocketkit/rocketkit/protocol/message"
	"github.com/rocketkit/rocketkit/protocol/remoting"
)

// newTestProducer returns a producer of group on a fresh client of b.
func newTestProducer(t *testing.T, b *broker.Broker, group string) (*Client, *Producer) {
	t.Helper()
	c := newTestClient(t, b, "p-"+group)
	p, err := c.NewProducer(ProducerConfig{Group: group})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return c, p
}

// storedIn reads every message stored in queue q of topic, by raw pulls.
func storedIn(t *testing.T, c *Client, b *broker.Broker, topic string, q int) []*MessageExt {
	t.Helper()
	var out []*MessageExt
	for off := int64(0); ; {
		req := remoting.NewClientRequest(remoting.PullMessage, remoting.Fields{
			{Key: "consumerGroup", Value: "raw_reader"}, {Key: "topic", Value: topic},
			{Key: "queueId", Value: strconv.Itoa(q)}, {Key: "queueOffset", Value: strconv.FormatInt(off, 10)},
			{Key: "maxMsgNums", Value: "32"}, {Key: "sysFlag", Value: "0"}, {Key: "commitOffset", Value: "0"},
			{Key: "suspendTimeoutMillis", Value: "0"}, {Key: "subscription", Value: "*"}, {Key: "subVersion", Value: "0"},
			{Key: "expressionType", Value: "TAG"}}, nil)
		resp, err := c.call(t.Context(), b.Addr(), req)
		if err != nil {
			t.Fatal(err)
		}
		if resp.Code != remoting.Success {
			return out
		}
		exts, err := message.DecodeAll(resp.Body, true)
		if err != nil {
			t.Fatal(err)
		}
		for i := range exts {
			m, err := newMessageExt(&exts[i], "")
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, m)
		}
		off, _ = resp.ExtFields.Int64("nextBeginOffset")
	}
}

func TestProducerSendStoresWhatWasSent(t *testing.T) {
	b := startBroker(t)
	c, p := newTestProducer(t, b, "pg_send")
	msg := &Message{Topic: "p_send", Tag: "created", Keys: []string{"order-1", "order-2"}, Body: []byte("hello"),
		Properties: map[string]string{"trace": "t-1"}, Flag: 7}
	res, err := p.Send(t.Context(), msg, ToQueue(MessageQueue{Topic: "p_send", BrokerName: "broker-a", QueueID: 2}))
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != SendOK || res.Queue.QueueID != 2 || res.Queue.Topic != "p_send" || res.QueueOffset != 0 || len(res.MsgID) != 32 {
		t.Fatalf("result %+v", res)
	}
	if _, off, err := message.ParseOffsetMsgID(res.OffsetMsgID); err != nil || off < 0 {
		t.Fatalf("OffsetMsgID %q: %v", res.OffsetMsgID, err)
	}
	got := storedIn(t, c, b, "p_send", 2)
	if len(got) != 1 {
		t.Fatalf("stored %d messages, want 1", len(got))
	}
	m := got[0]
	if m.MsgID != res.MsgID || m.Tag != "created" || !slices.Equal(m.Keys, msg.Keys) || string(m.Body) != "hello" ||
		m.Flag != 7 || m.Property("trace") != "t-1" || m.OffsetMsgID != res.OffsetMsgID {
		t.Fatalf("stored %+v (props %v), sent %+v", m, m.Properties(), msg)
	}
	if up := m.UserProperties(); len(up) != 1 || up["trace"] != "t-1" {
		t.Fatalf("UserProperties = %v", up)
	}
}

func TestProducerCompressesLargeBodies(t *testing.T) {
	b := startBroker(t)
	c, p := newTestProducer(t, b, "pg_zip")
	body := bytes.Repeat([]byte("rocketkit "), 1000) // 10000 bytes, > 4096
	if _, err := p.Send(t.Context(), &Message{Topic: "p_zip", Body: body}, ToQueue(MessageQueue{QueueID: 0, BrokerName: "broker-a"})); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Send(t.Context(), &Message{Topic: "p_zip", Body: []byte("small")}, ToQueue(MessageQueue{QueueID: 0, BrokerName: "broker-a"})); err != nil {
		t.Fatal(err)
	}
	got := storedIn(t, c, b, "p_zip", 0)
	if len(got) != 2 {
		t.Fatalf("stored %d", len(got))
	}
	if got[0].SysFlag&message.FlagCompressed == 0 || !bytes.Equal(got[0].Body, body) {
		t.Fatalf("large body: sysFlag %d, body %d bytes equal=%v", got[0].SysFlag, len(got[0].Body), bytes.Equal(got[0].Body, body))
	}
	if got[1].SysFlag&message.FlagCompressed != 0 || string(got[1].Body) != "small" {
		t.Fatalf("small body: sysFlag %d, body %q", got[1].SysFlag, got[1].Body)
	}
}

func TestProducerSendBatch(t *testing.T) {
	b := startBroker(t)
	c, p := newTestProducer(t, b, "pg_batch")
	var msgs []*Message
	for i := range 5 {
		msgs = append(msgs, &Message{Topic: "p_batch", Tag: "t" + strconv.Itoa(i), Body: []byte("m" + strconv.Itoa(i))})
	}
	res, err := p.SendBatch(t.Context(), msgs, ToQueue(MessageQueue{BrokerName: "broker-a", QueueID: 1}))
	if err != nil {
		t.Fatal(err)
	}
	ids := strings.Split(res.MsgID, ",")
	if len(ids) != 5 || len(strings.Split(res.OffsetMsgID, ",")) != 5 {
		t.Fatalf("result %+v", res)
	}
	got := storedIn(t, c, b, "p_batch", 1)
	if len(got) != 5 {
		t.Fatalf("stored %d, want 5", len(got))
	}
	for i, m := range got {
		if m.QueueOffset != int64(i) || string(m.Body) != "m"+strconv.Itoa(i) || m.Tag != "t"+strconv.Itoa(i) || m.MsgID != ids[i] {
			t.Fatalf("message %d: %+v", i, m)
		}
	}
	for _, bad := range [][]*Message{nil, {{Topic: "a", Body: []byte("x")}, {Topic: "b", Body: []byte("y")}},
		{{Topic: "a", Body: []byte("x"), DelayLevel: 2}}} {
		if _, err := p.SendBatch(t.Context(), bad); err == nil {
			t.Errorf("SendBatch(%v) succeeded", bad)
		}
	}
}

func TestProducerAsyncAndOneway(t *testing.T) {
	b := startBroker(t)
	c, p := newTestProducer(t, b, "pg_async")
	const n = 50
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for i := range n {
		wg.Add(1)
		p.SendAsync(t.Context(), &Message{Topic: "p_async", Body: []byte(strconv.Itoa(i))}, func(res *SendResult, err error) {
			defer wg.Done()
			if err == nil && res.Status != SendOK {
				err = errors.New(res.Status.String())
			}
			mu.Lock()
			errs = append(errs, err)
			mu.Unlock()
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil || len(errs) != n {
		t.Fatalf("%d callbacks, errors: %v", len(errs), err)
	}
	for i := range n {
		if err := p.SendOneway(t.Context(), &Message{Topic: "p_oneway", Body: []byte(strconv.Itoa(i))}); err != nil {
			t.Fatal(err)
		}
	}
	// One-way sends are written in order on the one connection: a sync
	// send after them is answered after they are stored.
	if _, err := p.Send(t.Context(), &Message{Topic: "p_oneway", Body: []byte("last")}); err != nil {
		t.Fatal(err)
	}
	total := 0
	for q := range 4 {
		total += len(storedIn(t, c, b, "p_oneway", q))
	}
	if total != n+1 {
		t.Fatalf("stored %d one-way messages + 1, want %d", total, n+1)
	}
}

func TestProducerHashKeyKeepsKeysOnOneQueue(t *testing.T) {
	b := startBroker(t)
	_, p := newTestProducer(t, b, "pg_hash")
	queueOf := map[string]map[int]bool{}
	for i := range 40 {
		key := "order-" + strconv.Itoa(i%8)
		res, err := p.Send(t.Context(), &Message{Topic: "p_hash", Body: []byte(strconv.Itoa(i))}, HashKey(key))
		if err != nil {
			t.Fatal(err)
		}
		if queueOf[key] == nil {
			queueOf[key] = map[int]bool{}
		}
		queueOf[key][res.Queue.QueueID] = true
	}
	used := map[int]bool{}
	for key, qs := range queueOf {
		if len(qs) != 1 {
			t.Fatalf("key %s went to queues %v", key, qs)
		}
		for q := range qs {
			used[q] = true
		}
	}
	if len(used) < 2 {
		t.Fatalf("8 keys all went to one queue: %v", used)
	}
}

func TestProducerRefusesBadMessages(t *testing.T) {
	b := startBroker(t)
	_, p := newTestProducer(t, b, "pg_bad")
	tests := []struct {
		name string
		msg  *Message
		want string
	}{
		{"nil", nil, "nil message"},
		{"empty body", &Message{Topic: "t"}, "empty body"},
		{"illegal topic", &Message{Topic: "a b", Body: []byte("x")}, "topic"},
		{"retry topic", &Message{Topic: "%RETRY%g", Body: []byte("x")}, "retry or dead-letter"},
		{"system property", &Message{Topic: "t", Body: []byte("x"), Properties: map[string]string{"UNIQ_KEY": "x"}}, "set by RocketMQ"},
		{"separator in property", &Message{Topic: "t", Body: []byte("x"), Properties: map[string]string{"k": "a\x01b"}}, "property"},
		{"delay and time", &Message{Topic: "t", Body: []byte("x"), DelayLevel: 1, DeliverAt: time.Now()}, "not both"},
		{"too large", &Message{Topic: "t", Body: make([]byte, 4<<20+1)}, "MaxMessageSize"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := p.Send(t.Context(), tt.msg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Send = %v, want an error saying %q", err, tt.want)
			}
		})
	}
	if _, err := newTestClient(t, b, "x").NewProducer(ProducerConfig{Group: "bad group"}); err == nil {
		t.Fatal("a producer with an illegal group was made")
	}
	p.Close()
	if _, err := p.Send(t.Context(), &Message{Topic: "t", Body: []byte("x")}); !errors.Is(err, ErrClosed) {
		t.Fatalf("Send after Close = %v, want ErrClosed", err)
	}
}

func TestProducerBrokerRefusalIsAnError(t *testing.T) {
	b := startBroker(t, func(c *broker.Config) { c.DisableAutoCreateTopic = true; c.MaxMessageSize = 100 })
	_, p := newTestProducer(t, b, "pg_refused")
	_, err := p.Send(t.Context(), &Message{Topic: "p_missing", Body: []byte("x")})
	if !errors.Is(err, ErrTopicNotExist) {
		t.Fatalf("send to a missing topic = %v, want ErrTopicNotExist", err)
	}
	_, err = p.Send(t.Context(), &Message{Topic: "TBW102", Body: make([]byte, 200)})
	var be *BrokerError
	if !errors.As(err, &be) || !errors.Is(err, &remoting.Error{Code: remoting.MessageIllegal}) {
		t.Fatalf("oversized send = %v, want a BrokerError with MESSAGE_ILLEGAL", err)
	}
}

func TestProducerDelayAndDeliverAt(t *testing.T) {
	b := startBroker(t)
	c, p := newTestProducer(t, b, "pg_delay")
	q := ToQueue(MessageQueue{BrokerName: "broker-a", QueueID: 0})
	if _, err := p.Send(t.Context(), &Message{Topic: "p_delay", Body: []byte("level"), DelayLevel: 3}, q); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Send(t.Context(), &Message{Topic: "p_delay", Body: []byte("at"), DeliverAt: time.Now().Add(200 * time.Millisecond)}, q); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "both delayed messages delivered", func() bool { return len(storedIn(t, c, b, "p_delay", 0)) == 2 })
	for _, m := range storedIn(t, c, b, "p_delay", 0) {
		if m.Property(message.PropertyDelay) != "" || m.Property(message.PropertyTimerDeliverMS) != "" {
			t.Fatalf("delivered message still carries its delay: %v", m.Properties())
		}
	}
}

func TestTransactionCommitRollbackAndCheckBack(t *testing.T) {
	b := startBroker(t, func(c *broker.Config) {
		c.TransactionTimeout = 100 * time.Millisecond
		c.TransactionCheckInterval = 100 * time.Millisecond
	})
	c := newTestClient(t, b, "tx")
	checked := make(chan string, 4)
	p, err := c.NewTransactionProducer(ProducerConfig{Group: "pg_tx"}, TransactionCheckerFunc(
		func(ctx context.Context, m *MessageExt) TransactionState {
			checked <- string(m.Body)
			if m.Topic != "p_tx" || m.Property("order") != "3" {
				t.Errorf("checked message: topic %q, props %v", m.Topic, m.Properties())
			}
			return CommitTransaction
		}))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	q := ToQueue(MessageQueue{BrokerName: "broker-a", QueueID: 0})
	_ = q
	for _, tt := range []struct {
		body  string
		state TransactionState
	}{{"commit", CommitTransaction}, {"rollback", RollbackTransaction}, {"unknown", UnknownTransaction}} {
		res, state, err := p.SendInTransaction(t.Context(), &Message{Topic: "p_tx", Body: []byte(tt.body),
			Properties: map[string]string{"order": "3"}},
			func(ctx context.Context, res *SendResult) TransactionState { return tt.state })
		if err != nil || state != tt.state || res.TransactionID == "" {
			t.Fatalf("%s: %+v %v %v", tt.body, res, state, err)
		}
	}
	select {
	case body := <-checked:
		if body != "unknown" {
			t.Fatalf("checked %q, want the unknown one", body)
		}
	case <-time.After(waitTimeout):
		t.Fatal("no check-back")
	}
	waitUntil(t, "commit and checked-back commit visible", func() bool {
		var all []string
		for q := range 4 {
			for _, m := range storedIn(t, c, b, "p_tx", q) {
				all = append(all, string(m.Body))
			}
		}
		slices.Sort(all)
		return slices.Equal(all, []string{"commit", "unknown"})
	})
	plain, err := c.NewProducer(ProducerConfig{Group: "pg_plain"})
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	if _, _, err := plain.SendInTransaction(t.Context(), &Message{Topic: "p_tx", Body: []byte("x")}, nil); err == nil {
		t.Fatal("a plain producer sent in a transaction")
	}
}
