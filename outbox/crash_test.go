package outbox_test

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/admin"
	"github.com/rocketkit/rocketkit/broker"
	"github.com/rocketkit/rocketkit/broker/brokertest"
	"github.com/rocketkit/rocketkit/client"
	"github.com/rocketkit/rocketkit/internal/clientlog"
	"github.com/rocketkit/rocketkit/outbox"
	"github.com/rocketkit/rocketkit/outbox/inbox"
	"github.com/rocketkit/rocketkit/outbox/outboxtest"
	"github.com/rocketkit/rocketkit/transport"
	"github.com/rocketkit/rocketkit/transport/official"
)

// Kill points of the crash matrix. The child relay announces the point on
// stdout and blocks there until the parent SIGKILLs it.
const (
	killRandom     = "random"      // at a random instant while relaying
	killAfterClaim = "after-claim" // rows claimed, nothing sent
	killBeforeSend = "before-send" // about to send a chunk
	killAfterSend  = "after-send"  // a chunk sent, not marked
	killMidBatch   = "mid-batch"   // one chunk of a multi-chunk claim sent, others pending
	killBeforeMark = "before-mark" // every chunk sent, none marked
)

var killModes = []string{killRandom, killAfterClaim, killBeforeSend, killAfterSend, killMidBatch, killBeforeMark}

// crashConfig is the relay configuration of parent and children: short
// lease so that the rows of a killed relay come back quickly, small
// batches and chunks so that a claim spans several sends.
func crashConfig(table string) outbox.Config {
	return outbox.Config{
		Table: table,
		Relay: outbox.RelayConfig{
			BatchSize:        120,
			MaxBatchMessages: 16,
			PollInterval:     20 * time.Millisecond,
			Lease:            2 * time.Second,
			SendTimeout:      400 * time.Millisecond,
			RetryBackoff:     100 * time.Millisecond,
			SkipMigrations:   true,
		},
	}
}

