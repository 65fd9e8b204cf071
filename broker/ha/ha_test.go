package ha

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/broker/store"
)

// notifier forwards a store's OnAppend to a Master created after it.
type notifier struct{ m atomic.Pointer[Master] }

func (n *notifier) onAppend(string, int32) {
	if m := n.m.Load(); m != nil {
		m.Notify()
	}
}

func TestReplication(t *testing.T) {
	var n notifier
	ms := openStore(t, store.Config{SegmentSize: 64 << 10, OnAppend: n.onAppend})
	appendN(t, ms, 0, 300) // before the slave exists: catch-up
	mlog, mlogs := newLog()
	m := NewMaster(MasterConfig{Store: ms, Log: mlog, TransferBatch: 4 << 10})
	n.m.Store(m)
	addr := startMaster(t, m)

	var woken atomic.Int64
	ss := openStore(t, store.Config{SegmentSize: 50 << 10, OnAppend: func(string, int32) { woken.Add(1) }})
	slog, _ := newLog()
	s := NewSlave(SlaveConfig{Store: ss, MasterAddr: newAddr(addr).get, Log: slog})
	runSlave(t, s)
	waitOffset(t, s, ms.MaxPhysicalOffset())

	// Live: appends while the slave follows.
	for i := 300; i < 1000; i += 100 {
		waitOffset(t, s, appendN(t, ms, i, 100))
	}
	sameStores(t, ms, ss)
	if woken.Load() == 0 {
		t.Fatal("the slave's store never called OnAppend (its pull-hold would never wake)")
	}
	st := s.Status()
	if !st.Connected || st.MasterAddr != addr || st.LastTransfer.IsZero() || st.Offset != ms.MaxPhysicalOffset() {
		t.Fatalf("slave status %+v", st)
	}
	// The master learns the slave's offset from its acknowledgement.
	waitFor(t, 10*time.Second, func() bool {
		sl := m.Slaves()
		return len(sl) == 1 && sl[0].AckOffset == ms.MaxPhysicalOffset()
	}, "master's view of the slave: %+v", m.Slaves())
	sl := m.Slaves()[0]
	if sl.ConnectedAt.IsZero() || !strings.HasPrefix(sl.Addr, "127.0.0.1:") {
		t.Fatalf("slave info %+v", sl)
	}
	waitLog(t, mlogs, "slave reported its offset", "offset=0")
}

// TestNotifyWakesStreamer: with the streamer's poll and heartbeat made
// hours long, records appended after the slave caught up reach it only
// because the store's OnAppend calls Notify.
func TestNotifyWakesStreamer(t *testing.T) {
	var n notifier
	ms := openStore(t, store.Config{OnAppend: n.onAppend})
	m := NewMaster(MasterConfig{Store: ms, HeartbeatInterval: time.Hour, pollInterval: time.Hour})
	n.m.Store(m)
	addr := startMaster(t, m)
	ss := openStore(t, store.Config{})
	s := NewSlave(SlaveConfig{Store: ss, MasterAddr: newAddr(addr).get})
	runSlave(t, s)
	waitFor(t, 10*time.Second, func() bool { return len(m.Slaves()) == 1 }, "slave never reported")
	for i := range 5 {
		end := appendN(t, ms, i*10, 10)
		waitFor(t, 5*time.Second, func() bool { return ss.MaxPhysicalOffset() == end }, "round %d: slave at %d, want %d", i, ss.MaxPhysicalOffset(), end)
	}
}

// TestWaitReplicatedWakesStreamer: a SYNC_MASTER send gets replicated
// even without Notify (WaitReplicated wakes the streamers, as Java's
// handleHA does).
func TestWaitReplicatedWakesStreamer(t *testing.T) {
	ms := openStore(t, store.Config{})
	m := NewMaster(MasterConfig{Store: ms, HeartbeatInterval: time.Hour, pollInterval: time.Hour})
	addr := startMaster(t, m)
	s := NewSlave(SlaveConfig{Store: openStore(t, store.Config{}), MasterAddr: newAddr(addr).get})
	runSlave(t, s)
	waitFor(t, 10*time.Second, func() bool { return len(m.Slaves()) == 1 }, "slave never reported")
	for i := range 5 {
		end := appendN(t, ms, i, 1)
		if st := m.WaitReplicated(context.Background(), end, 5*time.Second); st != Replicated {
			t.Fatalf("send %d: %v", i, st)
		}
	}
}

