package outbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rocketkit/rocketkit/client"
	"github.com/rocketkit/rocketkit/tracing"
)

// outcome of one claimed row.
type outcome int

const (
	notAttempted  outcome = iota // not sent this round
	sentNow                      // sent and acknowledged
	foundOnBroker                // outcome was unknown; the broker has it
	sendFailed                   // the send failed: outcome unknown
	unresolved                   // outcome unknown and the lookup failed
)

// processResult sums up one batch.
type processResult struct {
	failed int   // rows whose send failed
	err    error // the first send error
	fatal  error // the relay cannot go on
}

// process resolves the batch's unknown rows by key, sends the rest in
// order per sharding key, and marks every row. ctx is not cancelled when
// the relay stops; the lease bounds the work.
func (r *Relay) process(ctx context.Context, b *batch) processResult {
	rc := r.cfg.Relay
	// Everything, the mark included, ends a SendTimeout before the lease.
	ctx, cancel := context.WithDeadline(ctx, b.start.Add(rc.Lease-rc.SendTimeout))
	defer cancel()
	outcomes, res := r.deliver(ctx, b)
	if h := r.hooks.beforeMark; h != nil {
		h(b.token)
	}
	if err := r.mark(ctx, b, outcomes, res.err); err != nil {
		if errors.Is(err, ErrDBClosed) {
			res.fatal = err
		}
		r.log.Warn("outbox mark failed; the lease will expire and the rows be looked up by key",
			"rows", len(b.rows), "error", err)
	}
	return res
}

// deliver looks up the batch's unknown rows by key and sends the rest in
// order per sharding key, each send bounded by SendTimeout; no send starts
// later than Lease - 2×SendTimeout after the claim (the rows left then
// stay not attempted). It returns every row's outcome and does not touch
// the database.
func (r *Relay) deliver(ctx context.Context, b *batch) ([]outcome, processResult) {
	rc := r.cfg.Relay
	// Sends may start until this instant, so that they end (SendTimeout)
	// well before the lease expires and another relay looks the rows up.
	sendDeadline := b.start.Add(rc.Lease - 2*rc.SendTimeout)

	outcomes := make([]outcome, len(b.rows))
	r.resolveUnknown(ctx, b, outcomes)

	// Decide what to send: in id order, skipping everything after an
	// unresolved row of the same key.
	blocked := map[int64]bool{}
	var toSend []int
	for i, rw := range b.rows {
		if rw.hash != 0 && blocked[rw.hash] {
			continue
		}
		switch outcomes[i] {
		case foundOnBroker:
			continue
		case unresolved:
			if rw.hash != 0 {
				blocked[rw.hash] = true
			}
			continue
		}
		toSend = append(toSend, i)
	}

	var res processResult
	var resMu sync.Mutex
	r.learnQueueCounts(ctx, b, toSend)
	groups := r.group(b, toSend)
	if h := r.hooks.sendPlan; h != nil {
		n := 0
		for _, g := range groups {
			n += len(g.chunks)
		}
		h(b.token, n)
	}
	sem := make(chan struct{}, rc.SendConcurrency)
	var wg sync.WaitGroup
	for _, g := range groups {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			for _, chunk := range g.chunks {
				if time.Now().After(sendDeadline) {
					return // the rest stay not attempted
				}
				if h := r.hooks.beforeSend; h != nil {
					h(b.token)
				}
				err := r.send(ctx, b, g.topic, chunk)
				if h := r.hooks.afterSend; h != nil {
					h(b.token, err)
				}
				if err != nil {
					for _, i := range chunk {
						outcomes[i] = sendFailed
					}
					resMu.Lock()
					res.failed += len(chunk)
					if res.err == nil {
						res.err = err
					}
					resMu.Unlock()
					return // later chunks of this queue keep their order
				}
				for _, i := range chunk {
					outcomes[i] = sentNow
				}
				r.stats.batches.Add(1)
			}
		}()
	}
	wg.Wait()
	return outcomes, res
}

// resolveUnknown looks up the rows whose outcome is unknown.
func (r *Relay) resolveUnknown(ctx context.Context, b *batch, outcomes []outcome) {
	sem := make(chan struct{}, r.cfg.Relay.LookupConcurrency)
	var wg sync.WaitGroup
	for i, rw := range b.rows {
		if !rw.unknown {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			lctx, cancel := context.WithTimeout(ctx, r.cfg.Relay.SendTimeout)
			defer cancel()
			found, err := r.lookup.LookupKey(lctx, LookupParams{Topic: rw.topic, Key: rw.key})
			switch {
			case err != nil:
				outcomes[i] = unresolved
				r.log.Warn("outbox key lookup failed", "topic", rw.topic, "key", rw.key, "error", err)
			case found:
				outcomes[i] = foundOnBroker
			}
		}()
	}
	wg.Wait()
}

