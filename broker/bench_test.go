package broker_test

// End-to-end benchmarks: the broker driven through the official client with
// 1 KiB bodies. Except for BenchmarkBrokerStart and
// BenchmarkBrokerSendInProcess the broker runs as a child process (the
// rocketkit CLI, built once per test process), so its CPU time is measured
// apart from the client's:
//
//	broker-ns/msg  broker process CPU time (all threads, /proc/<pid>/task/*/schedstat) per message
//	client-ns/msg  this process's CPU time (getrusage) per message: the client library
//	msgs/s         messages per second of wall-clock time
//	broker-rss-MB  the broker's VmRSS when the measurement ends
//	other-cores    CPU the rest of the machine used meanwhile (/proc/stat), in cores
//
// Both processes share the machine, so on a small machine the client's CPU
// cost bounds the throughput as much as the broker's, and anything else
// running disturbs the figures: discard runs with other-cores well above
// 0.1. allocs/op and B/op are the client side's (the broker allocates in
// its own process).
//
// Run them (none runs without -bench); the send benchmarks want a few
// seconds each, the per-op ones a few ops:
//
//	go test -run '^$' -bench 'BrokerSend$' -benchtime 3s -count 3 ./broker/
//	go test -run '^$' -bench 'Broker(OrderedSend10k|Consume)$' -benchtime 3x -count 3 ./broker/
//	go test -run '^$' -bench 'Broker(Start|RSS1M)$' -count 3 ./broker/
//
// Profile the broker side in process; its goroutines carry the pprof label
// side=broker, the client's side=client:
//
//	go test -run '^$' -bench 'BrokerSendInProcess/senders=20$' -benchtime 60000x \
//	    -o /tmp/broker.test -cpuprofile /tmp/cpu.out ./broker/
//	go tool pprof -tagfocus side=broker -relative_percentages -top /tmp/cpu.out
//
// Setting ROCKETKIT_BENCH_BROKER_BIN to a built rocketkit binary skips the
// build.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
	"github.com/rocketkit/rocketkit/broker"
	"github.com/rocketkit/rocketkit/broker/brokertest"
)

// benchBody is the 1 KiB body of every benchmark message.
var benchBody = bytes.Repeat([]byte("0123456789abcdef"), 64)

// benchSendCase is one configuration of the send benchmarks.
type benchSendCase struct {
	name    string
	senders int    // concurrent senders, each its own producer and connection
	flush   string // broker FlushDiskType
}

var benchSendCases = []benchSendCase{
	{"senders=1", 1, broker.AsyncFlush},
	{"senders=20", 20, broker.AsyncFlush},
	{"senders=64/sync-flush", 64, broker.SyncFlush},
}

// BenchmarkBrokerStart measures broker.Start until a TCP connect to the
// listener succeeds (ns/op); Close is timed apart (close-ns). empty starts
// on a new directory, reopen/10k on one closed cleanly holding 10,000
// messages, recover/10k on a copy of one whose broker was killed (-9)
// holding 10,000 messages (crash recovery).
func BenchmarkBrokerStart(b *testing.B) {
	b.Run("empty", func(b *testing.B) {
		root := b.TempDir()
		n := 0
		benchStart(b, func() string {
			n++
			return filepath.Join(root, strconv.Itoa(n))
		})
	})
	b.Run("reopen/10k", func(b *testing.B) {
		dir := b.TempDir()
		bk, err := broker.Start(context.Background(), broker.Config{Listen: "127.0.0.1:0", DataDir: dir})
		if err != nil {
			b.Fatal(err)
		}
		p := benchProducer(b, bk.Addr(), "bench_pg_start")
		if err := benchPreload(p, uniqueName("bench_start"), 10_000); err != nil {
			b.Fatal(err)
		}
		_ = p.Shutdown()
		if err := bk.Close(); err != nil {
			b.Fatal(err)
		}
		benchStart(b, func() string { return dir })
	})
	b.Run("recover/10k", func(b *testing.B) {
		crashed := b.TempDir()
		bp := startBenchBroker(b, crashed, "")
		p := benchProducer(b, bp.addr, "bench_pg_start")
		if err := benchPreload(p, uniqueName("bench_start"), 10_000); err != nil {
			b.Fatal(err)
		}
		_ = p.Shutdown()
		bp.kill(b)
		root := b.TempDir()
		n := 0
		benchStart(b, func() string {
			n++
			dst := filepath.Join(root, strconv.Itoa(n))
			if err := os.CopyFS(dst, os.DirFS(crashed)); err != nil {
				b.Fatal(err)
			}
			return dst
		})
	})
}

