package starter_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/rocketkit/rocketkit/listener"
	"github.com/rocketkit/rocketkit/starter"
	"go.uber.org/fx"
)

// Invoice is the payload of the examples.
type Invoice struct {
	ID    string `json:"id"`
	Total int    `json:"total"`
}

// Billing is an application service a listener depends on.
type Billing struct{ done chan string }

// BillInvoices is a concurrent listener; fx passes its dependencies to its
// constructor.
type BillInvoices struct {
	listener.Concurrent `topic:"invoices" tags:"issued" consumers:"${billing.consumers:4}"`
	billing             *Billing
}

func NewBillInvoices(b *Billing) *BillInvoices { return &BillInvoices{billing: b} }

func (l *BillInvoices) Handle(_ context.Context, m *listener.Message) error {
	var inv Invoice
	if err := m.Decode(&inv); err != nil {
		return listener.Discard(err)
	}
	l.billing.done <- fmt.Sprintf("billed %s: %d (tag %s)", inv.ID, inv.Total, m.Tag)
	return nil
}

// An application with the starter: no configuration means the embedded
// broker. The listener runs from Start to Stop; the template sends.
func Example() {
	billing := &Billing{done: make(chan string, 1)}
	var tpl *starter.Template
	app := fx.New(
		fx.NopLogger,
		starter.Module,
		fx.Supply(billing),
		starter.Listener(NewBillInvoices),
		fx.Populate(&tpl),
	)
	ctx := context.Background()
	if err := app.Start(ctx); err != nil {
		log.Fatal(err)
	}
	defer app.Stop(ctx)

	if _, err := tpl.Send(ctx, "invoices:issued", Invoice{ID: "inv-1", Total: 42}); err != nil {
		log.Fatal(err)
	}
	fmt.Println(<-billing.done)
	// Output: billed inv-1: 42 (tag issued)
}

// Listener registers a listener's constructor; its tag may take values
// from the configuration (here given in code with ConfigValues, usually
// from the YAML file or the environment).
func ExampleListener() {
	billing := &Billing{done: make(chan string, 1)}
	var tpl *starter.Template
	app := fx.New(
		fx.NopLogger,
		starter.Module,
		starter.ConfigValues(map[string]any{
			"rocketmq.service-name": "billing",
			"billing.consumers":     8,
		}),
		fx.Supply(billing),
		starter.Listener(NewBillInvoices),
		fx.Populate(&tpl),
	)
	ctx := context.Background()
	if err := app.Start(ctx); err != nil {
		log.Fatal(err)
	}
	defer app.Stop(ctx)
	if _, err := tpl.Send(ctx, "invoices:issued", Invoice{ID: "inv-2", Total: 7}); err != nil {
		log.Fatal(err)
	}
	fmt.Println(<-billing.done)
	// Output: billed inv-2: 7 (tag issued)
}

// The template sends to "topic:tag" destinations and reports the broker's
// status; options add keys, properties or a delay level.
func ExampleTemplate_Send() {
	var tpl *starter.Template
	app := fx.New(fx.NopLogger, starter.Module, fx.Populate(&tpl))
	ctx := context.Background()
	if err := app.Start(ctx); err != nil {
		log.Fatal(err)
	}
	defer app.Stop(ctx)

	res, err := tpl.Send(ctx, "invoices:issued", Invoice{ID: "inv-3", Total: 1},
		starter.WithKeys("inv-3"), starter.WithProperty("source", "example"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Status, res.Topic)

	res, err = tpl.SendOrderly(ctx, "invoices:paid", Invoice{ID: "inv-3"}, "inv-3")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Status, "queue chosen by key:", res.QueueID >= 0)
	// Output:
	// SEND_OK invoices
	// SEND_OK queue chosen by key: true
}

// Health is a readiness probe: an http.Handler answering 200 while the
// app can send and its listeners run, 503 with the reason otherwise.
func ExampleHealth() {
	var health *starter.Health
	app := fx.New(fx.NopLogger, starter.Module, fx.Populate(&health))
	ctx := context.Background()
	if err := app.Start(ctx); err != nil {
		log.Fatal(err)
	}
	srv := httptest.NewServer(health) // in a service: mux.Handle("/health/rocketmq", health)
	defer srv.Close()

	resp, err := http.Get(srv.URL)
	if err != nil {
		log.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Print(resp.StatusCode, " ", string(body))

	if err := app.Stop(ctx); err != nil {
		log.Fatal(err)
	}
	fmt.Println(health.Check(ctx))
	// Output:
	// 200 ok
	// starter: unhealthy: the template's producer is not running
}
