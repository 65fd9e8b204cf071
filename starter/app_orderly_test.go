package starter_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/broker/brokertest"
	"github.com/rocketkit/rocketkit/listener"
	"github.com/rocketkit/rocketkit/starter"
	"github.com/rocketkit/rocketkit/starter/startertest"
)

// BillOrders is orderly: the created/paid events of each order, in order.
type BillOrders struct {
	listener.Orderly `topic:"orders" tags:"created || paid" consumers:"${billing.consumers:4}"`
	mu               sync.Mutex
	steps            map[string][]int // order key -> steps in arrival order
	tags             map[string]bool
	n                int
}

func newBillOrders() *BillOrders {
	return &BillOrders{steps: map[string][]int{}, tags: map[string]bool{}}
}

type event struct {
	Order string `json:"order"`
	Step  int    `json:"step"`
}

func (l *BillOrders) Handle(_ context.Context, m *listener.Message) error {
	var e event
	if err := m.Decode(&e); err != nil {
		return listener.Discard(err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.steps[e.Order] = append(l.steps[e.Order], e.Step)
	l.tags[m.Tag] = true
	l.n++
	return nil
}

func (l *BillOrders) count() int { l.mu.Lock(); defer l.mu.Unlock(); return l.n }

// AuditRefunds is concurrent, on the same topic, another tag (S8).
type AuditRefunds struct {
	listener.Concurrent `topic:"orders" tags:"refunded"`
	in                  *inbox
}

func (l *AuditRefunds) Handle(_ context.Context, m *listener.Message) error { l.in.add(m); return nil }

// runOrdersScenario sends 10 orders x 6 steps (created, paid alternating)
// plus refunds and unrelated events through the template, and checks that
// each listener got exactly its messages and the orderly one got each
// order's steps in order.
func runOrdersScenario(t *testing.T, opts ...startertest.Option) {
	bill, audit := newBillOrders(), &AuditRefunds{in: newInbox()}
	opts = append(opts,
		startertest.Listener(func() *BillOrders { return bill }),
		startertest.Listener(func() *AuditRefunds { return audit }),
	)
	app := startertest.New(t, opts...)
	const orders, steps = 10, 6
	for step := range steps {
		for o := range orders {
			key := fmt.Sprintf("order-%02d", o)
			tag := []string{"created", "paid"}[step%2]
			if _, err := app.Template.SendOrderly(sendCtx(t), "orders:"+tag, event{Order: key, Step: step}, key, starter.WithKeys(key)); err != nil {
				t.Fatal(err)
			}
		}
	}
	for i := range 5 {
		if _, err := app.Template.Send(sendCtx(t), "orders:refunded", fmt.Sprintf("refund-%d", i)); err != nil {
			t.Fatal(err)
		}
		if _, err := app.Template.Send(sendCtx(t), "orders:shipped", event{Order: "x", Step: 99}); err != nil {
			t.Fatal(err)
		}
	}
	waitUntil(t, 30*time.Second, func() bool { return bill.count() >= orders*steps })
	refunds := audit.in.waitFor(t, 5, 10*time.Second)
	quietWindow(200 * time.Millisecond) // anything extra would arrive now

	bill.mu.Lock()
	defer bill.mu.Unlock()
	if bill.n != orders*steps {
		t.Errorf("orderly listener got %d messages, want %d", bill.n, orders*steps)
	}
	for key, got := range bill.steps {
		if !slices.Equal(got, []int{0, 1, 2, 3, 4, 5}) {
			t.Errorf("%s: steps %v, want 0..5 in order", key, got)
		}
	}
	if len(bill.tags) != 2 || !bill.tags["created"] || !bill.tags["paid"] {
		t.Errorf("orderly listener saw tags %v", bill.tags)
	}
	if n := audit.in.count(); n != 5 {
		t.Errorf("concurrent listener got %d messages, want 5", n)
	}
	for _, m := range refunds {
		if m.Tag != "refunded" || !strings.HasPrefix(string(m.Body), "refund-") {
			t.Errorf("concurrent listener got %s:%s %q", m.Topic, m.Tag, m.Body)
		}
	}
}

// One orderly and one concurrent listener, default configuration: the
// embedded broker.
func TestOrderlyAndConcurrentEmbedded(t *testing.T) {
	runOrdersScenario(t)
}

// The same application pointed at an external name server.
func TestOrderlyAndConcurrentExternalNameServer(t *testing.T) {
	b := brokertest.Start(t)
	runOrdersScenario(t, startertest.Config(map[string]any{"rocketmq.name-server": b.Addr()}))
}
