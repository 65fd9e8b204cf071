package watermill_test

import (
	"errors"
	"log/slog"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/rocketkit/rocketkit/client"
	rmqwatermill "github.com/rocketkit/rocketkit/starter/watermill"
)

// A publisher and a subscriber of a cluster, each on a client of its own
// (the package documentation's; compiled, not run).
func ExampleNewSubscriber() {
	logger := watermill.NewSlogLogger(slog.Default())
	cluster := client.Config{NameServers: []string{"127.0.0.1:9876"}}
	pub, err := rmqwatermill.NewPublisher(rmqwatermill.PublisherConfig{Client: cluster}, nil, logger)
	if err != nil {
		panic(err)
	}
	defer pub.Close()
	sub, err := rmqwatermill.NewSubscriber(rmqwatermill.SubscriberConfig{
		Client:        cluster,
		ConsumerGroup: "billing-{topic}",
	}, nil, logger)
	if err != nil {
		panic(err)
	}
	defer sub.Close()
}

// A router dead-letters at once what a handler discards (compiled, not
// run).
func ExampleDiscardMiddleware() {
	var pub *rmqwatermill.Publisher
	var sub *rmqwatermill.Subscriber
	router, err := message.NewRouter(message.RouterConfig{}, watermill.NopLogger{})
	if err != nil {
		panic(err)
	}
	router.AddMiddleware(rmqwatermill.DiscardMiddleware)
	router.AddHandler("bill", "orders", sub, "bills", pub, func(msg *message.Message) ([]*message.Message, error) {
		if len(msg.Payload) == 0 {
			return nil, rmqwatermill.Discard(errors.New("empty order")) // never retried
		}
		return nil, nil
	})
}
