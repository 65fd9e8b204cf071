// Command faultrun is the kit's combined fault run: a producer service
// and a consumer service built with the starter run under steady load
// while, over several rounds and at random moments, the broker process
// is killed with SIGKILL and restarted on its data and port, an outbox
// relay process is killed and replaced, a private MariaDB is killed and
// restarted, and a consumer service instance is dropped and replaced in
// the same groups. Then it checks and prints:
//
//   - every committed outbox row was applied exactly once to the inbox
//     consumer's effect table (duplicates the inbox absorbed are counted);
//   - every message whose Template send returned SEND_OK was consumed, at
//     least once (duplicates counted);
//   - per-key order held for the orderly listener: a key's first
//     deliveries, in the order its handler committed them, are seq 1, 2,
//     3, … (redeliveries of an earlier seq are counted, not flagged; see
//     ledger for the precise definition).
//
// It exits 0 only if nothing was lost, applied twice or out of order.
//
//	go run ./internal/faultrun              # what `task fault-run` runs
//	FAULTRUN_SEED=42 go run ./internal/faultrun   # replay a schedule
//
// The broker is `rocketkit broker` (built from cmd/rocketkit, SYNC_FLUSH
// through its broker.conf), a process of its own. The relays are this
// program run again as relay processes (starter.Outbox in an fx app).
// MariaDB is a mariadbd of the run's own, in a temporary data directory
// on a free port (mariadb-install-db creates it): the machine's shared
// server is never touched. mariadbd and mariadb-install-db must be
// installed; the run fails saying how otherwise. Everything else (the
// services, their listeners, the inbox) runs in this process.
//
// The fault schedule comes from a seed (printed; FAULTRUN_SEED replays
// it). The run is not a test of the go test suite: it needs minutes and a
// MariaDB server of its own, so `task fault-run` runs it, under -race
// (relay processes included; their logs are scanned for race reports),
// from `task test`; a run that cannot do its work fails rather than
// skips. Its own go test covers the ledger's checks.
package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"log"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/rocketkit/rocketkit/outbox"
	"github.com/rocketkit/rocketkit/outbox/inbox"
)

func main() {
	if name := os.Getenv(envRelay); name != "" {
		os.Exit(runRelay(name))
	}
	rounds := flag.Int("rounds", 5, "rounds of faults; each kind of fault strikes once per round")
	roundLen := flag.Duration("round", 14*time.Second, "length of a round")
	timeout := flag.Duration("timeout", 4*time.Minute, "fail the run if it has not finished by then")
	keep := flag.Bool("keep", false, "keep the work directory (logs, data) even when the run passes")
	flag.Parse()
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("FAULTRUN_SEED"); s != "" {
		var err error
		if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			fmt.Fprintf(os.Stderr, "faultrun: FAULTRUN_SEED=%q is not an unsigned integer\n", s)
			os.Exit(2)
		}
	}
	os.Exit(runMain(seed, *rounds, *roundLen, *timeout, *keep))
}

// run is the state of one fault run.
type run struct {
	ctx      context.Context
	seed     uint64
	rounds   int
	roundLen time.Duration
	work     string
	began    time.Time
	outMu    sync.Mutex

	db          *mariaDB
	broker      *brokerProc
	relays      []*relayProc   // touched only by the relay fault's loop
	relaySeq    int            // relays started
	consumers   []*consumerApp // touched only by the consumer fault's loop
	consumerSeq int
	producer    *producerApp
	ledger      *ledger
	inbox       *inbox.Inbox
	log         *slog.Logger
	faultStart  time.Time

	countMu sync.Mutex
	counts  map[string]int // faults injected, by kind
}

// logf prints a line with the time since the start.
func (r *run) logf(format string, args ...any) {
	r.outMu.Lock()
	defer r.outMu.Unlock()
	fmt.Printf("t=%6.1fs  %s\n", time.Since(r.began).Seconds(), fmt.Sprintf(format, args...))
}

