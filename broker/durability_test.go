package broker_test

// Durability: messages and consumer offsets survive a restart, no
// acknowledged message is lost when a SYNC_FLUSH broker is killed, and a
// torn or damaged end of the commit log is cut off on the next start.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
	"github.com/rocketkit/rocketkit/broker"
	"github.com/rocketkit/rocketkit/broker/brokertest"
	"github.com/rocketkit/rocketkit/broker/store"
	"github.com/rocketkit/rocketkit/internal/clienttest"
	"github.com/rocketkit/rocketkit/protocol/message"
	"github.com/rocketkit/rocketkit/protocol/remoting"
)

// A consumer group that consumed everything before a clean restart resumes
// after it, receiving only what was produced since; every message survives
// the restart, as a new group sees.
func TestRestartKeepsMessagesAndOffsets(t *testing.T) {
	dir := t.TempDir()
	sameDir := brokertest.WithConfig(func(c *broker.Config) { c.DataDir = dir; c.Listen = "127.0.0.1:0" })
	topic, group := uniqueName("t_restart"), uniqueName("g_restart")
	const before, after = 100, 20

	b1 := brokertest.Start(t, sameDir)
	p1 := startProducer(t, b1)
	var want []string
	for i := range before {
		body := fmt.Sprintf("old-%03d", i)
		sendSync(t, p1, primitive.NewMessage(topic, []byte(body)))
		want = append(want, body)
	}
	r1 := newReceived()
	c1 := startConsumer(t, b1, group, topic, "*", r1)
	waitUntil(t, 20*time.Second, func() bool { return distinctPrefix(bodies(r1.snapshot()), "old-") >= before })

	// The client commits offsets with its next pull (or every 5 s): wait
	// until the broker holds them all before stopping anything.
	rc1 := dialRaw(t, b1.Addr())
	queues := expectRoute(t, rc1, topic)
	start := time.Now()
	var committed []int64
	waitUntil(t, 30*time.Second, func() bool {
		committed = consumerOffsets(t, rc1, group, topic, queues)
		return sumOffsets(committed) == before
	})
	t.Logf("offsets %v (sum %d) reached the broker %v after the last message was consumed",
		committed, before, time.Since(start).Round(time.Millisecond))
	if err := c1.Shutdown(); err != nil {
		t.Fatalf("shut consumer down: %v", err)
	}
	if err := p1.Shutdown(); err != nil {
		t.Fatalf("shut producer down: %v", err)
	}
	assertExactlyOnce(t, bodies(r1.snapshot()), "old-", before)
	if err := b1.Close(); err != nil {
		t.Fatalf("close broker: %v", err)
	}

	b2 := brokertest.Start(t, sameDir)
	t.Logf("restarted: %s, then %s", b1.Addr(), b2.Addr())
	rc2 := dialRaw(t, b2.Addr())
	if got := consumerOffsets(t, rc2, group, topic, queues); !slices.Equal(got, committed) {
		t.Errorf("offsets after the restart %v, want %v", got, committed)
	}
	p2 := startProducer(t, b2)
	for i := range after {
		body := fmt.Sprintf("new-%03d", i)
		sendSync(t, p2, primitive.NewMessage(topic, []byte(body)))
		want = append(want, body)
	}

	r2 := newReceived()
	startConsumer(t, b2, group, topic, "*", r2)
	waitUntil(t, 20*time.Second, func() bool { return distinctPrefix(bodies(r2.snapshot()), "new-") >= after })
	// Once its offsets reach the end, the group has been handed everything
	// it would ever get from these queues.
	waitUntil(t, 30*time.Second, func() bool { return sumOffsets(consumerOffsets(t, rc2, group, topic, queues)) == before+after })
	got := bodies(r2.snapshot())
	if old := countPrefix(got, "old-"); old > 0 {
		t.Errorf("the group received %d messages it had consumed before the restart", old)
	}
	assertExactlyOnce(t, got, "new-", after)

	// Every message survived, once: the log holds all 120 and a new group
	// receives them.
	assertLogIntact(t, b2, topic, want)
}

