package brokertest_test

import (
	"context"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
	"github.com/rocketkit/rocketkit/broker/brokertest"
	"github.com/rocketkit/rocketkit/internal/clienttest"
	"github.com/rocketkit/rocketkit/internal/testcert"
)

// The official client with WithTls(true) sends and consumes through a
// broker started WithTLS. The official client never verifies the
// broker's certificate (it dials with InsecureSkipVerify), so any
// certificate works with it. Its TLS switch is process-global (it writes
// remote.DefaultRemotingClientConfig), which is why this test lives in
// this package's binary, where no plain official client runs after it;
// the cleanup switches it back off all the same.
func TestWithTLSOfficialClient(t *testing.T) {
	cert := testcert.New(t)
	b := brokertest.Start(t, brokertest.WithTLS(cert.CertFile, cert.KeyFile))
	ns := primitive.NamesrvAddr{b.Addr()}
	topic, group := clienttest.UniqueName("t_tls"), clienttest.UniqueName("g_tls")

	p, err := producer.NewDefaultProducer(producer.WithNameServer(ns), producer.WithTls(true),
		producer.WithGroupName(clienttest.UniqueName("pg_tls")), producer.WithInstanceName(clienttest.UniqueName("p")))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// Switch the process-global TLS default back off.
		_, _ = producer.NewDefaultProducer(producer.WithTls(false))
	})
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	defer p.Shutdown()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := p.SendSync(ctx, primitive.NewMessage(topic, []byte("over TLS")))
	if err != nil || res.Status != primitive.SendOK {
		t.Fatalf("send over TLS: %v %v", res, err)
	}

	got := make(chan string, 1)
	c := clienttest.NewConsumer(t, b, consumer.WithNameServer(ns), consumer.WithTls(true),
		consumer.WithGroupName(group), consumer.WithInstance(clienttest.UniqueName("c")),
		consumer.WithConsumeFromWhere(consumer.ConsumeFromFirstOffset))
	err = c.Subscribe(topic, consumer.MessageSelector{}, func(_ context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
		for _, m := range msgs {
			select {
			case got <- string(m.Body):
			default:
			}
		}
		return consumer.ConsumeSuccess, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case body := <-got:
		if body != "over TLS" {
			t.Fatalf("received %q", body)
		}
	case <-ctx.Done():
		t.Fatal("the official consumer received nothing over TLS")
	}
}
