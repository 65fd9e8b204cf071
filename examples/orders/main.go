// Command orders is RocketKit's example service, run end to end on the
// embedded broker: an order flow published with the producer template and
// consumed by two struct-tag listeners in two consumer groups, one orderly
// (billing: every order's events in sequence) and one concurrent
// (notifications: paid orders only). It prints a summary and exits non-zero
// if anything is missing or out of order.
//
//	go run ./examples/orders                  # embedded broker
//	ROCKETMQ_NAME_SERVER=127.0.0.1:9876 go run ./examples/orders   # a running broker
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/rocketkit/rocketkit/listener"
	"github.com/rocketkit/rocketkit/starter"
	"go.uber.org/fx"
)

// OrderEvent is the payload on the orders topic; the tag names the event.
type OrderEvent struct {
	OrderID string `json:"orderId"`
	Step    int    `json:"step"`
	Amount  int    `json:"amount"`
}

// events is the life of every order, in order; the tag is the event name.
var events = []string{"created", "paid", "shipped"}

// Ledger is the application state the listeners update.
type Ledger struct {
	mu       sync.Mutex
	billing  map[string][]string // order -> events seen by billing, in order
	notified map[string]bool     // paid orders notified
	outOfSeq int
	done     chan struct{}
	orders   int
}

func newLedger(orders int) *Ledger {
	return &Ledger{billing: map[string][]string{}, notified: map[string]bool{}, done: make(chan struct{}), orders: orders}
}

func (l *Ledger) complete() bool {
	if len(l.notified) < l.orders || len(l.billing) < l.orders {
		return false
	}
	for _, evs := range l.billing {
		if len(evs) < len(events) {
			return false
		}
	}
	return true
}

func (l *Ledger) check() {
	if l.complete() {
		select {
		case <-l.done:
		default:
			close(l.done)
		}
	}
}

// BillOrders sees every event of an order, in order (an orderly listener
// on orders sharded by order id).
type BillOrders struct {
	listener.Orderly `topic:"${orders.topic:orders}" group:"billing-orders" tags:"created || paid || shipped"`
	ledger           *Ledger
}

// NewBillOrders is the fx constructor.
func NewBillOrders(l *Ledger) *BillOrders { return &BillOrders{ledger: l} }

// Handle records the event, counting any that arrives out of sequence.
func (b *BillOrders) Handle(_ context.Context, m *listener.Message) error {
	var ev OrderEvent
	if err := m.Decode(&ev); err != nil {
		return listener.Discard(err) // a malformed event can never succeed
	}
	b.ledger.mu.Lock()
	defer b.ledger.mu.Unlock()
	seen := b.ledger.billing[ev.OrderID]
	if slices.Contains(seen, m.Tag) {
		return nil // redelivery: already billed
	}
	if len(seen) != ev.Step {
		b.ledger.outOfSeq++
	}
	b.ledger.billing[ev.OrderID] = append(seen, m.Tag)
	b.ledger.check()
	return nil
}

// NotifyPaid tells customers their payment arrived; order does not matter.
type NotifyPaid struct {
	listener.Concurrent `topic:"${orders.topic:orders}" group:"notify-paid" tags:"paid" consumers:"4"`
	ledger              *Ledger
}

// NewNotifyPaid is the fx constructor.
func NewNotifyPaid(l *Ledger) *NotifyPaid { return &NotifyPaid{ledger: l} }

// Handle marks the order notified.
func (n *NotifyPaid) Handle(_ context.Context, m *listener.Message) error {
	var ev OrderEvent
	if err := m.Decode(&ev); err != nil {
		return listener.Discard(err)
	}
	n.ledger.mu.Lock()
	defer n.ledger.mu.Unlock()
	n.ledger.notified[ev.OrderID] = true
	n.ledger.check()
	return nil
}

func main() {
	orders := flag.Int("orders", 100, "number of orders to run through the flow")
	timeout := flag.Duration("timeout", time.Minute, "give up when the flow has not completed by then")
	flag.Parse()
	if err := run(context.Background(), os.Stdout, *orders, *timeout); err != nil {
		fmt.Fprintln(os.Stderr, "orders:", starter.Cause(err))
		os.Exit(1)
	}
}

func run(ctx context.Context, out io.Writer, orders int, timeout time.Duration) error {
	if orders < 1 {
		return errors.New("-orders must be at least 1")
	}
	ledger := newLedger(orders)
	var tpl *starter.Template
	var ep *starter.Endpoint
	app := fx.New(
		fx.NopLogger,
		starter.Module,
		starter.ConfigValues(map[string]any{"rocketmq.service-name": "orders"}),
		fx.Supply(ledger, slog.New(slog.DiscardHandler)),
		starter.Listener(NewBillOrders),
		starter.Listener(NewNotifyPaid),
		fx.Populate(&tpl, &ep),
	)
	start := time.Now()
	if err := app.Start(ctx); err != nil {
		return err
	}
	defer app.Stop(context.Background())
	fmt.Fprintf(out, "service  started in %v against name server %v\n", time.Since(start).Round(time.Millisecond), ep.NameServers())

	sendStart := time.Now()
	for step, tag := range events {
		for i := range orders {
			id := fmt.Sprintf("order-%04d", i)
			ev := OrderEvent{OrderID: id, Step: step, Amount: 100 + i}
			res, err := tpl.SendOrderly(ctx, "orders:"+tag, ev, id, starter.WithKeys(id))
			if err != nil {
				return fmt.Errorf("send %s %s: %w", id, tag, err)
			}
			if res.Status != starter.SendOK {
				return fmt.Errorf("send %s %s: status %v", id, tag, res.Status)
			}
		}
	}
	sent := orders * len(events)
	took := time.Since(sendStart)
	fmt.Fprintf(out, "template sent %d events (%d orders x %v) in %v: %.0f msg/s\n",
		sent, orders, events, took.Round(time.Millisecond), float64(sent)/took.Seconds())

	select {
	case <-ledger.done:
	case <-time.After(timeout):
	}
	ledger.mu.Lock()
	billed, notified, outOfSeq := 0, len(ledger.notified), ledger.outOfSeq
	for _, evs := range ledger.billing {
		billed += len(evs)
	}
	ledger.mu.Unlock()
	fmt.Fprintf(out, "billing-orders (orderly)   handled %d of %d events, %d out of sequence\n", billed, sent, outOfSeq)
	fmt.Fprintf(out, "notify-paid (concurrent)   notified %d of %d paid orders\n", notified, orders)
	if billed != sent || notified != orders || outOfSeq != 0 {
		return fmt.Errorf("flow incomplete after %v", timeout)
	}
	fmt.Fprintf(out, "orders OK in %v\n", time.Since(start).Round(time.Millisecond))
	return nil
}
