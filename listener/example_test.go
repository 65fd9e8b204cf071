package listener_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/rocketkit/rocketkit/listener"
)

// ShipOrders is an orderly listener whose concurrency comes from the
// configuration, with a default.
type ShipOrders struct {
	listener.Orderly `topic:"orders" group:"shipping-orders" tags:"paid || created" consumers:"${shipping.consumers:4}" maxReconsume:"10"`
}

type Order struct {
	ID     string `json:"id"`
	Amount int    `json:"amount"`
}

func (l *ShipOrders) Handle(ctx context.Context, m *listener.Message) error {
	var o Order
	if err := m.Decode(&o); err != nil {
		return listener.Discard(err) // never decodable: straight to the DLQ
	}
	fmt.Printf("shipping %s (%d) from %s:%s\n", o.ID, o.Amount, m.Topic, m.Tag)
	return nil
}

// Parse reads a listener's annotation; placeholders are resolved through
// the lookup (the starter passes its configuration).
func ExampleParse() {
	config := map[string]string{"shipping.consumers": "8"}
	spec, err := listener.Parse(&ShipOrders{}, func(k string) (string, bool) { v, ok := config[k]; return v, ok })
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(spec)
	fmt.Println("consumers:", spec.Consumers, "maxReconsume:", spec.MaxReconsume)
	// Output:
	// ShipOrders (orderly, topic orders, tags created || paid, group shipping-orders)
	// consumers: 8 maxReconsume: 10
}

// A bad value fails with an error naming the listener, the field and the
// tag.
func ExampleParse_error() {
	type config map[string]string
	c := config{"shipping.consumers": "many"}
	_, err := listener.Parse(&ShipOrders{}, func(k string) (string, bool) { v, ok := c[k]; return v, ok })
	fmt.Println(err)
	fmt.Println(errors.Is(err, listener.ErrInvalidTag))
	// Output:
	// listener ShipOrders, field Orderly: tag consumers: "many" is not a number
	// true
}

// A handler can be called directly in unit tests with NewMessage.
func ExampleMessage_Decode() {
	l := &ShipOrders{}
	_ = l.Handle(context.Background(), listener.NewMessage("orders", "paid", []byte(`{"id":"o-1","amount":42}`), nil, nil))
	err := l.Handle(context.Background(), listener.NewMessage("orders", "paid", []byte(`not json`), nil, nil))
	fmt.Println(errors.Is(err, listener.ErrDiscard))
	// Output:
	// shipping o-1 (42) from orders:paid
	// true
}
