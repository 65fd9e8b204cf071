package outbox

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/rocketkit/rocketkit/outbox/sqlkit"
)

// row is one claimed outbox row.
type row struct {
	id          int64
	key         string
	topic       string
	tag         string
	keys        string
	shardingKey string
	hash        int64
	props       sql.NullString
	delay       int
	payload     []byte
	failures    int
	unknown     bool // from an expired lease: it may have been sent
}

// deadLease is an expired lease this claim holds (locked).
type deadLease struct {
	token   int64
	covered bool // every pending row of it is in the batch
}

// batch is what one claim took. Its transaction holds the rows' locks
// until the batch is marked; the lease (token) was committed before the
// first send.
type batch struct {
	tx     *sql.Tx
	cancel context.CancelFunc // ends the transaction's context
	token  int64
	start  time.Time // before the claim: the lease runs from a later instant
	rows   []*row    // by id
	dead   []deadLease
}

// maxClaimWindows bounds the pending windows one claim looks at when rows
// are held back by earlier rows of their sharding key.
const maxClaimWindows = 4

// maxDeadLeases bounds the expired leases one claim takes over.
const maxDeadLeases = 4

// claim takes up to BatchSize rows in a READ COMMITTED transaction that
// stays open, holding their locks, until the batch is marked:
//
//  1. (withDead) expired leases, SELECT … FOR UPDATE SKIP LOCKED, and their
//     pending rows (locked), whose outcome is unknown;
//  2. pending rows in id order, SELECT … FOR UPDATE SKIP LOCKED, window by
//     window, minus rows listed in another lease (their relay died: only
//     the lease's taker may look them up);
//  3. per sharding key, only the rows that directly follow the key's
//     earliest pending row (no pending row of the key that this claim did
//     not get may come before them): a row is never sent while an earlier
//     row of its key is unsent, wherever it is;
//  4. a lease listing them is committed on another connection, due after
//     Relay.Lease.
//
// Deadlocks and lock wait timeouts are retried. It returns nil when there
// is nothing to claim.
func (r *Relay) claim(ctx context.Context, withDead bool) (*batch, error) {
	var b *batch
	err := sqlkit.Retry(ctx, 8, func() error {
		var err error
		b, err = r.tryClaim(ctx, withDead)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("outbox: claim from %s: %w", r.cfg.Table, dbErr(err))
	}
	if b != nil {
		r.stats.claimed.Add(int64(len(b.rows)))
		if h := r.hooks.afterClaim; h != nil {
			h(b.token, len(b.rows))
		}
	}
	return b, nil
}

func (r *Relay) tryClaim(ctx context.Context, withDead bool) (_ *batch, err error) {
	start := time.Now()
	// The transaction outlives a stop of the relay (the batch is finished)
	// but not the lease: database/sql rolls it back at the deadline.
	txCtx, cancel := context.WithDeadline(context.WithoutCancel(ctx), start.Add(r.cfg.Relay.Lease))
	tx, err := r.db.BeginTx(txCtx, &sql.TxOptions{Isolation: sql.LevelReadCommitted})
	if err != nil {
		cancel()
		return nil, fmt.Errorf("begin: %w", err)
	}
	keep := false
	defer func() {
		if !keep {
			_ = tx.Rollback()
			cancel()
		}
	}()
	limit := r.cfg.Relay.BatchSize
	var cands []*row
	var dead []deadLease
	deadIDs := map[int64][]int64{} // token → ids
	if withDead {
		if dead, cands, err = r.takeDead(ctx, tx, deadIDs); err != nil {
			return nil, err
		}
	}
	seen := make(map[int64]bool, len(cands))
	for _, c := range cands {
		seen[c.id] = true
	}
	var taken []*row
	last := int64(0)
	for w := 0; w < maxClaimWindows; w++ {
		ids, err := r.pendingIDs(ctx, tx, last, limit)
		if err != nil {
			return nil, err
		}
		var rows []*row
		if len(ids) > 0 {
			where, args := idsWhere(ids)
			if rows, err = r.selectRows(ctx, tx, r.q.lockPending(where), args...); err != nil {
				return nil, err
			}
		}
		var fresh []*row
		for _, rw := range rows {
			if !seen[rw.id] {
				seen[rw.id] = true
				fresh = append(fresh, rw)
			}
		}
		if fresh, err = r.dropLeased(ctx, tx, fresh, deadIDs); err != nil {
			return nil, err
		}
		cands = append(cands, fresh...)
		if taken, err = r.heads(ctx, tx, cands); err != nil {
			return nil, err
		}
		if len(ids) < limit || len(taken) >= limit/2 {
			break
		}
		last = ids[len(ids)-1]
	}
	if len(taken) > limit {
		taken = taken[:limit] // a prefix per key stays a prefix
	}
	inBatch := make(map[int64]bool, len(taken))
	for _, rw := range taken {
		inBatch[rw.id] = true
	}
	for i := range dead {
		dead[i].covered = true
		for _, id := range deadIDs[dead[i].token] {
			if !inBatch[id] {
				dead[i].covered = false // a pending row of it stays behind
			}
		}
	}
	if len(taken) == 0 {
		// Expired leases whose rows are all done are dropped.
		for _, d := range dead {
			if d.covered {
				if _, err := tx.ExecContext(ctx, r.q.deleteLease, d.token); err != nil {
					return nil, fmt.Errorf("drop lease: %w", err)
				}
			} else if _, err := tx.ExecContext(ctx, r.q.postponeLease(), r.cfg.Relay.RetryBackoff.Microseconds(), d.token); err != nil {
				return nil, fmt.Errorf("postpone lease: %w", err)
			}
		}
		if len(dead) > 0 {
			keep = true
			defer cancel()
			return nil, tx.Commit()
		}
		return nil, nil
	}
	ids := make([]int64, len(taken))
	for i, rw := range taken {
		ids[i] = rw.id
	}
	token := rand.Int64N(1<<62) + 1
	// The lease must be durable before the first send: it is what tells
	// another relay, should this one die, that the rows may have been sent.
	if _, err := r.db.ExecContext(ctx, r.q.insertLease, token, slices.Min(ids), slices.Max(ids), packIDs(ids),
		r.cfg.Relay.Lease.Microseconds()); err != nil {
		return nil, fmt.Errorf("record lease: %w", err)
	}
	keep = true
	return &batch{tx: tx, cancel: cancel, token: token, start: start, rows: taken, dead: dead}, nil
}

// takeDead locks up to maxDeadLeases expired leases and their pending rows,
// which come back marked unknown; rows locked elsewhere stay behind (their
// lease is then not covered). It fills deadIDs with every lease's pending
// ids.
func (r *Relay) takeDead(ctx context.Context, tx *sql.Tx, deadIDs map[int64][]int64) ([]deadLease, []*row, error) {
	rs, err := tx.QueryContext(ctx, r.q.selectDead, maxDeadLeases)
	if err != nil {
		return nil, nil, fmt.Errorf("select expired leases: %w", err)
	}
	var dead []deadLease
	var all []int64
	for rs.Next() {
		var token int64
		var packed []byte
		if err := rs.Scan(&token, &packed); err != nil {
			rs.Close()
			return nil, nil, err
		}
		ids := unpackIDs(packed)
		dead = append(dead, deadLease{token: token})
		deadIDs[token] = ids
		all = append(all, ids...)
	}
	if err := rs.Close(); err != nil {
		return nil, nil, err
	}
	if len(all) == 0 {
		return dead, nil, nil
	}
	slices.Sort(all)
	all = slices.Compact(all)
	args := make([]any, len(all))
	for i, id := range all {
		args[i] = id
	}
	rows, err := r.selectRows(ctx, tx, r.q.lockRows(len(all)), args...)
	if err != nil {
		return nil, nil, err
	}
	// Keep in deadIDs only the ids still pending (locked by us or not).
	pending := map[int64]bool{}
	st, err := tx.QueryContext(ctx, r.q.rowStates(len(all)), args...)
	if err != nil {
		return nil, nil, fmt.Errorf("read lease rows: %w", err)
	}
	for st.Next() {
		var id int64
		var state int
		if err := st.Scan(&id, &state); err != nil {
			st.Close()
			return nil, nil, err
		}
		if state == statePending {
			pending[id] = true
		}
	}
	if err := st.Close(); err != nil {
		return nil, nil, err
	}
	for token, ids := range deadIDs {
		deadIDs[token] = slices.DeleteFunc(ids, func(id int64) bool { return !pending[id] })
	}
	for _, rw := range rows {
		rw.unknown = true
	}
	return dead, rows, nil
}

// dropLeased removes from rows (locked by this transaction) those listed
// in a lease this claim does not hold: their relay died after leasing them
// (a live relay still holds their locks). Rows listed in a lease the claim
// holds are marked unknown: they were unlocked only after the lease was
// taken (their relay's transaction ended late), and may have been sent.
// The leases are read after the rows were locked, so a lease committed
// before its rows were released is always seen.
func (r *Relay) dropLeased(ctx context.Context, tx *sql.Tx, rows []*row, held map[int64][]int64) ([]*row, error) {
	if len(rows) == 0 {
		return rows, nil
	}
	rs, err := tx.QueryContext(ctx, r.q.leasedIn(), rows[len(rows)-1].id, rows[0].id)
	if err != nil {
		return nil, fmt.Errorf("read leases: %w", err)
	}
	leased := map[int64]bool{}
	mine := map[int64]bool{}
	for rs.Next() {
		var token int64
		var packed []byte
		if err := rs.Scan(&token, &packed); err != nil {
			rs.Close()
			return nil, err
		}
		_, ours := held[token]
		for _, id := range unpackIDs(packed) {
			if ours {
				mine[id] = true
			} else {
				leased[id] = true
			}
		}
	}
	if err := rs.Close(); err != nil {
		return nil, err
	}
	for _, rw := range rows {
		if mine[rw.id] {
			rw.unknown = true
		}
	}
	if len(leased) == 0 {
		return rows, nil
	}
	return slices.DeleteFunc(rows, func(rw *row) bool { return leased[rw.id] && !mine[rw.id] }), nil
}

// heads filters cands (locked by this transaction) to the rows whose
// sharding key has no pending row, outside cands, before them.
func (r *Relay) heads(ctx context.Context, tx *sql.Tx, cands []*row) ([]*row, error) {
	var maxID int64
	hashes := map[int64]bool{}
	inCands := make(map[int64]bool, len(cands))
	for _, c := range cands {
		inCands[c.id] = true
		if c.hash != 0 {
			hashes[c.hash] = true
			maxID = max(maxID, c.id)
		}
	}
	ok := map[int64]bool{}
	if len(hashes) > 0 {
		args := make([]any, 0, len(hashes)+1)
		args = append(args, maxID)
		for h := range hashes {
			args = append(args, h)
		}
		rs, err := tx.QueryContext(ctx, r.q.heads(len(hashes)), args...)
		if err != nil {
			return nil, fmt.Errorf("read pending rows by key: %w", err)
		}
		pending := map[int64][]int64{}
		for rs.Next() {
			var id, h int64
			if err := rs.Scan(&id, &h); err != nil {
				rs.Close()
				return nil, err
			}
			pending[h] = append(pending[h], id)
		}
		if err := rs.Close(); err != nil {
			return nil, err
		}
		for _, ids := range pending {
			slices.Sort(ids)
			for _, id := range ids {
				if !inCands[id] {
					break // an earlier pending row of the key is not ours
				}
				ok[id] = true
			}
		}
	}
	out := make([]*row, 0, len(cands))
	for _, c := range cands {
		if c.hash == 0 || ok[c.id] {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b *row) int { return cmpInt64(a.id, b.id) })
	return out, nil
}

func cmpInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// pendingIDs reads (without locking) the ids of up to limit pending rows
// after last, in id order.
func (r *Relay) pendingIDs(ctx context.Context, tx *sql.Tx, last int64, limit int) ([]int64, error) {
	rs, err := tx.QueryContext(ctx, r.q.pendingIDs, last, limit)
	if err != nil {
		return nil, fmt.Errorf("select pending ids: %w", err)
	}
	defer rs.Close()
	ids := make([]int64, 0, limit)
	for rs.Next() {
		var id int64
		if err := rs.Scan(&id); err != nil {
			return nil, fmt.Errorf("scan id: %w", err)
		}
		ids = append(ids, id)
	}
	return ids, rs.Err()
}

func (r *Relay) selectRows(ctx context.Context, tx *sql.Tx, query string, args ...any) ([]*row, error) {
	rs, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("select rows: %w", err)
	}
	defer rs.Close()
	var out []*row
	for rs.Next() {
		rw := &row{}
		if err := rs.Scan(&rw.id, &rw.key, &rw.topic, &rw.tag, &rw.keys, &rw.shardingKey, &rw.hash,
			&rw.props, &rw.delay, &rw.payload, &rw.failures); err != nil {
			return nil, fmt.Errorf("scan row: %w", err)
		}
		out = append(out, rw)
	}
	return out, rs.Err()
}
