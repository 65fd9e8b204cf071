package client_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/rocketkit/rocketkit/broker"
	"github.com/rocketkit/rocketkit/client"
)

// A push consumer: it joins its group, gets its share of the topic's
// queues, and calls the handler with each message; Close commits what was
// consumed and leaves the group.
func ExampleClient_NewConsumer() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "example-consumer-")
	defer os.RemoveAll(dir)
	b, err := broker.Start(ctx, broker.Config{Listen: "127.0.0.1:0", DataDir: dir, MaxPullHold: time.Second})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer b.Close()

	c, err := client.New(client.Config{NameServers: []string{b.Addr()}})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	p, err := c.NewProducer(client.ProducerConfig{Group: "shop"})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer p.Close()
	if _, err := p.Send(ctx, &client.Message{Topic: "orders", Tag: "created", Body: []byte("order 42")}); err != nil {
		fmt.Println(err)
		return
	}

	got := make(chan string, 1)
	con, err := c.NewConsumer(client.ConsumerConfig{
		Group:         "billing",
		Subscriptions: []client.Subscription{{Topic: "orders", Expression: "created || paid"}},
		ConsumeFrom:   client.ConsumeFromFirstOffset,
	}, func(ctx context.Context, msgs []*client.MessageExt) client.ConsumeResult {
		for _, m := range msgs {
			got <- fmt.Sprintf("%s %s: %s", m.Topic, m.Tag, m.Body)
		}
		return client.ConsumeSuccess
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := con.Start(ctx); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(<-got)
	if err := con.Close(ctx); err != nil {
		fmt.Println(err)
	}
	// Output: orders created: order 42
}
