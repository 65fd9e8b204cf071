package outbox

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/rocketkit/rocketkit/outbox/sqlkit"
)

// ContextExecutor runs statements: *sql.DB, *sql.Conn and *sql.Tx.
// Publish given a *sql.Tx writes inside that transaction.
type ContextExecutor = sqlkit.ContextExecutor

// Beginner starts transactions: *sql.DB and *sql.Conn.
type Beginner = sqlkit.Beginner

// WithTx runs fn in a transaction on db: it commits when fn returns nil and
// rolls back when fn returns an error or panics, then panics again with the
// same value. A failed rollback's error is joined to fn's error; fn's
// error is returned as it is otherwise, so errors.Is works on it.
//
// Messages published by fn with Publish(ctx, tx, …) become real with the
// commit and vanish with the rollback. fn must not commit or roll back tx
// itself. Cancelling ctx rolls the transaction back.
func WithTx(ctx context.Context, db Beginner, fn func(ctx context.Context, tx *sql.Tx) error) error {
	var fnErr error
	err := sqlkit.WithTx(ctx, db, nil, func(ctx context.Context, tx *sql.Tx) error {
		fnErr = fn(ctx, tx)
		return fnErr
	})
	if err == nil || (fnErr != nil && err == fnErr) { //nolint:errorlint // identity: fn's own error
		return err
	}
	return fmt.Errorf("outbox: %w", dbErr(err))
}
