package sqlkit_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	_ "github.com/go-sql-driver/mysql"
	"github.com/rocketkit/rocketkit/outbox/outboxtest"
	"github.com/rocketkit/rocketkit/outbox/sqlkit"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestWithTx(t *testing.T) {
	ctx := t.Context()
	db := outboxtest.Open(t)
	if _, err := db.Exec("CREATE TABLE t (id INT PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	insert := func(id int) func(context.Context, *sql.Tx) error {
		return func(ctx context.Context, tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, "INSERT INTO t VALUES (?)", id)
			return err
		}
	}
	if err := sqlkit.WithTx(ctx, db, nil, insert(1)); err != nil {
		t.Fatal(err)
	}
	errFn := errors.New("fn failed")
	err := sqlkit.WithTx(ctx, db, nil, func(ctx context.Context, tx *sql.Tx) error {
		_ = insert(2)(ctx, tx)
		return errFn
	})
	if !errors.Is(err, errFn) {
		t.Errorf("error %v, want fn's", err)
	}
	func() {
		defer func() {
			if r := recover(); r != "boom" {
				t.Errorf("recovered %v", r)
			}
		}()
		_ = sqlkit.WithTx(ctx, db, nil, func(ctx context.Context, tx *sql.Tx) error {
			_ = insert(3)(ctx, tx)
			panic("boom")
		})
	}()
	var ids []int
	rows, err := db.Query("SELECT id FROM t ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int
		_ = rows.Scan(&id)
		ids = append(ids, id)
	}
	rows.Close()
	if fmt.Sprint(ids) != "[1]" {
		t.Errorf("rows %v, want only the committed 1", ids)
	}
}

// A real deadlock is recognised as retryable, and Retry runs the loser
// again. Two transactions each lock one row, wait (on channels) until the
// other holds its row too, and then ask for the other's row: the lock
// cycle is certain, InnoDB rolls one of them back with ER_LOCK_DEADLOCK,
// and Retry runs that one again, which then waits for the winner's commit.
// Exactly three attempts, one deadlock, and both transactions' work
// committed once.
func TestDeadlockIsRetryable(t *testing.T) {
	ctx := t.Context()
	db := outboxtest.Open(t)
	if _, err := db.Exec("CREATE TABLE t (id INT PRIMARY KEY, v INT) ENGINE=InnoDB"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("INSERT INTO t VALUES (1, 0), (2, 0)"); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failures []error // what failed attempts returned
	attempts := [2]int{}
	errs := [2]error{}
	holds := [2]chan struct{}{make(chan struct{}), make(chan struct{})} // closed: transaction i holds its first row
	for i, order := range [][2]int{{1, 2}, {2, 1}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = sqlkit.Retry(ctx, 5, func() error {
				mu.Lock()
				attempts[i]++
				first := attempts[i] == 1
				mu.Unlock()
				err := sqlkit.WithTx(ctx, db, nil, func(ctx context.Context, tx *sql.Tx) error {
					if _, err := tx.ExecContext(ctx, "UPDATE t SET v = v + 1 WHERE id = ?", order[0]); err != nil {
						return err
					}
					if first { // both hold their first row before either asks for its second
						close(holds[i])
						select {
						case <-holds[1-i]:
						case <-ctx.Done():
							return ctx.Err()
						}
					}
					_, err := tx.ExecContext(ctx, "UPDATE t SET v = v + 1 WHERE id = ?", order[1])
					return err
				})
				if err != nil {
					mu.Lock()
					failures = append(failures, err)
					mu.Unlock()
				}
				return err
			})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("transaction %d failed despite retries: %v", i, err)
		}
	}
	if len(failures) != 1 {
		t.Fatalf("%d failed attempts %v, want exactly one deadlock", len(failures), failures)
	}
	if n, ok := sqlkit.ErrorNumber(failures[0]); !ok || n != sqlkit.ErLockDeadlock || !sqlkit.IsRetryable(failures[0]) {
		t.Errorf("failed attempt: %v (error %d, retryable %v), want a retryable ER_LOCK_DEADLOCK", failures[0], n, sqlkit.IsRetryable(failures[0]))
	}
	if got := []int{min(attempts[0], attempts[1]), max(attempts[0], attempts[1])}; got[0] != 1 || got[1] != 2 {
		t.Errorf("attempts %v, want 1 for the winner and 2 for the deadlock's victim", attempts)
	}
	var v1, v2 int
	if err := db.QueryRow("SELECT (SELECT v FROM t WHERE id = 1), (SELECT v FROM t WHERE id = 2)").Scan(&v1, &v2); err != nil {
		t.Fatal(err)
	}
	if v1 != 2 || v2 != 2 {
		t.Errorf("rows hold %d and %d, want 2 and 2 (both transactions committed once, the victim's first attempt not at all)", v1, v2)
	}
}

