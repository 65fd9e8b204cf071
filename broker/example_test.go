package broker_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
	"github.com/rocketkit/rocketkit/broker"
)

// Start a broker on a free port and send it a message with the official
// client; Close flushes and checkpoints the store.
func Example() {
	dir, err := os.MkdirTemp("", "broker-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()
	b, err := broker.Start(ctx, broker.Config{Listen: "127.0.0.1:0", DataDir: dir})
	if err != nil {
		log.Fatal(err)
	}
	defer b.Close()

	p, err := producer.NewDefaultProducer(
		producer.WithNameServer(primitive.NamesrvAddr{b.Addr()}), // an IP literal, as the client requires
		producer.WithGroupName("example-producer"),
		producer.WithInstanceName("example-producer"),
	)
	if err != nil {
		log.Fatal(err)
	}
	if err := p.Start(); err != nil {
		log.Fatal(err)
	}
	defer p.Shutdown()
	res, err := p.SendSync(ctx, primitive.NewMessage("orders", []byte(`{"id":1}`)).WithTag("created"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Status == primitive.SendOK, res.MessageQueue.Topic, b.Stats().Requests["SEND_MESSAGE"])
	// Output: true orders 1
}

// Delay levels are a table in the configuration, as in broker.conf.
func ExampleParseDelayLevels() {
	levels, err := broker.ParseDelayLevels("500ms 1s 5s 1m 2h")
	fmt.Println(levels, err)
	// Output: [500ms 1s 5s 1m0s 2h0m0s] <nil>
}
