package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/rocketkit/rocketkit/admin"
	"github.com/rocketkit/rocketkit/client"
	"github.com/rocketkit/rocketkit/transport"
	"github.com/rocketkit/rocketkit/transport/official"
)

// benchSentProperty carries the send time (Unix nanoseconds) of a bench
// message, for the consumer's end-to-end latency.
const benchSentProperty = "RKBENCH_SENT_NS"

// newBackend makes the client bench runs on: the kit's own ("rocketkit")
// or the official Go client ("official"), connecting as cn says.
func newBackend(which string, nameServers []string, cn conn) (transport.Backend, error) {
	return cn.backend(which, client.Config{NameServers: nameServers, InstanceName: fmt.Sprintf("rocketkit-bench-%d", os.Getpid())})
}

// benchFlags are the flags of bench produce and bench consume.
type benchFlags struct {
	namesrv  string
	topic    string
	threads  int
	size     int
	count    int64
	duration time.Duration
	mode     string
	group    string
	inflight int
	tag      string
	keys     bool
	from     string
	expr     string
	client   string
	rate     int
	logLevel levelFlag
	conn     connFlags
	cn       conn // conn resolved
}

func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || (args[0] != "produce" && args[0] != "consume") {
		switch {
		case len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help" || args[0] == "help"):
			benchUsage(stdout)
			return exitOK
		case len(args) == 0:
			fmt.Fprint(stderr, "rocketkit bench: say produce or consume\n\n")
		default:
			fmt.Fprintf(stderr, "rocketkit bench: unknown command %q: want produce or consume\n\n", args[0])
		}
		benchUsage(stderr)
		return exitUsage
	}
	which := args[0]
	prefix := "rocketkit bench " + which
	f := benchFlags{logLevel: levelFlag(slog.LevelInfo)}
	fs := flag.NewFlagSet(prefix, flag.ContinueOnError)
	fs.SetOutput(stderr)
	stringFlag(fs, &f.namesrv, "n", "namesrv", defaultNamesrv, `name server address(es), "host:port;host:port"`)
	stringFlag(fs, &f.topic, "t", "topic", "BenchmarkTest", "the topic")
	intFlag(fs, &f.threads, "w", "threads", 4, map[string]string{
		"produce": "sending goroutines", "consume": "consuming goroutines"}[which])
	fs.Int64Var(&f.count, "count", 0, map[string]string{
		"produce": "stop after sending this many messages (0: no limit)", "consume": "stop after receiving this many messages (0: no limit)"}[which])
	fs.DurationVar(&f.duration, "duration", 0, "stop after this long (0: no limit; without --count either, run until interrupted)")
	fs.StringVar(&f.client, "client", transport.NativeName, "the client to run: rocketkit (the kit's own) or official (github.com/apache/rocketmq-client-go/v2)")
	fs.Var(&f.logLevel, "log-level", "log level on stderr: debug, info, warn or error (the client's own logs: warn and up)")
	f.conn.define(fs)
	if which == "produce" {
		intFlag(fs, &f.size, "s", "size", 128, "message body size in bytes")
		fs.StringVar(&f.mode, "mode", "sync", "send mode: sync, async or oneway")
		fs.IntVar(&f.inflight, "inflight", 256, "most async sends awaiting their result")
		fs.IntVar(&f.rate, "rate", 0, "send at most this many messages a second, over all threads (0: as fast as possible)")
		fs.StringVar(&f.tag, "tag", "", "tag of every message")
		fs.BoolVar(&f.keys, "keys", false, "give each message a key, bench-<pid>-<n> (indexed by the broker, as producer.sh -k)")
		stringFlag(fs, &f.group, "g", "group", "rocketkit-bench-producer", "producer group")
	} else {
		stringFlag(fs, &f.group, "g", "group", "rocketkit-bench-consumer", "consumer group")
		stringFlag(fs, &f.expr, "e", "expression", "*", "tag expression")
		fs.StringVar(&f.from, "from", "first", "where a new group starts: first (oldest message) or last (new messages only)")
	}
	fs.Usage = func() {
		w := fs.Output()
		if which == "produce" {
			fmt.Fprint(w, "Usage: rocketkit bench produce [-n host:port] [-t topic] [-w threads] [-s size] [--count n | --duration d] [--mode sync|async|oneway]\n\n"+
				"Sends messages through the kit's client (--client official: the official Go client) as fast as it can (RocketMQ's producer.sh),\n"+
				"printing progress every second and send-latency percentiles at the end.\n\nFlags:\n")
		} else {
			fmt.Fprint(w, "Usage: rocketkit bench consume [-n host:port] [-t topic] [-g group] [-w threads] [--count n | --duration d]\n\n"+
				"Consumes through the kit's client (--client official: the official Go client; RocketMQ's consumer.sh), printing progress every\n"+
				"second and end-to-end latency percentiles at the end (from the send time bench produce\n"+
				"puts in each message, else the born time; producer and consumer clocks must agree).\n\nFlags:\n")
		}
		fs.PrintDefaults()
	}
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stdout)
			fs.Usage()
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "%s: unexpected argument %q\n", prefix, fs.Arg(0))
		return exitUsage
	}
	if msg := f.validate(which); msg != "" {
		fmt.Fprintf(stderr, "%s: %s\n", prefix, msg)
		return exitUsage
	}
	var err error
	if f.cn, err = f.conn.resolve(); err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", prefix, err)
		return exitUsage
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.Level(f.logLevel)}))
	routeClientLogs(slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: max(slog.LevelWarn, slog.Level(f.logLevel))})))

	nameServers := admin.ParseNameServers(f.namesrv)
	if err := checkNameServers(ctx, nameServers, f.cn); err != nil {
		fmt.Fprintf(stderr, "%s: %s\n", prefix, describeAdminError(err, nameServers))
		return exitFailure
	}
	if f.duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, f.duration)
		defer cancel()
	}
	if which == "produce" {
		err = benchProduce(ctx, f, nameServers, stdout, log)
	} else {
		err = benchConsume(ctx, f, nameServers, stdout, log)
	}
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", prefix, err)
		return exitFailure
	}
	return exitOK
}