// SIGKILL a SYNC_FLUSH broker (the rocketkit binary) while eight producers
// send, at several points; the broker started again on the same data must
// serve every message that was acknowledged SEND_OK.
func TestCrashDuringSyncFlushLosesNoAckedMessage(t *testing.T) {
	bin := buildRocketkit(t)
	const senders = 8
	tests := []struct {
		name      string
		killAfter int // acknowledged sends before the kill
		// minTime is the least time of sending before the kill. The
		// store checkpoints every second; the ack counts alone are
		// reached before the first checkpoint, so recovery scans the
		// whole log; with 1.5s it starts from a checkpoint.
		minTime time.Duration
		// fromCheckpoint: recovery must replay the log from a checkpoint
		// past its start (store.RecoveryInfo), not from the first record.
		fromCheckpoint bool
	}{
		{name: "after 50 acks", killAfter: 50},
		{name: "after 300 acks", killAfter: 300},
		{name: "after 1000 acks", killAfter: 1000},
		{name: "after 1.5s, past a checkpoint", killAfter: 1, minTime: 1500 * time.Millisecond, fromCheckpoint: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			child := startChildBroker(t, bin, "--listen", "127.0.0.1:0", "--data", dir,
				"--flush", broker.SyncFlush, "--log-level", "info")
			// Make sure the test exercises SYNC_FLUSH: the start-up log says so
			// (stderr is copied asynchronously, so it may still be in flight).
			waitUntil(t, 10*time.Second, func() bool {
				return strings.Contains(child.stderr.String(), "flush="+broker.SyncFlush)
			})
			topic := uniqueName("t_crash")
			p := startProducerAt(t, child.addr, producer.WithSendMsgTimeout(10*time.Second))

			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			var (
				mu       sync.Mutex
				acked    = map[string]bool{}
				statuses = map[string]int{} // non-OK outcomes, by kind
				nAcked   atomic.Int64
				reached  = make(chan struct{})
				once     sync.Once
				wg       sync.WaitGroup
			)
			sendStart := time.Now()
			for g := range senders {
				wg.Go(func() {
					for i := 0; ctx.Err() == nil; i++ {
						body := fmt.Sprintf("s%d-%06d", g, i)
						res, err := p.SendSync(ctx, primitive.NewMessage(topic, []byte(body)))
						mu.Lock()
						switch {
						case err != nil:
							statuses["error"]++
						case res.Status != primitive.SendOK:
							statuses[fmt.Sprintf("status %d", res.Status)]++
						default:
							acked[body] = true
						}
						mu.Unlock()
						if err == nil && res.Status == primitive.SendOK && nAcked.Add(1) == int64(tt.killAfter) {
							once.Do(func() { close(reached) })
						}
					}
				})
			}
			select {
			case <-reached:
				if wait := tt.minTime - time.Since(sendStart); wait > 0 {
					time.Sleep(wait) // a minimum, not an assertion
				}
			case <-child.exited:
				cancel()
				wg.Wait()
				t.Fatalf("broker exited before the kill (%v); stderr:\n%s", child.err, headLines(child.stderr.String(), 20))
			case <-time.After(60 * time.Second):
				cancel()
				wg.Wait()
				t.Fatalf("only %d sends acknowledged within 60s", nAcked.Load())
			}
			ackedAtKill := nAcked.Load()
			child.kill(t)
			sendTime := time.Since(sendStart)
			cancel()
			wg.Wait()

			var recovery store.RecoveryInfo
			if tt.fromCheckpoint {
				// The broker does not expose its store: recover a copy of
				// the data as it would, and ask the store how it went.
				recovery = recoverCopy(t, dir)
				t.Logf("recovery of a copy: %+v", recovery)
				if !recovery.Crashed || !recovery.FromCheckpoint || recovery.Checkpoint <= 0 || recovery.ReplayedFrom != recovery.Checkpoint {
					t.Errorf("recovery %+v: want a crash recovery replaying from a checkpoint past the start of the log", recovery)
				}
			}

			var logs clienttest.LockedBuffer
			b := brokertest.Start(t, brokertest.WithConfig(func(c *broker.Config) { c.DataDir = dir }),
				brokertest.WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))))
			t.Logf("recovery warnings:\n%s", logs.String())
			rc := dialRaw(t, b.Addr())
			present := map[string]int{}
			for _, body := range bodiesOf(readLog(t, rc, topic)) {
				present[body]++
			}
			var missing []string
			for body := range acked {
				if present[body] == 0 {
					missing = append(missing, body)
				}
			}
			unackedPresent, repeated := 0, 0
			for body, n := range present {
				if !acked[body] {
					unackedPresent++
				}
				repeated += n - 1
			}
			if tt.fromCheckpoint && recovery.Replayed >= int64(len(present)+repeated) {
				t.Errorf("recovery replayed %d records of the %d in the log: not from the checkpoint", recovery.Replayed, len(present)+repeated)
			}
			t.Logf("killed after %d acks (%v of sending): %d acknowledged SEND_OK in all, other outcomes %v; "+
				"after recovery %d present: %d acknowledged, %d unacknowledged but present, %d stored twice, %d acknowledged MISSING",
				ackedAtKill, sendTime.Round(time.Millisecond), len(acked), statuses,
				len(present), len(acked)-len(missing), unackedPresent, repeated, len(missing))
			if len(missing) > 0 {
				slices.Sort(missing)
				t.Errorf("%d acknowledged messages were lost, e.g. %q", len(missing), missing[:min(len(missing), 10)])
			}
			if t.Failed() {
				t.Logf("killed broker's stderr:\n%s", headLines(child.stderr.String(), 40))
			}

			// The recovered broker takes new sends, and a consumer sees
			// everything acknowledged plus the new message.
			p2 := startProducer(t, b)
			sendSync(t, p2, primitive.NewMessage(topic, []byte("after-recovery")))
			want := []string{"after-recovery"}
			for body := range acked {
				want = append(want, body)
			}
			got := consumeFresh(t, b, topic, want, 30*time.Second)
			t.Logf("a new group received %d distinct messages", len(got))
		})
	}
}

