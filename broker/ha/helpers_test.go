package ha

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/rocketkit/rocketkit/broker/store"
	"github.com/rocketkit/rocketkit/protocol/message"
)

// TestMain fails the package if a test leaves a goroutine behind
// (streamers, report loops, Serve).
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// logBuffer collects a logger's output for assertions (and echoes it
// with -v).
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if testing.Verbose() {
		_, _ = os.Stderr.Write(p)
	}
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func newLog() (*slog.Logger, *logBuffer) {
	b := &logBuffer{}
	return slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug})), b
}

// waitLog waits until the log holds every one of parts in one line.
func waitLog(t testing.TB, b *logBuffer, parts ...string) string {
	t.Helper()
	var line string
	waitFor(t, 10*time.Second, func() bool {
		for l := range strings.SplitSeq(b.String(), "\n") {
			ok := true
			for _, p := range parts {
				ok = ok && strings.Contains(l, p)
			}
			if ok {
				line = l
				return true
			}
		}
		return false
	}, "log line with %q; log:\n%s", parts, b)
	return line
}

// waitFor polls cond until it holds or d passed.
func waitFor(t testing.TB, d time.Duration, cond func() bool, format string, args ...any) {
	t.Helper()
	deadline := time.Now().Add(d)
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: "+format, append([]any{d}, args...)...)
		}
		<-tick.C
	}
}

// openStore opens a store in a new temporary directory.
func openStore(t testing.TB, cfg store.Config) *store.Store {
	t.Helper()
	if cfg.Dir == "" {
		cfg.Dir = t.TempDir()
	}
	s, err := store.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// entry is message i as the broker would append it: topics T (4 queues)
// and U (2), tags and keys.
func entry(i, size int) store.Entry {
	m := message.Ext{
		Topic: "T", QueueID: int32(i % 4), BornTimestamp: time.Now().UnixMilli(),
		BornHost:  netip.MustParseAddrPort("10.0.0.1:5000"),
		StoreHost: netip.MustParseAddrPort("127.0.0.1:10911"),
		Body:      bytes.Repeat([]byte{byte('a' + i%26)}, size),
	}
	if i%5 == 0 {
		m.Topic, m.QueueID = "U", int32(i%2)
	}
	m.Properties = message.SetProperty("", message.PropertyTags, "Tag"+fmt.Sprint(i%3))
	m.Properties = message.SetProperty(m.Properties, message.PropertyKeys, fmt.Sprintf("key%d", i))
	return store.NewEntry(&m, nil)
}

// appendN appends messages from..from+n-1, one per Append, every seventh
// call a batch of three, and returns the log's end.
func appendN(t testing.TB, s *store.Store, from, n int) int64 {
	t.Helper()
	for i := from; i < from+n; {
		es := []store.Entry{entry(i, 100+i%300)}
		if i%7 == 6 && i+3 <= from+n {
			es = append(es, entry(i+1, 50), entry(i+2, 2000))
		}
		if _, err := s.Append(context.Background(), es); err != nil {
			t.Fatal(err)
		}
		i += len(es)
	}
	return s.MaxPhysicalOffset()
}

// startMaster serves m on a new loopback listener and returns its
// address; cleanup closes m and checks that Serve returned nil.
func startMaster(t testing.TB, m *Master) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	serveOn(t, m, ln)
	return ln.Addr().String()
}

func serveOn(t testing.TB, m *Master, ln net.Listener) {
	t.Helper()
	served := make(chan error, 1)
	go func() { served <- m.Serve(ln) }()
	t.Cleanup(func() {
		if err := m.Close(); err != nil {
			t.Errorf("Master.Close: %v", err)
		}
		if err := <-served; err != nil {
			t.Errorf("Serve after Close: %v", err)
		}
	})
}

// runSlave runs s until cleanup (or stop), which waits for Run to return.
func runSlave(t testing.TB, s *Slave) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Error("Slave.Run did not return after its context ended")
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// fixedAddr is a MasterAddr that can be changed.
type fixedAddr struct{ v atomic.Value }

func newAddr(a string) *fixedAddr { f := &fixedAddr{}; f.v.Store(a); return f }
func (f *fixedAddr) get() string  { return f.v.Load().(string) }
func (f *fixedAddr) set(a string) { f.v.Store(a) }

