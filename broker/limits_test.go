package broker_test

// Connection limits (limits.go): idle and frame timeouts, the declared
// frame length, in-flight requests per connection, the connection cap.
// Nothing here asserts a duration: each test waits for an event (a
// closure, a counter) with a generous timeout.

import (
	"encoding/binary"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/broker"
	"github.com/rocketkit/rocketkit/broker/brokertest"
	"github.com/rocketkit/rocketkit/protocol/remoting"
)

// A connection that sends nothing for IdleTimeout is closed; one that
// keeps to a frame a minute under the default is not our concern here.
func TestIdleTimeoutClosesIdleConnection(t *testing.T) {
	b := brokertest.Start(t, brokertest.WithConfig(func(c *broker.Config) { c.IdleTimeout = 200 * time.Millisecond }))
	rc := dialRaw(t, b.Addr())
	expectRoute(t, rc, uniqueName("t_idle")) // served while active
	if err := rc.expectClosed(); err != nil {
		t.Fatalf("idle connection: %v", err)
	}
	fresh := dialRaw(t, b.Addr())
	expectRoute(t, fresh, uniqueName("t_idle")) // the broker serves new connections
}

// Slowloris: a frame begun but not completed within FrameTimeout closes
// the connection, whether it stops in the length word or in the body, and
// a declared length costs only the bytes that arrived: twenty
// connections each declaring a frame just under the limit, then going
// silent, make the broker allocate far less than twenty such frames.
func TestSlowlorisPartialFrameIsClosed(t *testing.T) {
	b := brokertest.Start(t, brokertest.WithConfig(func(c *broker.Config) {
		c.IdleTimeout = time.Hour
		c.FrameTimeout = 300 * time.Millisecond
	}))
	maxFrame := b.Config().MaxFrameSize

	partial := dialRaw(t, b.Addr())
	if err := partial.write([]byte{0, 0}); err != nil { // half a length word
		t.Fatal(err)
	}
	if err := partial.expectClosed(); err != nil {
		t.Fatalf("connection stuck in the length word: %v", err)
	}

	const conns = 20
	before := totalAlloc()
	slow := make([]*rawConn, conns)
	for i := range slow {
		slow[i] = dialRaw(t, b.Addr())
		frame := binary.BigEndian.AppendUint32(nil, uint32(maxFrame))
		if err := slow[i].write(append(frame, make([]byte, 1<<10)...)); err != nil {
			t.Fatal(err)
		}
	}
	for i, rc := range slow {
		if err := rc.expectClosed(); err != nil {
			t.Fatalf("slow connection %d: %v", i, err)
		}
	}
	// Each closure happened after the broker read the length word, so
	// any buffer sized from it was allocated by now.
	allocated := totalAlloc() - before
	t.Logf("%d connections declaring %d bytes each: %d bytes allocated meanwhile (test included)", conns, maxFrame, allocated)
	if limit := uint64(conns * maxFrame / 4); allocated > limit {
		t.Fatalf("allocated %d bytes for %d partial frames, more than %d: buffers are sized from the declared length",
			allocated, conns, limit)
	}
	expectRoute(t, dialRaw(t, b.Addr()), uniqueName("t_slow"))
}

// A declared length above MaxFrameSize closes the connection before
// anything is allocated for it.
func TestLimitFrameLengthAboveMaxClosesWithoutAllocating(t *testing.T) {
	b := brokertest.Start(t, brokertest.WithConfig(func(c *broker.Config) { c.MaxFrameSize = 64 << 20 }))
	before := totalAlloc()
	rc := dialRaw(t, b.Addr())
	if err := rc.write(binary.BigEndian.AppendUint32(nil, 64<<20+1)); err != nil {
		t.Fatal(err)
	}
	if err := rc.expectClosed(); err != nil {
		t.Fatalf("oversized declared length: %v", err)
	}
	if allocated := totalAlloc() - before; allocated > 32<<20 {
		t.Fatalf("allocated %d bytes while refusing a 64 MiB frame", allocated)
	}
}

// A connection that pipelines 10,000 held pulls without reading answers
// gets at most MaxInflightRequests of them held: then the broker stops
// reading it (ReadPauses counts it).
func TestLimitInflightBoundsPipelinedRequests(t *testing.T) {
	const limit = 64
	b := brokertest.Start(t, brokertest.WithConfig(func(c *broker.Config) {
		c.MaxInflightRequests = limit
		c.MaxPullHold = 25 * time.Second
	}))
	topic := uniqueName("t_inflight")
	setup := dialRaw(t, b.Addr())
	if resp := setup.mustCall(t, remoting.SendMessage, sendFields(topic, "0", ""), []byte("x")); resp.Code != remoting.Success {
		t.Fatalf("send: %d %s", resp.Code, resp.Remark)
	}

	rc := dialRaw(t, b.Addr())
	fields := pullFields(uniqueName("g_inflight"), topic, 0, 1, 32, 2 /* suspend */)
	fields.Set("suspendTimeoutMillis", "20000")
	var pipeline []byte
	for i := range 10_000 {
		pipeline = remoting.AppendFrame(pipeline, &remoting.Command{Code: remoting.PullMessage, Language: "GO",
			Version: remoting.Version, Opaque: int32(i + 1), ExtFields: fields})
	}
	written := make(chan error, 1)
	go func() {
		_ = rc.nc.SetWriteDeadline(time.Now().Add(time.Minute))
		_, err := rc.nc.Write(pipeline)
		written <- err
	}()
	defer func() {
		_ = rc.nc.Close()
		<-written
	}()
	waitFor(t, "the reader to pause with "+strconv.Itoa(limit)+" pulls held", func() bool {
		s := b.Stats()
		if s.HeldPulls > limit {
			t.Fatalf("%d pulls held, limit %d", s.HeldPulls, limit)
		}
		return s.ReadPauses > 0 && s.HeldPulls == limit
	})
	if held := b.Stats().HeldPulls; held != limit {
		t.Fatalf("%d pulls held after the pause, want %d", held, limit)
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	t.Logf("%d pulls held of 10,000 pipelined; heap in use %d KiB", limit, ms.HeapInuse>>10)
}

// One connection more than MaxConnections is closed on accept and
// counted; when one closes, a new one is served.
func TestLimitMaxConnections(t *testing.T) {
	b := brokertest.Start(t, brokertest.WithConfig(func(c *broker.Config) { c.MaxConnections = 3 }))
	open := make([]*rawConn, 3)
	for i := range open {
		open[i] = dialRaw(t, b.Addr())
		expectRoute(t, open[i], uniqueName("t_max"))
	}
	if err := dialRaw(t, b.Addr()).expectClosed(); err != nil {
		t.Fatalf("connection over the limit: %v", err)
	}
	if n := b.Stats().RefusedConnections; n != 1 {
		t.Fatalf("RefusedConnections = %d, want 1", n)
	}
	_ = open[0].nc.Close()
	waitFor(t, "the closed connection to go", func() bool { return b.Stats().Connections < 3 })
	expectRoute(t, dialRaw(t, b.Addr()), uniqueName("t_max"))
}

// totalAlloc is the process's cumulative heap allocation.
func totalAlloc() uint64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.TotalAlloc
}