func (f *benchFlags) validate(which string) string {
	switch {
	case f.topic == "":
		return "-t/--topic must not be empty"
	case f.threads < 1:
		return "-w/--threads must be at least 1"
	case f.count < 0:
		return "--count must not be negative"
	case f.duration < 0:
		return "--duration must not be negative"
	case f.group == "":
		return "-g/--group must not be empty"
	case f.client != transport.NativeName && f.client != official.Name:
		return fmt.Sprintf("--client %q: want rocketkit or official", f.client)
	}
	if which == "produce" {
		switch {
		case f.size < 1 || f.size > 4<<20:
			return "-s/--size must be 1..4194304 bytes"
		case f.mode != "sync" && f.mode != "async" && f.mode != "oneway":
			return fmt.Sprintf("--mode %q: want sync, async or oneway", f.mode)
		case f.inflight < 1:
			return "--inflight must be at least 1"
		case f.rate < 0:
			return "--rate must not be negative"
		}
	} else if f.from != "first" && f.from != "last" {
		return fmt.Sprintf("--from %q: want first or last", f.from)
	}
	return ""
}

func benchUsage(w io.Writer) {
	fmt.Fprint(w, "Usage: rocketkit bench produce|consume [flags]\n\n"+
		"Benchmarks a cluster through the kit's client (or --client official), like RocketMQ's producer.sh and consumer.sh:\n\n"+
		"\tproduce  send messages (-w threads, -s size, --mode sync|async|oneway), send latency\n"+
		"\tconsume  consume them (-g group), end-to-end latency\n\n"+
		"Run \"rocketkit bench produce -h\" or \"rocketkit bench consume -h\" for the flags.\n")
}

// checkNameServers fails when no name server answers, so that an
// unreachable one is reported at once rather than as send timeouts.
func checkNameServers(ctx context.Context, nameServers []string, cn conn) error {
	c, err := cn.admin(nameServers, admin.Config{Timeout: 5 * time.Second})
	if err != nil {
		return err
	}
	_, err = c.Cluster(ctx)
	return err
}

// benchMeter counts events and their latencies, overall and since the
// last progress line. It is safe for concurrent use.
type benchMeter struct {
	mu       sync.Mutex
	total    latencyHist
	interval latencyHist
	errors   int64
	first    time.Time // first event
	last     time.Time // last event
}

func (m *benchMeter) record(d time.Duration) {
	now := time.Now()
	m.mu.Lock()
	m.total.record(d)
	m.interval.record(d)
	if m.first.IsZero() {
		m.first = now
	}
	m.last = now
	m.mu.Unlock()
}

func (m *benchMeter) failed() int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.errors++
	return m.errors
}

// progress prints a line a second until stop is closed.
func (m *benchMeter) progress(out io.Writer, verb string, start time.Time, stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	prev := start
	for {
		select {
		case <-stop:
			return
		case now := <-tick.C:
			m.mu.Lock()
			iv := m.interval
			m.interval = latencyHist{}
			total, errs := m.total.n, m.errors
			m.mu.Unlock()
			rate := float64(iv.n) / now.Sub(prev).Seconds()
			prev = now
			line := fmt.Sprintf("[%4.0fs] %s %d  %.0f msg/s", now.Sub(start).Seconds(), verb, total, rate)
			if iv.n > 0 {
				line += fmt.Sprintf("  latency avg %s max %s", fmtLatency(iv.mean()), fmtLatency(iv.max))
			}
			if verb == "sent" {
				line += fmt.Sprintf("  errors %d", errs)
			}
			fmt.Fprintln(out, line)
		}
	}
}

