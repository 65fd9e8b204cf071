package sqlkit

import (
	"context"
	"database/sql"
)

// ContextExecutor runs statements: *sql.DB, *sql.Conn and *sql.Tx.
type ContextExecutor interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Beginner starts transactions: *sql.DB and *sql.Conn.
type Beginner interface {
	ContextExecutor
	BeginTx(ctx context.Context, opts *sql.TxOptions) (*sql.Tx, error)
}

// Conner hands out a dedicated connection: *sql.DB.
type Conner interface {
	Conn(ctx context.Context) (*sql.Conn, error)
}

var (
	_ ContextExecutor = (*sql.Tx)(nil)
	_ Beginner        = (*sql.DB)(nil)
	_ Beginner        = (*sql.Conn)(nil)
	_ Conner          = (*sql.DB)(nil)
)
