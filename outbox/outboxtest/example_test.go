package outboxtest_test

import (
	"fmt"

	"github.com/rocketkit/rocketkit/outbox/outboxtest"
)

// Tests get a database of their own on the configured server.
func ExampleWithDatabase() {
	dsn, _ := outboxtest.WithDatabase("root@tcp(127.0.0.1:3306)/test?parseTime=true", "rk_orders_1a2b", "interpolateParams=true")
	fmt.Println(dsn)
	// Output: root@tcp(127.0.0.1:3306)/rk_orders_1a2b?parseTime=true&interpolateParams=true
}