var testMigrations = fstest.MapFS{
	"m/0001_create.sql": {Data: []byte("-- first\nCREATE TABLE IF NOT EXISTS {{.Table}} (\n  id INT PRIMARY KEY\n);\n")},
	"m/0002_add.sql":    {Data: []byte("ALTER TABLE {{.Table}} ADD COLUMN note VARCHAR(10) NULL;\nINSERT INTO {{.Table}} (id, note) VALUES (1, 'seeded');\n")},
}

func params(table string) sqlkit.MigrateParams {
	return sqlkit.MigrateParams{Component: "test", FS: testMigrations, Dir: "m", Tables: map[string]string{"Table": table},
		Probes: []string{"SELECT id FROM {{.Table}} WHERE 1 = 0"}}
}

// Migrations apply once, in order, also when several processes start at
// the same time; a second run applies nothing.
func TestMigrateIdempotentAndConcurrent(t *testing.T) {
	ctx := t.Context()
	db := outboxtest.Open(t)
	var wg sync.WaitGroup
	applied := make([]int, 4)
	errs := make([]error, 4)
	for i := range applied {
		wg.Add(1)
		go func() {
			defer wg.Done()
			other, err := sql.Open("mysql", db.DSN)
			if err != nil {
				errs[i] = err
				return
			}
			defer other.Close()
			applied[i], errs[i] = sqlkit.Migrate(ctx, other, params("things"))
		}()
	}
	wg.Wait()
	total := 0
	for i := range applied {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		total += applied[i]
	}
	if total != 2 {
		t.Errorf("applied %v files in total, want 2", applied)
	}
	if n, err := sqlkit.Migrate(ctx, db, params("things")); err != nil || n != 0 {
		t.Errorf("second run applied %d, %v", n, err)
	}
	var note string
	if err := db.QueryRow("SELECT note FROM things WHERE id = 1").Scan(&note); err != nil || note != "seeded" {
		t.Errorf("note %q, %v", note, err)
	}
	var v int
	if err := db.QueryRow("SELECT version FROM rocketkit_schema WHERE component = 'test' AND table_name = 'things'").Scan(&v); err != nil || v != 2 {
		t.Errorf("recorded version %d, %v", v, err)
	}
	if _, err := sqlkit.Migrate(ctx, db, params("bad-name")); !errors.Is(err, sqlkit.ErrInvalidTableName) {
		t.Errorf("bad table name: %v", err)
	}
}

// A user without privileges gets ErrPrivileges naming what to grant.
func TestMigrateWithoutPrivileges(t *testing.T) {
	ctx := t.Context()
	db := outboxtest.Open(t)
	user := fmt.Sprintf("rk_nopriv_%d", rand.Uint32())
	for _, q := range []string{
		"CREATE USER '" + user + "'@'%' IDENTIFIED BY 'pw'",
		"CREATE USER '" + user + "'@'localhost' IDENTIFIED BY 'pw'",
		"GRANT SELECT ON `" + db.Name + "`.* TO '" + user + "'@'%'",
		"GRANT SELECT ON `" + db.Name + "`.* TO '" + user + "'@'localhost'",
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	t.Cleanup(func() {
		_, _ = db.Exec("DROP USER IF EXISTS '" + user + "'@'%'")
		_, _ = db.Exec("DROP USER IF EXISTS '" + user + "'@'localhost'")
	})
	dsn := db.DSN
	at := strings.Index(dsn, "@")
	limited, err := sql.Open("mysql", user+":pw"+dsn[at:])
	if err != nil {
		t.Fatal(err)
	}
	defer limited.Close()
	_, err = sqlkit.Migrate(ctx, limited, params("things"))
	if !errors.Is(err, sqlkit.ErrPrivileges) || !strings.Contains(err.Error(), "grant") {
		t.Fatalf("migrate as %s: %v, want ErrPrivileges with a hint", user, err)
	}
	t.Logf("error: %v", err)
}
