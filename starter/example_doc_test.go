package starter_test

import (
	"context"
	"database/sql"
	"fmt"
	"log"
	"log/slog"
	"net/http"
	"os"
	"sync/atomic"

	"github.com/rocketkit/rocketkit/listener"
	"github.com/rocketkit/rocketkit/outbox"
	"github.com/rocketkit/rocketkit/starter"
	"go.uber.org/fx"
)

// NewBillOrders is the constructor the package documentation registers.
func NewBillOrders() *BillOrders { return newBillOrders() }

// The package documentation's service: the module, its YAML file, a
// listener, code using the template and a readiness probe on the
// application's mux. Run blocks until the process is signalled (compiled,
// not run).
func Example_service() {
	fx.New(
		starter.Module,
		starter.ConfigFile("app.yaml"),
		starter.Listener(NewBillOrders),
		fx.Provide(http.NewServeMux),
		fx.Invoke(func(mux *http.ServeMux, h *starter.Health) { mux.Handle("/health/rocketmq", h) }),
		fx.Invoke(func(t *starter.Template) { _ = t }),
	).Run()
}

// Cause gives the kit's own start-up error without fx's wrapping.
func ExampleCause() {
	log := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{} // for a stable output
		}
		return a
	}}))
	app := fx.New(fx.NopLogger, starter.Module,
		starter.ConfigValues(map[string]any{"rocketmq.producer.send-message-timeout": "abc"}))
	if err := app.Err(); err != nil {
		log.Error("start", "err", starter.Cause(err))
	}
	// Output: level=ERROR msg=start err="rocketmq.producer.send-message-timeout: \"abc\" is not a duration"
}

// promMetrics stands for a Prometheus adapter: it counts sends.
type promMetrics struct{ sent atomic.Int64 }

func newPromMetrics() *promMetrics { return &promMetrics{} }

func (m *promMetrics) Sent(starter.SendEvent)  { m.sent.Add(1) }
func (m *promMetrics) Handled(listener.Result) {}

// An application's Metrics implementation receives the module's
// measurements.
func ExampleMetrics() {
	var m starter.Metrics
	var tpl *starter.Template
	app := fx.New(
		fx.NopLogger,
		starter.Module,
		fx.Provide(fx.Annotate(newPromMetrics, fx.As(new(starter.Metrics)))),
		fx.Populate(&m, &tpl),
	)
	ctx := context.Background()
	if err := app.Start(ctx); err != nil {
		log.Fatal(err)
	}
	defer app.Stop(ctx)
	if _, err := tpl.Send(ctx, "invoices:issued", Invoice{ID: "inv-9"}); err != nil {
		log.Fatal(err)
	}
	fmt.Println("sends:", m.(*promMetrics).sent.Load())
	// Output: sends: 1
}

// Outbox with the application's database (compiled, not run: it needs a
// MySQL server; starter/outbox_test.go runs it).
func ExampleOutbox() {
	openDB := func() (*sql.DB, error) { return sql.Open("mysql", os.Getenv("MYSQL_DSN")) }
	fx.New(starter.Module, starter.Outbox(outbox.Config{}), fx.Provide(openDB), fx.Invoke(func(*outbox.Publisher) {})).Run()
}
