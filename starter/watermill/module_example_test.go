package watermill_test

import (
	"context"
	"fmt"
	"log"

	"github.com/ThreeDotsLabs/watermill/message"
	"go.uber.org/fx"

	"github.com/rocketkit/rocketkit/starter"
	rmqwatermill "github.com/rocketkit/rocketkit/starter/watermill"
)

// In an fx app with starter.Module, the publisher and the subscriber run
// on the app's endpoint: the rocketmq.* keys say where the cluster is (no
// configuration: the embedded broker), which client, credentials,
// namespace and TLS. They start with the app and close when it stops.
func ExampleProvidePublisher() {
	var (
		pub message.Publisher
		sub message.Subscriber
	)
	app := fx.New(
		fx.NopLogger,
		starter.Module,
		rmqwatermill.ProvidePublisher(rmqwatermill.PublisherConfig{}),
		rmqwatermill.ProvideSubscriber(rmqwatermill.SubscriberConfig{ConsumerGroup: "example-{topic}"}),
		fx.Populate(&pub, &sub),
	)
	ctx := context.Background()
	if err := app.Start(ctx); err != nil {
		log.Fatal(err)
	}
	defer app.Stop(ctx)

	if err := pub.Publish("invoices:issued", message.NewMessage("inv-1", []byte(`{"total":42}`))); err != nil {
		log.Fatal(err)
	}
	msgs, err := sub.Subscribe(ctx, "invoices:issued")
	if err != nil {
		log.Fatal(err)
	}
	got := <-msgs
	got.Ack()
	fmt.Println(got.UUID, string(got.Payload))
	// Output: inv-1 {"total":42}
}
