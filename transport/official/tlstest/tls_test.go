package tlstest_test

import (
	"context"
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/broker/brokertest"
	"github.com/rocketkit/rocketkit/client"
	"github.com/rocketkit/rocketkit/internal/clienttest"
	"github.com/rocketkit/rocketkit/internal/testcert"
	"github.com/rocketkit/rocketkit/transport"
	_ "github.com/rocketkit/rocketkit/transport/official" // registers "official"
)

// The official client writes under $HOME and leaves goroutines behind
// after Shutdown: VerifyMain runs the tests with a temporary HOME and
// ignores only those goroutines.
func TestMain(m *testing.M) { clienttest.VerifyMain(m) }

// The official backend opened with client.Config{TLS: true} sends
// through its producer and receives through its consumer on a broker
// that serves only TLS (brokertest.WithTLS). The official client never
// verifies the broker's certificate (a documented limit), so this test
// asserts nothing about verification.
func TestOfficialBackendOverTLS(t *testing.T) {
	cert := testcert.New(t)
	b := brokertest.Start(t, brokertest.WithTLS(cert.CertFile, cert.KeyFile))
	be, err := transport.Open("official", client.Config{NameServers: []string{b.Addr()}, TLS: true}, transport.OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := be.Close(); err != nil {
			t.Error(err)
		}
	})
	if be.Name() != "official" {
		t.Fatalf("backend %q, want official", be.Name())
	}
	topic := clienttest.UniqueName("t_tls")
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()

	p, err := be.NewProducer(client.ProducerConfig{Group: clienttest.UniqueName("pg_tls")})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := p.Close(); err != nil {
			t.Error(err)
		}
	}()
	res, err := p.Send(ctx, &client.Message{Topic: topic, Tag: "created", Body: []byte("over TLS")})
	if err != nil || res.MsgID == "" {
		t.Fatalf("send over TLS: %+v, %v", res, err)
	}

	got := make(chan *client.MessageExt, 1)
	c, err := be.NewConsumer(client.ConsumerConfig{
		Group:         clienttest.UniqueName("cg_tls"),
		Subscriptions: []client.Subscription{{Topic: topic}},
		ConsumeFrom:   client.ConsumeFromFirstOffset,
	}, func(_ context.Context, msgs []*client.MessageExt) client.ConsumeResult {
		for _, m := range msgs {
			select {
			case got <- m:
			default:
			}
		}
		return client.ConsumeSuccess
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(ctx); err != nil {
		t.Fatalf("consumer start over TLS: %v", err)
	}
	defer func() {
		if err := c.Close(context.Background()); err != nil {
			t.Error(err)
		}
	}()
	select {
	case m := <-got:
		if string(m.Body) != "over TLS" || m.Tag != "created" || m.MsgID != res.MsgID {
			t.Fatalf("received %q tag %q id %s, want %q tag created id %s", m.Body, m.Tag, m.MsgID, "over TLS", res.MsgID)
		}
	case <-ctx.Done():
		t.Fatal("the official backend's consumer received nothing over TLS")
	}
}
