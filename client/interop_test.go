package client

// Interop with the official Go client: what this client's producer sends,
// the official consumer reads as sent (bodies, compressed bodies, tags,
// keys, properties, batches), and the official client's ACL signature is
// the one this client computes.

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"sync"
	"testing"

	rocketmq "github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
	"github.com/rocketkit/rocketkit/internal/clienttest"
	"github.com/rocketkit/rocketkit/protocol/aclsign"
	"github.com/rocketkit/rocketkit/protocol/remoting"
)

func TestOurProducerToOfficialConsumer(t *testing.T) {
	b := startBroker(t)
	_, p := newTestProducer(t, b, "interop_pg")
	big := bytes.Repeat([]byte("0123456789"), 2000) // 20000 bytes: compressed on the wire
	sent := []*Message{
		{Topic: "interop", Tag: "TagA", Keys: []string{"k1", "k2"}, Body: []byte("plain"), Properties: map[string]string{"p": "v"}},
		{Topic: "interop", Tag: "TagB", Body: big},
	}
	for _, m := range sent {
		if _, err := p.Send(t.Context(), m); err != nil {
			t.Fatal(err)
		}
	}
	batch := []*Message{{Topic: "interop", Tag: "TagC", Body: []byte("b1")}, {Topic: "interop", Tag: "TagC", Body: []byte("b2")}}
	res, err := p.SendBatch(t.Context(), batch)
	if err != nil {
		t.Fatal(err)
	}
	batchIDs := strings.Split(res.MsgID, ",")

	var (
		mu   sync.Mutex
		got  = map[string]*primitive.MessageExt{}
		done = make(chan struct{})
		once sync.Once
	)
	c := clienttest.NewConsumer(t, b, consumer.WithNameServer(primitive.NamesrvAddr{b.Addr()}),
		consumer.WithGroupName("interop_cg"), consumer.WithInstance("interop-official"),
		consumer.WithConsumeFromWhere(consumer.ConsumeFromFirstOffset))
	err = c.Subscribe("interop", consumer.MessageSelector{Type: consumer.TAG, Expression: "*"},
		func(_ context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
			mu.Lock()
			defer mu.Unlock()
			for _, m := range msgs {
				got[string(m.Body[:min(len(m.Body), 5)])] = m
			}
			if len(got) == 4 {
				once.Do(func() { close(done) })
			}
			return consumer.ConsumeSuccess, nil
		})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	waitChan(t, done, "the official consumer to read all four messages")
	mu.Lock()
	defer mu.Unlock()
	plain := got["plain"]
	if plain.GetTags() != "TagA" || !slices.Equal(strings.Fields(plain.GetKeys()), []string{"k1", "k2"}) ||
		plain.GetProperty("p") != "v" || len(plain.MsgId) != 32 {
		t.Errorf("plain message as the official client reads it: tags %q keys %q p=%q id %q",
			plain.GetTags(), plain.GetKeys(), plain.GetProperty("p"), plain.MsgId)
	}
	if m := got["01234"]; m == nil || !bytes.Equal(m.Body, big) || m.GetTags() != "TagB" {
		t.Errorf("the compressed body did not round-trip through the official consumer")
	}
	for i, body := range []string{"b1", "b2"} {
		m := got[body]
		if m == nil || m.GetTags() != "TagC" || m.MsgId != batchIDs[i] {
			t.Errorf("batch message %s: %+v, want id %s", body, m, batchIDs[i])
		}
	}
}

func TestACLSignatureMatchesOfficialClient(t *testing.T) {
	_, tap := tappedBroker(t)
	cred := primitive.Credentials{AccessKey: "rocketkit", SecretKey: "12345678"}
	p, err := rocketmq.NewProducer(producer.WithNameServer(primitive.NamesrvAddr{tap.Addr()}),
		producer.WithGroupName("acl_pg"), producer.WithInstanceName("acl-official"), producer.WithCredentials(cred))
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	if _, err := p.SendSync(t.Context(), primitive.NewMessage("acl", []byte("signed")).WithTag("t")); err != nil {
		t.Fatal(err)
	}
	_ = p.Shutdown()
	checked := 0
	for _, code := range []int16{remoting.GetRouteInfoByTopic, remoting.SendMessage} {
		for _, req := range tap.Requests(code) {
			want := req.ExtFields.Get(aclsign.FieldSignature)
			if want == "" || req.ExtFields.Get(aclsign.FieldAccessKey) != cred.AccessKey {
				t.Fatalf("%s from the official client is not signed: %v", remoting.RequestName(code), req.ExtFields)
			}
			if got := aclsign.Signature(req, cred.SecretKey); got != want {
				t.Errorf("%s: our signature %s, the official client's %s", remoting.RequestName(code), got, want)
			}
			checked++
		}
	}
	if checked < 2 {
		t.Fatalf("checked %d signed requests", checked)
	}
}

func TestOfficialProducerToOurConsumer(t *testing.T) {
	b := startBroker(t)
	p, err := rocketmq.NewProducer(producer.WithNameServer(primitive.NamesrvAddr{b.Addr()}),
		producer.WithGroupName("interop_official_pg"), producer.WithInstanceName("interop-official-p"))
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	big := bytes.Repeat([]byte("abcdefghij"), 2000) // compressed by the official client
	plain := primitive.NewMessage("interop_rev", []byte("plain")).WithTag("TagA").WithKeys([]string{"k1", "k2"})
	plain.WithProperty("p", "v")
	for _, m := range []*primitive.Message{plain, primitive.NewMessage("interop_rev", big).WithTag("TagB")} {
		if _, err := p.SendSync(t.Context(), m); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := p.SendSync(t.Context(), primitive.NewMessage("interop_rev", []byte("b1")).WithTag("TagC"),
		primitive.NewMessage("interop_rev", []byte("b2")).WithTag("TagC")); err != nil {
		t.Fatal(err)
	}
	_ = p.Shutdown()

	c := newTestClient(t, b, "interop-ours")
	in := newInbox()
	con := startConsumer(t, c, ConsumerConfig{Group: "interop_rev_cg", ConsumeFrom: ConsumeFromFirstOffset,
		Subscriptions: []Subscription{{Topic: "interop_rev"}}}, in.handler(nil))
	got := map[string]*MessageExt{}
	for _, m := range in.wait(t, 4) {
		got[string(m.Body[:min(len(m.Body), 5)])] = m
	}
	closeConsumer(t, con)
	if m := got["plain"]; m == nil || m.Tag != "TagA" || !slices.Equal(m.Keys, []string{"k1", "k2"}) ||
		m.Property("p") != "v" || m.UserProperties()["p"] != "v" || len(m.MsgID) != 32 {
		t.Errorf("plain message as we read it: %+v", m)
	}
	if m := got["abcde"]; m == nil || !bytes.Equal(m.Body, big) || m.SysFlag&1 == 0 || m.Tag != "TagB" {
		t.Errorf("the official client's compressed body did not round-trip")
	}
	for _, body := range []string{"b1", "b2"} {
		if m := got[body]; m == nil || m.Tag != "TagC" {
			t.Errorf("batch message %s: %+v", body, m)
		}
	}
}