func benchProduce(ctx context.Context, f benchFlags, nameServers []string, out io.Writer, log *slog.Logger) error {
	backend, err := newBackend(f.client, nameServers, f.cn)
	if err != nil {
		return err
	}
	defer backend.Close()
	p, err := backend.NewProducer(client.ProducerConfig{Group: f.group, Retries: 2})
	if err != nil {
		return err
	}
	defer func() { _ = p.Close() }()

	body := make([]byte, f.size) // printable and not very compressible
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range body {
		body[i] = byte('!' + rng.IntN(94))
	}
	var seq atomic.Int64
	newMsg := func() *client.Message {
		m := &client.Message{Topic: f.topic, Tag: f.tag, Body: body,
			Properties: map[string]string{benchSentProperty: strconv.FormatInt(time.Now().UnixNano(), 10)}}
		if f.keys {
			m.Keys = []string{fmt.Sprintf("bench-%d-%d", os.Getpid(), seq.Add(1))}
		}
		return m
	}

	var m benchMeter
	logged := atomic.Int32{}
	fail := func(err error) {
		m.failed()
		if logged.Add(1) <= 3 {
			log.Warn("send failed", "mode", f.mode, "err", err)
		}
	}
	log.Info("producing", "client", backend.Name(), "namesrv", f.namesrv, "topic", f.topic, "threads", f.threads, "size", f.size,
		"mode", f.mode, "count", f.count, "duration", f.duration)
	if f.keys {
		log.Info("messages have keys", "first", fmt.Sprintf("bench-%d-1", os.Getpid()))
	}
	start, cpu0 := time.Now(), processCPU()
	stop, progressDone := make(chan struct{}), make(chan struct{})
	go m.progress(out, "sent", start, stop, progressDone)

	var issued atomic.Int64
	var slots atomic.Int64 // --rate: the next send's slot
	pace := func() bool {  // waits for the next slot; false when ctx ended
		if f.rate == 0 {
			return true
		}
		at := start.Add(time.Duration(slots.Add(1)-1) * time.Second / time.Duration(f.rate))
		t := time.NewTimer(time.Until(at))
		defer t.Stop()
		select {
		case <-t.C:
			return true
		case <-ctx.Done():
			return false
		}
	}
	var pending sync.WaitGroup // async sends awaiting their callback
	inflight := make(chan struct{}, f.inflight)
	var workers sync.WaitGroup
	for range f.threads {
		workers.Go(func() {
			for ctx.Err() == nil {
				if f.count > 0 && issued.Add(1) > f.count {
					return
				}
				if !pace() {
					return
				}
				msg := newMsg()
				began := time.Now()
				switch f.mode {
				case "sync":
					res, err := p.Send(context.Background(), msg)
					if err == nil && res.Status != client.SendOK {
						err = fmt.Errorf("status %v", res.Status)
					}
					if err != nil {
						fail(err)
						continue
					}
					m.record(time.Since(began))
				case "oneway":
					if err := p.SendOneway(context.Background(), msg); err != nil {
						fail(err)
						continue
					}
					m.record(time.Since(began))
				case "async":
					select {
					case inflight <- struct{}{}:
					case <-ctx.Done():
						return
					}
					began = time.Now()
					pending.Add(1)
					p.SendAsync(context.Background(), msg, func(res *client.SendResult, err error) {
						defer pending.Done()
						defer func() { <-inflight }()
						if err == nil && res.Status != client.SendOK {
							err = fmt.Errorf("status %v", res.Status)
						}
						if err != nil {
							fail(err)
							return
						}
						m.record(time.Since(began))
					})
				}
			}
		})
	}
	workers.Wait()
	waitTimeout(&pending, 30*time.Second)
	elapsed := time.Since(start)
	close(stop)
	<-progressDone

	m.mu.Lock()
	defer m.mu.Unlock()
	sent, errs := m.total.n, m.errors
	fmt.Fprint(out, "\nproduce summary\n")
	tw := tabwriter.NewWriter(out, 0, 8, 2, ' ', 0)
	fmt.Fprintf(tw, "  topic\t%s (namesrv %s)\n", f.topic, f.namesrv)
	fmt.Fprintf(tw, "  settings\t%s, %d threads, %d-byte bodies, client %s\n", f.mode, f.threads, f.size, backend.Name())
	fmt.Fprintf(tw, "  messages\t%d sent, %d errors\n", sent, errs)
	fmt.Fprintf(tw, "  duration\t%s\n", elapsed.Round(time.Millisecond))
	fmt.Fprintf(tw, "  throughput\t%.0f msg/s, %.2f MB/s\n", float64(sent)/elapsed.Seconds(), float64(sent)*float64(f.size)/elapsed.Seconds()/1e6)
	if cpu := processCPU() - cpu0; sent > 0 && cpu > 0 {
		fmt.Fprintf(tw, "  client CPU\t%.1f µs/msg (this process)\n", float64(cpu.Nanoseconds())/1e3/float64(sent))
	}
	what := "send latency"
	if f.mode == "oneway" {
		// No answer to wait for, and nothing confirms the broker stored
		// them: compare with rocketkit admin topicStatus.
		what = "send call time"
	}
	fmt.Fprintf(tw, "  %s\t%s\n", what, m.total.percentiles())
	if err := tw.Flush(); err != nil {
		return err
	}
	if sent == 0 && errs > 0 {
		return fmt.Errorf("every send failed (%d errors); see the log above", errs)
	}
	return nil
}