// A commit log whose end is torn (cut inside the last record), damaged, or
// followed by garbage is cut back to its last whole record on the next
// start: the damaged segment is copied to <name>.broken first, the records
// before are served, the damaged one is not, new sends work, and the
// repaired log stays the same across one more restart.
func TestTornLastRecordRecovers(t *testing.T) {
	tests := []struct {
		name string
		// segmentSize is the commit-log segment size; 0 keeps the default.
		segmentSize int64
		// damage changes the log, whose last record starts at offset off
		// of the last segment and is size bytes long. It returns the file
		// recovery must set aside as .broken (default: the last segment).
		damage   func(t *testing.T, at tornSite) string
		lostLast bool
	}{
		{name: "cut in the middle of the last record", lostLast: true,
			damage: func(t *testing.T, at tornSite) string { truncateFile(t, at.f, at.off+at.size/2); return "" }},
		{name: "cut inside the size field", lostLast: true,
			damage: func(t *testing.T, at tornSite) string { truncateFile(t, at.f, at.off+2); return "" }},
		{name: "cut one byte short", lostLast: true,
			damage: func(t *testing.T, at tornSite) string { truncateFile(t, at.f, at.off+at.size-1); return "" }},
		// Data below the checkpoint is not re-verified (store doc), so
		// this one looks like a crash before the first checkpoint: no
		// checkpoint, abort marker left.
		{name: "last record's body corrupted, crash before the first checkpoint", lostLast: true,
			damage: func(t *testing.T, at tornSite) string {
				const bodyPos = 88 // IPv4 hosts; see package message
				writeFileAt(t, at.f, at.off+bodyPos, []byte{'#'})
				if err := os.Remove(filepath.Join(at.dir, "checkpoint")); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(at.dir, "abort"), nil, 0o644); err != nil {
					t.Fatal(err)
				}
				return ""
			}},
		{name: "random bytes appended", lostLast: false,
			damage: func(t *testing.T, at tornSite) string {
				junk := make([]byte, 1000)
				_, _ = rand.NewChaCha8([32]byte{7}).Read(junk)
				writeFileAt(t, at.f, at.off+at.size, junk)
				return ""
			}},
		{name: "zeros appended", lostLast: false,
			damage: func(t *testing.T, at tornSite) string {
				writeFileAt(t, at.f, at.off+at.size, make([]byte, 4096))
				return ""
			}},
		{name: "half a record appended", lostLast: false,
			damage: func(t *testing.T, at tornSite) string {
				writeFileAt(t, at.f, at.off+at.size, at.halfNextRecord(t, at.base+at.off+at.size))
				return ""
			}},
		{name: "small segments, cut in the middle of the last record", segmentSize: 64 << 10, lostLast: true,
			damage: func(t *testing.T, at tornSite) string { truncateFile(t, at.f, at.off+at.size/2); return "" }},
		// A crash right after rolling over: the new segment holds only the
		// start of its first record.
		{name: "small segments, half a record in a new segment", segmentSize: 64 << 10, lostLast: false,
			damage: func(t *testing.T, at tornSite) string {
				next := at.base + at.off + at.size
				path := filepath.Join(at.dir, "commitlog", fmt.Sprintf("%020d", next))
				if err := os.WriteFile(path, at.halfNextRecord(t, next), 0o644); err != nil {
					t.Fatal(err)
				}
				return path
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			sameDir := brokertest.WithConfig(func(c *broker.Config) { c.DataDir = dir; c.SegmentSize = tt.segmentSize })
			b1 := brokertest.Start(t, sameDir)
			topic := uniqueName("t_torn")
			p1 := startProducer(t, b1)
			n, pad := 20, ""
			if tt.segmentSize > 0 {
				// About four segments; below the client's 4 KiB
				// compression threshold.
				n, pad = 100, strings.Repeat("x", 2500)
			}
			var want []string
			var last *primitive.SendResult
			for i := range n {
				body := fmt.Sprintf("m%03d%s", i, pad)
				last = sendSync(t, p1, primitive.NewMessage(topic, []byte(body)))
				want = append(want, body)
			}
			_ = p1.Shutdown()
			if err := b1.Close(); err != nil {
				t.Fatalf("close broker: %v", err)
			}

			// Find the last record: the last send's offset message id
			// holds its commit-log offset, and it ends the last segment.
			_, lastOff, err := message.ParseOffsetMsgID(last.OffsetMsgID)
			if err != nil {
				t.Fatalf("offset msg id %q: %v", last.OffsetMsgID, err)
			}
			seg, base, segments := lastSegment(t, filepath.Join(dir, "commitlog"))
			f, err := os.OpenFile(seg, os.O_RDWR, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			fi, err := f.Stat()
			if err != nil {
				t.Fatal(err)
			}
			at := tornSite{dir: dir, f: f, base: base, off: lastOff - base, size: fi.Size() - (lastOff - base)}
			var head [4]byte
			if _, err := f.ReadAt(head[:], at.off); err != nil {
				t.Fatal(err)
			}
			if got := int64(binary.BigEndian.Uint32(head[:])); got != at.size || at.size < message.MinRecordSize {
				t.Fatalf("record at %d of %s: TOTALSIZE %d, but %d bytes to the end of the segment", at.off, seg, got, at.size)
			}
			damagedFile := tt.damage(t, at)
			if damagedFile == "" {
				damagedFile = seg
			}
			damaged, err := os.ReadFile(damagedFile)
			if err != nil {
				t.Fatal(err)
			}
			if err := f.Close(); err != nil {
				t.Fatal(err)
			}
			t.Logf("%d segments; last record %d bytes at %d of %s", segments, at.size, at.off, filepath.Base(seg))

			var logs clienttest.LockedBuffer
			b2 := brokertest.Start(t, sameDir, brokertest.WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))))
			t.Logf("recovery warnings:\n%s", logs.String())
			if tt.lostLast {
				want = want[:n-1]
			}
			rc := dialRaw(t, b2.Addr())
			if got := sortedCopy(bodiesOf(readLog(t, rc, topic))); !slices.Equal(got, want) {
				t.Errorf("after recovery the log holds %d messages %q, want %d %q", len(got), clipTexts(got), len(want), clipTexts(want))
			}

			// The damaged file was kept aside, and the log cut at the last
			// whole record.
			broken, err := os.ReadFile(damagedFile + ".broken")
			if err != nil {
				t.Errorf("no copy of the damaged file: %v", err)
			} else if !bytes.Equal(broken, damaged) {
				t.Errorf("%s.broken holds %d bytes, want the %d damaged bytes", filepath.Base(damagedFile), len(broken), len(damaged))
			}
			wantSize := at.off + at.size
			if tt.lostLast {
				wantSize = at.off
			}
			if fi, err := os.Stat(seg); err != nil || fi.Size() != wantSize {
				t.Errorf("last segment after recovery: %v; want %d bytes", err, wantSize)
				if err == nil {
					t.Errorf("last segment after recovery: %d bytes, want %d", fi.Size(), wantSize)
				}
			}
			if damagedFile != seg {
				if fi, err := os.Stat(damagedFile); err == nil && fi.Size() != 0 {
					t.Errorf("%s still holds %d bytes after recovery", filepath.Base(damagedFile), fi.Size())
				}
			}

			p2 := startProducer(t, b2)
			sendSync(t, p2, primitive.NewMessage(topic, []byte("after-recovery")))
			want = append(want, "after-recovery")
			assertLogIntact(t, b2, topic, want)

			// The repaired log needs no further repair.
			_ = p2.Shutdown()
			if err := b2.Close(); err != nil {
				t.Fatalf("close recovered broker: %v", err)
			}
			logs = clienttest.LockedBuffer{}
			b3 := brokertest.Start(t, sameDir, brokertest.WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))))
			if got := sortedCopy(bodiesOf(readLog(t, dialRaw(t, b3.Addr()), topic))); !slices.Equal(got, sortedCopy(want)) {
				t.Errorf("after another restart the log holds %d messages, want %d", len(got), len(want))
			}
			if w := logs.String(); w != "" {
				t.Errorf("the restart after recovery warned:\n%s", w)
			}
		})
	}
}

