package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/rocketkit/rocketkit/admin"
	"github.com/rocketkit/rocketkit/broker"
	"github.com/rocketkit/rocketkit/broker/brokermetrics"
	"github.com/rocketkit/rocketkit/client"
	"github.com/rocketkit/rocketkit/console"
)

// defaultConsoleHTTP is the --http default of `rocketkit console`: loopback.
const defaultConsoleHTTP = "127.0.0.1:8080"

// consoleProducerGroup is the producer group the console sends test
// messages and DLQ resends with.
const consoleProducerGroup = "rocketkit-console"

// metricsHandler serves Prometheus metrics at /metrics beside the console:
// the embedded broker's own (b non-nil), else the cluster's through adm
// (package brokermetrics).
func metricsHandler(b *broker.Broker, adm *admin.Client, log *slog.Logger) (http.Handler, error) {
	if b != nil {
		return brokermetrics.Handler(b), nil
	}
	return brokermetrics.NewCluster(adm, brokermetrics.ClusterConfig{Logger: log})
}

// consoleArgs is the parsed command line of `rocketkit console`.
type consoleArgs struct {
	namesrv  string
	http     string
	conn     connFlags
	sample   time.Duration
	readOnly bool
	insecure bool
	hosts    string
}

func consoleUsage(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprint(w, `Usage: rocketkit console [flags]

Serves the web console (cluster, topics, consumer groups and their lag,
message search, dead-letter queues, offset reset, test messages), and the
cluster's Prometheus metrics at /metrics, against a RocketMQ cluster: this
kit's broker or Apache RocketMQ. It signs every request
with --ak/--sk (or $ROCKETMQ_ACCESS_KEY/$ROCKETMQ_SECRET_KEY), so the cluster's
ACL decides what it may see and change; give it an account with the rights you
mean it to have. The console has no login: anyone who reaches --http acts as
that account, so it listens on loopback unless --insecure is given.

Flags:

`)
	fs.SetOutput(w)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
}

