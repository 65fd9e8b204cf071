package inbox

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/rocketkit/rocketkit/client"
	"github.com/rocketkit/rocketkit/outbox"
	"github.com/rocketkit/rocketkit/outbox/sqlkit"
)

// DefaultTable is the inbox table's default name.
const DefaultTable = "rocketkit_inbox"

// maxKeyLen is the msg_key column's size.
const maxKeyLen = 128

// Config configures an Inbox. A zero value means the documented default.
type Config struct {
	// Table is the inbox table. Default "rocketkit_inbox".
	Table string `koanf:"table"`
	// SchemaTable records the applied schema version. Default
	// "rocketkit_schema".
	SchemaTable string `koanf:"schema-table"`
	// Consumer scopes the keys, e.g. the consumer group's name, so that
	// several consumers can share a table. Default "" (one scope).
	Consumer string `koanf:"consumer"`
	// Retention is how long Prune keeps keys. Default 7 days.
	Retention time.Duration `koanf:"retention"`
	// MaxRetries bounds the re-runs of a transaction that hit a deadlock
	// or a lock wait timeout. Default 5.
	MaxRetries int `koanf:"max-retries"`
}

func (c *Config) setDefaults() {
	if c.Table == "" {
		c.Table = DefaultTable
	}
	if c.SchemaTable == "" {
		c.SchemaTable = sqlkit.DefaultSchemaTable
	}
	if c.Retention == 0 {
		c.Retention = 7 * 24 * time.Hour
	}
	if c.MaxRetries == 0 {
		c.MaxRetries = 5
	}
}

// Validate checks the configuration (after defaults).
func (c Config) Validate() error {
	var errs []error
	for _, t := range []string{c.Table, c.SchemaTable} {
		if err := sqlkit.ValidateTableName(t); err != nil {
			errs = append(errs, fmt.Errorf("%w: %w", ErrInvalidConfig, err))
		}
	}
	if len(c.Consumer) > 128 {
		errs = append(errs, fmt.Errorf("%w: consumer %q longer than 128 bytes", ErrInvalidConfig, c.Consumer))
	}
	if c.Retention <= 0 || c.MaxRetries < 0 {
		errs = append(errs, fmt.Errorf("%w: retention %v must be positive and max-retries %d not negative",
			ErrInvalidConfig, c.Retention, c.MaxRetries))
	}
	return errors.Join(errs...)
}

// Option injects what only code can provide.
type Option interface{ apply(*Inbox) }

type optionFunc func(*Inbox)

func (f optionFunc) apply(in *Inbox) { f(in) }

// WithLogger sets the logger (nil discards); duplicates are logged at
// debug level.
func WithLogger(l *slog.Logger) Option {
	return optionFunc(func(in *Inbox) {
		if l != nil {
			in.log = l
		}
	})
}

// TxFunc is a handler's work, run in the transaction that records its key.
type TxFunc func(ctx context.Context, tx *sql.Tx) error

// Inbox records handled message keys. It is safe for concurrent use.
type Inbox struct {
	cfg    Config
	db     outbox.Beginner
	log    *slog.Logger
	insert string
	prune  string
}

// New returns an inbox on db (normally a *sql.DB). It does not touch the
// database: create the table with Migrate.
func New(cfg Config, db outbox.Beginner, opts ...Option) (*Inbox, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if db == nil {
		return nil, fmt.Errorf("%w: no database", ErrInvalidConfig)
	}
	t := sqlkit.QuoteTable(cfg.Table)
	in := &Inbox{
		cfg: cfg, db: db, log: slog.New(slog.DiscardHandler),
		insert: "INSERT IGNORE INTO " + t + " (consumer, msg_key) VALUES (?, ?)",
		prune:  "DELETE FROM " + t + " WHERE processed_at < NOW(6) - INTERVAL ? MICROSECOND ORDER BY processed_at LIMIT 1000",
	}
	for _, o := range opts {
		if o != nil {
			o.apply(in)
		}
	}
	return in, nil
}

//go:embed migrations/*.sql
var migrations embed.FS

// Migrate creates or upgrades the inbox table (idempotent; see
// outbox.Migrate for the errors). It needs a *sql.DB.
func (in *Inbox) Migrate(ctx context.Context) error {
	conner, ok := in.db.(sqlkit.Conner)
	if !ok {
		return fmt.Errorf("%w: migrations need a *sql.DB", ErrInvalidConfig)
	}
	return Migrate(ctx, conner, in.cfg)
}