// tornSite locates the last record of the commit log for a damage
// function.
type tornSite struct {
	dir  string   // data directory
	f    *os.File // the last segment, open for writing
	base int64    // the last segment's first commit-log offset
	off  int64    // the last record's position in it
	size int64    // the last record's size
}

// halfNextRecord returns the first half of a copy of the last record, as if
// the next record, at commit-log offset at, had been torn: a plausible
// header (size, magic, PHYSICALOFFSET) whose record never finished.
func (s tornSite) halfNextRecord(t *testing.T, at int64) []byte {
	t.Helper()
	rec := make([]byte, s.size)
	if _, err := s.f.ReadAt(rec, s.off); err != nil {
		t.Fatal(err)
	}
	binary.BigEndian.PutUint64(rec[28:], uint64(at)) // PHYSICALOFFSET
	return rec[:s.size/2]
}

// --- helpers ---------------------------------------------------------------

// recoverCopy copies a crashed broker's data directory (without its lock
// file), opens the store in the copy (recovering it as the broker's Open
// would) and returns how it recovered.
func recoverCopy(t *testing.T, dataDir string) store.RecoveryInfo {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir(dataDir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dataDir, p)
		if err != nil {
			return err
		}
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		if d.Name() == "lock" {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatalf("copy data directory: %v", err)
	}
	s, err := store.Open(store.Config{Dir: dst, Retention: store.Retention{Disabled: true}})
	if err != nil {
		t.Fatalf("open the store of the copy: %v", err)
	}
	defer s.Close()
	return s.Recovery()
}

