package outboxtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// DefaultDSN is used when MYSQL_DSN is not set.
const DefaultDSN = "root@tcp(127.0.0.1:3306)/test"

// DSNEnv names the environment variable holding the server's DSN.
const DSNEnv = "MYSQL_DSN"

// ServerDSN returns MYSQL_DSN or DefaultDSN. It does not consult a
// provider installed by SetServer: Server does.
func ServerDSN() string {
	if dsn := os.Getenv(DSNEnv); dsn != "" {
		return dsn
	}
	return DefaultDSN
}

var (
	providerMu sync.Mutex
	provider   func(testing.TB) string
)

// SetServer makes f the server of the tests that have no MYSQL_DSN, in
// place of DefaultDSN: f returns the DSN of a server (root or a user that
// may create databases), starting one if need be, or fails tb saying why.
// It is called once per test that opens a database, possibly from
// parallel tests, and should start one server per process. A nil f goes
// back to DefaultDSN.
//
// The mysqlcontainer module (github.com/rocketkit/rocketkit/outbox/
// outboxtest/mysqlcontainer, a Go module of its own so that only its
// importers get testcontainers-go) calls it from its init: a test that
// blank-imports it runs on a MySQL container when MYSQL_DSN is not set.
// SetServer is safe for concurrent use.
func SetServer(f func(tb testing.TB) string) {
	providerMu.Lock()
	defer providerMu.Unlock()
	provider = f
}

// Server returns the DSN of the server the tests use: MYSQL_DSN when set,
// else the one the SetServer provider gives (it may start a container and
// fails tb if it cannot), else DefaultDSN.
func Server(tb testing.TB) string {
	tb.Helper()
	if dsn := os.Getenv(DSNEnv); dsn != "" {
		return dsn
	}
	providerMu.Lock()
	f := provider
	providerMu.Unlock()
	if f != nil {
		return f(tb)
	}
	return DefaultDSN
}

// DB is a database created for one test.
type DB struct {
	*sql.DB
	// Name is the database's name.
	Name string
	// DSN connects to it (same user, server and parameters as the server
	// DSN), e.g. for a child process.
	DSN string
}

// Open creates a database for tb and returns a handle on it; the database
// is dropped when tb ends. params ("interpolateParams=true", …) are added
// to the DSN.
func Open(tb testing.TB, params ...string) *DB {
	tb.Helper()
	server := Server(tb)
	admin, err := sql.Open("mysql", server)
	if err != nil {
		tb.Fatalf("outboxtest: open %s: %v (is github.com/go-sql-driver/mysql imported?)", server, err)
	}
	defer admin.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := admin.PingContext(ctx); err != nil {
		tb.Fatalf("outboxtest: no MySQL/MariaDB server reachable at %q: %v\n"+
			"These tests need a real server (MySQL 8.0+ or MariaDB 10.6+): start one on 127.0.0.1:3306 "+
			"(root, no password), set %s, or blank-import "+
			"github.com/rocketkit/rocketkit/outbox/outboxtest/mysqlcontainer to run one in a container "+
			"(Docker needed). They never skip.", server, err, DSNEnv)
	}
	name := databaseName(tb.Name())
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE `"+name+"`"); err != nil {
		tb.Fatalf("outboxtest: create database %s: %v", name, err)
	}
	tb.Cleanup(func() {
		a, err := sql.Open("mysql", server)
		if err != nil {
			tb.Errorf("outboxtest: drop database %s: %v", name, err)
			return
		}
		defer a.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := a.ExecContext(ctx, "DROP DATABASE IF EXISTS `"+name+"`"); err != nil {
			tb.Errorf("outboxtest: drop database %s: %v", name, err)
		}
	})
	dsn, err := WithDatabase(server, name, params...)
	if err != nil {
		tb.Fatalf("outboxtest: %v", err)
	}
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		tb.Fatalf("outboxtest: open %s: %v", dsn, err)
	}
	tb.Cleanup(func() { _ = db.Close() })
	return &DB{DB: db, Name: name, DSN: dsn}
}

var unsafeChars = regexp.MustCompile(`[^a-z0-9]+`)

// databaseName makes a unique name from a test name: rk_<test>_<random>.
func databaseName(test string) string {
	s := unsafeChars.ReplaceAllString(strings.ToLower(test), "_")
	if len(s) > 40 {
		s = s[:40]
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	return "rk_" + strings.Trim(s, "_") + "_" + hex.EncodeToString(b[:])
}

// WithDatabase returns dsn (go-sql-driver/mysql syntax) with its database
// replaced by db and params appended.
func WithDatabase(dsn, db string, params ...string) (string, error) {
	i := strings.LastIndexByte(dsn, '/')
	if i < 0 {
		return "", &dsnError{dsn}
	}
	rest := dsn[i+1:]
	query := ""
	if j := strings.IndexByte(rest, '?'); j >= 0 {
		query = rest[j+1:]
	}
	all := []string{}
	if query != "" {
		all = append(all, query)
	}
	all = append(all, params...)
	out := dsn[:i+1] + db
	if len(all) > 0 {
		out += "?" + strings.Join(all, "&")
	}
	return out, nil
}

type dsnError struct{ dsn string }

func (e *dsnError) Error() string { return "DSN " + e.dsn + " has no /database part" }
