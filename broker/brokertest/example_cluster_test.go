package brokertest_test

import (
	"context"
	"fmt"
	"os"

	"github.com/rocketkit/rocketkit/broker"
	"github.com/rocketkit/rocketkit/broker/brokertest"
	"github.com/rocketkit/rocketkit/client"
)

// A SYNC_MASTER with a slave: a send is answered once the slave has it,
// and after the master crashes the slave serves the message.
func ExampleLaunchCluster() {
	dir, _ := os.MkdirTemp("", "example-cluster-")
	defer os.RemoveAll(dir)
	c, err := brokertest.LaunchCluster(brokertest.ClusterSpec{MasterRole: broker.SyncMaster}, dir)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()

	cl, err := client.New(client.Config{NameServers: c.NamesrvAddrs()})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer cl.Close()
	p, err := cl.NewProducer(client.ProducerConfig{Group: "orders"})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer p.Close()
	ctx := context.Background()
	res, err := p.Send(ctx, &client.Message{Topic: "orders", Body: []byte("order 1")})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Status)

	_ = c.Groups[0].Master.Crash()
	got := make(chan string, 1)
	con, err := cl.NewConsumer(client.ConsumerConfig{
		Group:         "billing",
		Subscriptions: []client.Subscription{{Topic: "orders", Expression: "*"}},
		ConsumeFrom:   client.ConsumeFromFirstOffset,
	}, func(_ context.Context, msgs []*client.MessageExt) client.ConsumeResult {
		for _, m := range msgs {
			got <- string(m.Body)
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
	fmt.Println(<-got, "from the slave")
	// Output:
	// SEND_OK
	// order 1 from the slave
}