// consumerOffsets asks for group's offset of each queue; -1 when none is
// stored.
func consumerOffsets(t testing.TB, c *rawConn, group, topic string, queues int) []int64 {
	t.Helper()
	out := make([]int64, queues)
	for q := range queues {
		resp := c.mustCall(t, remoting.QueryConsumerOffset, remoting.Fields{
			{Key: "consumerGroup", Value: group}, {Key: "topic", Value: topic}, {Key: "queueId", Value: strconv.Itoa(q)},
		}, nil)
		switch resp.Code {
		case remoting.Success:
			out[q], _ = resp.ExtFields.Int64("offset")
		case remoting.QueryNotFound:
			out[q] = -1
		default:
			t.Fatalf("query offset of %s/%d: code %d (%s)", topic, q, resp.Code, resp.Remark)
		}
	}
	return out
}

func sumOffsets(xs []int64) int64 {
	var s int64
	for _, x := range xs {
		s += x
	}
	return s
}

// lastSegment returns the path and base offset of the newest commit-log
// segment in dir, and the number of segments.
func lastSegment(t testing.TB, dir string) (path string, base int64, segments int) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	best, bestBase := "", int64(-1)
	for _, e := range entries {
		base, err := strconv.ParseInt(e.Name(), 10, 64)
		if err != nil || len(e.Name()) != 20 {
			continue // .broken copies and the like
		}
		segments++
		if base > bestBase {
			best, bestBase = filepath.Join(dir, e.Name()), base
		}
	}
	if best == "" {
		t.Fatalf("no commit-log segment in %s", dir)
	}
	return best, bestBase, segments
}

func truncateFile(t testing.TB, f *os.File, size int64) {
	t.Helper()
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
}

func writeFileAt(t testing.TB, f *os.File, off int64, b []byte) {
	t.Helper()
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
}

// buildRocketkit builds the rocketkit command into a temporary directory.
func buildRocketkit(t testing.TB) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "rocketkit")
	start := time.Now()
	cmd := exec.CommandContext(t.Context(), "go", "build", "-o", bin, "github.com/rocketkit/rocketkit/cmd/rocketkit")
	cmd.Env = goToolEnv()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	t.Logf("built rocketkit in %v", time.Since(start).Round(time.Millisecond))
	return bin
}