func TestWaitReplicated(t *testing.T) {
	var n notifier
	ms := openStore(t, store.Config{OnAppend: n.onAppend})
	m := NewMaster(MasterConfig{Store: ms})
	n.m.Store(m)
	addr := startMaster(t, m)
	ctx := context.Background()

	end := appendN(t, ms, 0, 10)
	start := time.Now()
	if st := m.WaitReplicated(ctx, end, 5*time.Second); st != SlaveNotAvailable {
		t.Fatalf("no slave: %v", st)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("SlaveNotAvailable took %v: it must not wait", d)
	}

	ss := openStore(t, store.Config{})
	s := NewSlave(SlaveConfig{Store: ss, MasterAddr: newAddr(addr).get})
	stop := runSlave(t, s)
	waitFor(t, 10*time.Second, func() bool { return len(m.Slaves()) == 1 }, "slave never reported")
	if st := m.WaitReplicated(ctx, end, 5*time.Second); st != Replicated {
		t.Fatalf("written before the slave came: %v", st)
	}

	// Many concurrent senders, each waiting for its own write.
	var wg sync.WaitGroup
	var bad atomic.Int64
	for g := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 10 {
				res, err := ms.Append(ctx, []store.Entry{entry(g*10+i, 200)})
				if err != nil {
					t.Error(err)
					return
				}
				if st := m.WaitReplicated(ctx, res[0].CommitLogOffset+int64(res[0].Size), 10*time.Second); st != Replicated {
					bad.Add(1)
					t.Errorf("sender %d: %v", g, st)
				}
			}
		}()
	}
	wg.Wait()
	if bad.Load() > 0 {
		t.FailNow()
	}
	// An offset already acknowledged answers at once.
	if st := m.WaitReplicated(ctx, 1, 0); st != Replicated {
		t.Fatalf("old offset: %v", st)
	}

	// The slave leaves: not available again.
	stop()
	waitFor(t, 10*time.Second, func() bool { return len(m.Slaves()) == 0 }, "slave still listed after it stopped")
	if st := m.WaitReplicated(ctx, appendN(t, ms, 600, 1), time.Second); st != SlaveNotAvailable {
		t.Fatalf("after the slave left: %v", st)
	}
}

