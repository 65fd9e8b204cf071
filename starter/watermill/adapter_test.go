package watermill_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/rocketkit/rocketkit/broker"
	"github.com/rocketkit/rocketkit/internal/backendtest"
	rmqwm "github.com/rocketkit/rocketkit/starter/watermill"
	"github.com/rocketkit/rocketkit/transport"
)

func TestRoundTripKeepsUUIDMetadataPayloadAndTag(t *testing.T) {
	for _, bk := range backendtest.Backends {
		t.Run(bk.Name, func(t *testing.T) {
			t.Parallel()
			b := startBroker(t)
			be := bk.Open(t, b)
			testRoundTrip(t, publisherOn(t, be, rmqwm.PublisherConfig{}), subscriberOn(t, be, b.Addr(), "roundtrip"))
		})
	}
}

func testRoundTrip(t *testing.T, pub *rmqwm.Publisher, sub *rmqwm.Subscriber) {

	msg := message.NewMessage("uuid with spaces and ünïcode", []byte("payload"))
	msg.Metadata.Set("customer", "ada")
	msg.Metadata.Set("empty", "")
	msg.Metadata.Set("keys-lookalike", "KEYS")
	empty := message.NewMessage(watermill.NewUUID(), nil)
	if err := pub.Publish("roundtrip:created", msg, empty); err != nil {
		t.Fatalf("publish: %v", err)
	}
	ch, err := sub.Subscribe(t.Context(), "roundtrip")
	if err != nil {
		t.Fatalf("subscribe: %v", err)
	}
	got := map[string]*message.Message{}
	for range 2 {
		m := receive(t, ch)
		got[m.UUID] = m
		m.Ack()
	}

	m := got[msg.UUID]
	if m == nil {
		t.Fatalf("UUID %q not received; got %v", msg.UUID, slicesOf(got))
	}
	if string(m.Payload) != "payload" {
		t.Errorf("payload = %q", m.Payload)
	}
	if !maps.Equal(m.Metadata, msg.Metadata) {
		t.Errorf("metadata = %v, want %v", m.Metadata, msg.Metadata)
	}
	ctx := m.Context()
	if tag, ok := rmqwm.TagFromCtx(ctx); !ok || tag != "created" {
		t.Errorf("TagFromCtx = %q, %v", tag, ok)
	}
	if id, ok := rmqwm.MsgIDFromCtx(ctx); !ok || id == "" {
		t.Errorf("MsgIDFromCtx = %q, %v", id, ok)
	}
	if q, ok := rmqwm.QueueIDFromCtx(ctx); !ok || q < 0 || q > 3 {
		t.Errorf("QueueIDFromCtx = %d, %v", q, ok)
	}
	if off, ok := rmqwm.QueueOffsetFromCtx(ctx); !ok || off < 0 {
		t.Errorf("QueueOffsetFromCtx = %d, %v", off, ok)
	}
	if n, ok := rmqwm.ReconsumeTimesFromCtx(ctx); !ok || n != 0 {
		t.Errorf("ReconsumeTimesFromCtx = %d, %v", n, ok)
	}
	if name, ok := rmqwm.BrokerNameFromCtx(ctx); !ok || name == "" {
		t.Errorf("BrokerNameFromCtx = %q, %v", name, ok)
	}

	e := got[empty.UUID]
	if e == nil {
		t.Fatalf("message with empty payload not received")
	}
	if len(e.Payload) != 0 || len(e.Metadata) != 0 {
		t.Errorf("empty message came back as payload %q metadata %v", e.Payload, e.Metadata)
	}
}

func slicesOf(m map[string]*message.Message) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestPublishRefusesBadMetadata(t *testing.T) {
	// NewPublisher does not contact the broker, and messages are checked
	// before anything is sent.
	pub := newPublisher(t, "127.0.0.1:9")
	tests := []struct {
		name string
		key  string
		val  string
		want error
	}{
		{"keys", "KEYS", "x", rmqwm.ErrReservedMetadata},
		{"tags", "TAGS", "x", rmqwm.ErrReservedMetadata},
		{"delay", "DELAY", "3", rmqwm.ErrReservedMetadata},
		{"uniq key", "UNIQ_KEY", "x", rmqwm.ErrReservedMetadata},
		{"timer", "TIMER_DELIVER_MS", "1", rmqwm.ErrReservedMetadata},
		{"transaction", "TRAN_MSG", "true", rmqwm.ErrReservedMetadata},
		{"uuid property", rmqwm.UUIDProperty, "x", rmqwm.ErrReservedMetadata},
		{"transient", "__RMQ.TRANSIENT.TOPIC_SYS_FLAG", "1", rmqwm.ErrReservedMetadata},
		{"empty key", "", "x", rmqwm.ErrInvalidMetadata},
		{"separator in key", "a\x01b", "x", rmqwm.ErrInvalidMetadata},
		{"separator in value", "a", "x\x02y", rmqwm.ErrInvalidMetadata},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok := message.NewMessage("ok", nil)
			bad := message.NewMessage("bad", nil)
			bad.Metadata.Set(tt.key, tt.val)
			err := pub.Publish("orders", ok, bad)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Publish = %v, want %v", err, tt.want)
			}
			if tt.key != "" && !strings.Contains(err.Error(), "bad") {
				t.Errorf("error %q does not name the message", err)
			}
		})
	}
}

