package sqlkit

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// WithTx runs fn in a transaction on db. It commits when fn returns nil and
// rolls back when fn returns an error or panics; after a panic it rolls
// back and panics again with the same value. A failed rollback's error is
// joined to fn's. opts may be nil.
//
// fn must not commit or roll back tx itself. Cancelling ctx makes
// database/sql roll the transaction back.
func WithTx(ctx context.Context, db Beginner, opts *sql.TxOptions, fn func(ctx context.Context, tx *sql.Tx) error) (err error) {
	tx, err := db.BeginTx(ctx, opts)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	committed := false
	defer func() {
		if committed {
			return
		}
		if p := recover(); p != nil {
			_ = tx.Rollback()
			panic(p)
		}
		if rbErr := tx.Rollback(); rbErr != nil && !errors.Is(rbErr, sql.ErrTxDone) {
			err = errors.Join(err, fmt.Errorf("roll back: %w", rbErr))
		}
	}()
	if err := fn(ctx, tx); err != nil {
		return err
	}
	committed = true
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}
