package inbox_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/admin"
	"github.com/rocketkit/rocketkit/broker"
	"github.com/rocketkit/rocketkit/broker/brokertest"
	"github.com/rocketkit/rocketkit/client"
	"github.com/rocketkit/rocketkit/internal/clienttest"
	"github.com/rocketkit/rocketkit/outbox"
	"github.com/rocketkit/rocketkit/outbox/inbox"
	"github.com/rocketkit/rocketkit/transport"
	"github.com/rocketkit/rocketkit/transport/official"
)

// KeyOf on messages as consumers of either backend receive them: the
// outbox key when the message carries one, else the producer's message id.
func TestKeyOf(t *testing.T) {
	b := brokertest.Start(t)
	for _, kind := range []struct {
		name string
		open func(client.Config) (transport.Backend, error)
	}{
		{transport.NativeName, func(c client.Config) (transport.Backend, error) { return transport.Native(c) }},
		{official.Name, func(c client.Config) (transport.Backend, error) {
			return official.New(c, official.WithQuietWait(b.WaitQuiet))
		}},
	} {
		t.Run(kind.name, func(t *testing.T) {
			be, err := kind.open(client.Config{NameServers: []string{b.Addr()}, InstanceName: clienttest.UniqueName("inbox")})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = be.Close() })
			topic := clienttest.UniqueName("inbox_keys")
			createTopic(t, b, topic)
			got := receive(t, be, topic, 2)
			p, err := be.NewProducer(client.ProducerConfig{Group: clienttest.UniqueName("pg")})
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			const outboxKey = "01890a5d-ac96-774b-bcce-b302099a8057"
			ctx := t.Context()
			if _, err := p.Send(ctx, &client.Message{Topic: topic, Tag: "keyed", Body: []byte("a"),
				Properties: map[string]string{outbox.KeyProperty: outboxKey}}); err != nil {
				t.Fatal(err)
			}
			plain, err := p.Send(ctx, &client.Message{Topic: topic, Tag: "plain", Body: []byte("b")})
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]string{"keyed": outboxKey, "plain": plain.MsgID}
			for _, m := range got() {
				if k := inbox.KeyOf(m); k != want[m.Tag] || k == "" {
					t.Errorf("KeyOf(%s message) = %q, want %q", m.Tag, k, want[m.Tag])
				}
			}
		})
	}
}

// createTopic creates topic on b (a consumer needs it to exist).
func createTopic(t *testing.T, b *broker.Broker, topic string) {
	t.Helper()
	ac, err := admin.New(admin.Config{NameServers: []string{b.Addr()}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ac.UpdateTopic(t.Context(), admin.TopicSpec{Topic: topic, Brokers: []string{b.Addr()}}); err != nil {
		t.Fatal(err)
	}
}

// receive starts a consumer of topic on be and returns a function that
// waits for n messages and returns them.
func receive(t *testing.T, be transport.Backend, topic string, n int) func() []*client.MessageExt {
	t.Helper()
	var (
		mu   sync.Mutex
		msgs []*client.MessageExt
		all  = make(chan struct{})
	)
	c, err := be.NewConsumer(client.ConsumerConfig{Group: clienttest.UniqueName("cg"),
		Subscriptions: []client.Subscription{{Topic: topic}}, ConsumeFrom: client.ConsumeFromFirstOffset},
		func(_ context.Context, got []*client.MessageExt) client.ConsumeResult {
			mu.Lock()
			defer mu.Unlock()
			msgs = append(msgs, got...)
			if len(msgs) == n {
				close(all)
			}
			return client.ConsumeSuccess
		})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	return func() []*client.MessageExt {
		select {
		case <-all:
		case <-time.After(30 * time.Second):
			mu.Lock()
			defer mu.Unlock()
			t.Fatalf("received %d of %d messages", len(msgs), n)
		}
		mu.Lock()
		defer mu.Unlock()
		return append([]*client.MessageExt(nil), msgs...)
	}
}
