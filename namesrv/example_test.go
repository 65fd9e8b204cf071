package namesrv_test

import (
	"context"
	"fmt"

	"github.com/rocketkit/rocketkit/namesrv"
)

func Example() {
	ctx := context.Background()
	ns, err := namesrv.Start(ctx, namesrv.Config{Listen: "127.0.0.1:0"})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer ns.Close()
	fmt.Println(len(ns.Brokers()), "brokers registered")
	// Output: 0 brokers registered
}
