package client_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/rocketkit/rocketkit/broker"
	"github.com/rocketkit/rocketkit/client"
)

// Request-reply: a responder answers each request with NewReply, sent by
// any producer; Request waits for the reply until ctx's deadline
// (ErrReplyTimeout after it).
func ExampleProducer_Request() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "example-request-")
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

	// The responder.
	con, err := c.NewConsumer(client.ConsumerConfig{
		Group:         "pricing",
		Subscriptions: []client.Subscription{{Topic: "prices"}},
		ConsumeFrom:   client.ConsumeFromFirstOffset,
	}, func(ctx context.Context, msgs []*client.MessageExt) client.ConsumeResult {
		for _, m := range msgs {
			reply, err := client.NewReply(m, fmt.Appendf(nil, "%s: 42", m.Body))
			if err != nil {
				continue // not a request
			}
			if _, err := p.Send(ctx, reply); err != nil {
				fmt.Println("reply:", err)
			}
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
	defer con.Close(ctx)

	// The requester.
	rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	reply, err := p.Request(rctx, &client.Message{Topic: "prices", Body: []byte("tea")})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%s (from %s)\n", reply.Body, reply.Topic)
	// Output:
	// tea: 42 (from DefaultCluster_REPLY_TOPIC)
}