// A client's first send to a topic looks its route up, and concurrent
// first sends must not fail meanwhile: the official client publishes the
// topic's queues to them before the broker's address. Each round has a
// fresh publisher (on the official backend a client instance of its own,
// which knows no broker yet) and a fresh topic.
func TestConcurrentFirstPublishesToNewTopic(t *testing.T) {
	for _, bk := range backendtest.Backends {
		t.Run(bk.Name, func(t *testing.T) {
			t.Parallel()
			b := startBroker(t)
			be := bk.Open(t, b)
			for round := range 20 {
				pub := publisherOn(t, be, rmqwm.PublisherConfig{})
				topic := fmt.Sprintf("fresh-%d", round)
				var wg sync.WaitGroup
				errs := make(chan error, 200)
				for i := range 200 {
					wg.Go(func() {
						if err := pub.Publish(topic, message.NewMessage(fmt.Sprint(i), nil)); err != nil {
							errs <- err
						}
					})
				}
				wg.Wait()
				close(errs)
				for err := range errs {
					t.Fatalf("publish to new topic %s: %v", topic, err)
				}
				if err := pub.Close(); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

func TestTopicMapping(t *testing.T) {
	pub := newPublisher(t, "127.0.0.1:9")
	sub := newSubscriber(t, "127.0.0.1:9", "g")
	tests := []struct {
		name      string
		topic     string
		publish   bool // else subscribe
		wantError bool
	}{
		{"empty", "", true, true},
		{"space", "bad topic", true, true},
		{"empty tag", "orders:", true, true},
		{"publish expression", "orders:a || b", true, true},
		{"publish to retry topic", "%RETRY%g", true, true},
		{"publish to DLQ", "%DLQ%g", true, true},
		{"too long", strings.Repeat("t", 128), true, true},
		{"subscribe empty", "", false, true},
		{"subscribe empty expression", "orders:", false, true},
		{"subscribe retry topic", "%RETRY%g", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			if tt.publish {
				err = pub.Publish(tt.topic, message.NewMessage("x", nil))
			} else {
				_, err = sub.Subscribe(t.Context(), tt.topic)
			}
			if got := errors.Is(err, rmqwm.ErrInvalidTopic); got != tt.wantError {
				t.Fatalf("err = %v, want ErrInvalidTopic: %v", err, tt.wantError)
			}
		})
	}
}

func TestSubscribeFiltersByTagExpression(t *testing.T) {
	b := startBroker(t)
	// One queue and an orderly subscriber: once the last message arrives,
	// every earlier one was delivered or filtered out.
	pub := newPublisher(t, b.Addr(), rmqwm.WithHashKey(func(string, *message.Message) string { return "one" }))
	for _, tag := range []string{"created", "shipped", "paid", "created"} {
		if err := pub.Publish("orders:"+tag, message.NewMessage(tag+"-"+watermill.NewShortUUID(), []byte(tag))); err != nil {
			t.Fatal(err)
		}
	}
	if err := pub.Publish("orders", message.NewMessage("untagged", nil)); err != nil {
		t.Fatal(err)
	}
	if err := pub.Publish("orders:paid", message.NewMessage("last", []byte("last"))); err != nil {
		t.Fatal(err)
	}
	ch, err := newSubscriber(t, b.Addr(), "tags", func(c *rmqwm.SubscriberConfig) { c.Orderly = true }).
		Subscribe(t.Context(), "orders:created||paid")
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	for {
		m := receive(t, ch)
		m.Ack()
		if m.UUID == "last" {
			break
		}
		counts[string(m.Payload)]++
	}
	if len(counts) != 2 || counts["created"] != 2 || counts["paid"] != 1 {
		t.Errorf("received %v before the last message, want created:2 paid:1", counts)
	}
}

func TestSubscribeRefusesConflictingGroupUse(t *testing.T) {
	b := startBroker(t)
	fixed := newSubscriber(t, b.Addr(), "fixed")
	if _, err := fixed.Subscribe(t.Context(), "alpha"); err != nil {
		t.Fatal(err)
	}
	if _, err := fixed.Subscribe(t.Context(), "alpha"); err != nil {
		t.Errorf("second member of the same subscription: %v", err)
	}
	if _, err := fixed.Subscribe(t.Context(), "beta"); !errors.Is(err, rmqwm.ErrGroupConflict) {
		t.Errorf("other topic in the same group: %v, want ErrGroupConflict", err)
	}
	if _, err := fixed.Subscribe(t.Context(), "alpha:created"); !errors.Is(err, rmqwm.ErrGroupConflict) {
		t.Errorf("other expression in the same group: %v, want ErrGroupConflict", err)
	}

	perTopic := newSubscriber(t, b.Addr(), "pt-{topic}")
	for _, topic := range []string{"alpha", "beta"} {
		if _, err := perTopic.Subscribe(t.Context(), topic); err != nil {
			t.Errorf("subscribe %s with a per-topic group: %v", topic, err)
		}
	}

	// A closed subscription frees its group.
	ctx, cancel := context.WithCancel(t.Context())
	once := newSubscriber(t, b.Addr(), "once")
	ch, err := once.Subscribe(ctx, "alpha")
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	for range ch {
	}
	if _, err := once.Subscribe(t.Context(), "beta"); err != nil {
		t.Errorf("subscribe after the group's subscription closed: %v", err)
	}
}

func TestNackRedeliversThroughRetryTopic(t *testing.T) {
	for _, bk := range backendtest.Backends {
		t.Run(bk.Name, func(t *testing.T) {
			t.Parallel()
			b := startBroker(t)
			be := bk.Open(t, b)
			testNackRedelivers(t, b.Addr(), be)
		})
	}
}

func testNackRedelivers(t *testing.T, addr string, be transport.Backend) {
	pub := publisherOn(t, be, rmqwm.PublisherConfig{})
	msg := message.NewMessage(watermill.NewUUID(), []byte("x"))
	msg.Metadata.Set("k", "v")
	if err := pub.Publish("nack", msg); err != nil {
		t.Fatal(err)
	}
	ch, err := subscriberOn(t, be, addr, "nack", func(c *rmqwm.SubscriberConfig) {
		c.NackDelayLevel = 1
	}).Subscribe(t.Context(), "nack")
	if err != nil {
		t.Fatal(err)
	}
	first := receive(t, ch)
	first.Nack()
	select {
	case <-first.Context().Done():
	case <-time.After(receiveTimeout):
		t.Error("message context not cancelled after Nack")
	}
	again := receive(t, ch)
	again.Ack()
	if again.UUID != msg.UUID || again.Metadata.Get("k") != "v" {
		t.Errorf("redelivered %s %v, want %s with k=v", again.UUID, again.Metadata, msg.UUID)
	}
	if n, _ := rmqwm.ReconsumeTimesFromCtx(again.Context()); n != 1 {
		t.Errorf("ReconsumeTimes = %d, want 1", n)
	}
}

func TestNackAfterMaxReconsumeTimesGoesToDLQ(t *testing.T) {
	b := startBroker(t)
	pub := newPublisher(t, b.Addr())
	msg := message.NewMessage(watermill.NewUUID(), []byte("poison"))
	if err := pub.Publish("poison", msg); err != nil {
		t.Fatal(err)
	}
	sub := newSubscriber(t, b.Addr(), "poison", func(c *rmqwm.SubscriberConfig) {
		c.MaxReconsumeTimes = 2
	})
	ch, err := sub.Subscribe(t.Context(), "poison")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 { // first delivery and two redeliveries
		m := receive(t, ch)
		if n, _ := rmqwm.ReconsumeTimesFromCtx(m.Context()); n != int32(i) {
			t.Errorf("delivery %d: ReconsumeTimes = %d", i, n)
		}
		m.Nack()
	}
	// The dead-letter topic can be read like any other.
	dlq, err := newSubscriber(t, b.Addr(), "poison-dlq-reader").Subscribe(t.Context(), "%DLQ%poison")
	if err != nil {
		t.Fatal(err)
	}
	dead := receive(t, dlq)
	dead.Ack()
	if dead.UUID != msg.UUID || string(dead.Payload) != "poison" {
		t.Errorf("DLQ holds %s %q, want %s", dead.UUID, dead.Payload, msg.UUID)
	}
}

func TestBroadcastingDeliversToEverySubscriberAndRedeliversNacks(t *testing.T) {
	b := startBroker(t)
	pub := newPublisher(t, b.Addr())
	broadcast := func(c *rmqwm.SubscriberConfig) {
		c.MessageModel = rmqwm.Broadcasting
		c.OffsetDir = t.TempDir()
	}
	if err := pub.Publish("news", message.NewMessage("n1", []byte("x"))); err != nil {
		t.Fatal(err)
	}
	a, err := newSubscriber(t, b.Addr(), "readers", broadcast).Subscribe(t.Context(), "news")
	if err != nil {
		t.Fatal(err)
	}
	c, err := newSubscriber(t, b.Addr(), "readers", broadcast).Subscribe(t.Context(), "news")
	if err != nil {
		t.Fatal(err)
	}
	receive(t, a).Nack()
	if m := receive(t, a); m.UUID != "n1" {
		t.Errorf("redelivered %s, want n1", m.UUID)
	} else {
		m.Ack()
	}
	if m := receive(t, c); m.UUID != "n1" {
		t.Errorf("second subscriber got %s, want n1", m.UUID)
	} else {
		m.Ack()
	}
}

func TestConsumeFromLastSkipsOlderMessages(t *testing.T) {
	// Like Java, the broker starts a new group at the beginning of a queue
	// whose first message is still "in memory"; make no queue young.
	b := startBroker(t, func(c *broker.Config) { c.InMemoryWindow = -1 })
	pub := newPublisher(t, b.Addr())
	for i := range 8 { // on every queue
		if err := pub.Publish("late", message.NewMessage(fmt.Sprintf("old-%d", i), []byte("x"))); err != nil {
			t.Fatal(err)
		}
	}
	ch, err := newSubscriber(t, b.Addr(), "late", func(c *rmqwm.SubscriberConfig) {
		c.ConsumeFrom = rmqwm.ConsumeFromLast
	}).Subscribe(t.Context(), "late")
	if err != nil {
		t.Fatal(err)
	}
	// The start offsets are fixed before Subscribe returns.
	const n = 8
	for i := range n {
		if err := pub.Publish("late", message.NewMessage(fmt.Sprintf("new-%d", i), []byte("x"))); err != nil {
			t.Fatal(err)
		}
	}
	for range n {
		m := receive(t, ch)
		m.Ack()
		if strings.HasPrefix(m.UUID, "old") {
			t.Fatalf("received %s, published before the group existed", m.UUID)
		}
	}
}

func TestClosedPublisherAndSubscriberRefuse(t *testing.T) {
	b := startBroker(t)
	pub := newPublisher(t, b.Addr())
	sub := newSubscriber(t, b.Addr(), "closing")
	ch, err := sub.Subscribe(t.Context(), "closing")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []interface{ Close() error }{pub, sub, pub, sub} {
		if err := c.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	}
	if _, open := <-ch; open {
		t.Error("output channel still open after Close")
	}
	if err := pub.Publish("closing", message.NewMessage("x", nil)); !errors.Is(err, rmqwm.ErrPublisherClosed) {
		t.Errorf("Publish after Close = %v, want ErrPublisherClosed", err)
	}
	if _, err := sub.Subscribe(t.Context(), "closing"); !errors.Is(err, rmqwm.ErrSubscriberClosed) {
		t.Errorf("Subscribe after Close = %v, want ErrSubscriberClosed", err)
	}
}

func TestUnackedMessagesSurviveClose(t *testing.T) {
	for _, bk := range backendtest.Backends {
		t.Run(bk.Name, func(t *testing.T) {
			t.Parallel()
			b := startBroker(t)
			be := bk.Open(t, b)
			testUnackedSurviveClose(t, b.Addr(), be)
		})
	}
}

func testUnackedSurviveClose(t *testing.T, addr string, be transport.Backend) {
	pub := publisherOn(t, be, rmqwm.PublisherConfig{})
	for _, id := range []string{"a", "b", "c"} {
		if err := pub.Publish("survive", message.NewMessage(id, nil)); err != nil {
			t.Fatal(err)
		}
	}
	first := subscriberOn(t, be, addr, "survive")
	ch, err := first.Subscribe(t.Context(), "survive")
	if err != nil {
		t.Fatal(err)
	}
	held := receive(t, ch) // neither acked nor nacked
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-held.Context().Done():
	default:
		t.Error("context of an unacked message not cancelled by Close")
	}

	ch, err = subscriberOn(t, be, addr, "survive").Subscribe(t.Context(), "survive")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for len(seen) < 3 {
		m := receive(t, ch)
		seen[m.UUID] = true
		m.Ack()
	}
	if !seen[held.UUID] {
		t.Errorf("unacked %s was not redelivered", held.UUID)
	}
}
