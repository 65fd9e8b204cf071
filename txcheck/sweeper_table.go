package txcheck

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/rocketkit/rocketkit/outbox"
	"github.com/rocketkit/rocketkit/outbox/sqlkit"
)

// sweepTable is the key table as the sweeper uses it. sqlSweepTable is the
// only implementation; virtual-time tests replace it with a fake, so the
// sweeper's timing (the interval, the age at which keys are due, lookup
// timeouts) runs in a testing/synctest bubble, which cannot contain a
// database connection.
type sweepTable interface {
	// sweepDue runs fn over up to limit unverified keys committed more
	// than after ago, oldest first, in one transaction that holds their
	// locks (retried on deadlock) and commits fn's marks when fn returns
	// nil. It returns how many keys it selected.
	sweepDue(ctx context.Context, after time.Duration, limit int, fn func(ctx context.Context, rows []*due, mark markFunc) error) (int, error)
	// prune deletes up to pruneBatch keys verified more than retention
	// ago and returns how many it deleted.
	prune(ctx context.Context, retention time.Duration) (int64, error)
}

// markFunc records a due key's outcome in the sweep's transaction: found
// on the broker (verified), or re-sent.
type markFunc func(ctx context.Context, key string, resent bool) error

// pruneBatch is the number of verified keys one prune deletes.
const pruneBatch = 1000

// sqlSweepTable is the key table in MySQL.
type sqlSweepTable struct {
	db outbox.Beginner
	q  sweepQueries
}

type sweepQueries struct {
	selectDue, markVerified, markResent, prune string
}

var _ sweepTable = (*sqlSweepTable)(nil)

func newSQLSweepTable(db outbox.Beginner, table string) *sqlSweepTable {
	t := sqlkit.QuoteTable(table)
	return &sqlSweepTable{db: db, q: sweepQueries{
		selectDue: "SELECT msg_key, topic, tag, msg_keys, sharding_key, properties, delay_level, payload, UNIX_TIMESTAMP(created_at) FROM " + t +
			" WHERE state = 0 AND created_at < NOW(6) - INTERVAL ? MICROSECOND ORDER BY created_at LIMIT ? FOR UPDATE SKIP LOCKED",
		markVerified: "UPDATE " + t + " SET state = 1, verified_at = NOW(6) WHERE msg_key = ?",
		markResent:   "UPDATE " + t + " SET state = 2, verified_at = NOW(6) WHERE msg_key = ?",
		prune:        "DELETE FROM " + t + " WHERE state IN (1, 2) AND verified_at < NOW(6) - INTERVAL ? MICROSECOND ORDER BY verified_at LIMIT " + strconv.Itoa(pruneBatch),
	}}
}

func (t *sqlSweepTable) sweepDue(ctx context.Context, after time.Duration, limit int, fn func(ctx context.Context, rows []*due, mark markFunc) error) (int, error) {
	n := 0
	err := sqlkit.Retry(ctx, 5, func() error {
		return sqlkit.WithTx(ctx, t.db, &sql.TxOptions{Isolation: sql.LevelReadCommitted}, func(ctx context.Context, tx *sql.Tx) error {
			rows, err := t.selectDueRows(ctx, tx, after, limit)
			n = len(rows)
			if err != nil || n == 0 {
				return err
			}
			return fn(ctx, rows, func(ctx context.Context, key string, resent bool) error {
				q := t.q.markVerified
				if resent {
					q = t.q.markResent
				}
				_, err := tx.ExecContext(ctx, q, key)
				return err
			})
		})
	})
	return n, err
}

func (t *sqlSweepTable) selectDueRows(ctx context.Context, tx *sql.Tx, after time.Duration, limit int) ([]*due, error) {
	rs, err := tx.QueryContext(ctx, t.q.selectDue, after.Microseconds(), limit)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var out []*due
	for rs.Next() {
		d := &due{}
		var keys string
		var props sql.NullString
		if err := rs.Scan(&d.rec.Key, &d.rec.Topic, &d.rec.Tag, &keys, &d.rec.ShardingKey, &props,
			&d.rec.DelayLevel, &d.rec.Body, &d.created); err != nil {
			return nil, err
		}
		d.rec.Keys = strings.Fields(keys)
		if props.Valid && props.String != "" {
			if err := json.Unmarshal([]byte(props.String), &d.rec.Properties); err != nil {
				return nil, fmt.Errorf("properties of %s: %w", d.rec.Key, err)
			}
		}
		out = append(out, d)
	}
	return out, rs.Err()
}

func (t *sqlSweepTable) prune(ctx context.Context, retention time.Duration) (int64, error) {
	res, err := t.db.ExecContext(ctx, t.q.prune, retention.Microseconds())
	if err != nil {
		return 0, err
	}
	n, _ := res.RowsAffected()
	return n, nil
}