// benchStart times Start + first connect on the directory dir returns.
func benchStart(b *testing.B, dir func() string) {
	ctx := context.Background()
	var closing time.Duration
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		d := dir()
		b.StartTimer()
		bk, err := broker.Start(ctx, broker.Config{Listen: "127.0.0.1:0", DataDir: d})
		if err != nil {
			b.Fatal(err)
		}
		c, err := net.Dial("tcp", bk.Addr())
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		_ = c.Close()
		t0 := time.Now()
		if err := bk.Close(); err != nil {
			b.Fatal(err)
		}
		closing += time.Since(t0)
		b.StartTimer()
	}
	b.ReportMetric(float64(closing.Nanoseconds())/float64(b.N), "close-ns")
}

// BenchmarkBrokerSend measures synchronous 1 KiB sends against a broker
// process: one sender, 20 senders with ASYNC_FLUSH, and 64 senders with
// SYNC_FLUSH (group commit). b.N is the total number of messages; each
// sender is its own producer with its own instance name, so its own
// connection.
func BenchmarkBrokerSend(b *testing.B) {
	for _, tc := range benchSendCases {
		b.Run(tc.name, func(b *testing.B) {
			bp := startBenchBroker(b, b.TempDir(), tc.flush)
			measureSends(b, bp.addr, tc.senders, bp)
		})
	}
}

// BenchmarkBrokerSendInProcess is BenchmarkBrokerSend with the broker in
// this process, for CPU profiles: the broker's goroutines carry the pprof
// label side=broker, the senders' side=client. cpu-ns/msg is the CPU time
// of both per message.
func BenchmarkBrokerSendInProcess(b *testing.B) {
	for _, tc := range benchSendCases {
		b.Run(tc.name, func(b *testing.B) {
			var bk *broker.Broker
			pprof.Do(context.Background(), pprof.Labels("side", "broker"), func(context.Context) {
				bk = brokertest.Start(b, brokertest.WithConfig(func(c *broker.Config) { c.FlushDiskType = tc.flush }))
			})
			pprof.Do(context.Background(), pprof.Labels("side", "client"), func(context.Context) {
				measureSends(b, bk.Addr(), tc.senders, nil)
			})
		})
	}
}

// measureSends runs the send loop with senders producers against addr and
// reports the metrics; bp, when not nil, is the broker process to account.
func measureSends(b *testing.B, addr string, senders int, bp *benchBroker) {
	topic := uniqueName("bench_send")
	group := uniqueName("bench_pg")
	ps := make([]producerAPI, senders)
	for i := range ps {
		ps[i] = benchProducer(b, addr, group)
	}
	// Warm up: routes fetched, topic created, connections open.
	var wg sync.WaitGroup
	for _, p := range ps {
		wg.Go(func() { benchSend(b, p, primitive.NewMessage(topic, benchBody)) })
	}
	wg.Wait()
	if b.Failed() {
		b.FailNow()
	}

	m := startBenchMeasure(bp)
	b.ReportAllocs()
	n := 0
	if senders == 1 {
		for b.Loop() {
			benchSend(b, ps[0], primitive.NewMessage(topic, benchBody))
			n++
		}
	} else {
		// b.Loop hands each message to whichever sender is free.
		work := make(chan struct{})
		for _, p := range ps {
			wg.Go(func() {
				for range work {
					benchSend(b, p, primitive.NewMessage(topic, benchBody))
				}
			})
		}
		for b.Loop() {
			work <- struct{}{}
			n++
		}
		close(work)
		wg.Wait()
	}
	m.report(b, n)
}

