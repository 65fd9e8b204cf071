package admin_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
	"github.com/rocketkit/rocketkit/admin"
	"github.com/rocketkit/rocketkit/broker"
)

// Move a stopped group's offsets to a moment, as mqadmin resetOffsetByTime
// does: back to replay what was stored since (here the beginning), or
// ahead to skip it.
func ExampleClient_ResetOffset() {
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
	if _, err := c.UpdateTopic(ctx, admin.TopicSpec{Topic: "invoices", ReadQueues: 1, WriteQueues: 1}); err != nil {
		fmt.Println(err)
		return
	}
	p, err := producer.NewDefaultProducer(producer.WithNameServer(primitive.NamesrvAddr{b.Addr()}),
		producer.WithGroupName("billing-producer"), producer.WithInstanceName("example-reset"))
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := p.Start(); err != nil {
		fmt.Println(err)
		return
	}
	defer p.Shutdown()
	for i := range 3 {
		if _, err := p.SendSync(ctx, primitive.NewMessage("invoices", fmt.Appendf(nil, "invoice %d", i))); err != nil {
			fmt.Println(err)
			return
		}
	}

	// Skip the three, then go back to the beginning to replay them.
	for _, at := range []time.Time{time.Now().Add(time.Hour), time.UnixMilli(0)} {
		resets, err := c.ResetOffset(ctx, "billing", "invoices", at)
		if err != nil {
			fmt.Println(err)
			return
		}
		for _, r := range resets {
			fmt.Printf("%s queue %d: %d -> %d\n", r.Topic, r.QueueID, r.OldOffset, r.NewOffset)
		}
	}
	// Output:
	// invoices queue 0: 0 -> 3
	// invoices queue 0: 3 -> 0
}
