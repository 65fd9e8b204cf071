package starter_test

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/rocketkit/rocketkit/outbox"
	"github.com/rocketkit/rocketkit/starter"
	"go.uber.org/fx"
)

// The outbox relay's counts and backlog from the app: a component takes
// *starter.OutboxRelay, e.g. to register them with a metrics library's
// collector, which reads them on scrape.
func ExampleOutboxRelay() {
	var db *sql.DB // sql.Open("mysql", dsn)
	if db == nil {
		return // the example needs a database
	}
	app := fx.New(
		starter.Module,
		starter.Outbox(outbox.Config{}),
		fx.Supply(db),
		fx.Invoke(func(lc fx.Lifecycle, relay *starter.OutboxRelay) {
			lc.Append(fx.StopHook(func(ctx context.Context) {
				backlog, err := relay.Backlog(ctx)
				s := relay.Stats()
				fmt.Println("sent", s.Sent, "retried", s.Retried, "compensated", s.Compensated, "backlog", backlog, err)
			}))
		}),
	)
	app.Run()
}