// benchSendFailures limits how many send errors a benchmark logs.
var benchSendFailures atomic.Int64

// benchSend sends msg synchronously and records a failure unless SEND_OK.
func benchSend(b *testing.B, p producerAPI, msg ...*primitive.Message) *primitive.SendResult {
	res, err := p.SendSync(context.Background(), msg...)
	if err == nil && res.Status != primitive.SendOK {
		err = fmt.Errorf("status %v", res.Status)
	}
	if err != nil {
		if benchSendFailures.Add(1) <= 5 {
			b.Errorf("send to %s: %v", msg[0].Topic, err)
		} else {
			b.Fail()
		}
		return nil
	}
	return res
}

// BenchmarkBrokerOrderedSend10k is the study's S3 (examples/scenarios):
// 10,000 ordered messages sent synchronously by one sender, queues chosen
// by the hash queue selector on the sharding key (100 keys); an op is all
// 10,000 (s/10k).
func BenchmarkBrokerOrderedSend10k(b *testing.B) {
	const msgs, keyCount = 10_000, 100
	bp := startBenchBroker(b, b.TempDir(), "")
	p := benchProducer(b, bp.addr, uniqueName("bench_pg"), producer.WithQueueSelector(producer.NewHashQueueSelector()))
	topic := uniqueName("bench_ordered")
	keys := make([]string, keyCount)
	for i := range keys {
		keys[i] = fmt.Sprintf("order-%03d", i)
	}
	benchSend(b, p, primitive.NewMessage(topic, benchBody))
	queueOf := make(map[string]int, keyCount)

	m := startBenchMeasure(bp)
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		for i := range msgs {
			key := keys[i%keyCount]
			res := benchSend(b, p, primitive.NewMessage(topic, benchBody).WithKeys([]string{key}).WithShardingKey(key))
			if res == nil {
				continue
			}
			if q, ok := queueOf[key]; !ok {
				queueOf[key] = res.MessageQueue.QueueId
			} else if q != res.MessageQueue.QueueId {
				b.Fatalf("key %s went to queue %d, earlier to %d", key, res.MessageQueue.QueueId, q)
			}
		}
		n++
	}
	m.report(b, n*msgs)
	b.ReportMetric(m.elapsed.Seconds()/float64(n), "s/10k")
}

// BenchmarkBrokerConsume measures how fast one push consumer group (client
// defaults) drains msgs preloaded 1 KiB messages from a broker process; an
// op is one drain, timed from consumer Start to the last message.
// drain-msgs/s counts from the first message received to the last.
func BenchmarkBrokerConsume(b *testing.B) {
	for _, msgs := range []int{50_000} {
		b.Run("msgs="+strconv.Itoa(msgs), func(b *testing.B) {
			bp := startBenchBroker(b, b.TempDir(), "")
			loader := benchProducer(b, bp.addr, uniqueName("bench_pg"))
			var total benchMeasure
			var drain time.Duration
			b.ReportAllocs()
			for b.Loop() {
				b.StopTimer()
				topic := uniqueName("bench_consume")
				if err := benchPreload(loader, topic, msgs); err != nil {
					b.Fatal(err)
				}
				var got atomic.Int64
				var first atomic.Int64 // UnixNano of the first message
				done := make(chan struct{})
				c := benchConsumer(b, bp.addr, topic, func(ms []*primitive.MessageExt) {
					first.CompareAndSwap(0, time.Now().UnixNano())
					if v := got.Add(int64(len(ms))); v >= int64(msgs) && v-int64(len(ms)) < int64(msgs) {
						close(done)
					}
				})
				m := startBenchMeasure(bp)
				b.StartTimer()
				if err := c.Start(); err != nil {
					b.Fatalf("start consumer: %v", err)
				}
				select {
				case <-done:
				case <-time.After(5 * time.Minute):
					b.Fatalf("consumed %d of %d messages in 5m", got.Load(), msgs)
				}
				b.StopTimer()
				m.stop()
				drain += time.Since(time.Unix(0, first.Load()))
				total.add(m)
				_ = c.Shutdown()
				b.StartTimer()
			}
			total.report(b, msgs*b.N)
			b.ReportMetric(float64(msgs*b.N)/drain.Seconds(), "drain-msgs/s")
		})
	}
}