// runCrashHelper is the child relay: env OUTBOX_CRASH_* says where to
// find database and broker, and where to stop.
func runCrashHelper(mode string) int {
	if mode != "relay" {
		fmt.Fprintln(os.Stderr, "unknown helper", mode)
		return 2
	}
	clientlog.Route(nil)
	exitWithParent()
	db, err := sql.Open("mysql", os.Getenv("OUTBOX_CRASH_DSN"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ns := os.Getenv("OUTBOX_CRASH_NAMESRV")
	newBackend := transport.Native
	if os.Getenv("OUTBOX_CRASH_BACKEND") == official.Name {
		newBackend = func(cfg client.Config, _ ...client.Option) (transport.Backend, error) { return official.New(cfg) }
	}
	be, err := newBackend(client.Config{NameServers: []string{ns}})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	p, err := outbox.NewProducer(be, outbox.ProducerConfig{Group: "crash-relay"})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ac, err := admin.New(admin.Config{NameServers: []string{ns}, Timeout: time.Second})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	lookup := outbox.AdminLookup(ac)
	if os.Getenv("OUTBOX_CRASH_LOOKUP") == "none" {
		lookup = outbox.ResendUnknown
	}
	r, err := outbox.NewRelay(crashConfig(os.Getenv("OUTBOX_CRASH_TABLE")), db, p, lookup)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	at := os.Getenv("OUTBOX_CRASH_AT")
	after, _ := strconv.Atoi(os.Getenv("OUTBOX_CRASH_AFTER"))
	var events atomic.Int64
	var stdout sync.Mutex
	stop := func(point string) {
		if point != at || events.Add(1) != int64(after) {
			return
		}
		stdout.Lock()
		fmt.Println("KILLPOINT", point)
		stdout.Unlock()
		select {} // wait for SIGKILL
	}
	var claimSize atomic.Int64
	var sendsInClaim atomic.Int64
	outbox.SetTestHooks(r, outbox.TestHooks{
		AfterClaim: func(n int) {
			claimSize.Store(int64(n))
			sendsInClaim.Store(0)
			stop(killAfterClaim)
		},
		BeforeSend: func() { stop(killBeforeSend) },
		AfterSend: func() {
			stop(killAfterSend)
			if sendsInClaim.Add(1) == 1 && claimSize.Load() > 2*16 {
				stop(killMidBatch)
			}
		},
		BeforeMark: func() { stop(killBeforeMark) },
	})
	if err := r.Start(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	stdout.Lock()
	fmt.Println("READY")
	stdout.Unlock()
	select {}
}

// loadWriter publishes until stopped: entities in order (seq 1, 2, …)
// with a sharding key each, plus keyless messages.
type loadWriter struct {
	mu      sync.Mutex
	seqs    map[string]int
	keyless int
	stop    chan struct{}
	wg      sync.WaitGroup
	err     atomic.Value
}

func startLoad(ctx context.Context, db *sql.DB, pub *outbox.Publisher, topic string, writers, entities int, pause time.Duration) *loadWriter {
	lw := &loadWriter{seqs: map[string]int{}, stop: make(chan struct{})}
	for w := range writers {
		lw.wg.Add(1)
		go func() {
			defer lw.wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 11))
			for {
				select {
				case <-lw.stop:
					return
				default:
				}
				var msgs []outbox.Message
				var counted []string
				keyless := 0
				for range 1 + rng.IntN(3) {
					if rng.IntN(10) == 0 {
						keyless++
						msgs = append(msgs, outbox.Message{Destination: topic + ":free", Payload: payload{Seq: rng.IntN(1 << 20)}})
						continue
					}
					e := fmt.Sprintf("entity-%d", w+writers*rng.IntN(entities/writers))
					lw.mu.Lock()
					seq := lw.seqs[e] + len(countOf(counted, e)) + 1
					lw.mu.Unlock()
					counted = append(counted, e)
					msgs = append(msgs, outbox.Message{Destination: topic + ":keyed", ShardingKey: e, Keys: []string{e},
						Payload: payload{Entity: e, Seq: seq}})
				}
				err := outbox.WithTx(ctx, db, func(ctx context.Context, tx *sql.Tx) error {
					return pub.Publish(ctx, tx, msgs...)
				})
				if err != nil {
					lw.err.Store(err)
					return
				}
				lw.mu.Lock()
				for _, e := range counted {
					lw.seqs[e]++
				}
				lw.keyless += keyless
				lw.mu.Unlock()
				time.Sleep(pause)
			}
		}()
	}
	return lw
}

func countOf(list []string, s string) []string {
	var out []string
	for _, x := range list {
		if x == s {
			out = append(out, x)
		}
	}
	return out
}

// finish stops the writers and returns what they committed.
func (lw *loadWriter) finish(t testing.TB) (map[string]int, int) {
	close(lw.stop)
	lw.wg.Wait()
	if err, _ := lw.err.Load().(error); err != nil {
		t.Fatalf("writer: %v", err)
	}
	total := lw.keyless
	for _, n := range lw.seqs {
		total += n
	}
	return lw.seqs, total
}

// crashRuns is the number of relay processes killed (OUTBOX_CRASH_RUNS
// overrides; the stress build raises the default).
func crashRuns() int {
	if n, err := strconv.Atoi(os.Getenv("OUTBOX_CRASH_RUNS")); err == nil && n > 0 {
		return n
	}
	return defaultCrashRuns
}

// The crash matrix: while writers publish, relay processes are SIGKILLed
// at random instants and at every dangerous point (after the claim,
// before a send, after a send before the mark, in the middle of a batch,
// before the mark). A final relay finishes the work. Nothing may be lost,
// the inbox consumer must apply every message exactly once, every key
// must keep its order, and key-based compensation should leave no raw
// duplicate on the broker.
func TestRelayCrashMatrix(t *testing.T) {
	dups := runCrashMatrix(t, nativeBackend, crashRuns(), true)
	if dups != 0 {
		t.Errorf("%d messages stored twice on the broker despite key-based compensation", dups)
	}
}

// The crash matrix with relays on the official client's backend, once
// through every kill point (the stress build: a third of the native runs).
func TestRelayCrashMatrixOfficial(t *testing.T) {
	dups := runCrashMatrix(t, officialBackend, max(crashRuns()/3, len(killModes)), true)
	if dups != 0 {
		t.Errorf("%d messages stored twice on the broker despite key-based compensation", dups)
	}
}

// Without key lookups (ResendUnknown) the crashes leave raw duplicates on
// the broker; the inbox consumer still applies every message exactly
// once.
func TestRelayCrashMatrixWithoutLookup(t *testing.T) {
	dups := runCrashMatrix(t, nativeBackend, max(crashRuns()/3, 6), false)
	t.Logf("without compensation: %d raw duplicates on the broker, none applied twice", dups)
}

// runCrashMatrix runs the crash matrix with relays (the killed ones and
// the final one) on the backend open makes, and returns the number of raw
// broker duplicates.
func runCrashMatrix(t *testing.T, open func(testing.TB, *broker.Broker) transport.Backend, runs int, compensate bool) int {
	ctx := t.Context()
	db := outboxtest.Open(t)
	b := brokertest.Start(t)
	topic := uniqueTopic("ob_crash")
	cfg := crashConfig("outbox_crash")
	cfg.Relay.SkipMigrations = false
	if err := outbox.Migrate(ctx, db, cfg); err != nil {
		t.Fatal(err)
	}
	in, err := inbox.New(inbox.Config{Consumer: "crash-test"}, db)
	if err != nil {
		t.Fatal(err)
	}
	if err := in.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("CREATE TABLE effects (id BIGINT AUTO_INCREMENT PRIMARY KEY, msg_key VARCHAR(64) NOT NULL, entity VARCHAR(64) NOT NULL, seq INT NOT NULL)"); err != nil {
		t.Fatal(err)
	}
	var skipped atomic.Int64
	rec := newRecorder()
	startConsumer(t, b, topic, rec, func(ctx context.Context, m *client.MessageExt) error {
		handled, err := in.Handle(ctx, inbox.KeyOf(m), func(ctx context.Context, tx *sql.Tx) error {
			p := payloadOf(m)
			_, err := tx.ExecContext(ctx, "INSERT INTO effects (msg_key, entity, seq) VALUES (?, ?, ?)", inbox.KeyOf(m), p.Entity, p.Seq)
			return err
		})
		if err == nil && !handled {
			skipped.Add(1)
		}
		if err != nil {
			t.Logf("handler: %v", err)
		}
		return err
	})
	pub, err := outbox.NewPublisher(cfg)
	if err != nil {
		t.Fatal(err)
	}
	load := startLoad(ctx, db.DB, pub, topic, 4, 40, 8*time.Millisecond)

	be := open(t, b)
	backend := be.Name()
	began := time.Now()
	kills := map[string]int{}
	missed := 0
	for i := range runs {
		mode := killModes[i%len(killModes)]
		reached := crashOnce(t, db.DSN, b.Addr(), cfg.Table, mode, 1+rand.IntN(4), compensate, backend)
		kills[mode]++
		if !reached {
			missed++
		}
		time.Sleep(time.Duration(rand.IntN(100)) * time.Millisecond)
	}
	want, total := load.finish(t)

	t.Logf("%d relay processes killed in %v", runs, time.Since(began).Round(time.Millisecond))
	lookup := outboxtest.KeyLookup(t, b.Addr())
	if !compensate {
		lookup = outbox.ResendUnknown
	}
	final := startRelay(t, db.DB, cfg, newProducer(t, be), lookup)
	waitBacklog(t, final, 60*time.Second)
	rec.waitDistinct(t, total, 60*time.Second)
	deadline := time.Now().Add(30 * time.Second)
	for countRows(t, db.DB, "effects", "") < total && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond)

	dups := checkDelivery(t, rec.snapshot(), total, want, true, !compensate)
	effects := countRows(t, db.DB, "effects", "")
	var distinctEffects int
	if err := db.QueryRow("SELECT COUNT(DISTINCT msg_key) FROM effects").Scan(&distinctEffects); err != nil {
		t.Fatal(err)
	}
	lost := total - distinctEffects
	fs := final.Stats()
	t.Logf("crash matrix (%s, key lookups: %v): %d relay processes SIGKILLed %v (%d before reaching their kill point), %d messages published; "+
		"lost %d, inbox effects %d (duplicates %d), broker duplicates %d, consumer deliveries %d (inbox skipped %d); "+
		"final relay: %+v", backend, compensate, runs, kills, missed, total, lost, effects, effects-distinctEffects, dups,
		len(rec.snapshot()), skipped.Load(), fs)
	if lost != 0 || effects != distinctEffects {
		t.Errorf("lost %d messages, %d duplicate effects", lost, effects-distinctEffects)
	}
	if missed > runs/2 {
		t.Errorf("%d of %d relays were killed before reaching their kill point", missed, runs)
	}
	return dups
}

