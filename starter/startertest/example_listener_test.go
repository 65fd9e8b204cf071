package startertest_test

import (
	"context"
	"testing"

	"github.com/rocketkit/rocketkit/listener"
	"github.com/rocketkit/rocketkit/starter/startertest"
)

// BillOrders is the listener of the package documentation.
type BillOrders struct {
	listener.Orderly `topic:"orders" tags:"created"`
}

func NewBillOrders() *BillOrders { return &BillOrders{} }

func (*BillOrders) Handle(context.Context, *listener.Message) error { return nil }

// A test starts the application with its listener and sends to it.
func ExampleListener() {
	_ = func(t *testing.T) {
		order := map[string]string{"id": "o-1"}
		app := startertest.New(t, startertest.Listener(NewBillOrders))
		if _, err := app.Template.Send(t.Context(), "orders:created", order); err != nil {
			t.Fatal(err)
		}
	}
}
