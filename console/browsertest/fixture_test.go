package browsertest

import (
	"context"
	"fmt"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/admin"
	"github.com/rocketkit/rocketkit/broker"
	"github.com/rocketkit/rocketkit/broker/brokertest"
	"github.com/rocketkit/rocketkit/client"
	"github.com/rocketkit/rocketkit/console"
	"github.com/rocketkit/rocketkit/protocol/message"
)

// Figures of the data the fixture writes.
const (
	ordersTopic    = "orders"
	billingGroup   = "billing"        // consumed the first ordersConsumed messages of ordersTopic
	ordersConsumed = 40               // then ordersLag more were sent
	ordersLag      = 25               // billing's lag
	paymentsTopic  = "payments"       // dlqGroup dead-letters its poison message
	dlqGroup       = "payments-audit" // consumes paymentsTopic
	poisonKey      = "poison-1"
)

// fixture is a broker with data, a console over it, and a consumer of
// dlqGroup that dead-letters the poison message once and reports the
// copies resent to it.
type fixture struct {
	b      *broker.Broker
	adm    *admin.Client
	cl     *client.Client
	prod   *client.Producer
	url    string
	resent chan *client.MessageExt
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := t.Context()
	f := &fixture{b: brokertest.Start(t), resent: make(chan *client.MessageExt, 4)}
	var err error
	if f.adm, err = admin.New(admin.Config{NameServers: []string{f.b.Addr()}, Timeout: 10 * time.Second}); err != nil {
		t.Fatal(err)
	}
	if f.cl, err = client.New(client.Config{NameServers: []string{f.b.Addr()}}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.cl.Close() })
	if f.prod, err = f.cl.NewProducer(client.ProducerConfig{Group: "browsertest-pg"}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.prod.Close() })

	// billing consumes the first ordersConsumed orders and goes away.
	f.sendOrders(t, 0, ordersConsumed)
	got := make(chan string, ordersConsumed*2)
	con, err := f.cl.NewConsumer(client.ConsumerConfig{Group: billingGroup, ConsumeFrom: client.ConsumeFromFirstOffset,
		Subscriptions: []client.Subscription{{Topic: ordersTopic, Expression: "*"}}},
		func(_ context.Context, msgs []*client.MessageExt) client.ConsumeResult {
			for _, m := range msgs {
				got <- m.MsgID
			}
			return client.ConsumeSuccess
		})
	if err != nil {
		t.Fatal(err)
	}
	if err := con.Start(ctx); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	deadline := time.After(60 * time.Second)
	for len(seen) < ordersConsumed {
		select {
		case id := <-got:
			seen[id] = true
		case <-deadline:
			t.Fatalf("billing consumed %d of %d orders in 60s", len(seen), ordersConsumed)
		}
	}
	if err := con.Close(ctx); err != nil { // commits its offsets
		t.Fatal(err)
	}
	f.sendOrders(t, ordersConsumed, ordersLag)
	if lag := f.lag(t); lag != ordersLag {
		t.Fatalf("billing's lag is %d, want %d", lag, ordersLag)
	}

	f.startAuditor(t)
	f.send(t, &client.Message{Topic: paymentsTopic, Tag: "card", Keys: []string{poisonKey},
		Body: []byte(`{"payment":"p-1","amount":12.5}`), Properties: map[string]string{"origin": "checkout"}})
	f.waitDLQ(t)

	con2, err := console.New(f.adm, console.Config{SampleInterval: 200 * time.Millisecond}, console.WithSender(f.prod))
	if err != nil {
		t.Fatal(err)
	}
	sctx, stop := context.WithCancel(context.Background())
	sampled := make(chan error, 1)
	go func() { sampled <- con2.Run(sctx) }()
	t.Cleanup(func() { stop(); <-sampled })
	srv := httptest.NewServer(con2)
	t.Cleanup(srv.Close)
	f.url = srv.URL
	return f
}

func (f *fixture) send(t *testing.T, m *client.Message) *client.SendResult {
	t.Helper()
	res, err := f.prod.Send(t.Context(), m)
	if err != nil {
		t.Fatalf("send: %v", err)
	}
	return res
}

// sendOrders sends orders from..from+n, each keyed order-<i> with a JSON body.
func (f *fixture) sendOrders(t *testing.T, from, n int) {
	for i := from; i < from+n; i++ {
		f.send(t, &client.Message{Topic: ordersTopic, Tag: "created", Keys: []string{fmt.Sprintf("order-%d", i)},
			Body: fmt.Appendf(nil, `{"order":%d,"customer":"c-%d","items":["book","pen"],"total":%d.5}`, i, i%7, 10+i)})
	}
}

// lag is billing's total lag on ordersTopic, as the admin client reads it.
func (f *fixture) lag(t *testing.T) int64 {
	qs, err := f.adm.ConsumeStats(t.Context(), billingGroup, ordersTopic)
	if err != nil {
		t.Fatal(err)
	}
	var lag int64
	for _, q := range qs {
		lag += q.Lag()
	}
	return lag
}

// startAuditor starts dlqGroup's consumer: it dead-letters the poison
// message on its first delivery and hands over every resent copy (those
// with DLQ_ORIGIN_MSG_ID).
func (f *fixture) startAuditor(t *testing.T) {
	con, err := f.cl.NewConsumer(client.ConsumerConfig{Group: dlqGroup, ConsumeFrom: client.ConsumeFromFirstOffset,
		Subscriptions: []client.Subscription{{Topic: paymentsTopic, Expression: "*"}}},
		func(_ context.Context, msgs []*client.MessageExt) client.ConsumeResult {
			for _, m := range msgs {
				if m.Property("DLQ_ORIGIN_MSG_ID") != "" {
					f.resent <- m
					continue
				}
				if slices.Contains(m.Keys, poisonKey) {
					return client.ConsumeDeadLetter
				}
			}
			return client.ConsumeSuccess
		})
	if err != nil {
		t.Fatal(err)
	}
	if err := con.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = con.Close(context.Background()) })
}

// waitDLQ waits until dlqGroup's dead-letter queue holds a message.
func (f *fixture) waitDLQ(t *testing.T) {
	deadline := time.Now().Add(60 * time.Second)
	for {
		topics, err := f.adm.Topics(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if slices.Contains(topics, message.DLQTopic(dlqGroup)) {
			st, err := f.adm.TopicStatus(t.Context(), message.DLQTopic(dlqGroup))
			if err == nil && len(st) > 0 && st[0].MaxOffset > 0 {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("the poison message reached no dead-letter queue in 60s")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// traffic sends small bursts to topic until the returned stop is called.
func (f *fixture) traffic(t *testing.T, topic string) (stop func()) {
	done, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		for i := 0; ; i++ {
			select {
			case <-done:
				return
			case <-time.After(time.Duration(20+i%7*15) * time.Millisecond):
			}
			_, _ = f.prod.Send(context.Background(), &client.Message{Topic: topic, Keys: []string{fmt.Sprint("s-", i)},
				Body: fmt.Appendf(nil, `{"shipment":%d}`, i)})
		}
	}()
	return func() { close(done); <-stopped }
}
