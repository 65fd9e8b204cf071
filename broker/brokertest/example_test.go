package brokertest_test

import (
	"context"
	"testing"

	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
	"github.com/rocketkit/rocketkit/broker/brokertest"
)

// A test starts a broker of its own and points the official client at it;
// the broker is closed and its data removed when the test ends.
func ExampleStart() {
	_ = func(t *testing.T) {
		b := brokertest.Start(t)
		p, err := producer.NewDefaultProducer(producer.WithNameServer(primitive.NamesrvAddr{b.Addr()}))
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Start(); err != nil {
			t.Fatal(err)
		}
		defer p.Shutdown()
		res, err := p.SendSync(context.Background(), primitive.NewMessage("orders", []byte("hello")))
		if err != nil || res.Status != primitive.SendOK {
			t.Fatalf("send: %v %v", res, err)
		}
	}
}