// childBroker is `rocketkit broker` running as a child process.
type childBroker struct {
	cmd    *exec.Cmd
	addr   string
	stderr *clienttest.LockedBuffer
	exited chan struct{} // closed when the process has exited
	err    error         // cmd.Wait's result, valid once exited is closed
}

// startChildBroker runs `bin broker args...` and waits for its "listening
// on" line. The process is killed at test end if still running.
func startChildBroker(t testing.TB, bin string, args ...string) *childBroker {
	t.Helper()
	c := &childBroker{
		cmd:    exec.Command(bin, append([]string{"broker"}, args...)...),
		stderr: &clienttest.LockedBuffer{},
		exited: make(chan struct{}),
	}
	c.cmd.Stderr = c.stderr
	stdout, err := c.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	first := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			select {
			case first <- sc.Text():
			default:
			}
		}
		c.err = c.cmd.Wait() // only after every read from the pipe is done
		close(c.exited)
	}()
	t.Cleanup(func() {
		_ = c.cmd.Process.Kill()
		<-c.exited
	})
	select {
	case line := <-first:
		rest, ok := strings.CutPrefix(line, "rocketkit broker listening on ")
		addr, _, ok2 := strings.Cut(rest, " ")
		if !ok || !ok2 {
			t.Fatalf("first stdout line %q, want \"rocketkit broker listening on <addr> (data <dir>)\"", line)
		}
		c.addr = addr
	case <-c.exited:
		t.Fatalf("rocketkit broker exited (%v) before listening; stderr:\n%s", c.err, c.stderr)
	case <-time.After(30 * time.Second):
		t.Fatalf("no \"listening on\" line within 30s; stderr so far:\n%s", c.stderr)
	}
	return c
}

// kill sends SIGKILL and waits for the process to die of it.
func (c *childBroker) kill(t testing.TB) {
	t.Helper()
	if err := c.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatalf("kill broker: %v", err)
	}
	select {
	case <-c.exited:
	case <-time.After(10 * time.Second):
		t.Fatal("broker still running 10s after SIGKILL")
	}
	var exit *exec.ExitError
	if !errors.As(c.err, &exit) || !exit.Sys().(syscall.WaitStatus).Signaled() ||
		exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("broker ended with %v before it was killed; stderr:\n%s", c.err, headLines(c.stderr.String(), 20))
	}
}

// alive reports whether the process is still running.
func (c *childBroker) alive() bool {
	select {
	case <-c.exited:
		return false
	default:
		return true
	}
}

// exitedWithin returns a channel closed when the process exited or d
// passed, whichever is first.
func (c *childBroker) exitedWithin(d time.Duration) <-chan struct{} {
	ch := make(chan struct{})
	go func() {
		defer close(ch)
		select {
		case <-c.exited:
		case <-time.After(d):
		}
	}()
	return ch
}

// goToolEnv is the environment for running the go command from a test.
func goToolEnv() []string { return clienttest.GoEnv() }

// A consumer that was running when the broker restarted (same address,
// same data) carries on: it reconnects, re-registers with its next
// heartbeat and receives what is sent after the restart.
func TestLiveConsumerSurvivesBrokerRestart(t *testing.T) {
	dir := t.TempDir()
	b1 := brokertest.Start(t, brokertest.WithConfig(func(c *broker.Config) { c.DataDir = dir }))
	addr := b1.Addr()
	topic, group := uniqueName("t_live_restart"), uniqueName("g_live_restart")
	p := startProducerAt(t, addr)
	sendSync(t, p, primitive.NewMessage(topic, []byte("before")))
	r := newReceived()
	startConsumer(t, b1, group, topic, "*", r)
	r.waitFor(t, 1, 10*time.Second)
	if err := b1.Close(); err != nil {
		t.Fatal(err)
	}
	brokertest.Start(t, brokertest.WithConfig(func(c *broker.Config) {
		c.DataDir = dir
		c.Listen = addr // the clients know this address
	}))
	start := time.Now()
	deadline := start.Add(60 * time.Second)
	for i := 0; r.count() < 2; i++ {
		if time.Now().After(deadline) {
			t.Fatalf("the running consumer got nothing within 60s of the restart")
		}
		// Sends fail until the producer has reconnected; keep trying.
		_, _ = p.SendSync(t.Context(), primitive.NewMessage(topic, []byte(fmt.Sprintf("after-%d", i))))
		time.Sleep(200 * time.Millisecond) // the pace of the sends, not a wait for an event
	}
	t.Logf("first message after the restart consumed %v after the broker was back", time.Since(start).Round(time.Millisecond))
}
