package sqlkit

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
	"text/template"
	"time"
)

// DefaultSchemaTable records the applied migration version per component
// and table.
const DefaultSchemaTable = "rocketkit_schema"

// MigrateParams describes one component's schema.
type MigrateParams struct {
	// Component names the schema's owner ("outbox", "inbox", "txcheck").
	Component string
	// FS holds the migration files, named NNNN_description.sql, in Dir. A
	// file may hold several statements, each ending with ";" at the end of
	// a line. Files are text/template templates over Tables.
	FS  fs.FS
	Dir string
	// Tables maps template names to table names, e.g. {"Table":
	// "rocketkit_outbox"}; templates see them quoted (`rocketkit_outbox`).
	// The version is recorded under the value of "Table".
	Tables map[string]string
	// Probes are statements (templates like the files) run after the
	// migrations to prove the user has the privileges the component needs
	// at run time; they must not change data (WHERE 1=0).
	Probes []string
	// SchemaTable is where versions are recorded. Default
	// DefaultSchemaTable.
	SchemaTable string
	// LockTimeout bounds the wait for another process's migration. Default
	// 30s.
	LockTimeout time.Duration
}

// migration is one numbered file.
type migration struct {
	version int
	name    string
	stmts   []string
}

// Migrate brings the component's schema up to date on db and checks the
// privileges it needs; it returns the number of files applied. See the
// package documentation for the guarantees.
func Migrate(ctx context.Context, db Conner, p MigrateParams) (int, error) {
	if p.SchemaTable == "" {
		p.SchemaTable = DefaultSchemaTable
	}
	if p.LockTimeout <= 0 {
		p.LockTimeout = 30 * time.Second
	}
	if err := ValidateTableName(p.SchemaTable); err != nil {
		return 0, err
	}
	table := p.Tables["Table"]
	for _, t := range p.Tables {
		if err := ValidateTableName(t); err != nil {
			return 0, err
		}
	}
	migrations, err := load(p)
	if err != nil {
		return 0, err
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return 0, fmt.Errorf("connect: %w", err)
	}
	defer conn.Close()
	if _, err := CheckServer(ctx, conn); err != nil {
		return 0, err
	}
	release, err := lock(ctx, conn, p)
	if err != nil {
		return 0, err
	}
	defer release()

	current, err := readVersion(ctx, conn, p.SchemaTable, p.Component, table)
	if err != nil {
		return 0, err
	}
	applied := 0
	for _, m := range migrations {
		if m.version <= current {
			continue
		}
		for _, stmt := range m.stmts {
			if _, err := conn.ExecContext(ctx, stmt); err != nil {
				return applied, classify(fmt.Errorf("apply %s migration %s to %s: %w", p.Component, m.name, table, err), table)
			}
		}
		_, err := conn.ExecContext(ctx, "INSERT INTO "+QuoteTable(p.SchemaTable)+
			" (component, table_name, version) VALUES (?, ?, ?) ON DUPLICATE KEY UPDATE version = GREATEST(version, ?), applied_at = CURRENT_TIMESTAMP(6)",
			p.Component, table, m.version, m.version)
		if err != nil {
			return applied, classify(fmt.Errorf("record %s migration %s: %w", p.Component, m.name, err), p.SchemaTable)
		}
		applied++
	}
	for _, probe := range p.Probes {
		stmt, err := render(probe, p.Tables)
		if err != nil {
			return applied, err
		}
		if _, err := conn.ExecContext(ctx, stmt); err != nil {
			return applied, classify(fmt.Errorf("check privileges on %s: %w", table, err), table)
		}
	}
	return applied, nil
}

// classify turns access-denied errors into ErrPrivileges with a hint.
func classify(err error, table string) error {
	if IsPrivilegeError(err) {
		return fmt.Errorf("%w on %s: grant SELECT, INSERT, UPDATE, DELETE (and CREATE, ALTER, INDEX to let the kit create its tables, or create them as an administrator): %w",
			ErrPrivileges, table, err)
	}
	return err
}

