package txcheck

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/rocketkit/rocketkit/client"
	"github.com/rocketkit/rocketkit/outbox"
	"github.com/rocketkit/rocketkit/outbox/sqlkit"
)

// State is a transactional message's outcome.
type State int

const (
	// Unknown leaves the half message for a later check-back.
	Unknown State = iota
	// Commit delivers the message.
	Commit
	// Rollback drops it.
	Rollback
)

func (s State) String() string {
	switch s {
	case Commit:
		return "commit"
	case Rollback:
		return "rollback"
	}
	return "unknown"
}

// transaction is s as package client spells it.
func (s State) transaction() client.TransactionState {
	switch s {
	case Commit:
		return client.CommitTransaction
	case Rollback:
		return client.RollbackTransaction
	}
	return client.UnknownTransaction
}

func fromTransaction(s client.TransactionState) State {
	switch s {
	case client.CommitTransaction:
		return Commit
	case client.RollbackTransaction:
		return Rollback
	}
	return Unknown
}

// Checker answers check-backs for a route (WithChecker). Check may be
// called concurrently (the kit's own client checks each message on a
// goroutine of its own, the official one on a single goroutine); ctx
// carries Config.CheckTimeout and ends early when the client underneath
// closes. An error is logged and answered Unknown.
type Checker interface {
	Check(ctx context.Context, p CheckParams) (State, error)
}

// CheckParams describes a checked half message.
type CheckParams struct {
	Topic string
	// Key is the message's outbox.KeyProperty (empty for messages not
	// sent by this package).
	Key string
	// Born is when the producer sent the half message (its clock).
	Born time.Time
	// Message is the half message as the broker sent it.
	Message *client.MessageExt
}

// tableChecker answers from the key table: present → commit; absent and
// older than the grace period → rollback; otherwise unknown.
type tableChecker struct {
	db    outbox.ContextExecutor
	query string
	grace time.Duration
	now   func() time.Time
}

var _ Checker = (*tableChecker)(nil)

func (c *tableChecker) Check(ctx context.Context, p CheckParams) (State, error) {
	if p.Key == "" {
		return Unknown, errors.New("txcheck: checked message has no " + outbox.KeyProperty)
	}
	var one int
	err := c.db.QueryRowContext(ctx, c.query, p.Key).Scan(&one)
	switch {
	case err == nil:
		return Commit, nil
	case errors.Is(err, sql.ErrNoRows):
		if c.now().Sub(p.Born) > c.grace {
			return Rollback, nil
		}
		return Unknown, nil
	default:
		return Unknown, fmt.Errorf("txcheck: look up key %s: %w", p.Key, sqlkit.MarkClosed(err))
	}
}