// TestWaitReplicatedStalledSlave: a slave that reported once and never
// acknowledges again makes sends time out; a slave too far behind is not
// available at all.
func TestWaitReplicatedStalledSlave(t *testing.T) {
	ms := openStore(t, store.Config{})
	end := appendN(t, ms, 0, 20)
	m := NewMaster(MasterConfig{Store: ms, MaxGapNotInSync: end + 1})
	addr := startMaster(t, m)
	f := dialFake(t, addr)
	f.report(0)
	waitFor(t, 10*time.Second, func() bool { return len(m.Slaves()) == 1 }, "fake slave not registered")
	ctx := context.Background()

	start := time.Now()
	if st := m.WaitReplicated(ctx, end, 300*time.Millisecond); st != ReplicationTimeout {
		t.Fatalf("stalled slave: %v", st)
	}
	if d := time.Since(start); d < 300*time.Millisecond {
		t.Fatalf("ReplicationTimeout after %v, before the timeout", d)
	}
	// ctx ends first.
	cctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	start = time.Now()
	if st := m.WaitReplicated(cctx, end, time.Hour); st != ReplicationTimeout || time.Since(start) > 5*time.Second {
		t.Fatalf("cancelled: %v after %v", st, time.Since(start))
	}
	// Past the allowed gap: not available, at once.
	more := appendN(t, ms, 20, 5)
	start = time.Now()
	if st := m.WaitReplicated(ctx, more, time.Hour); st != SlaveNotAvailable || time.Since(start) > time.Second {
		t.Fatalf("slave %d bytes behind, max gap %d: %v", more, end+1, st)
	}
	// The fake slave acknowledges what it got: replicated.
	var got int64
	for got < end {
		off, body, err := f.readFrame()
		if err != nil {
			t.Fatal(err)
		}
		if off != got {
			t.Fatalf("transfer at %d, want %d", off, got)
		}
		got += int64(len(body))
	}
	f.report(got)
	if st := m.WaitReplicated(ctx, end, 5*time.Second); st != Replicated {
		t.Fatalf("after the ack: %v", st)
	}
	// Close releases a waiter.
	waiting := make(chan Status)
	go func() { waiting <- m.WaitReplicated(ctx, ms.MaxPhysicalOffset()+100, time.Hour) }()
	time.Sleep(20 * time.Millisecond) // let it block (it returns the same either way)
	_ = m.Close()
	select {
	case st := <-waiting:
		if st != ReplicationTimeout {
			t.Fatalf("waiter after Close: %v", st)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not release a waiter")
	}
}

// TestSlaveReconnects: the master restarts (a new Master on the same
// store and port) while records keep coming; the slave reconnects and
// continues without gap or duplicate. Then the master moves to another
// address, which MasterAddr starts returning.
func TestSlaveReconnects(t *testing.T) {
	var n notifier
	ms := openStore(t, store.Config{SegmentSize: 32 << 10, OnAppend: n.onAppend})
	m1 := NewMaster(MasterConfig{Store: ms})
	n.m.Store(m1)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	serveOn(t, m1, ln)
	ss := openStore(t, store.Config{SegmentSize: 20 << 10})
	where := newAddr("") // unknown at first
	slog, slogs := newLog()
	var dials atomic.Int64
	s := NewSlave(SlaveConfig{Store: ss, MasterAddr: where.get, Log: slog, HeartbeatInterval: 50 * time.Millisecond,
		Dial: func(ctx context.Context, network, a string) (net.Conn, error) {
			dials.Add(1)
			var d net.Dialer
			return d.DialContext(ctx, network, a)
		}})
	runSlave(t, s)
	waitLog(t, slogs, "master address unknown")
	where.set(addr)
	waitOffset(t, s, appendN(t, ms, 0, 200))

	if err := m1.Close(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, func() bool { return !s.Status().Connected }, "slave still connected after the master closed")
	appendN(t, ms, 200, 100) // while no master runs
	ln2, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("listen again on %s: %v", addr, err)
	}
	m2 := NewMaster(MasterConfig{Store: ms})
	n.m.Store(m2)
	serveOn(t, m2, ln2)
	waitOffset(t, s, ms.MaxPhysicalOffset())
	waitOffset(t, s, appendN(t, ms, 300, 100))
	sameStores(t, ms, ss)

	// The master moves (a new registration on the name server).
	_ = m2.Close()
	m3 := NewMaster(MasterConfig{Store: ms})
	n.m.Store(m3)
	where.set(startMaster(t, m3))
	waitOffset(t, s, appendN(t, ms, 400, 100))
	sameStores(t, ms, ss)
	if d := dials.Load(); d < 3 {
		t.Fatalf("%d dials: the slave should have connected three times", d)
	}
}

