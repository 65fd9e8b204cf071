package rpc_test

import (
	"context"
	"fmt"
	"os"

	"github.com/rocketkit/rocketkit/broker"
	"github.com/rocketkit/rocketkit/client/internal/rpc"
	"github.com/rocketkit/rocketkit/protocol/remoting"
)

// Asking a broker (here an embedded one) for a topic's route and a queue's
// max offset over the Pool's shared connection.
func ExamplePool() {
	dir, _ := os.MkdirTemp("", "rpc-example")
	defer os.RemoveAll(dir)
	b, err := broker.Start(context.Background(), broker.Config{Listen: "127.0.0.1:0", DataDir: dir})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer b.Close()

	p := rpc.NewPool(rpc.Options{})
	defer p.Close()
	ctx := context.Background()

	route := remoting.NewRequest(remoting.GetRouteInfoByTopic, remoting.Fields{{Key: "topic", Value: "orders"}}, nil)
	resp, err := p.Call(ctx, b.Addr(), route)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("route:", remoting.ResponseName(resp.Code))

	maxOffset := remoting.NewRequest(remoting.GetMaxOffset, remoting.Fields{
		{Key: "topic", Value: "orders"}, {Key: "queueId", Value: "0"},
	}, nil)
	resp, err = p.Call(ctx, b.Addr(), maxOffset)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("max offset:", resp.ExtFields.Get("offset"))
	// Output:
	// route: SUCCESS
	// max offset: 0
}