// waitTimeout waits for wg, at most d.
func waitTimeout(wg *sync.WaitGroup, d time.Duration) {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(d):
	}
}

func benchConsume(ctx context.Context, f benchFlags, nameServers []string, out io.Writer, log *slog.Logger) error {
	backend, err := newBackend(f.client, nameServers, f.cn)
	if err != nil {
		return err
	}
	defer backend.Close()
	from := client.ConsumeFromFirstOffset
	if f.from == "last" {
		from = client.ConsumeFromLastOffset
	}
	var (
		m        benchMeter
		received atomic.Int64
		noStamp  atomic.Int64
		enough   = make(chan struct{})
		once     sync.Once
	)
	c, err := backend.NewConsumer(client.ConsumerConfig{Group: f.group, ConsumeFrom: from, Concurrency: f.threads,
		Subscriptions: []client.Subscription{{Topic: f.topic, Expression: f.expr}}},
		func(_ context.Context, msgs []*client.MessageExt) client.ConsumeResult {
			now := time.Now()
			for _, msg := range msgs {
				var lat time.Duration
				if ns, err := strconv.ParseInt(msg.Property(benchSentProperty), 10, 64); err == nil {
					lat = now.Sub(time.Unix(0, ns))
				} else {
					noStamp.Add(1)
					lat = now.Sub(msg.BornTime)
				}
				m.record(lat)
				if n := received.Add(1); f.count > 0 && n >= f.count {
					once.Do(func() { close(enough) })
				}
			}
			return client.ConsumeSuccess
		})
	if err != nil {
		return err
	}
	log.Info("consuming", "client", backend.Name(), "namesrv", f.namesrv, "topic", f.topic, "group", f.group,
		"threads", f.threads, "from", f.from, "count", f.count, "duration", f.duration)
	start, cpu0 := time.Now(), processCPU()
	if err := c.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("start consumer: %w", err)
	}
	stop, progressDone := make(chan struct{}), make(chan struct{})
	go m.progress(out, "received", start, stop, progressDone)
	select {
	case <-enough:
	case <-ctx.Done():
	}
	elapsed := time.Since(start)
	close(stop)
	<-progressDone
	closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err := c.Close(closeCtx); err != nil {
		log.Warn("consumer close", "err", err)
	}

	m.mu.Lock()
	defer m.mu.Unlock()
	n := m.total.n
	fmt.Fprint(out, "\nconsume summary\n")
	tw := tabwriter.NewWriter(out, 0, 8, 2, ' ', 0)
	fmt.Fprintf(tw, "  topic\t%s, group %s (namesrv %s)\n", f.topic, f.group, f.namesrv)
	fmt.Fprintf(tw, "  messages\t%d received\n", n)
	fmt.Fprintf(tw, "  duration\t%s\n", elapsed.Round(time.Millisecond))
	throughput := fmt.Sprintf("%.0f msg/s over the run", float64(n)/elapsed.Seconds())
	if span := m.last.Sub(m.first); n > 1 && span >= 100*time.Millisecond {
		throughput += fmt.Sprintf(", %.0f msg/s from the first message to the last", float64(n-1)/span.Seconds())
	}
	fmt.Fprintf(tw, "  throughput\t%s\n", throughput)
	if cpu := processCPU() - cpu0; n > 0 && cpu > 0 {
		fmt.Fprintf(tw, "  client CPU\t%.1f µs/msg (this process)\n", float64(cpu.Nanoseconds())/1e3/float64(n))
	}
	fmt.Fprintf(tw, "  end-to-end latency\t%s\n", m.total.percentiles())
	if k := noStamp.Load(); k > 0 {
		fmt.Fprintf(tw, "  \t(%d messages without bench produce's send time: latency from their born time, ms precision)\n", k)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if f.count > 0 && int64(n) < f.count {
		return fmt.Errorf("received %d of %d messages", n, f.count)
	}
	return nil
}