// TestSlaveStoreReopen: a slave stopped and its store reopened picks up
// where it left off.
func TestSlaveStoreReopen(t *testing.T) {
	var n notifier
	ms := openStore(t, store.Config{OnAppend: n.onAppend})
	m := NewMaster(MasterConfig{Store: ms})
	n.m.Store(m)
	addr := startMaster(t, m)
	dir := t.TempDir()
	ss, err := store.Open(store.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	stop := runSlave(t, NewSlave(SlaveConfig{Store: ss, MasterAddr: newAddr(addr).get}))
	end := appendN(t, ms, 0, 100)
	waitFor(t, 10*time.Second, func() bool { return ss.MaxPhysicalOffset() == end }, "not replicated")
	stop()
	if err := ss.Close(); err != nil {
		t.Fatal(err)
	}
	appendN(t, ms, 100, 100)
	ss2 := openStore(t, store.Config{Dir: dir})
	s2 := NewSlave(SlaveConfig{Store: ss2, MasterAddr: newAddr(addr).get})
	runSlave(t, s2)
	waitOffset(t, s2, ms.MaxPhysicalOffset())
	sameStores(t, ms, ss2)
}

// TestMasterRefusesSlaveAhead: a slave whose log is longer than the
// master's (it diverged) is refused with a clear error, keeps its data,
// and retries with a growing pause.
func TestMasterRefusesSlaveAhead(t *testing.T) {
	ms := openStore(t, store.Config{})
	appendN(t, ms, 0, 10)
	mlog, mlogs := newLog()
	m := NewMaster(MasterConfig{Store: ms, Log: mlog})
	addr := startMaster(t, m)
	ss := openStore(t, store.Config{})
	appendN(t, ss, 0, 20) // the slave's own, longer history
	before := ss.MaxPhysicalOffset()
	var dials atomic.Int64
	s := NewSlave(SlaveConfig{Store: ss, MasterAddr: newAddr(addr).get,
		Dial: func(ctx context.Context, network, a string) (net.Conn, error) {
			dials.Add(1)
			var d net.Dialer
			return d.DialContext(ctx, network, a)
		}})
	start := time.Now()
	runSlave(t, s)
	line := waitLog(t, mlogs, "refusing slave", "diverged")
	if !strings.Contains(line, "level=ERROR") {
		t.Fatalf("refusal not logged as an error: %s", line)
	}
	time.Sleep(time.Until(start.Add(1500 * time.Millisecond))) // let it retry
	if ss.MaxPhysicalOffset() != before || len(m.Slaves()) != 0 {
		t.Fatalf("slave ahead: store %d (was %d), master lists %v", ss.MaxPhysicalOffset(), before, m.Slaves())
	}
	// Pauses of 100, 200, 400, 800 ms: about five attempts in 1.5 s (a
	// fixed 100 ms pause would make fifteen).
	if d := dials.Load(); d < 2 || d > 7 {
		t.Fatalf("%d connection attempts in %v: the backoff should grow", d, time.Since(start))
	}
}

// TestSlaveStartsAtTrimmedMaster: once retention deleted the start of the
// master's log, an empty slave starts at the master's first offset (its
// log begins there and holds the master's records from there on), while
// a slave that holds records below that offset is refused.
func TestSlaveStartsAtTrimmedMaster(t *testing.T) {
	dir := t.TempDir()
	ms := openStore(t, store.Config{Dir: dir, SegmentSize: 4096, Retention: store.Retention{
		ReservedTime: -1, DeleteInterval: -1, CleanInterval: 5 * time.Millisecond,
		DiskUsage: func(string) (float64, error) { return 0.99, nil },
	}})
	appendN(t, ms, 0, 100)
	waitFor(t, 10*time.Second, func() bool { return ms.MinPhysicalOffset() > 0 }, "retention deleted nothing")
	// Reopened without the forced clean: no deletion while the slave copies.
	if err := ms.Close(); err != nil {
		t.Fatal(err)
	}
	ms = openStore(t, store.Config{Dir: dir, SegmentSize: 4096})
	lo := ms.MinPhysicalOffset()
	if lo == 0 {
		t.Fatal("the reopened master's log begins at 0")
	}
	mlog, mlogs := newLog()
	m := NewMaster(MasterConfig{Store: ms, Log: mlog})
	addr := startMaster(t, m)

	ss := openStore(t, store.Config{})
	s := NewSlave(SlaveConfig{Store: ss, MasterAddr: newAddr(addr).get})
	runSlave(t, s)
	end := appendN(t, ms, 100, 10)
	waitOffset(t, s, end)
	if got := ss.MinPhysicalOffset(); got != lo {
		t.Fatalf("the slave's log begins at %d, want the master's %d", got, lo)
	}
	want, err := ms.ReadLog(nil, lo, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	if got := mustReadAll(t, ss, lo); !bytes.Equal(got, want) {
		t.Fatalf("the slave holds %d bytes from %d, the master %d", len(got), lo, len(want))
	}

	f := dialFake(t, addr)
	f.report(lo - 1)
	f.waitClosed()
	waitLog(t, mlogs, "refusing slave", "master log starts at")
}

// mustReadAll returns s's log from off to its end.
func mustReadAll(t testing.TB, s *store.Store, off int64) []byte {
	t.Helper()
	b, err := s.ReadLog(nil, off, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestMasterBadSlaveInput: garbage, truncated and impossible reports
// close the connection with a logged error; the master keeps serving.
func TestMasterBadSlaveInput(t *testing.T) {
	ms := openStore(t, store.Config{})
	end := appendN(t, ms, 0, 20)
	mlog, mlogs := newLog()
	m := NewMaster(MasterConfig{Store: ms, Log: mlog, HousekeepingInterval: 500 * time.Millisecond})
	addr := startMaster(t, m)
	first, err := ms.ReadLog(nil, 0, 1)
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name string
		send func(f *fakeSlave)
		log  []string
	}{
		{"garbage", func(f *fakeSlave) { _, _ = f.conn.Write([]byte{0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4}) },
			[]string{"slave sent garbage", "negative offset"}},
		{"truncated report", func(f *fakeSlave) { _, _ = f.conn.Write([]byte{0, 0, 0}); _ = f.conn.(*net.TCPConn).CloseWrite() },
			[]string{"inside a report", "truncated"}},
		{"ahead", func(f *fakeSlave) { f.report(end + 1) }, []string{"refusing slave", "diverged"}},
		{"not at a record boundary", func(f *fakeSlave) { f.report(5) }, []string{"cannot read the log"}},
		{"ack backwards", func(f *fakeSlave) { f.report(int64(len(first))); f.report(0) }, []string{"impossible acknowledgement"}},
		{"ack past what was sent", func(f *fakeSlave) { f.report(0); f.report(end + 1000) }, []string{"impossible acknowledgement"}},
		{"silent", func(f *fakeSlave) {}, []string{"no report from the slave"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := dialFake(t, addr)
			tt.send(f)
			f.waitClosed()
			waitLog(t, mlogs, tt.log...)
		})
	}
	// Still serving: a real slave replicates.
	s := NewSlave(SlaveConfig{Store: openStore(t, store.Config{}), MasterAddr: newAddr(addr).get})
	runSlave(t, s)
	waitOffset(t, s, end)
	if strings.Contains(mlogs.String(), "panic") {
		t.Fatal(mlogs.String())
	}
}

// fakeMaster accepts slaves and runs serve on each connection.
func fakeMaster(t *testing.T, serve func(c net.Conn, n int)) (addr string, accepted *atomic.Int64) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	accepted = new(atomic.Int64)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			n := int(accepted.Add(1))
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				serve(c, n)
			}()
		}
	}()
	t.Cleanup(func() { _ = ln.Close(); wg.Wait() })
	return ln.Addr().String(), accepted
}

