package admin_test

import (
	"context"
	"fmt"
	"os"

	"github.com/rocketkit/rocketkit/admin"
	"github.com/rocketkit/rocketkit/broker"
)

// Pause a consumer group on a broker (mqadmin updateSubGroup -s false):
// its consumers stay connected but get no message until it is enabled
// again. The broker keeps the setting across restarts.
func ExampleClient_UpdateSubscriptionGroup() {
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
	addrs, err := c.BrokerAddrs(ctx, "") // every master
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, addr := range addrs {
		sg := admin.NewSubscriptionGroup("billing")
		sg.ConsumeEnable = false
		if err := c.UpdateSubscriptionGroup(ctx, addr, sg); err != nil {
			fmt.Println(err)
			return
		}
		groups, err := c.SubscriptionGroups(ctx, addr)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("billing: consumeEnable=%t retryMaxTimes=%d\n", groups["billing"].ConsumeEnable, groups["billing"].RetryMaxTimes)
	}
	// Output: billing: consumeEnable=false retryMaxTimes=16
}