func (r *run) count(kind string) {
	r.countMu.Lock()
	defer r.countMu.Unlock()
	r.counts[kind]++
}

func runMain(seed uint64, rounds int, roundLen, timeout time.Duration, keep bool) int {
	work, err := os.MkdirTemp("", "faultrun-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "faultrun:", err)
		return 1
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r := &run{ctx: ctx, seed: seed, rounds: rounds, roundLen: roundLen, work: work, began: time.Now(),
		ledger: newLedger(), counts: map[string]int{}}
	r.logf("fault run: seed %d (replay: FAULTRUN_SEED=%d), %d rounds of %v, timeout %v, work directory %s",
		seed, seed, rounds, roundLen, timeout, work)
	watchdog := time.AfterFunc(timeout, func() {
		r.logf("FAIL: the run did not finish within %v (-timeout); logs in %s", timeout, work)
		r.tails()
		r.killAll()
		os.Exit(1)
	})
	defer watchdog.Stop()
	err = r.do()
	r.killAll()
	if err != nil {
		r.logf("FAIL: %v", err)
		r.tails()
		r.logf("logs and data kept in %s", work)
		return 1
	}
	r.logf("PASS in %v", time.Since(r.began).Round(time.Second))
	if !keep {
		_ = os.RemoveAll(work)
	}
	return 0
}

// do sets everything up, runs the load and the faults, drains and checks.
func (r *run) do() error {
	ctx := r.ctx
	logFile, err := os.Create(filepath.Join(r.work, "services.log"))
	if err != nil {
		return err
	}
	defer logFile.Close()
	r.log = slog.New(slog.NewTextHandler(logFile, &slog.HandlerOptions{Level: slog.LevelWarn}))
	// The driver's own complaints (connections a killed server reset) go
	// to the log too, not to the run's output.
	_ = mysql.SetLogger(log.New(logFile, "[mysql] ", log.LstdFlags))

	if r.db, err = installMariaDB(ctx, r.work); err != nil {
		return err
	}
	if err := r.db.start(ctx); err != nil {
		return err
	}
	r.logf("mariadb: private mariadbd (pid %d) on 127.0.0.1:%d", r.db.proc.pid(), r.db.port)
	prodDB, consDB, err := r.openDatabases(ctx)
	if err != nil {
		return err
	}
	defer prodDB.Close()
	defer consDB.Close()

	bin, err := buildRocketkit(ctx, r.work)
	if err != nil {
		return err
	}
	if r.broker, err = newBrokerProc(bin, r.work); err != nil {
		return err
	}
	if err := r.broker.start(); err != nil {
		return err
	}
	if !r.broker.syncFlush() {
		return fmt.Errorf("the broker's log does not say flush=SYNC_FLUSH; see %s", r.broker.logPath)
	}
	r.logf("broker: rocketkit broker (pid %d) on %s, SYNC_FLUSH, data %s", r.broker.proc.pid(), r.broker.addr, r.broker.data)

	for range 2 {
		r.relaySeq++
		p, err := startRelay(fmt.Sprintf("relay-%d", r.relaySeq), r.work, r.db.dsn("faultrun"), r.broker.addr)
		if err != nil {
			return err
		}
		r.relays = append(r.relays, p)
	}
	if r.inbox, err = inbox.New(inbox.Config{Consumer: "fr-inbox"}, consDB); err != nil {
		return err
	}
	for range 2 {
		r.consumerSeq++
		c, err := startConsumer(fmt.Sprintf("consumer-%d", r.consumerSeq), r.broker.addr, r.ledger, r.inbox, r.log)
		if err != nil {
			return err
		}
		r.consumers = append(r.consumers, c)
	}
	if r.producer, err = startProducer(r.broker.addr, prodDB, r.ledger, r.log); err != nil {
		return err
	}
	r.logf("services: producer (Template + outbox writes), 2 relay processes, 2 consumer instances (orderly, concurrent, inbox listeners)")

	r.producer.startLoad(r.seed)
	r.faultStart = time.Now()
	var wg sync.WaitGroup
	errs := make([]error, len(r.faults()))
	for i, f := range r.faults() {
		wg.Go(func() { errs[i] = r.faultLoop(f, i) })
	}
	wg.Wait()
	r.producer.finish()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	r.logf("faults done %v; load stopped; draining", r.faultCounts())
	return errors.Join(r.drainAndCheck(ctx, consDB), r.raceReports())
}

// raceReports fails the run if a child process built with -race (the
// relays, when the run is) reported a data race in its log; the run's
// own races make its exit status non-zero anyway.
func (r *run) raceReports() error {
	logs, _ := filepath.Glob(filepath.Join(r.work, "*.log"))
	var raced []string
	for _, p := range logs {
		if b, err := os.ReadFile(p); err == nil && strings.Contains(string(b), "WARNING: DATA RACE") {
			raced = append(raced, filepath.Base(p))
		}
	}
	if len(raced) > 0 {
		return fmt.Errorf("data races reported in %s", strings.Join(raced, ", "))
	}
	return nil
}

// openDatabases creates the run's database and tables and returns the
// producer's and the consumer's connection pools.
func (r *run) openDatabases(ctx context.Context) (prodDB, consDB *sql.DB, err error) {
	admin, err := sql.Open("mysql", r.db.dsn(""))
	if err != nil {
		return nil, nil, err
	}
	defer admin.Close()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE faultrun"); err != nil {
		return nil, nil, err
	}
	open := func() (*sql.DB, error) {
		db, err := sql.Open("mysql", r.db.dsn("faultrun"))
		if err != nil {
			return nil, err
		}
		db.SetMaxOpenConns(40)
		db.SetConnMaxIdleTime(10 * time.Second)
		return db, nil
	}
	if prodDB, err = open(); err != nil {
		return nil, nil, err
	}
	if consDB, err = open(); err != nil {
		return nil, nil, err
	}
	cfg := outboxConfig()
	cfg.Relay.SkipMigrations = false
	if err := outbox.Migrate(ctx, prodDB, cfg); err != nil {
		return nil, nil, err
	}
	if err := inbox.Migrate(ctx, consDB, inbox.Config{}); err != nil {
		return nil, nil, err
	}
	for _, ddl := range []string{
		"CREATE TABLE fr_orders (id BIGINT NOT NULL PRIMARY KEY)",
		"CREATE TABLE fr_effects (id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, order_id BIGINT NOT NULL, msg_key VARCHAR(64) NOT NULL, KEY (order_id))",
	} {
		if _, err := consDB.ExecContext(ctx, ddl); err != nil {
			return nil, nil, err
		}
	}
	return prodDB, consDB, nil
}

func (r *run) faultCounts() string {
	r.countMu.Lock()
	defer r.countMu.Unlock()
	var parts []string
	for _, f := range r.faults() {
		parts = append(parts, fmt.Sprintf("%s %d", f.name, r.counts[f.name]))
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// killAll kills whatever child processes are still running.
func (r *run) killAll() {
	for _, p := range r.relays {
		if p != nil && p.proc.alive() {
			_ = p.proc.kill()
		}
	}
	if r.broker != nil && r.broker.proc != nil && r.broker.proc.alive() {
		_ = r.broker.kill()
	}
	if r.db != nil && r.db.proc != nil && r.db.proc.alive() {
		_ = r.db.kill()
	}
}

// tails prints the end of the run's logs, for a failure in CI.
func (r *run) tails() {
	for _, name := range []string{"services.log", "broker.log", "mariadb.log"} {
		b, err := os.ReadFile(filepath.Join(r.work, name))
		if err != nil || len(b) == 0 {
			continue
		}
		lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
		lines = lines[max(0, len(lines)-15):]
		r.logf("last lines of %s:\n    %s", name, strings.Join(lines, "\n    "))
	}
}