// TestSlaveBadMasterInput: a master sending garbage, truncated or absurd
// frames, or records the store refuses, is disconnected with a logged
// error and nothing stored; the slave reconnects, and takes good frames
// afterwards.
func TestSlaveBadMasterInput(t *testing.T) {
	src := openStore(t, store.Config{})
	appendN(t, src, 0, 3)
	good, err := src.ReadLog(nil, 0, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	corrupt := append([]byte(nil), good...)
	corrupt[len(corrupt)-20] ^= 0xff // in the last record's body or properties
	corrupt[150] ^= 0xff             // in the first record's body

	frame := func(off int64, body []byte) []byte { return append(appendTransferHeader(nil, off, len(body)), body...) }
	tests := []struct {
		name string
		send []byte
		log  string
	}{
		{"garbage", []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), "protocol error"},
		{"negative size", appendTransferHeader(nil, 0, -1), "body size -1"},
		{"absurd size", appendTransferHeader(nil, 0, MaxBodySize+1), "outside 0..67108864"},
		{"negative offset", appendTransferHeader(nil, -8, 0), "negative offset"},
		{"offset not where its records are", frame(999, good), "PHYSICALOFFSET 0 differs from its position"},
		{"truncated header", appendTransferHeader(nil, 0, 10)[:5], "unexpected EOF"},
		{"truncated body", frame(0, good)[:headerSize+100], "unexpected EOF"},
		{"corrupted record", frame(0, corrupt), "invalid replica"},
		{"not whole records", frame(0, good[:len(good)-1]), "invalid replica"},
		{"big size, little body", appendTransferHeader(nil, 0, MaxBodySize), "unexpected EOF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr, accepted := fakeMaster(t, func(c net.Conn, n int) {
				var b [reportSize]byte
				if _, err := c.Read(b[:]); err != nil {
					return
				}
				if n == 1 {
					_, _ = c.Write(tt.send)
					_ = c.(*net.TCPConn).CloseWrite()
				} else {
					_, _ = c.Write(frame(0, good)) // then a good master
				}
				_, _ = c.Read(b[:]) // wait for the slave to go
				_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
				for {
					if _, err := c.Read(b[:]); err != nil {
						return
					}
				}
			})
			ss := openStore(t, store.Config{})
			slog, slogs := newLog()
			s := NewSlave(SlaveConfig{Store: ss, MasterAddr: newAddr(addr).get, Log: slog})
			stop := runSlave(t, s)
			line := waitLog(t, slogs, "reconnecting", tt.log)
			// Had the bad frame left anything, the good one (at 0) would
			// be refused.
			waitFor(t, 10*time.Second, func() bool { return ss.MaxPhysicalOffset() == int64(len(good)) },
				"good frame after reconnecting not applied (slave at %d)", ss.MaxPhysicalOffset())
			stop()
			if got, err := ss.ReadLog(nil, 0, 1<<20); err != nil || !bytes.Equal(got, good) || accepted.Load() < 2 {
				t.Fatalf("slave log after bad input then good: %d bytes, %v, %d connections", len(got), err, accepted.Load())
			}
			if !strings.Contains(line, "level=ERROR") && !strings.Contains(line, "level=WARN") {
				t.Fatalf("not logged as a problem: %s", line)
			}
		})
	}
	// A slave holding records takes transfers at its log's end only.
	t.Run("offset not at a slave's end", func(t *testing.T) {
		addr, _ := fakeMaster(t, func(c net.Conn, n int) {
			var b [reportSize]byte
			if _, err := c.Read(b[:]); err != nil {
				return
			}
			_, _ = c.Write(frame(0, good))
			_, _ = c.Read(b[:])
		})
		ss := openStore(t, store.Config{})
		if err := ss.AppendReplica(0, good); err != nil {
			t.Fatal(err)
		}
		slog, slogs := newLog()
		runSlave(t, NewSlave(SlaveConfig{Store: ss, MasterAddr: newAddr(addr).get, Log: slog}))
		waitLog(t, slogs, "reconnecting", fmt.Sprintf("master sent offset 0, the slave's log ends at %d", len(good)))
		if ss.MaxPhysicalOffset() != int64(len(good)) {
			t.Fatalf("slave at %d, want %d", ss.MaxPhysicalOffset(), len(good))
		}
	})
}

