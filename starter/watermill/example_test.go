package watermill_test

import (
	"context"
	"fmt"
	"os"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/rocketkit/rocketkit/broker"
	"github.com/rocketkit/rocketkit/client"
	rmqwatermill "github.com/rocketkit/rocketkit/starter/watermill"
	"github.com/rocketkit/rocketkit/transport"
)

// Publish a message with a tag and metadata to the embedded broker and
// receive it again.
func Example() {
	dir, err := os.MkdirTemp("", "rmqwatermill-example-")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	b, err := broker.Start(context.Background(), broker.Config{Listen: "127.0.0.1:0", DataDir: dir})
	if err != nil {
		panic(err)
	}
	defer b.Close()

	// One client for both, closed after them.
	backend, err := transport.Native(client.Config{NameServers: []string{b.Addr()}})
	if err != nil {
		panic(err)
	}
	defer backend.Close()
	pub, err := rmqwatermill.NewPublisher(rmqwatermill.PublisherConfig{}, backend, nil)
	if err != nil {
		panic(err)
	}
	defer pub.Close()
	sub, err := rmqwatermill.NewSubscriber(rmqwatermill.SubscriberConfig{
		ConsumerGroup: "example-{topic}",
	}, backend, nil)
	if err != nil {
		panic(err)
	}
	defer sub.Close()

	msg := message.NewMessage("order-1", []byte(`{"total":42}`))
	msg.Metadata.Set("customer", "ada")
	if err := pub.Publish("orders:created", msg); err != nil {
		panic(err)
	}

	// Subscribe after publishing: a new group starts at the oldest message.
	msgs, err := sub.Subscribe(context.Background(), "orders:created || paid")
	if err != nil {
		panic(err)
	}
	got := <-msgs
	tag, _ := rmqwatermill.TagFromCtx(got.Context())
	fmt.Printf("%s %s tag=%s customer=%s\n", got.UUID, got.Payload, tag, got.Metadata.Get("customer"))
	got.Ack()
	// Output:
	// order-1 {"total":42} tag=created customer=ada
}

// A metadata key that is a RocketMQ system property is refused before
// anything is sent.
func ExamplePublisher_Publish_reservedMetadata() {
	// NewPublisher does not contact the broker; with no backend it runs
	// the kit's client on the config's Client.
	pub, err := rmqwatermill.NewPublisher(rmqwatermill.PublisherConfig{
		Client: client.Config{NameServers: []string{"127.0.0.1:9876"}},
	}, nil, nil)
	if err != nil {
		panic(err)
	}
	defer pub.Close()

	msg := message.NewMessage("order-1", nil)
	msg.Metadata.Set("DELAY", "3")
	err = pub.Publish("orders", msg)
	fmt.Println(err)
	// Output:
	// publish to orders: message order-1: watermill: metadata key is a reserved RocketMQ property: "DELAY"
}

func ExampleConsumerGroupFor() {
	fmt.Println(rmqwatermill.ConsumerGroupFor("billing-{topic}", "orders:created || paid"))
	fmt.Println(rmqwatermill.ConsumerGroupFor("billing", "orders"))
	// Output:
	// billing-orders
	// billing
}
