package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// drainTimeout bounds the wait for the consumers and relays to catch up
// once the load and the faults stopped.
const drainTimeout = 90 * time.Second

// quietWindow is how long the run keeps watching after everything
// arrived, so that late duplicates show in the figures.
const quietWindow = 2 * time.Second

// outboxState is the outbox side as the database holds it.
type outboxState struct {
	orders, distinctEffects, effects int
	pending, sent, failed            int
}

func queryOutbox(ctx context.Context, db *sql.DB) (outboxState, error) {
	var s outboxState
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	err := db.QueryRowContext(ctx, `SELECT
		(SELECT COUNT(*) FROM fr_orders),
		(SELECT COUNT(DISTINCT order_id) FROM fr_effects),
		(SELECT COUNT(*) FROM fr_effects),
		(SELECT COUNT(*) FROM `+outboxTable+` WHERE state = 0),
		(SELECT COUNT(*) FROM `+outboxTable+` WHERE state = 2),
		(SELECT COUNT(*) FROM `+outboxTable+` WHERE state = 3)`).
		Scan(&s.orders, &s.distinctEffects, &s.effects, &s.pending, &s.sent, &s.failed)
	return s, err
}

// drainAndCheck waits until every committed order has its effect and
// every acknowledged send was delivered (or drainTimeout passed), then
// checks everything and prints the figures.
func (r *run) drainAndCheck(ctx context.Context, db *sql.DB) error {
	began := time.Now()
	for {
		s, err := queryOutbox(ctx, db)
		if err == nil && s.pending == 0 && s.distinctEffects >= s.orders && r.ledger.templateComplete() {
			r.logf("drained in %v", time.Since(began).Round(time.Millisecond))
			break
		}
		if time.Since(began) > drainTimeout {
			r.logf("NOT drained after %v (last state %+v, query error %v)", drainTimeout, s, err)
			break
		}
		time.Sleep(250 * time.Millisecond) // poll interval
	}
	time.Sleep(quietWindow) // late duplicates, if any, show in the figures
	return r.check(ctx, db)
}

// check compares what was sent and committed with what was consumed and
// applied, prints the figures and returns what is wrong.
func (r *run) check(ctx context.Context, db *sql.DB) error {
	var problems []string
	t := r.ledger.templateCheck()
	r.logf("handlers: %d first deliveries failed on purpose (1 in %d messages), to be retried", t.Injected, failEvery)
	r.logf("template, concurrent listener: sent %d, SEND_OK %d (other outcomes %d); delivered %d distinct in %d deliveries "+
		"(duplicates %d; %d not acknowledged but delivered); lost %d",
		t.Acked+t.NotAcked, t.Acked, t.NotAcked, t.Distinct, t.Deliveries, t.Deliveries-t.Distinct, t.NotAckedDelivered, len(t.Lost))
	if len(t.Lost) > 0 {
		problems = append(problems, fmt.Sprintf("%d SEND_OK messages never delivered to the concurrent listener, e.g. %v", len(t.Lost), t.Lost[:min(5, len(t.Lost))]))
	}
	r.logf("template, orderly listener: %d keys, SEND_OK %d (failed attempts retried %d); first deliveries %d, redeliveries %d; "+
		"lost %d, order violations %d",
		t.Keys, t.OrderAcked, t.OrderRetries, t.OrderFirst, t.OrderSeen, len(t.OrderLost), len(t.Violations))
	if len(t.OrderLost) > 0 {
		problems = append(problems, fmt.Sprintf("orderly: %d SEND_OK messages (key/seq) never delivered, e.g. %v", len(t.OrderLost), t.OrderLost[:min(5, len(t.OrderLost))]))
	}
	if len(t.Violations) > 0 {
		problems = append(problems, fmt.Sprintf("orderly: %d order violations: %s", len(t.Violations), strings.Join(t.Violations[:min(5, len(t.Violations))], "; ")))
	}

	o, err := r.checkOutbox(ctx, db)
	if err != nil {
		return errors.Join(append([]error{err}, asErrors(problems)...)...)
	}
	problems = append(problems, o...)
	if len(problems) > 0 {
		return errors.Join(asErrors(problems)...)
	}
	return nil
}

// checkOutbox checks that every committed order was applied exactly once.
func (r *run) checkOutbox(ctx context.Context, db *sql.DB) ([]string, error) {
	committed, unknown, txFailed, calls, absorbed, failed := r.ledger.outboxCounts()
	s, err := queryOutbox(ctx, db)
	if err != nil {
		return nil, err
	}
	orders, err := queryIDs(ctx, db, "SELECT id FROM fr_orders")
	if err != nil {
		return nil, err
	}
	lost, err := queryIDs(ctx, db, "SELECT o.id FROM fr_orders o LEFT JOIN fr_effects e ON e.order_id = o.id WHERE e.id IS NULL ORDER BY o.id")
	if err != nil {
		return nil, err
	}
	twice, err := queryIDs(ctx, db, "SELECT order_id FROM fr_effects GROUP BY order_id HAVING COUNT(*) > 1 ORDER BY order_id")
	if err != nil {
		return nil, err
	}
	stray, err := queryIDs(ctx, db, "SELECT e.order_id FROM fr_effects e LEFT JOIN fr_orders o ON o.id = e.order_id WHERE o.id IS NULL")
	if err != nil {
		return nil, err
	}
	inDB := make(map[int64]bool, len(orders))
	for _, id := range orders {
		inDB[id] = true
	}
	var vanished []int64
	for id := range committed {
		if !inDB[id] {
			vanished = append(vanished, id)
		}
	}
	slices.Sort(vanished)
	r.logf("outbox: transactions committed %d orders (+%d commits with unknown outcome, %d transactions failed before commit); "+
		"%d orders in the table; outbox rows sent %d, pending %d, failed %d",
		len(committed), unknown, txFailed, s.orders, s.sent, s.pending, s.failed)
	r.logf("inbox listener: %d handler calls, duplicates absorbed by the inbox %d, failed (redelivered) %d; "+
		"effects %d for %d orders: lost %d, applied twice %d, stray %d",
		calls, absorbed, failed, s.effects, s.orders, len(lost), len(twice), len(stray))
	var problems []string
	if len(lost) > 0 {
		problems = append(problems, fmt.Sprintf("%d committed orders never applied, e.g. %v", len(lost), lost[:min(5, len(lost))]))
	}
	if len(twice) > 0 {
		problems = append(problems, fmt.Sprintf("%d orders applied more than once, e.g. %v", len(twice), twice[:min(5, len(twice))]))
	}
	if len(stray) > 0 {
		problems = append(problems, fmt.Sprintf("%d effects of orders that were never committed, e.g. %v", len(stray), stray[:min(5, len(stray))]))
	}
	if len(vanished) > 0 {
		problems = append(problems, fmt.Sprintf("%d orders whose commit succeeded are missing from MariaDB, e.g. %v", len(vanished), vanished[:min(5, len(vanished))]))
	}
	if s.pending > 0 || s.failed > 0 {
		problems = append(problems, fmt.Sprintf("outbox rows not sent: %d pending, %d failed", s.pending, s.failed))
	}
	if s.sent != s.orders {
		problems = append(problems, fmt.Sprintf("%d outbox rows sent for %d orders", s.sent, s.orders))
	}
	return problems, nil
}

func queryIDs(ctx context.Context, db *sql.DB, query string) ([]int64, error) {
	rows, err := db.QueryContext(ctx, query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

func asErrors(problems []string) []error {
	errs := make([]error, len(problems))
	for i, p := range problems {
		errs[i] = errors.New(p)
	}
	return errs
}