// TestSlaveHousekeeping: a master that accepts and then sends nothing, not
// even heartbeats, is given up after HousekeepingInterval.
func TestSlaveHousekeeping(t *testing.T) {
	addr, accepted := fakeMaster(t, func(c net.Conn, n int) {
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, _ = io.Copy(io.Discard, c) // reads reports, says nothing
	})
	slog, slogs := newLog()
	s := NewSlave(SlaveConfig{Store: openStore(t, store.Config{}), MasterAddr: newAddr(addr).get, Log: slog,
		HeartbeatInterval: 20 * time.Millisecond, HousekeepingInterval: 150 * time.Millisecond})
	runSlave(t, s)
	waitLog(t, slogs, "reconnecting", "nothing from the master for 150ms")
	waitFor(t, 10*time.Second, func() bool { return accepted.Load() >= 2 }, "no reconnection")
}

func TestMasterCloseIdempotentAndServeAfterClose(t *testing.T) {
	m := NewMaster(MasterConfig{Store: openStore(t, store.Config{})})
	addr := startMaster(t, m)
	f := dialFake(t, addr)
	f.report(0)
	waitFor(t, 10*time.Second, func() bool { return len(m.Slaves()) == 1 }, "not registered")
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	f.waitClosed()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Serve(ln); err != nil {
		t.Fatalf("Serve after Close: %v", err)
	}
	if _, err := net.Dial("tcp", ln.Addr().String()); err == nil {
		t.Fatal("Serve after Close left the listener open")
	}
	if len(m.Slaves()) != 0 {
		t.Fatalf("slaves after Close: %v", m.Slaves())
	}
}

