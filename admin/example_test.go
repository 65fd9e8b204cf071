package admin_test

import (
	"fmt"

	"github.com/rocketkit/rocketkit/admin"
)

// Name servers are given in RocketMQ's own notation.
func ExampleParseNameServers() {
	fmt.Println(admin.ParseNameServers("10.0.0.1:9876; 10.0.0.2:9876;http://10.0.0.3:9876"))
	// Output: [10.0.0.1:9876 10.0.0.2:9876 10.0.0.3:9876]
}
