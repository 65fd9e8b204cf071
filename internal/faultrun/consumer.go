package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/rocketkit/rocketkit/listener"
	"github.com/rocketkit/rocketkit/outbox"
	"github.com/rocketkit/rocketkit/outbox/inbox"
	"github.com/rocketkit/rocketkit/starter"
	"go.uber.org/fx"
)

// Payloads of the three topics.
type (
	seqPayload struct {
		Key string
		Seq int
	}
	idPayload    struct{ ID string }
	orderPayload struct{ Order int64 }
)

// errInjected is the handlers' deliberate failure (ledger.failFirst).
var errInjected = errors.New("faultrun: injected handler failure")

// OrderedSteps is the orderly listener: per-key sequence numbers, checked
// by the ledger as the handler commits them.
type OrderedSteps struct {
	listener.Orderly `topic:"fr_orderly" group:"fr-orderly" suspend:"200ms"`
	l                *ledger
	name             string
}

// Handle records the delivery.
func (o *OrderedSteps) Handle(_ context.Context, m *listener.Message) error {
	var p seqPayload
	if err := m.Decode(&p); err != nil {
		return listener.Discard(err)
	}
	if o.l.failFirst(fmt.Sprintf("%s/%d", p.Key, p.Seq)) {
		return errInjected // the queue is suspended, then the same message comes again
	}
	o.l.deliverOrderly(p.Key, p.Seq, fmt.Sprintf("%s, queue %d offset %d", o.name, m.QueueID, m.QueueOffset))
	return nil
}

// Notices is the concurrent listener.
type Notices struct {
	listener.Concurrent `topic:"fr_concurrent" group:"fr-concurrent" consumers:"8"`
	l                   *ledger
}

// Handle records the delivery.
func (n *Notices) Handle(_ context.Context, m *listener.Message) error {
	var p idPayload
	if err := m.Decode(&p); err != nil {
		return listener.Discard(err)
	}
	if n.l.failFirst(p.ID) {
		return errInjected // retried through the group's retry topic
	}
	n.l.deliver(p.ID)
	return nil
}

// Fulfilment is the inbox-de-duplicated listener of the outbox's messages:
// each order's effect row and the inbox record commit together. While
// MariaDB is down it fails, and the message comes back through the retry
// topic (maxReconsume is high so that no outage dead-letters one).
type Fulfilment struct {
	listener.Concurrent `topic:"fr_outbox" group:"fr-inbox" consumers:"8" maxReconsume:"10000"`
	l                   *ledger
	in                  *inbox.Inbox
}

// Handle applies the order's effect once.
func (f *Fulfilment) Handle(ctx context.Context, m *listener.Message) error {
	var p orderPayload
	if err := m.Decode(&p); err != nil {
		return listener.Discard(err)
	}
	key := m.Property(outbox.KeyProperty)
	if key == "" {
		return listener.Discard(errors.New("outbox message without " + outbox.KeyProperty))
	}
	handled, err := f.in.Handle(ctx, key, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "INSERT INTO fr_effects (order_id, msg_key) VALUES (?, ?)", p.Order, key)
		return err
	})
	f.l.inboxCall(handled, err)
	return err
}

// consumerApp is one instance of the consumer service: an fx app running
// the three listeners. Several run at once (the groups' members); a
// dropped one is replaced by a new instance in the same groups.
type consumerApp struct {
	name string
	app  *fx.App
}

// startConsumer starts a consumer service instance, retrying while the
// broker is down (start-up fails when no name server answers).
func startConsumer(name, namesrv string, l *ledger, in *inbox.Inbox, log *slog.Logger) (*consumerApp, error) {
	deadline := time.Now().Add(90 * time.Second)
	for {
		app := fx.New(
			fx.NopLogger,
			starter.Module,
			starter.ConfigValues(map[string]any{
				"rocketmq.name-server":                 namesrv,
				"rocketmq.service-name":                "faultrun",
				"rocketmq.instance-name":               name,
				"rocketmq.consumer.consume-from-where": "first",
				"rocketmq.shutdown-timeout":            "3s",
			}),
			fx.Supply(l, in, log),
			starter.Listener(func(l *ledger) *OrderedSteps { return &OrderedSteps{l: l, name: name} }),
			starter.Listener(func(l *ledger) *Notices { return &Notices{l: l} }),
			starter.Listener(func(l *ledger, in *inbox.Inbox) *Fulfilment { return &Fulfilment{l: l, in: in} }),
		)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err := app.Start(ctx)
		cancel()
		if err == nil {
			return &consumerApp{name: name, app: app}, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("consumer %s did not start: %w", name, starter.Cause(err))
		}
		time.Sleep(200 * time.Millisecond) // retry pace while the broker is down
	}
}

// stop stops the instance: its handlers get the shutdown timeout, then
// unacknowledged deliveries go back to the group.
func (c *consumerApp) stop() error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return c.app.Stop(ctx)
}
