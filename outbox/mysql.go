package outbox

import (
	"encoding/binary"
	"slices"
	"strings"

	"github.com/rocketkit/rocketkit/outbox/sqlkit"
)

// Row states of the outbox table.
const (
	statePending = 0 // committed and not sent (possibly leased: being sent, or outcome unknown)
	stateSent    = 2
	stateFailed  = 3 // gave up after max-failures
)

// leaseSuffix names a table's lease table: <table>_lease.
const leaseSuffix = "_lease"

// queries holds the relay's SQL for one table (MySQL 8.0.1+, MariaDB
// 10.6+). Statements with an id list are built per call.
type queries struct {
	table       string // quoted
	leases      string // quoted
	pendingIDs  string
	selectDead  string
	insertLease string
	deleteLease string
	prune       string
	backlog     string
}

// rowColumns are read by the claim; scanRow matches them.
const rowColumns = "id, msg_key, topic, tag, msg_keys, sharding_key, shard_hash, properties, delay_level, payload, failures"

func newQueries(table string) queries {
	t := sqlkit.QuoteTable(table)
	l := sqlkit.QuoteTable(table + leaseSuffix)
	return queries{
		table:  t,
		leases: l,
		// A plain (non-locking) read: it passes over the index entries of
		// rows sent recently (delete-marked until purged) without locking
		// each, and takes no lock writers' inserts could meet.
		pendingIDs: "SELECT id FROM " + t + " WHERE state = 0 AND id > ? ORDER BY id LIMIT ?",
		// Leases past due: their relay died, or they record failed sends.
		selectDead: "SELECT token, ids FROM " + l +
			" WHERE due_at <= NOW(6) ORDER BY due_at LIMIT ? FOR UPDATE SKIP LOCKED",
		insertLease: "INSERT INTO " + l + " (token, min_id, max_id, ids, due_at) VALUES (?, ?, ?, ?, NOW(6) + INTERVAL ? MICROSECOND)",
		deleteLease: "DELETE FROM " + l + " WHERE token = ?",
		prune: "DELETE FROM " + t +
			" WHERE state >= 2 AND sent_at < NOW(6) - INTERVAL ? MICROSECOND ORDER BY id LIMIT ?",
		backlog: "SELECT COUNT(*) FROM " + t + " WHERE state = 0",
	}
}

// placeholders returns "?,?,…" for n values.
func placeholders(n int) string {
	if n <= 0 {
		return ""
	}
	return strings.Repeat("?,", n-1) + "?"
}

// leasedIn lists the ids of the leases that may cover [minID, maxID].
func (q queries) leasedIn() string {
	return "SELECT token, ids FROM " + q.leases + " WHERE min_id <= ? AND max_id >= ?"
}

// lockPending locks, by primary key, the rows matching where (from
// idsWhere) that are still pending and not locked by another transaction.
func (q queries) lockPending(where string) string {
	return "SELECT " + rowColumns + " FROM " + q.table + " FORCE INDEX (PRIMARY) WHERE " + where +
		" AND state = 0 ORDER BY id FOR UPDATE SKIP LOCKED"
}

// lockRows locks pending rows by id (the rows of a dead lease).
func (q queries) lockRows(n int) string {
	return "SELECT " + rowColumns + " FROM " + q.table +
		" WHERE id IN (" + placeholders(n) + ") AND state = 0 FOR UPDATE SKIP LOCKED"
}

// heads lists the pending rows up to maxID of the given shard hashes: the
// rows that must go before any later row of the same hash.
func (q queries) heads(n int) string {
	return "SELECT id, shard_hash FROM " + q.table +
		" WHERE state = 0 AND id <= ? AND shard_hash IN (" + placeholders(n) + ")"
}

// markSent marks rows sent; where and args come from idsWhere.
func (q queries) markSent(where string) string {
	return "UPDATE " + q.table + " SET state = 2, sent_at = NOW(6) WHERE " + where
}

// idsWhere returns a condition matching exactly the given ids, and its
// arguments: runs of consecutive ids become "id BETWEEN ? AND ?", which the
// server resolves as one range instead of one point per id (claims are
// mostly runs), and the rest an IN list. Consecutive integers leave no
// room for another row, so a run matches only the listed ids.
func idsWhere(ids []int64) (string, []any) {
	ids = slices.Clone(ids)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	var b strings.Builder
	var args, single []any
	for i := 0; i < len(ids); {
		j := i
		for j+1 < len(ids) && ids[j+1] == ids[j]+1 {
			j++
		}
		if j-i >= 2 {
			if len(args) > 0 {
				b.WriteString(" OR ")
			}
			b.WriteString("id BETWEEN ? AND ?")
			args = append(args, ids[i], ids[j])
		} else {
			for k := i; k <= j; k++ {
				single = append(single, ids[k])
			}
		}
		i = j + 1
	}
	if len(single) > 0 {
		if len(args) > 0 {
			b.WriteString(" OR ")
		}
		b.WriteString("id IN (" + placeholders(len(single)) + ")")
		args = append(args, single...)
	}
	if len(args) == 0 {
		return "FALSE", nil
	}
	return "(" + b.String() + ")", args
}

// markFailed counts a failed send; rows reaching maxFailures (when > 0)
// become failed. Assignments read only the old failures value, so the
// result does not depend on MariaDB's SIMULTANEOUS_ASSIGNMENT mode. Args:
// maxFailures ×4, error text, ids.
func (q queries) markFailed(n int) string {
	return "UPDATE " + q.table + " SET" +
		" state = IF(? > 0 AND failures + 1 >= ?, 3, 0)," +
		" sent_at = IF(? > 0 AND failures + 1 >= ?, NOW(6), sent_at)," +
		" last_error = ?, failures = failures + 1" +
		" WHERE id IN (" + placeholders(n) + ")"
}

// postponeLease makes a lease due again after a delay (µs). Args: delay,
// token.
func (q queries) postponeLease() string {
	return "UPDATE " + q.leases + " SET due_at = NOW(6) + INTERVAL ? MICROSECOND WHERE token = ?"
}

// rowStates reads the states of rows by id (non-locking).
func (q queries) rowStates(n int) string {
	return "SELECT id, state FROM " + q.table + " WHERE id IN (" + placeholders(n) + ")"
}

// renewLease keeps a lease for the rows whose outcome stays unknown, due
// after a delay (µs). Args: min, max, ids, delay, token.
func (q queries) renewLease() string {
	return "UPDATE " + q.leases + " SET min_id = ?, max_id = ?, ids = ?, due_at = NOW(6) + INTERVAL ? MICROSECOND WHERE token = ?"
}

// packIDs encodes ids for a lease.
func packIDs(ids []int64) []byte {
	b := make([]byte, 8*len(ids))
	for i, id := range ids {
		binary.LittleEndian.PutUint64(b[8*i:], uint64(id))
	}
	return b
}

// unpackIDs decodes a lease's ids.
func unpackIDs(b []byte) []int64 {
	ids := make([]int64, len(b)/8)
	for i := range ids {
		ids[i] = int64(binary.LittleEndian.Uint64(b[8*i:]))
	}
	return ids
}
