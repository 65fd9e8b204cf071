package txcheck

import (
	"context"
	"embed"
	"fmt"

	"github.com/rocketkit/rocketkit/outbox/sqlkit"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrate creates or upgrades the key table of cfg (Table, SchemaTable) on
// db: idempotent, safe from several processes at once; errors wrap
// ErrUnsupportedServer or ErrPrivileges as for outbox.Migrate.
func Migrate(ctx context.Context, db sqlkit.Conner, cfg Config) error {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return err
	}
	_, err := sqlkit.Migrate(ctx, db, sqlkit.MigrateParams{
		Component: "txcheck", FS: migrations, Dir: "migrations",
		Tables: map[string]string{"Table": cfg.Table},
		Probes: []string{
			"SELECT msg_key FROM {{.Table}} WHERE 1 = 0",
			"INSERT INTO {{.Table}} (msg_key, topic, payload) SELECT msg_key, topic, payload FROM {{.Table}} WHERE 1 = 0",
			"UPDATE {{.Table}} SET state = state WHERE 1 = 0",
			"DELETE FROM {{.Table}} WHERE 1 = 0",
		},
		SchemaTable: cfg.SchemaTable,
	})
	if err != nil {
		return fmt.Errorf("txcheck: migrate %s: %w", cfg.Table, sqlkit.MarkClosed(err))
	}
	return nil
}
