package admin_test

import (
	"context"
	"fmt"
	"os"

	"github.com/rocketkit/rocketkit/admin"
	"github.com/rocketkit/rocketkit/broker"
)

// Create a topic with two queues on every master (here, an embedded
// broker) and read its queue offsets, as mqadmin updateTopic and
// topicStatus do.
func ExampleClient_UpdateTopic() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "admin-example-")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	b, err := broker.Start(ctx, broker.Config{Listen: "127.0.0.1:0", DataDir: dir})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer b.Close()

	c, err := admin.New(admin.Config{NameServers: []string{b.Addr()}})
	if err != nil {
		fmt.Println(err)
		return
	}
	if _, err := c.UpdateTopic(ctx, admin.TopicSpec{Topic: "orders", ReadQueues: 2, WriteQueues: 2}); err != nil {
		fmt.Println(err)
		return
	}
	status, err := c.TopicStatus(ctx, "orders")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, q := range status {
		fmt.Printf("%s queue %d on %s: offsets %d..%d\n", q.Topic, q.QueueID, q.BrokerName, q.MinOffset, q.MaxOffset)
	}
	// Output:
	// orders queue 0 on broker-a: offsets 0..0
	// orders queue 1 on broker-a: offsets 0..0
}