// Migrate creates or upgrades the inbox table of cfg on db.
func Migrate(ctx context.Context, db sqlkit.Conner, cfg Config) error {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return err
	}
	_, err := sqlkit.Migrate(ctx, db, sqlkit.MigrateParams{
		Component: "inbox", FS: migrations, Dir: "migrations",
		Tables: map[string]string{"Table": cfg.Table},
		Probes: []string{
			"SELECT msg_key FROM {{.Table}} WHERE 1 = 0",
			"INSERT INTO {{.Table}} (consumer, msg_key) SELECT consumer, msg_key FROM {{.Table}} WHERE 1 = 0",
			"DELETE FROM {{.Table}} WHERE 1 = 0",
		},
		SchemaTable: cfg.SchemaTable,
	})
	if err != nil {
		return fmt.Errorf("inbox: migrate %s: %w", cfg.Table, sqlkit.MarkClosed(err))
	}
	return nil
}

// Handle runs fn in a transaction that also records key, unless key was
// recorded before: then fn is not called and Handle returns (false, nil),
// a duplicate the caller should acknowledge. It returns (true, nil) when
// fn ran and committed, and fn's error (with the transaction rolled back,
// key not recorded) when fn failed; a panic in fn rolls back and
// propagates. Deadlocks and lock wait timeouts re-run the transaction.
func (in *Inbox) Handle(ctx context.Context, key string, fn TxFunc) (bool, error) {
	if key == "" {
		return false, ErrNoKey
	}
	if len(key) > maxKeyLen {
		return false, fmt.Errorf("%w: %d bytes, at most %d", ErrKeyTooLong, len(key), maxKeyLen)
	}
	handled := false
	var fnErr error // fn's own error, returned as it is
	err := sqlkit.Retry(ctx, in.cfg.MaxRetries+1, func() error {
		handled, fnErr = false, nil
		return sqlkit.WithTx(ctx, in.db, nil, func(ctx context.Context, tx *sql.Tx) error {
			res, err := tx.ExecContext(ctx, in.insert, in.cfg.Consumer, key)
			if err != nil {
				return fmt.Errorf("record key: %w", err)
			}
			if n, err := res.RowsAffected(); err != nil {
				return fmt.Errorf("record key: %w", err)
			} else if n == 0 {
				return errDuplicate
			}
			if err := fn(ctx, tx); err != nil {
				fnErr = err
				return err
			}
			handled = true
			return nil
		})
	})
	switch {
	case errors.Is(err, errDuplicate):
		in.log.Debug("inbox: duplicate skipped", "consumer", in.cfg.Consumer, "key", key)
		return false, nil
	case err != nil:
		if fnErr != nil && err == fnErr { //nolint:errorlint // identity: fn's own error
			return false, err
		}
		return false, fmt.Errorf("inbox: handle %s: %w", key, sqlkit.MarkClosed(err))
	}
	return handled, nil
}

// Prune deletes keys recorded longer ago than the retention and returns
// how many.
func (in *Inbox) Prune(ctx context.Context) (int64, error) {
	var total int64
	for ctx.Err() == nil {
		res, err := in.db.ExecContext(ctx, in.prune, in.cfg.Retention.Microseconds())
		if err != nil {
			if sqlkit.IsRetryable(err) {
				continue
			}
			return total, fmt.Errorf("inbox: prune %s: %w", in.cfg.Table, sqlkit.MarkClosed(err))
		}
		n, _ := res.RowsAffected()
		total += n
		if n < 1000 {
			break
		}
	}
	return total, nil
}

// Handle is Inbox.Handle on the default table and consumer scope; the
// table must exist (Migrate with a zero Config).
func Handle(ctx context.Context, db outbox.Beginner, key string, fn TxFunc) (bool, error) {
	in, err := New(Config{}, db)
	if err != nil {
		return false, err
	}
	return in.Handle(ctx, key, fn)
}

// KeyOf returns the key to de-duplicate m on: its outbox.KeyProperty
// property (outbox and txcheck messages), else its message id (the
// producer's UNIQ_KEY, or for a message without one the broker's id of the
// stored copy).
func KeyOf(m *client.MessageExt) string {
	if k := m.Property(outbox.KeyProperty); k != "" {
		return k
	}
	return m.MsgID
}