// payloadOf decodes a test message body.
func payloadOf(m *client.MessageExt) payload {
	var p payload
	_ = jsonUnmarshal(m.Body, &p)
	return p
}

// crashOnce starts a relay process on backend (its Name) and SIGKILLs it
// at the kill point (or, for killRandom, at a random instant); it reports
// whether the point was reached before a timeout.
func crashOnce(t *testing.T, dsn, namesrv, table, mode string, after int, compensate bool, backend string) bool {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"=relay", "OUTBOX_CRASH_DSN="+dsn, "OUTBOX_CRASH_NAMESRV="+namesrv,
		"OUTBOX_CRASH_TABLE="+table, "OUTBOX_CRASH_AT="+mode, "OUTBOX_CRASH_AFTER="+strconv.Itoa(after),
		"OUTBOX_CRASH_BACKEND="+backend)
	if !compensate {
		cmd.Env = append(cmd.Env, "OUTBOX_CRASH_LOOKUP=none")
	}
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
	lines := make(chan string, 4)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	reached := false
	timeout := time.After(15 * time.Second)
	var randomKill <-chan time.Time
wait:
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				break wait
			}
			if line == "READY" && mode == killRandom {
				randomKill = time.After(time.Duration(50+rand.IntN(400)) * time.Millisecond)
			}
			if strings.HasPrefix(line, "KILLPOINT") {
				reached = true
				break wait
			}
		case <-randomKill:
			reached = true
			break wait
		case <-timeout:
			t.Logf("relay process (%s after %d) did not reach its kill point", mode, after)
			break wait
		}
	}
	_ = cmd.Process.Kill() // SIGKILL
	_ = cmd.Wait()
	return reached
}

// exitWithParent ends a helper process when its parent test process dies
// (its stdin pipe closes), so an interrupted test leaves no relay behind.
func exitWithParent() {
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		os.Exit(3)
	}()
}