// benchPreload stores n 1 KiB messages on topic in batches of 64.
func benchPreload(p producerAPI, topic string, n int) error {
	const batch = 64
	msgs := make([]*primitive.Message, 0, batch)
	for sent := 0; sent < n; sent += len(msgs) {
		msgs = msgs[:0]
		for range min(batch, n-sent) {
			msgs = append(msgs, primitive.NewMessage(topic, benchBody))
		}
		res, err := p.SendSync(context.Background(), msgs...)
		if err == nil && res.Status != primitive.SendOK {
			err = fmt.Errorf("status %v", res.Status)
		}
		if err != nil {
			return fmt.Errorf("preload batch at message %d: %w", sent, err)
		}
	}
	return nil
}

// BenchmarkBrokerRSS1M stores 1,000,000 1 KiB messages through the official
// client (batches of 64 from 4 producers, one topic, 4 queues) into a broker
// process and reports its memory: rss-MB (VmRSS right after the last send),
// anon-MB (RssAnon, the heap part of it), hwm-MB (peak VmRSS) and data-MB
// (the data directory). Then, on that data, it times broker.Start in this
// process until a connect succeeds: recover-start-ms after the broker
// process was killed (-9, crash recovery), reopen-start-ms after a clean
// Close; and reports reopen-rss-MB, the VmRSS of a broker process started
// on it. It writes 1.1 GB to a temporary directory and takes about 10 s.
func BenchmarkBrokerRSS1M(b *testing.B) {
	const total, loaders = 1_000_000, 4
	b.ReportAllocs()
	for b.Loop() {
		dir := b.TempDir()
		bp := startBenchBroker(b, dir, broker.AsyncFlush)
		topic := uniqueName("bench_rss")
		group := uniqueName("bench_pg")
		ps := make([]producerAPI, loaders)
		for i := range ps {
			ps[i] = benchProducer(b, bp.addr, group)
		}
		errs := make([]error, loaders)
		var wg sync.WaitGroup
		start := time.Now()
		for i, p := range ps {
			wg.Go(func() { errs[i] = benchPreload(p, topic, total/loaders) })
		}
		wg.Wait()
		loading := time.Since(start)
		if err := errors.Join(errs...); err != nil {
			b.Fatal(err)
		}
		for _, p := range ps {
			_ = p.Shutdown()
		}
		st := bp.status()
		b.ReportMetric(float64(total)/loading.Seconds(), "load-msgs/s")
		b.ReportMetric(float64(st["VmRSS"])/1024, "rss-MB")
		b.ReportMetric(float64(st["RssAnon"])/1024, "anon-MB")
		b.ReportMetric(float64(st["VmHWM"])/1024, "hwm-MB")
		b.ReportMetric(float64(dirSize(b, dir))/(1<<20), "data-MB")

		bp.kill(b)
		b.ReportMetric(startToAccept(b, dir).Seconds()*1000, "recover-start-ms")
		b.ReportMetric(startToAccept(b, dir).Seconds()*1000, "reopen-start-ms")
		bp = startBenchBroker(b, dir, broker.AsyncFlush)
		b.ReportMetric(float64(bp.status()["VmRSS"])/1024, "reopen-rss-MB")
	}
}

// startToAccept starts a broker on dir in this process and returns the time
// until a TCP connect to it succeeds; then it closes the broker.
func startToAccept(tb testing.TB, dir string) time.Duration {
	start := time.Now()
	bk, err := broker.Start(context.Background(), broker.Config{Listen: "127.0.0.1:0", DataDir: dir})
	if err != nil {
		tb.Fatal(err)
	}
	c, err := net.Dial("tcp", bk.Addr())
	took := time.Since(start)
	if err != nil {
		tb.Fatal(err)
	}
	_ = c.Close()
	if err := bk.Close(); err != nil {
		tb.Fatal(err)
	}
	return took
}