// runConsole is `rocketkit console`.
func runConsole(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	a := consoleArgs{namesrv: defaultNamesrv}
	fs := flag.NewFlagSet("rocketkit console", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	stringFlag(fs, &a.namesrv, "n", "namesrv", a.namesrv, `name server address(es), "host:port;host:port"`)
	fs.StringVar(&a.http, "http", defaultConsoleHTTP, "`address` to serve the console on")
	fs.DurationVar(&a.sample, "sample", 5*time.Second, "sample the cluster for the charts every `duration`")
	fs.BoolVar(&a.readOnly, "read-only", false, "no producer: sending test messages and resending dead letters are off")
	fs.BoolVar(&a.insecure, "insecure", false, "allow a non-loopback --http (the console has no login of its own)")
	fs.StringVar(&a.hosts, "allow-host", "", "comma-separated host `names` the console may be reached by besides IP addresses and localhost")
	a.conn.define(fs)
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		consoleUsage(stdout, fs)
		return exitOK
	case err == nil && fs.NArg() > 0:
		err = fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if err != nil {
		fmt.Fprintf(stderr, "rocketkit console: %v\n\n", err)
		consoleUsage(stderr, fs)
		return exitUsage
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	conn, err := a.conn.resolve()
	if err == nil {
		err = checkHTTPExposure(a.http, a.insecure, log)
	}
	if err != nil {
		fmt.Fprintf(stderr, "rocketkit console: %v\n", err)
		return exitUsage
	}
	nameServers := admin.ParseNameServers(a.namesrv)
	adm, err := conn.admin(nameServers, admin.Config{})
	if err != nil {
		fmt.Fprintf(stderr, "rocketkit console: %v\n", err)
		return exitUsage
	}
	opts := []console.Option{console.WithLogger(log)}
	if !a.readOnly {
		var copts []client.Option
		if conn.tls != nil {
			copts = append(copts, client.WithTLSConfig(conn.tls))
		}
		c, err := client.New(client.Config{NameServers: nameServers, Credentials: conn.cred, TLS: conn.tls != nil}, copts...)
		if err == nil {
			var p *client.Producer
			if p, err = c.NewProducer(client.ProducerConfig{Group: consoleProducerGroup}); err == nil {
				defer p.Close()
				opts = append(opts, console.WithSender(p))
			}
			defer c.Close()
		}
		if err != nil {
			fmt.Fprintf(stderr, "rocketkit console: %v\n", err)
			return exitUsage
		}
	}
	cfg := console.Config{SampleInterval: a.sample, AllowedHosts: append(splitHosts(a.hosts), namedHost(a.http)...)}
	ln, err := net.Listen("tcp", a.http)
	if err != nil {
		fmt.Fprintf(stderr, "rocketkit console: --http: %v\n", err)
		return exitFailure
	}
	if err := serveConsole(ctx, ln, adm, nil, cfg, opts, log, stdout); err != nil {
		fmt.Fprintf(stderr, "rocketkit console: %v\n", err)
		return exitFailure
	}
	return exitOK
}

// namedHost is the host of an --http address when it is a name (which
// the console must then accept in Host headers).
func namedHost(addr string) []string {
	if host, _, err := net.SplitHostPort(addr); err == nil && host != "" && net.ParseIP(host) == nil {
		return []string{host}
	}
	return nil
}

func splitHosts(s string) []string {
	var out []string
	for h := range strings.SplitSeq(s, ",") {
		if h = strings.TrimSpace(h); h != "" {
			out = append(out, h)
		}
	}
	return out
}

// checkHTTPExposure refuses a console address reachable from other hosts
// unless insecure is set; with insecure it logs a warning.
func checkHTTPExposure(addr string, insecure bool, log *slog.Logger) error {
	if isLoopback(addr) {
		return nil
	}
	if !insecure {
		return fmt.Errorf("refusing to serve the console on %s: it has no login, and anyone who reaches it acts as its account; "+
			"listen on loopback (and tunnel to it), or pass --insecure to accept the risk", addr)
	}
	log.Warn("INSECURE: serving the console on a non-loopback address (--insecure): anyone who can reach it acts as its account", "http", addr)
	return nil
}

// serveConsole serves the console, and Prometheus metrics at /metrics, on ln until ctx is cancelled, sampling the cluster meanwhile, and
// closes ln. b is the embedded broker, nil for `rocketkit console`.
func serveConsole(ctx context.Context, ln net.Listener, adm *admin.Client, b *broker.Broker, cfg console.Config,
	opts []console.Option, log *slog.Logger, stdout io.Writer) error {
	con, err := console.New(adm, cfg, opts...)
	if err != nil {
		ln.Close()
		return err
	}
	metrics, err := metricsHandler(b, adm, log)
	if err != nil {
		ln.Close()
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("/", con)
	mux.Handle("/metrics", metrics)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	sctx, stop := context.WithCancel(ctx)
	defer stop()
	sampled := make(chan error, 1)
	go func() { sampled <- con.Run(sctx) }()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	fmt.Fprintf(stdout, "rocketkit console on http://%s\n", ln.Addr())
	select {
	case <-ctx.Done():
		err = nil
	case err = <-served:
	}
	stop()
	sdctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(sdctx)
	<-sampled
	return err
}

// startBrokerConsole serves the console beside the embedded broker b when
// --http is given, signing as $ROCKETMQ_ACCESS_KEY/$ROCKETMQ_SECRET_KEY
// (needed when the broker checks ACL). stop ends it and waits.
func startBrokerConsole(ctx context.Context, httpAddr string, insecure bool, cfg broker.Config, b *broker.Broker,
	log *slog.Logger, stdout io.Writer) (stop func(), err error) {
	if httpAddr == "" {
		return func() {}, nil
	}
	if err := checkHTTPExposure(httpAddr, insecure, log); err != nil {
		return nil, err
	}
	var cf connFlags
	cred, err := cf.credentials()
	if err != nil {
		return nil, err
	}
	c := conn{cred: cred}
	if cfg.TLSMode == broker.TLSEnforcing || cfg.TLSMode == "" && cfg.TLSCertFile != "" {
		// This process's own broker: its certificate need not name the
		// address it is dialled at.
		c.tls = &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: true}
	}
	adm, err := c.admin([]string{b.Addr()}, admin.Config{})
	if err != nil {
		return nil, err
	}
	cl, err := c.backendClient(b.Addr())
	if err != nil {
		return nil, err
	}
	p, err := cl.NewProducer(client.ProducerConfig{Group: consoleProducerGroup})
	if err != nil {
		cl.Close()
		return nil, err
	}
	ln, err := net.Listen("tcp", httpAddr)
	if err != nil {
		p.Close()
		cl.Close()
		return nil, fmt.Errorf("--http: %w", err)
	}
	sctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := serveConsole(sctx, ln, adm, b, console.Config{AllowedHosts: namedHost(httpAddr)},
			[]console.Option{console.WithLogger(log), console.WithSender(p)}, log, stdout); err != nil {
			log.Error("console stopped", "err", err)
		}
	}()
	return func() {
		cancel()
		<-done
		p.Close()
		cl.Close()
	}, nil
}

// backendClient is a kit client for addr with c's credentials and TLS.
func (c conn) backendClient(addr string) (*client.Client, error) {
	var opts []client.Option
	if c.tls != nil {
		opts = append(opts, client.WithTLSConfig(c.tls))
	}
	return client.New(client.Config{NameServers: []string{addr}, Credentials: c.cred, TLS: c.tls != nil}, opts...)
}
