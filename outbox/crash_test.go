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
	"github.com/rocketkit/rocketkit/internal/backendtest"
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
	outbox.SetTestHooks(r, killHooks(at, after))
	if err := r.Start(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	helperOut.Lock()
	fmt.Println("READY")
	helperOut.Unlock()
	select {}
}

// helperOut serialises the helper's lines on stdout.
var helperOut sync.Mutex

// killHooks stop a relay at the after-th arrival at kill point at: the
// hook prints "KILLPOINT <at> <detail>" and blocks its goroutine until the
// parent's SIGKILL, so the kill happens exactly there, whatever the load.
// Mid-batch counts only claims of two sends or more: the first send of
// such a claim goes out, its others block before they start, and the
// hook after that first send stops the relay, so exactly one send of the
// claim is made and the others are pending.
func killHooks(at string, after int) outbox.TestHooks {
	var (
		mu       sync.Mutex
		arrivals int
		plans    = map[int64]*sendPlan{} // by claim token
		midBatch int64                   // the claim stopped mid-batch
	)
	// arrive counts an arrival at point; true: the relay stops there.
	arrive := func(point string) bool {
		if point != at {
			return false
		}
		mu.Lock()
		defer mu.Unlock()
		arrivals++
		return arrivals == after
	}
	stop := func(format string, args ...any) {
		helperOut.Lock()
		fmt.Printf("KILLPOINT %s "+format+"\n", append([]any{at}, args...)...)
		helperOut.Unlock()
		select {} // wait for SIGKILL
	}
	return outbox.TestHooks{
		AfterClaim: func(_ int64, rows int) {
			if arrive(killAfterClaim) {
				stop("rows=%d", rows)
			}
		},
		SendPlan: func(token int64, chunks int) {
			mu.Lock()
			plans[token] = &sendPlan{chunks: chunks}
			mu.Unlock()
		},
		BeforeSend: func(token int64) {
			if arrive(killBeforeSend) {
				stop("")
			}
			mu.Lock()
			p := plans[token]
			p.started++
			if at == killMidBatch && midBatch == 0 && p.started == 1 && p.chunks >= 2 {
				arrivals++
				if arrivals == after {
					midBatch = token
				}
			}
			hold := token == midBatch && p.started > 1
			mu.Unlock()
			if hold {
				select {} // the claim's other sends stay pending until the SIGKILL
			}
		},
		AfterSend: func(token int64, err error) {
			if arrive(killAfterSend) {
				stop("error=%v", err != nil)
			}
			mu.Lock()
			mid, chunks := token == midBatch, plans[token].chunks
			mu.Unlock()
			if mid {
				stop("sent=1 pending=%d", chunks-1)
			}
		},
		BeforeMark: func(token int64) {
			if arrive(killBeforeMark) {
				stop("")
			}
			mu.Lock()
			delete(plans, token)
			mu.Unlock()
		},
	}
}

// sendPlan is what the kill hooks know of a claim's sends.
type sendPlan struct {
	chunks  int // sends planned
	started int // sends started
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
				time.Sleep(pause) // load pattern: the writers' pace, not a wait

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
// duplicate on the broker. Every relay must die at its own kill point
// (hooks stop it there, so none is left to chance); the test names the
// points that did not fire.
func TestRelayCrashMatrix(t *testing.T) {
	dups := runCrashMatrix(t, backendtest.Native, crashRuns(), true)
	if dups != 0 {
		t.Errorf("%d messages stored twice on the broker despite key-based compensation", dups)
	}
}

// The crash matrix with relays on the official client's backend, once
// through every kill point (the stress build: a third of the native runs).
func TestRelayCrashMatrixOfficial(t *testing.T) {
	dups := runCrashMatrix(t, backendtest.Official, max(crashRuns()/3, len(killModes)), true)
	if dups != 0 {
		t.Errorf("%d messages stored twice on the broker despite key-based compensation", dups)
	}
}

// Without key lookups (ResendUnknown) the crashes leave raw duplicates on
// the broker; the inbox consumer still applies every message exactly
// once.
func TestRelayCrashMatrixWithoutLookup(t *testing.T) {
	dups := runCrashMatrix(t, backendtest.Native, max(crashRuns()/3, 6), false)
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
	tries := map[string]int{} // relays started per kill point
	fired := map[string]int{} // of them, killed at their point
	for i := range runs {
		mode := killModes[i%len(killModes)]
		tries[mode]++
		if crashOnce(t, db.DSN, b.Addr(), cfg.Table, mode, 1+rand.IntN(4), compensate, backend) {
			fired[mode]++
		}
		// Load pattern: a random pause before the next relay starts, so
		// that kills meet backlogs of different sizes.
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
	eventually(t, 30*time.Second, func() bool { return countRows(t, db.DB, "effects", "") >= total },
		func() string {
			return fmt.Sprintf("%d inbox effects, want %d", countRows(t, db.DB, "effects", ""), total)
		})
	quietWindow(500 * time.Millisecond) // no duplicate delivery or effect follows

	dups := checkDelivery(t, rec.snapshot(), total, want, true, !compensate)
	effects := countRows(t, db.DB, "effects", "")
	var distinctEffects int
	if err := db.QueryRow("SELECT COUNT(DISTINCT msg_key) FROM effects").Scan(&distinctEffects); err != nil {
		t.Fatal(err)
	}
	lost := total - distinctEffects
	fs := final.Stats()
	t.Logf("crash matrix (%s, key lookups: %v): %d relay processes SIGKILLed, at their kill point %v of %v, %d messages published; "+
		"lost %d, inbox effects %d (duplicates %d), broker duplicates %d, consumer deliveries %d (inbox skipped %d); "+
		"final relay: %+v", backend, compensate, runs, fired, tries, total, lost, effects, effects-distinctEffects, dups,
		len(rec.snapshot()), skipped.Load(), fs)
	if lost != 0 || effects != distinctEffects {
		t.Errorf("lost %d messages, %d duplicate effects", lost, effects-distinctEffects)
	}
	// Every kill point is reached deterministically (the hooks stop the
	// relay there), so every kill must have fired at its point; a point
	// never reached would leave its path untested.
	for _, mode := range killModes {
		if fired[mode] != tries[mode] {
			t.Errorf("kill point %s fired in %d of %d relays", mode, fired[mode], tries[mode])
		}
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
	timeout := time.After(60 * time.Second) // generous: the hooks stop the relay at its point, however slowly it gets there
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
			if point, ok := strings.CutPrefix(line, "KILLPOINT "); ok {
				if reached = strings.HasPrefix(point, mode+" "); !reached {
					t.Errorf("relay process to be killed at %s (arrival %d) stopped at %s", mode, after, point)
				}
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