// dirSize is the total size of the regular files under dir.
func dirSize(tb testing.TB, dir string) int64 {
	var n int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		info, err := d.Info()
		if err == nil {
			n += info.Size()
		}
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

// benchProducer starts a producer of group against addr with its own
// instance name (so its own connection), shut down when tb ends. It does
// not retry: a failed send is a benchmark failure.
func benchProducer(tb testing.TB, addr, group string, opts ...producer.Option) producerAPI {
	tb.Helper()
	base := []producer.Option{producer.WithGroupName(group), producer.WithInstanceName(uniqueName("bench_p")),
		producer.WithRetry(0)}
	return startProducerAt(tb, addr, append(base, opts...)...)
}

// benchConsumer creates (not starts) a push consumer of a new group on
// topic from the first offset, calling f with every delivery.
func benchConsumer(tb testing.TB, addr, topic string, f func([]*primitive.MessageExt)) pushConsumer {
	tb.Helper()
	c, err := consumer.NewPushConsumer(
		consumer.WithNameServer(primitive.NamesrvAddr{addr}),
		consumer.WithGroupName(uniqueName("bench_cg")),
		consumer.WithInstance(uniqueName("bench_c")),
		consumer.WithConsumeFromWhere(consumer.ConsumeFromFirstOffset),
	)
	if err != nil {
		tb.Fatalf("new consumer: %v", err)
	}
	err = c.Subscribe(topic, consumer.MessageSelector{Type: consumer.TAG, Expression: "*"},
		func(_ context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
			f(msgs)
			return consumer.ConsumeSuccess, nil
		})
	if err != nil {
		tb.Fatalf("subscribe: %v", err)
	}
	tb.Cleanup(func() { _ = c.Shutdown() })
	return c
}

// benchMeasure is wall-clock and CPU time over a stretch of a benchmark.
type benchMeasure struct {
	bp                   *benchBroker // nil: the broker is in this process
	start                time.Time
	brokerCPU, clientCPU time.Duration // at start; after stop, the deltas
	elapsed              time.Duration
	rssKB                int64
	machineCPU           time.Duration // busy CPU time of the whole machine
}

func startBenchMeasure(bp *benchBroker) *benchMeasure {
	m := &benchMeasure{bp: bp, clientCPU: benchSelfCPU(), machineCPU: machineCPU()}
	if bp != nil {
		m.brokerCPU = bp.cpu()
	}
	m.start = time.Now()
	return m
}

func (m *benchMeasure) stop() {
	m.elapsed = time.Since(m.start)
	m.clientCPU = benchSelfCPU() - m.clientCPU
	m.machineCPU = machineCPU() - m.machineCPU
	if m.bp != nil {
		m.brokerCPU = m.bp.cpu() - m.brokerCPU
		m.rssKB = m.bp.status()["VmRSS"]
	}
}

// add accumulates the stopped measurement o into m.
func (m *benchMeasure) add(o *benchMeasure) {
	m.bp = o.bp
	m.elapsed += o.elapsed
	m.brokerCPU += o.brokerCPU
	m.clientCPU += o.clientCPU
	m.machineCPU += o.machineCPU
	m.rssKB = o.rssKB
}

// report stops m (unless stopped) and reports the metrics for msgs messages.
func (m *benchMeasure) report(b *testing.B, msgs int) {
	if m.elapsed == 0 {
		m.stop()
	}
	if msgs == 0 {
		return
	}
	b.ReportMetric(float64(msgs)/m.elapsed.Seconds(), "msgs/s")
	// CPU the rest of the machine used meanwhile, in cores: results with
	// much of it are disturbed.
	b.ReportMetric(max(m.machineCPU-m.brokerCPU-m.clientCPU, 0).Seconds()/m.elapsed.Seconds(), "other-cores")
	if m.bp == nil {
		b.ReportMetric(float64(m.clientCPU.Nanoseconds())/float64(msgs), "cpu-ns/msg")
		return
	}
	b.ReportMetric(float64(m.brokerCPU.Nanoseconds())/float64(msgs), "broker-ns/msg")
	b.ReportMetric(float64(m.clientCPU.Nanoseconds())/float64(msgs), "client-ns/msg")
	b.ReportMetric(float64(m.rssKB)/1024, "broker-rss-MB")
}

// benchSelfCPU is the CPU time (user + system) of this process.
func benchSelfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// machineCPU is the busy CPU time of all CPUs (every /proc/stat column
// but idle and iowait, steal included), in 10 ms ticks.
func machineCPU() time.Duration {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(data), "\n")
	var ticks int64
	for i, f := range strings.Fields(line)[1:] {
		if n, err := strconv.ParseInt(f, 10, 64); err == nil && i != 3 && i != 4 && i < 8 {
			ticks += n // user nice system [idle iowait] irq softirq steal; guest is in user
		}
	}
	return time.Duration(ticks) * 10 * time.Millisecond // USER_HZ is 100 on Linux
}