// learnQueueCounts asks the sender for the queues of the topics among idx
// whose sharding-keyed rows could share batches but whose queue count the
// selector has not seen yet (a topic's first claim), when the sender can
// tell; otherwise the count is learnt from the first send.
func (r *Relay) learnQueueCounts(ctx context.Context, b *batch, idx []int) {
	if r.lister == nil {
		return
	}
	asked := map[string]bool{}
	for _, i := range idx {
		rw := b.rows[i]
		if rw.shardingKey == "" || asked[rw.topic] || r.sel.count(rw.topic) > 0 {
			continue
		}
		asked[rw.topic] = true
		lctx, cancel := context.WithTimeout(ctx, r.cfg.Relay.SendTimeout)
		queues, err := r.lister.Queues(lctx, rw.topic)
		cancel()
		if err != nil {
			r.log.Debug("outbox could not list the queues of a topic; batching per key until the first send",
				"topic", rw.topic, "error", err)
			continue
		}
		r.sel.setCount(rw.topic, len(queues))
	}
}

// sendGroup is the rows bound for one queue (or, without a sharding key,
// for any queue), in id order, cut into sends.
type sendGroup struct {
	topic  string
	chunks [][]int // indexes into batch.rows
}

// group sorts the rows to send into queues. With a known queue count, keys
// sharing a queue share a group, so their rows can travel in one batch;
// without one, each sharding key is its own group. Rows without a sharding
// key are spread over SendConcurrency groups.
func (r *Relay) group(b *batch, idx []int) []*sendGroup {
	rc := r.cfg.Relay
	byKey := map[string]*sendGroup{}
	var order []*sendGroup
	members := map[*sendGroup][]int{}
	spread := 0
	for _, i := range idx {
		rw := b.rows[i]
		var k string
		switch {
		case rw.shardingKey == "":
			k = "*" + strconv.Itoa(spread%rc.SendConcurrency)
			spread++
		case r.sel.count(rw.topic) > 0:
			k = "q" + strconv.Itoa(queueSlot(rw.shardingKey, r.sel.count(rw.topic)))
		default:
			k = "k" + rw.shardingKey
		}
		k = rw.topic + "\x00" + k
		g := byKey[k]
		if g == nil {
			g = &sendGroup{topic: rw.topic}
			byKey[k] = g
			order = append(order, g)
		}
		members[g] = append(members[g], i)
	}
	for _, g := range order {
		var cur []int
		size := 0
		flush := func() {
			if len(cur) > 0 {
				g.chunks = append(g.chunks, cur)
				cur, size = nil, 0
			}
		}
		for _, i := range members[g] {
			rw := b.rows[i]
			if rw.delay > 0 || rw.failures > 0 {
				// Delayed messages cannot travel in a batch; a row that
				// failed before goes alone so it cannot fail others.
				flush()
				g.chunks = append(g.chunks, []int{i})
				continue
			}
			n := len(rw.payload) + len(rw.props.String) + len(rw.keys) + len(rw.key) + 128
			if len(cur) >= rc.MaxBatchMessages || (len(cur) > 0 && size+n > rc.MaxBatchBytes) {
				flush()
			}
			cur = append(cur, i)
			size += n
		}
		flush()
	}
	return order
}

// send sends one chunk: one message, or one batch, all bound for the
// queue of the first message's sharding key (the selector picks it).
func (r *Relay) send(ctx context.Context, b *batch, topic string, chunk []int) error {
	ctx, cancel := context.WithTimeout(ctx, r.cfg.Relay.SendTimeout)
	defer cancel()
	msgs := make([]*client.Message, len(chunk))
	for j, i := range chunk {
		m, err := b.rows[i].message()
		if err != nil {
			return err
		}
		msgs[j] = m
	}
	var (
		res *client.SendResult
		err error
	)
	end := endSend
	if r.tracer != nil {
		ctx, end = r.tracer.StartSend(ctx, tracing.Send{Mode: "outbox", Messages: msgs})
	}
	if len(msgs) == 1 {
		res, err = r.sender.Send(ctx, msgs[0], r.sendOpt)
	} else {
		res, err = r.sender.SendBatch(ctx, msgs, r.sendOpt)
	}
	end(res, err)
	if err != nil {
		return fmt.Errorf("outbox: send %d message(s) to %s: %w", len(chunk), topic, err)
	}
	if res == nil {
		return fmt.Errorf("outbox: send %d message(s) to %s: no result", len(chunk), topic)
	}
	if res.Status != client.SendOK {
		r.log.Warn("outbox send stored without its durability guarantee", "topic", topic,
			"status", res.Status.String(), "messages", len(chunk))
	}
	return nil
}

// endSend ends an untraced send.
func endSend(*client.SendResult, error) {}