// waitOffset waits until the slave replicated up to want.
func waitOffset(t testing.TB, s *Slave, want int64) {
	t.Helper()
	waitFor(t, 10*time.Second, func() bool { return s.Status().Offset >= want },
		"slave at %d, want %d (status %+v)", s.Status().Offset, want, s.Status())
	if got := s.Status().Offset; got != want {
		t.Fatalf("slave at %d, past the master's %d", got, want)
	}
}

// sameStores asserts that b reads like a: the same log bytes, queues,
// queue ranges and records.
func sameStores(t testing.TB, a, b *store.Store) {
	t.Helper()
	if a.MaxPhysicalOffset() != b.MaxPhysicalOffset() {
		t.Fatalf("max offset %d, %d", a.MaxPhysicalOffset(), b.MaxPhysicalOffset())
	}
	la, err := a.ReadLog(nil, a.MinPhysicalOffset(), 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	lb, err := b.ReadLog(nil, b.MinPhysicalOffset(), 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(la, lb) {
		t.Fatalf("logs differ (%d and %d bytes)", len(la), len(lb))
	}
	qa, qb := a.Queues(), b.Queues()
	if fmt.Sprint(qa) != fmt.Sprint(qb) {
		t.Fatalf("queues %v, %v", qa, qb)
	}
	for _, q := range qa {
		lo, hi := a.QueueRange(q.Topic, q.QueueID)
		lo2, hi2 := b.QueueRange(q.Topic, q.QueueID)
		if lo != lo2 || hi != hi2 {
			t.Fatalf("%v: range [%d,%d), [%d,%d)", q, lo, hi, lo2, hi2)
		}
		for off := lo; off < hi; {
			ra, err1 := a.Get(q.Topic, q.QueueID, off, 64, nil, nil)
			rb, err2 := b.Get(q.Topic, q.QueueID, off, 64, nil, nil)
			if err1 != nil || err2 != nil || ra.Status != store.GetFound || !bytes.Equal(ra.Records, rb.Records) ||
				ra.NextBeginOffset != rb.NextBeginOffset {
				t.Fatalf("%v @%d: %v %v / %v %v", q, off, ra.Status, err1, rb.Status, err2)
			}
			off = ra.NextBeginOffset
		}
	}
	for _, k := range []string{"key1", "key5", "key42"} {
		oa, _ := a.QueryByKey("T", k, 10, 0, 0)
		ob, _ := b.QueryByKey("T", k, 10, 0, 0)
		oa2, _ := a.QueryByKey("U", k, 10, 0, 0)
		ob2, _ := b.QueryByKey("U", k, 10, 0, 0)
		if fmt.Sprint(oa, oa2) != fmt.Sprint(ob, ob2) {
			t.Fatalf("QueryByKey(%s): %v %v, %v %v", k, oa, oa2, ob, ob2)
		}
	}
}

// fakeSlave is a raw slave connection for tests of the master.
type fakeSlave struct {
	t    testing.TB
	conn net.Conn
}

func dialFake(t testing.TB, addr string) *fakeSlave {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return &fakeSlave{t: t, conn: c}
}

func (f *fakeSlave) report(off int64) {
	f.t.Helper()
	if _, err := f.conn.Write(appendReport(nil, off)); err != nil {
		f.t.Fatalf("report %d: %v", off, err)
	}
}

// readFrame reads one transfer.
func (f *fakeSlave) readFrame() (int64, []byte, error) {
	_ = f.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	var h [headerSize]byte
	off, n, err := readTransferHeader(f.conn, &h)
	if err != nil {
		return 0, nil, err
	}
	body, err := readBody(f.conn, nil, n)
	return off, body, err
}

// waitClosed reads (and drops) transfers until the master closes the
// connection, which must happen within 10s.
func (f *fakeSlave) waitClosed() {
	f.t.Helper()
	_ = f.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	// EOF, or a reset when the master closed with reports unread.
	if _, err := io.Copy(io.Discard, f.conn); errors.Is(err, os.ErrDeadlineExceeded) {
		f.t.Fatalf("the master did not close the connection: %v", err)
	}
}
