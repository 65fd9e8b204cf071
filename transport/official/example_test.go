package official_test

import (
	"context"
	"fmt"
	"log"
	"log/slog"

	"github.com/rocketkit/rocketkit/client"
	"github.com/rocketkit/rocketkit/transport/official"
)

// The package documentation's backend and send, against a cluster whose
// name server is 10.0.0.1:9876 (compiled, not run).
func ExampleNew() {
	ctx := context.Background()
	logger := slog.Default()
	body := []byte(`{"id":42}`)
	b, err := official.New(client.Config{NameServers: []string{"10.0.0.1:9876"}},
		official.WithLogger(logger))
	if err != nil {
		log.Fatal(err)
	}
	defer b.Close()
	p, err := b.NewProducer(client.ProducerConfig{Group: "orders-producer"})
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()
	res, err := p.Send(ctx, &client.Message{Topic: "orders", Tag: "created", Body: body})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Status)
}
