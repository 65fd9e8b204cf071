package listener_test

import (
	"context"
	"fmt"
	"log"

	"github.com/rocketkit/rocketkit/listener"
	"github.com/rocketkit/rocketkit/starter"
	"go.uber.org/fx"
)

// Billing is the application's service the listener calls.
type Billing struct{ applied chan Order }

func NewBilling() *Billing { return &Billing{applied: make(chan Order, 1)} }

func (b *Billing) Apply(ctx context.Context, o Order) error {
	b.applied <- o
	return nil
}

// BillOrders is the package documentation's listener.
type BillOrders struct {
	listener.Orderly `topic:"orders" group:"billing-orders" tags:"created || paid"`
	Bills            *Billing
}

func NewBillOrders(bills *Billing) *BillOrders { return &BillOrders{Bills: bills} }

func (l *BillOrders) Handle(ctx context.Context, m *listener.Message) error {
	var o Order
	if err := m.Decode(&o); err != nil {
		return listener.Discard(err) // never decodable: dead-letter it now
	}
	return l.Bills.Apply(ctx, o)
}

// The starter runs a listener from the application's start to its stop
// and passes its dependencies in through fx (here on the embedded broker).
func Example() {
	var bills *Billing
	var tpl *starter.Template
	app := fx.New(starter.Module, fx.Provide(NewBilling), starter.Listener(NewBillOrders), fx.NopLogger, fx.Populate(&bills, &tpl))
	ctx := context.Background()
	if err := app.Start(ctx); err != nil {
		log.Fatal(err)
	}
	defer app.Stop(ctx)
	if _, err := tpl.SendOrderly(ctx, "orders:paid", Order{ID: "o-7", Amount: 12}, "o-7"); err != nil {
		log.Fatal(err)
	}
	fmt.Println(<-bills.applied)
	// Output: {o-7 12}
}

// ConfiguredOrders takes its tag values from the configuration.
type ConfiguredOrders struct {
	listener.Orderly `topic:"${billing.topic:orders}" group:"${billing.group}-orders" consumers:"${billing.consumers:4}"`
}

func (*ConfiguredOrders) Handle(context.Context, *listener.Message) error { return nil }

// A placeholder takes a tag value from the configuration, with a default.
func ExampleParse_placeholders() {
	config := map[string]string{"billing.group": "billing"}
	spec, err := listener.Parse(&ConfiguredOrders{}, func(k string) (string, bool) { v, ok := config[k]; return v, ok })
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(spec.Topic, spec.Group, spec.Consumers)
	// Output: orders billing-orders 4
}

// AuditOrders is a concurrent listener: deliveries are handled in parallel.
type AuditOrders struct {
	listener.Concurrent `topic:"orders" tags:"*" consumers:"8"`
}

func (*AuditOrders) Handle(context.Context, *listener.Message) error { return nil }

func ExampleConcurrent() {
	spec, err := listener.Parse(&AuditOrders{}, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(spec.Kind, spec.Topic, spec.Tags, spec.Consumers)
	// Output: concurrent orders * 8
}