// TestServeListenerClosedElsewhere: Serve reports an accept error it
// cannot recover from.
func TestServeListenerClosedElsewhere(t *testing.T) {
	m := NewMaster(MasterConfig{Store: openStore(t, store.Config{})})
	defer m.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- m.Serve(ln) }()
	time.Sleep(10 * time.Millisecond)
	_ = ln.Close()
	if err := <-done; !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Serve: %v", err)
	}
}

func TestHeartbeats(t *testing.T) {
	ms := openStore(t, store.Config{})
	end := appendN(t, ms, 0, 3)
	m := NewMaster(MasterConfig{Store: ms, HeartbeatInterval: 20 * time.Millisecond, HousekeepingInterval: 500 * time.Millisecond})
	addr := startMaster(t, m)
	f := dialFake(t, addr)
	f.report(0)
	var got int64
	heartbeats := 0
	for heartbeats < 3 {
		off, body, err := f.readFrame()
		if err != nil {
			t.Fatal(err)
		}
		if off != got {
			t.Fatalf("frame at %d, want %d", off, got)
		}
		if len(body) == 0 {
			if got != end {
				t.Fatalf("heartbeat before the log was sent (%d of %d)", got, end)
			}
			heartbeats++
		}
		got += int64(len(body))
	}
	// The fake slave never reports again: dropped after the housekeeping
	// interval. The real slave's heartbeats keep its quiet connection open.
	f.waitClosed()
	ss := openStore(t, store.Config{})
	s := NewSlave(SlaveConfig{Store: ss, MasterAddr: newAddr(addr).get, HeartbeatInterval: 20 * time.Millisecond,
		HousekeepingInterval: 500 * time.Millisecond})
	runSlave(t, s)
	waitOffset(t, s, end)
	time.Sleep(1500 * time.Millisecond) // three housekeeping intervals, quiet
	if sl := m.Slaves(); !s.Status().Connected || len(sl) != 1 || sl[0].AckOffset != end {
		t.Fatalf("idle connection dropped: %+v, master sees %+v", s.Status(), sl)
	}
}

func TestStatusString(t *testing.T) {
	for st, want := range map[Status]string{Replicated: "REPLICATED", SlaveNotAvailable: "SLAVE_NOT_AVAILABLE",
		ReplicationTimeout: "REPLICATION_TIMEOUT", Status(9): "Status(9)"} {
		if st.String() != want {
			t.Errorf("%d: %q", int(st), st.String())
		}
	}
}
