package broker_test

// The acceptance test of the connection limits: 10,000 idle connections
// and a slowloris of partial frames while a normal client works. The idle
// connections are held by a child process (this test binary run again
// with holdConnsEnv set; see holdConnsMain), so that this process, which
// runs the broker and measures its memory, needs one file descriptor per
// connection, not two.

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/broker"
	"github.com/rocketkit/rocketkit/broker/brokertest"
	"github.com/rocketkit/rocketkit/client"
)

// holdConnsEnv makes the test binary, instead of running tests, dial
// "<count>@<addr>" connections, print "ready" and hold them until its
// stdin closes.
const holdConnsEnv = "ROCKETKIT_TEST_HOLD_CONNS"

// holdConnsMain is the child process's main; TestMain calls it first. It
// returns normally only when holdConnsEnv is unset.
func holdConnsMain() {
	spec := os.Getenv(holdConnsEnv)
	if spec == "" {
		return
	}
	countStr, addr, _ := strings.Cut(spec, "@")
	count, err := strconv.Atoi(countStr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bad", holdConnsEnv, spec)
		os.Exit(2)
	}
	conns := make([]net.Conn, count)
	var wg sync.WaitGroup
	var failed atomic.Value
	next := atomic.Int64{}
	for range 32 {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < count; i = int(next.Add(1) - 1) {
				var err error
				for try := 0; try < 50; try++ {
					if conns[i], err = net.DialTimeout("tcp", addr, 10*time.Second); err == nil {
						break
					}
					time.Sleep(20 * time.Millisecond)
				}
				if err != nil {
					failed.Store(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if err, ok := failed.Load().(error); ok {
		fmt.Fprintln(os.Stderr, "dial:", err)
		os.Exit(1)
	}
	fmt.Println("ready")
	_, _ = bufio.NewReader(os.Stdin).ReadString('\n') // until the parent closes stdin
	os.Exit(0)
}

// The acceptance test: the broker holds 10,000 idle connections and a
// slowloris of partial frames (cut off by FrameTimeout, again and again)
// while our client sends and consumes; every send succeeds, every message
// arrives, and the broker's heap per idle connection stays small (no read
// buffer is held between frames). Throughput and memory figures are
// logged, not asserted: run with -v to read them.
func TestLimitsTenThousandIdleConnectionsAndSlowloris(t *testing.T) {
	const idle, slowConns, messages = 10_000, 50, 300
	raiseFileLimit(t, idle+1_000)
	b := brokertest.Start(t, brokertest.WithConfig(func(c *broker.Config) {
		c.IdleTimeout = time.Hour // the idle connections must stay for the whole test
		c.FrameTimeout = 500 * time.Millisecond
	}))

	c, err := client.New(client.Config{NameServers: []string{b.Addr()}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	baseline := sendAndConsume(t, c, messages)
	t.Logf("baseline: %d messages sent and consumed at %.0f msg/s", messages, baseline)

	base := heapFigures()
	child := holdConns(t, b.Addr(), idle)
	waitFor(t, "the idle connections to be accepted", func() bool { return b.Stats().Connections >= idle })
	loaded := heapFigures()
	perConnHeap := (int64(loaded.heap) - int64(base.heap)) / idle
	perConnStack := (int64(loaded.stack) - int64(base.stack)) / idle
	t.Logf("%d idle connections: heap in use %+d KiB (%d bytes per connection), goroutine stacks %+d KiB (%d bytes per connection)",
		idle, (int64(loaded.heap)-int64(base.heap))>>10, perConnHeap, (int64(loaded.stack)-int64(base.stack))>>10, perConnStack)
	if perConnHeap > 4<<10 {
		t.Errorf("%d bytes of heap per idle connection, want at most 4 KiB", perConnHeap)
	}

	stop := make(chan struct{})
	var closures atomic.Int64
	var slowWG sync.WaitGroup
	for range slowConns {
		slowWG.Go(func() { slowloris(b.Addr(), stop, &closures) })
	}
	underLoad := sendAndConsume(t, c, messages)
	t.Logf("with %d idle connections and %d slowloris connections: %.0f msg/s (baseline %.0f)",
		idle, slowConns, underLoad, baseline)
	waitFor(t, "every slowloris connection to be cut off", func() bool { return closures.Load() >= slowConns })
	peak := heapFigures()
	close(stop)
	slowWG.Wait()
	t.Logf("slowloris connections cut off %d times; heap in use at the end %d KiB (%+d KiB over the start)",
		closures.Load(), peak.heap>>10, (int64(peak.heap)-int64(base.heap))>>10)
	if bound := base.heap + idle*4<<10 + 64<<20; peak.heap > bound {
		t.Errorf("heap in use %d KiB, above the bound %d KiB", peak.heap>>10, bound>>10)
	}
	child.close()
}

// sendAndConsume sends n messages with c one by one, then consumes them
// with a new group; every send must succeed and every message arrive. It
// returns the messages per second of the whole round.
func sendAndConsume(t *testing.T, c *client.Client, n int) float64 {
	t.Helper()
	ctx := t.Context()
	topic := uniqueName("t_load")
	p, err := c.NewProducer(client.ProducerConfig{Group: uniqueName("pg_load")})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	start := time.Now()
	for i := range n {
		if _, err := p.Send(ctx, &client.Message{Topic: topic, Body: []byte(strconv.Itoa(i))}); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
	}
	var got atomic.Int64
	all := make(chan struct{})
	con, err := c.NewConsumer(client.ConsumerConfig{Group: uniqueName("g_load"), ConsumeFrom: client.ConsumeFromFirstOffset,
		Subscriptions: []client.Subscription{{Topic: topic, Expression: "*"}}},
		func(_ context.Context, msgs []*client.MessageExt) client.ConsumeResult {
			if got.Add(int64(len(msgs))) == int64(n) {
				close(all)
			}
			return client.ConsumeSuccess
		})
	if err != nil {
		t.Fatal(err)
	}
	if err := con.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = con.Close(context.Background()) }()
	select {
	case <-all:
	case <-time.After(2 * time.Minute):
		t.Fatalf("consumed %d of %d messages", got.Load(), n)
	}
	return float64(2*n) / time.Since(start).Seconds()
}

// slowloris keeps one connection sending a partial frame and going
// silent; each time the broker cuts it off it counts the closure and
// starts again, until stop closes.
func slowloris(addr string, stop <-chan struct{}, closures *atomic.Int64) {
	for {
		select {
		case <-stop:
			return
		default:
		}
		nc, err := net.DialTimeout("tcp", addr, 10*time.Second)
		if err != nil {
			continue
		}
		// A frame declaring 1 MiB, of which 100 bytes come.
		_, _ = nc.Write(append([]byte{0, 0x10, 0, 0}, make([]byte, 100)...))
		done := make(chan struct{})
		go func() {
			var buf [64]byte
			_ = nc.SetReadDeadline(time.Now().Add(time.Minute))
			for {
				if _, err := nc.Read(buf[:]); err != nil {
					break
				}
			}
			close(done)
		}()
		select {
		case <-done:
			closures.Add(1)
			_ = nc.Close()
		case <-stop:
			_ = nc.Close()
			<-done
			return
		}
	}
}

type heapFigure struct{ heap, stack uint64 }

// heapFigures collects garbage and reads HeapInuse and StackInuse.
func heapFigures() heapFigure {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return heapFigure{heap: ms.HeapInuse, stack: ms.StackInuse}
}

// raiseFileLimit raises the soft limit on open files to the hard limit
// (Go does so at start already) and fails the test if that leaves fewer
// than need.
func raiseFileLimit(t *testing.T, need uint64) {
	t.Helper()
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	if lim.Cur < lim.Max {
		lim.Cur = lim.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
			t.Fatal(err)
		}
	}
	if lim.Cur < need {
		t.Fatalf("open files limit %d (hard %d), this test needs %d: raise it (ulimit -Hn)", lim.Cur, lim.Max, need)
	}
}

// connHolder is the child process holding the idle connections.
type connHolder struct {
	cmd   *exec.Cmd
	stdin interface{ Close() error }
	once  sync.Once
}

// holdConns starts the child holding count connections to addr and
// waits until it has dialled them all; it is stopped at test end.
func holdConns(t *testing.T, addr string, count int) *connHolder {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%d@%s", holdConnsEnv, count, addr))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	h := &connHolder{cmd: cmd, stdin: stdin}
	t.Cleanup(h.close)
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "ready" {
		t.Fatalf("connection holder: %q, %v", line, err)
	}
	return h
}

// close stops the child (closing its stdin) and waits for it.
func (h *connHolder) close() {
	h.once.Do(func() {
		_ = h.stdin.Close()
		_ = h.cmd.Wait()
	})
}
