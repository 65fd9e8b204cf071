package rkotel_test

import (
	"context"

	"github.com/rocketkit/rocketkit/listener"
	rkotel "github.com/rocketkit/rocketkit/otel"
	"github.com/rocketkit/rocketkit/starter"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.uber.org/fx"
)

// BillOrders is an application listener.
type BillOrders struct {
	listener.Orderly `topic:"orders" tags:"created"`
}

func NewBillOrders() *BillOrders { return &BillOrders{} }

// Handle runs in the "process orders" span, a child of the sender's
// "send orders" span: spans it starts from ctx join the sender's trace.
func (*BillOrders) Handle(context.Context, *listener.Message) error { return nil }

// An app traced and measured with OpenTelemetry: the Template's sends,
// the listener's handler calls (and, with starter.Outbox and
// starter.TxCheck, the outbox relay and check-backs) record spans with tp
// and metrics with mp, the application's providers (exporters set up as
// usual).
func ExampleModule() {
	tp := sdktrace.NewTracerProvider()
	mp := sdkmetric.NewMeterProvider()
	app := fx.New(
		starter.Module,
		rkotel.Module(tp, mp),
		starter.Listener(NewBillOrders),
	)
	_ = app // app.Run()
}
