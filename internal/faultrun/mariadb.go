package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	_ "github.com/go-sql-driver/mysql" // the "mysql" driver
)

// installHint says how to get the MariaDB server binaries.
const installHint = "install MariaDB's server: apt-get install mariadb-server " +
	"(Debian/Ubuntu; its dependency mariadb-server-core brings mariadbd and mariadb-install-db), " +
	"or put both on PATH"

// mariaDB is a private mariadbd of the run, in its own data directory on
// its own port: the machine's shared server (which other tests use) is
// never touched.
type mariaDB struct {
	bin, dir, logPath string
	port              int
	proc              *child
}

// findBinary looks name up on PATH, then in dir (Debian keeps mariadbd in
// /usr/sbin, which is not always on PATH).
func findBinary(name, dir string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	p := filepath.Join(dir, name)
	if _, err := os.Stat(p); err == nil {
		return p, nil
	}
	return "", fmt.Errorf("%s not found (PATH, %s): %s", name, dir, installHint)
}

// installMariaDB creates a data directory under work with
// mariadb-install-db (root without password) and picks a free port.
func installMariaDB(ctx context.Context, work string) (*mariaDB, error) {
	server, err := findBinary("mariadbd", "/usr/sbin")
	if err != nil {
		return nil, err
	}
	install, err := findBinary("mariadb-install-db", "/usr/bin")
	if err != nil {
		return nil, err
	}
	m := &mariaDB{bin: server, dir: filepath.Join(work, "mariadb"), logPath: filepath.Join(work, "mariadb.log")}
	// --no-defaults: the machine's my.cnf (user, socket, port of the shared
	// server) must not apply.
	args := []string{"--no-defaults", "--datadir=" + filepath.Join(m.dir, "data"), "--auth-root-authentication-method=normal", "--skip-test-db"}
	if os.Geteuid() == 0 {
		args = append(args, "--user=root")
	}
	cmd := exec.CommandContext(ctx, install, args...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("mariadb-install-db: %w\n%s", err, out)
	}
	if m.port, err = freePort(); err != nil {
		return nil, err
	}
	return m, nil
}

// dsn is the DSN of database db ("" for none) on the private server.
// Short dial and I/O timeouts make a killed server's connections fail
// fast.
func (m *mariaDB) dsn(db string) string {
	return fmt.Sprintf("root@tcp(127.0.0.1:%d)/%s?parseTime=true&timeout=3s&readTimeout=10s&writeTimeout=10s", m.port, db)
}

// start runs mariadbd on the data directory and waits until it answers.
func (m *mariaDB) start(ctx context.Context) error {
	args := []string{"--no-defaults", "--datadir=" + filepath.Join(m.dir, "data"),
		"--socket=" + filepath.Join(m.dir, "mysqld.sock"), "--pid-file=" + filepath.Join(m.dir, "mysqld.pid"),
		"--port=" + strconv.Itoa(m.port), "--bind-address=127.0.0.1",
		"--innodb-buffer-pool-size=64M", "--max-connections=400", "--innodb-flush-log-at-trx-commit=1"}
	if os.Geteuid() == 0 {
		args = append(args, "--user=root")
	}
	p, err := startChild("mariadbd", m.logPath, nil, m.bin, args...)
	if err != nil {
		return err
	}
	m.proc = p
	db, err := sql.Open("mysql", m.dsn(""))
	if err != nil {
		return err
	}
	defer db.Close()
	deadline := time.Now().Add(90 * time.Second) // crash recovery on a loaded machine
	for {
		pctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		err = db.PingContext(pctx)
		cancel()
		if err == nil {
			return nil
		}
		if !p.alive() {
			return fmt.Errorf("mariadbd exited (%v); see %s", p.err, m.logPath)
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return errors.Join(fmt.Errorf("mariadbd on port %d does not answer; see %s", m.port, m.logPath), err)
		}
		time.Sleep(100 * time.Millisecond) // poll interval
	}
}

// kill SIGKILLs mariadbd.
func (m *mariaDB) kill() error { return m.proc.kill() }