// benchBroker is a `rocketkit broker` child process under measurement.
type benchBroker struct {
	*childBroker
}

// startBenchBroker runs `rocketkit broker` (built once per test process) on
// dir; flush "" is the default. It is killed when tb ends.
func startBenchBroker(tb testing.TB, dir, flush string) *benchBroker {
	tb.Helper()
	bin, err := benchBinary()
	if err != nil {
		tb.Fatalf("build rocketkit: %v", err)
	}
	args := []string{"--listen", "127.0.0.1:0", "--data", dir, "--log-level", "warn"}
	if flush != "" {
		args = append(args, "--flush", flush)
	}
	return &benchBroker{startChildBroker(tb, bin, args...)}
}

func (p *benchBroker) pid() int { return p.cmd.Process.Pid }

// cpu is the broker's CPU time: the on-CPU time of all its threads, in
// nanoseconds from /proc/<pid>/task/*/schedstat (the Go runtime does not
// let threads exit, so none is missed).
func (p *benchBroker) cpu() time.Duration {
	taskDir := fmt.Sprintf("/proc/%d/task", p.pid())
	tasks, err := os.ReadDir(taskDir)
	if err != nil {
		return 0
	}
	var total int64
	for _, t := range tasks {
		data, err := os.ReadFile(filepath.Join(taskDir, t.Name(), "schedstat"))
		if err != nil {
			continue // the thread exited
		}
		field, _, _ := strings.Cut(string(data), " ")
		ns, _ := strconv.ParseInt(field, 10, 64)
		total += ns
	}
	return time.Duration(total)
}

// status returns the kB values of /proc/<pid>/status (VmRSS, VmHWM,
// RssAnon, RssFile, ...).
func (p *benchBroker) status() map[string]int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.pid()))
	if err != nil {
		return nil
	}
	out := map[string]int64{}
	for line := range strings.SplitSeq(string(data), "\n") {
		key, val, ok := strings.Cut(line, ":")
		num, unit, _ := strings.Cut(strings.TrimSpace(val), " ")
		if !ok || unit != "kB" {
			continue
		}
		if kb, err := strconv.ParseInt(num, 10, 64); err == nil {
			out[key] = kb
		}
	}
	return out
}

// benchBinary builds cmd/rocketkit once per test process, into the
// temporary HOME clienttest.Main gives the tests (removed afterwards), or
// returns $ROCKETKIT_BENCH_BROKER_BIN.
var benchBinary = sync.OnceValues(func() (string, error) {
	if bin := os.Getenv("ROCKETKIT_BENCH_BROKER_BIN"); bin != "" {
		return bin, nil
	}
	dir, err := os.UserHomeDir()
	if err != nil || os.Getenv("ROCKETKIT_CLIENTTEST_CHILD") == "" {
		dir = os.TempDir()
	}
	if dir, err = os.MkdirTemp(dir, "rocketkit-bench-"); err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "rocketkit")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/rocketkit/rocketkit/cmd/rocketkit")
	cmd.Env = goToolEnv()
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build: %w\n%s", err, out)
	}
	return bin, nil
})
