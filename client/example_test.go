package client_test

import (
	"context"
	"fmt"
	"log"

	"github.com/rocketkit/rocketkit/client"
)

// The package documentation's producer and consumer, against a cluster
// whose name server listens on 127.0.0.1:9876 (compiled, not run; see
// ExampleClient_NewConsumer for one that runs).
func ExampleNew() {
	ctx := context.Background()
	body := []byte(`{"id":42}`)
	c, err := client.New(client.Config{NameServers: []string{"127.0.0.1:9876"}})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	p, err := c.NewProducer(client.ProducerConfig{Group: "orders-producer"})
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()
	res, err := p.Send(ctx, &client.Message{Topic: "orders", Tag: "created", Body: body})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Status)

	con, err := c.NewConsumer(client.ConsumerConfig{Group: "billing",
		Subscriptions: []client.Subscription{{Topic: "orders", Expression: "created || paid"}}},
		func(ctx context.Context, msgs []*client.MessageExt) client.ConsumeResult {
			return client.ConsumeSuccess // or ConsumeRetry, ConsumeDeadLetter
		})
	if err != nil {
		log.Fatal(err)
	}
	err = con.Start(ctx)
	if err != nil {
		log.Fatal(err)
	}
	defer con.Close(ctx) // stops pulling, drains handlers, commits, unlocks
}