// message rebuilds the RocketMQ message of a row.
func (rw *row) message() (*client.Message, error) {
	rec := Record{Key: rw.key, Topic: rw.topic, Tag: rw.tag, ShardingKey: rw.shardingKey, DelayLevel: rw.delay, Body: rw.payload}
	if rw.keys != "" {
		rec.Keys = strings.Fields(rw.keys)
	}
	if rw.props.Valid && rw.props.String != "" {
		if err := json.Unmarshal([]byte(rw.props.String), &rec.Properties); err != nil {
			return nil, fmt.Errorf("outbox: row %d: properties: %w", rw.id, err)
		}
	}
	return rec.Message(), nil
}

// mark records every row's outcome in the claim's transaction and
// commits it, releasing the rows: sent and found rows become sent; failed
// rows count the failure and, with the unknown rows left unresolved or
// unsent, stay in the batch's lease, due after a backoff (their outcome is
// unknown until looked up); unsent pending rows are simply released. The
// expired leases the batch covered are dropped. On any error the
// transaction rolls back and the lease, still listing every row, expires:
// the rows are then looked up by key.
func (r *Relay) mark(ctx context.Context, b *batch, outcomes []outcome, sendErr error) (err error) {
	defer func() {
		if err != nil {
			_ = b.tx.Rollback()
		}
		b.cancel()
	}()
	rc := r.cfg.Relay
	var sent []int64
	var failed []any
	var unknown []int64
	var nSent, nFound, nRetried, nReleased int64
	maxFailures := 0
	for i, rw := range b.rows {
		switch outcomes[i] {
		case sentNow:
			sent = append(sent, rw.id)
			nSent++
			if rw.unknown {
				nRetried++
			}
		case foundOnBroker:
			sent = append(sent, rw.id)
			nFound++
		case sendFailed:
			failed = append(failed, rw.id)
			unknown = append(unknown, rw.id)
			maxFailures = max(maxFailures, rw.failures+1)
			if rc.MaxFailures > 0 && rw.failures+1 >= rc.MaxFailures {
				r.log.Error("outbox gives up on a message after max-failures; it no longer holds back its sharding key",
					"topic", rw.topic, "key", rw.key, "id", rw.id, "failures", rw.failures+1, "error", sendErr)
			}
		case unresolved:
			unknown = append(unknown, rw.id)
		case notAttempted:
			if rw.unknown {
				unknown = append(unknown, rw.id)
			} else {
				nReleased++
			}
		}
	}
	errText := ""
	if sendErr != nil {
		errText = sendErr.Error()
		if len(errText) > 500 {
			errText = errText[:500]
		}
	}
	tx := b.tx
	if len(sent) > 0 {
		where, args := idsWhere(sent)
		if _, err := tx.ExecContext(ctx, r.q.markSent(where), args...); err != nil {
			return fmt.Errorf("outbox: mark %d row(s) of %s sent: %w", len(sent), r.cfg.Table, dbErr(err))
		}
	}
	if len(failed) > 0 {
		args := append([]any{rc.MaxFailures, rc.MaxFailures, rc.MaxFailures, rc.MaxFailures, errText}, failed...)
		if _, err := tx.ExecContext(ctx, r.q.markFailed(len(failed)), args...); err != nil {
			return fmt.Errorf("outbox: record failed sends: %w", dbErr(err))
		}
	}
	if len(unknown) > 0 {
		backoff := min(rc.RetryBackoff<<min(maxFailures, 20), rc.MaxRetryBackoff)
		_, err := tx.ExecContext(ctx, r.q.renewLease(), slices.Min(unknown), slices.Max(unknown), packIDs(unknown),
			backoff.Microseconds(), b.token)
		if err != nil {
			return fmt.Errorf("outbox: keep lease of %d row(s): %w", len(unknown), dbErr(err))
		}
	} else if _, err := tx.ExecContext(ctx, r.q.deleteLease, b.token); err != nil {
		return fmt.Errorf("outbox: drop lease: %w", dbErr(err))
	}
	for _, d := range b.dead {
		q, args := r.q.deleteLease, []any{d.token}
		if !d.covered {
			q, args = r.q.postponeLease(), []any{rc.RetryBackoff.Microseconds(), d.token}
		}
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("outbox: settle expired lease: %w", dbErr(err))
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("outbox: commit marks of %s: %w", r.cfg.Table, dbErr(err))
	}
	r.stats.sent.Add(nSent)
	r.stats.found.Add(nFound)
	r.stats.retried.Add(nRetried)
	r.stats.failed.Add(int64(len(failed)))
	r.stats.released.Add(nReleased)
	if r.metrics != nil {
		r.metrics.Relayed(RelayStats{Claimed: int64(len(b.rows)), Sent: nSent, Found: nFound, Retried: nRetried,
			Compensated: nFound + nRetried, Failed: int64(len(failed)), Released: nReleased})
	}
	if h := r.hooks.afterMarked; h != nil {
		h(b.token, len(b.rows))
	}
	return nil
}
