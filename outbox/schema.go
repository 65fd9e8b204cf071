package outbox

import (
	"context"
	"embed"
	"fmt"

	"github.com/rocketkit/rocketkit/outbox/sqlkit"
)

//go:embed migrations/*.sql
var migrations embed.FS

// privilegeProbes prove at migration time that the user can do what the
// publisher and the relay do.
var privilegeProbes = []string{
	"SELECT id FROM {{.Table}} WHERE 1 = 0",
	"INSERT INTO {{.Table}} (msg_key, topic, payload) SELECT msg_key, topic, payload FROM {{.Table}} WHERE 1 = 0",
	"UPDATE {{.Table}} SET state = state WHERE 1 = 0",
	"DELETE FROM {{.Table}} WHERE 1 = 0",
	"SELECT token FROM {{.Leases}} WHERE 1 = 0",
	"INSERT INTO {{.Leases}} (token, min_id, max_id, ids, due_at) SELECT token, min_id, max_id, ids, due_at FROM {{.Leases}} WHERE 1 = 0",
	"UPDATE {{.Leases}} SET due_at = due_at WHERE 1 = 0",
	"DELETE FROM {{.Leases}} WHERE 1 = 0",
}

// Migrate creates or upgrades the outbox table described by cfg (Table,
// SchemaTable) on db. It is idempotent and safe to run from several
// processes at once. It returns an error wrapping ErrUnsupportedServer on
// servers without FOR UPDATE SKIP LOCKED (older than MySQL 8.0.1 or
// MariaDB 10.6), and one wrapping ErrPrivileges, naming what to grant,
// when the user may not create or use the table.
func Migrate(ctx context.Context, db sqlkit.Conner, cfg Config) error {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return err
	}
	_, err := sqlkit.Migrate(ctx, db, sqlkit.MigrateParams{
		Component:   "outbox",
		FS:          migrations,
		Dir:         "migrations",
		Tables:      map[string]string{"Table": cfg.Table, "Leases": cfg.Table + leaseSuffix},
		Probes:      privilegeProbes,
		SchemaTable: cfg.SchemaTable,
	})
	if err != nil {
		return fmt.Errorf("outbox: migrate %s: %w", cfg.Table, dbErr(err))
	}
	return nil
}
