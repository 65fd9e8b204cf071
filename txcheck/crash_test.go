package txcheck_test

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/client"
	"github.com/rocketkit/rocketkit/internal/backendtest"
	"github.com/rocketkit/rocketkit/internal/clientlog"
	"github.com/rocketkit/rocketkit/outbox"
	"github.com/rocketkit/rocketkit/outbox/outboxtest"
	"github.com/rocketkit/rocketkit/transport"
	"github.com/rocketkit/rocketkit/transport/official"
	"github.com/rocketkit/rocketkit/txcheck"
)

// Where the child producer dies.
const (
	dieAfterCommit   = "after-commit"   // local transaction committed, outcome not reported
	dieAfterRollback = "after-rollback" // local transaction rolled back, outcome not reported
	dieInsideLocal   = "inside-local"   // local transaction open (the server rolls it back)
)

// runHelper is the child producer: it sends one transactional message
// (key TXCHECK_KEY) and stops where TXCHECK_DIE says, printing KILLPOINT,
// until the parent SIGKILLs it.
func runHelper(mode string) int {
	if mode != "producer" {
		return 2
	}
	clientlog.Route(nil)
	go func() { // exit when the parent test process dies (stdin closes)
		_, _ = io.Copy(io.Discard, os.Stdin)
		os.Exit(3)
	}()
	fail := func(err error) int { fmt.Fprintln(os.Stderr, "helper:", err); return 1 }
	db, err := sql.Open("mysql", os.Getenv("TXCHECK_DSN"))
	if err != nil {
		return fail(err)
	}
	cfg := txcheck.Config{
		Group: os.Getenv("TXCHECK_GROUP"), GracePeriod: 1500 * time.Millisecond, SkipMigrations: true,
		Sweeper: txcheck.SweeperConfig{After: 2 * time.Second},
	}
	ccfg := client.Config{NameServers: []string{os.Getenv("TXCHECK_NAMESRV")}}
	var be transport.Backend
	if os.Getenv("TXCHECK_BACKEND") == official.Name {
		be, err = official.New(ccfg)
	} else {
		be, err = transport.Native(ccfg)
	}
	if err != nil {
		return fail(err)
	}
	p, err := txcheck.New(be, db, cfg)
	if err != nil {
		return fail(err)
	}
	die := os.Getenv("TXCHECK_DIE")
	killpoint := func() {
		fmt.Println("KILLPOINT")
		select {}
	}
	txcheck.SetAfterLocal(p, func(string, txcheck.State) txcheck.State {
		killpoint() // after the local transaction, before END_TRANSACTION
		return txcheck.Unknown
	})
	if err := p.Start(context.Background()); err != nil {
		return fail(err)
	}
	key, order := os.Getenv("TXCHECK_KEY"), os.Getenv("TXCHECK_ORDER")
	_, err = p.SendMessageInTransaction(context.Background(), outbox.Message{
		Destination: os.Getenv("TXCHECK_TOPIC") + ":created", Key: key, Payload: map[string]string{"order": order},
	}, func(ctx context.Context, tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "INSERT INTO orders (id, note) VALUES (?, ?)", order, die); err != nil {
			return err
		}
		switch die {
		case dieInsideLocal:
			killpoint()
		case dieAfterRollback:
			return errors.New("business rule: roll back")
		}
		return nil
	})
	return fail(fmt.Errorf("send returned: %v", err))
}

// runChild runs the child producer until its kill point and SIGKILLs it.
func runChild(t *testing.T, env ...string) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(append(os.Environ(), helperEnv+"=producer"), env...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdin, err := cmd.StdinPipe() // closed by our exit: the child then exits too
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = cmd.Process.Kill() // SIGKILL
		_ = cmd.Wait()
	}()
	reached := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "KILLPOINT") {
				reached <- true
				return
			}
		}
		reached <- false
	}()
	select {
	case ok := <-reached:
		if !ok {
			t.Fatalf("child producer (%v) exited before its kill point", env)
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("child producer (%v) did not reach its kill point", env)
	}
}

// Producers are SIGKILLed after the half message: after the local commit,
// after the local rollback, and inside the local transaction, before any
// outcome reached the broker. A successor in the same group answers the
// broker's check-backs from MySQL: the committed message is delivered, the
// other two never are, and no half message stays pending.
func TestCheckBackAfterProducerKilled(t *testing.T) {
	backendtest.ForEachBackend(t, testCheckBackAfterProducerKilled)
}

func testCheckBackAfterProducerKilled(t *testing.T, kind backendtest.Backend) {
	db := outboxtest.Open(t)
	createOrders(t, db.DB)
	b := startBroker(t, 100)
	topic, group := uniqueName("tx_crash"), uniqueName("pg_crash")
	cfg := testConfig(group)
	if err := txcheck.Migrate(t.Context(), db, cfg); err != nil {
		t.Fatal(err)
	}
	rec := startConsumer(t, b, topic)
	keys := map[string]string{}
	for _, die := range []string{dieAfterCommit, dieAfterRollback, dieInsideLocal} {
		keys[die] = outbox.NewKey()
		runChild(t, "TXCHECK_DSN="+db.DSN, "TXCHECK_NAMESRV="+b.Addr(), "TXCHECK_GROUP="+group,
			"TXCHECK_TOPIC="+topic, "TXCHECK_KEY="+keys[die], "TXCHECK_ORDER=order-"+die, "TXCHECK_DIE="+die,
			"TXCHECK_BACKEND="+kind.Name)
	}
	if n := b.Stats().PendingTransactions[topic]; n != 3 {
		t.Fatalf("%d half messages pending after the kills, want 3", n)
	}
	if !orderExists(t, db.DB, "order-"+dieAfterCommit) || orderExists(t, db.DB, "order-"+dieAfterRollback) ||
		orderExists(t, db.DB, "order-"+dieInsideLocal) {
		t.Fatalf("local transactions: only the committed order may exist")
	}

	cfg.ProbeTopic = topic // reachable for check-backs at once
	startProducer(t, kind.Open(t, b), cfg, db)
	waitUntil(t, 20*time.Second, "half messages resolved", func() bool { return b.Stats().PendingTransactions[topic] == 0 })
	rec.waitFor(t, 1, 10*time.Second)
	time.Sleep(500 * time.Millisecond)
	if got := rec.snapshot(); !slices.Equal(got, []string{keys[dieAfterCommit]}) {
		t.Errorf("delivered %v, want only the committed %s", got, keys[dieAfterCommit])
	}
	t.Logf("check-backs sent: %d; committed delivered once, rolled back and unfinished never", b.Stats().TransactionChecks)
}