// lock takes the migration advisory lock on conn.
func lock(ctx context.Context, conn *sql.Conn, p MigrateParams) (func(), error) {
	var db sql.NullString
	if err := conn.QueryRowContext(ctx, "SELECT DATABASE()").Scan(&db); err != nil {
		return nil, fmt.Errorf("read current database: %w", err)
	}
	h := fnv.New64a()
	h.Write([]byte(db.String + "\x00" + p.SchemaTable))
	name := "rocketkit_migrate_" + strconv.FormatUint(h.Sum64(), 16)
	var got sql.NullInt64
	err := conn.QueryRowContext(ctx, "SELECT GET_LOCK(?, ?)", name, int(p.LockTimeout.Seconds())).Scan(&got)
	if err != nil {
		return nil, fmt.Errorf("take migration lock: %w", err)
	}
	if !got.Valid || got.Int64 != 1 {
		return nil, fmt.Errorf("%w within %v (lock %s)", ErrMigrationLock, p.LockTimeout, name)
	}
	return func() {
		_, _ = conn.ExecContext(context.WithoutCancel(ctx), "DO RELEASE_LOCK(?)", name)
	}, nil
}

// readVersion returns the recorded version, creating the schema table when
// it does not exist.
func readVersion(ctx context.Context, conn *sql.Conn, schemaTable, component, table string) (int, error) {
	q := "SELECT version FROM " + QuoteTable(schemaTable) + " WHERE component = ? AND table_name = ?"
	var v int
	err := conn.QueryRowContext(ctx, q, component, table).Scan(&v)
	switch {
	case err == nil:
		return v, nil
	case errors.Is(err, sql.ErrNoRows):
		return 0, nil
	case HasNumber(err, ErNoSuchTable):
	default:
		return 0, classify(fmt.Errorf("read schema version: %w", err), schemaTable)
	}
	_, err = conn.ExecContext(ctx, "CREATE TABLE IF NOT EXISTS "+QuoteTable(schemaTable)+` (
  component VARCHAR(64) NOT NULL,
  table_name VARCHAR(128) NOT NULL,
  version INT NOT NULL,
  applied_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (component, table_name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`)
	if err != nil {
		return 0, classify(fmt.Errorf("create schema table: %w", err), schemaTable)
	}
	return 0, nil
}

// load reads and renders the migration files in version order.
func load(p MigrateParams) ([]migration, error) {
	entries, err := fs.ReadDir(p.FS, p.Dir)
	if err != nil {
		return nil, fmt.Errorf("read %s migrations: %w", p.Component, err)
	}
	var out []migration
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".sql") {
			continue
		}
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("%s migration %s: name must start with a positive number and _", p.Component, name)
		}
		raw, err := fs.ReadFile(p.FS, path.Join(p.Dir, name))
		if err != nil {
			return nil, err
		}
		text, err := render(string(raw), p.Tables)
		if err != nil {
			return nil, fmt.Errorf("%s migration %s: %w", p.Component, name, err)
		}
		out = append(out, migration{version: v, name: name, stmts: splitStatements(text)})
	}
	slices.SortFunc(out, func(a, b migration) int { return a.version - b.version })
	for i := 1; i < len(out); i++ {
		if out[i].version == out[i-1].version {
			return nil, fmt.Errorf("%s migrations %s and %s share version %d", p.Component, out[i-1].name, out[i].name, out[i].version)
		}
	}
	return out, nil
}

func render(text string, tables map[string]string) (string, error) {
	t, err := template.New("sql").Option("missingkey=error").Parse(text)
	if err != nil {
		return "", err
	}
	data := make(map[string]string, len(tables))
	for k, v := range tables {
		data[k] = QuoteTable(v)
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, data); err != nil {
		return "", err
	}
	return buf.String(), nil
}

// splitStatements splits on ";" at line ends and drops "--" comment lines.
func splitStatements(text string) []string {
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(text, "\n") {
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "--") {
			continue
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
		if strings.HasSuffix(trimmed, ";") {
			stmt := strings.TrimSuffix(strings.TrimSpace(cur.String()), ";")
			out = append(out, stmt)
			cur.Reset()
		}
	}
	if s := strings.TrimSpace(cur.String()); s != "" {
		out = append(out, s)
	}
	return out
}
