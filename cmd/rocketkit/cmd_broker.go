package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/rocketkit/rocketkit/broker"
)

// brokerFlags is the parsed command line of `rocketkit broker`.
type brokerFlags struct {
	listen   string
	data     string
	conf     string
	acl      string
	flush    flushFlag
	logLevel levelFlag

	tlsCert, tlsKey, tlsMode string
	insecure                 bool
	http                     string // cmd_console.go

	maxConns, maxInflight     int
	idleTimeout, frameTimeout time.Duration
	// set holds the names of the flags given on the command line; only
	// those override the -c file.
	set map[string]bool
}

// defaultListen is the --listen default: loopback, RocketMQ's name server port.
const defaultListen = "127.0.0.1:9876"

// defaultDataDir is the --data default: $HOME/.rocketkit/broker, or
// ./rocketkit-data when there is no home directory.
func defaultDataDir() string {
	if home, err := os.UserHomeDir(); err == nil && home != "" {
		return filepath.Join(home, ".rocketkit", "broker")
	}
	return "rocketkit-data"
}

func newBrokerFlagSet(f *brokerFlags) *flag.FlagSet {
	fs := flag.NewFlagSet("rocketkit broker", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // runBroker prints errors and usage itself
	fs.StringVar(&f.listen, "listen", defaultListen,
		"TCP `address` the name server and broker share; port 0 picks a free port")
	fs.StringVar(&f.data, "data", defaultDataDir(),
		"store root `directory` (storePathRootDir), created if missing")
	fs.StringVar(&f.conf, "c", "",
		"RocketMQ broker.conf `file` to read first; flags given explicitly override it")
	fs.StringVar(&f.acl, "acl", "",
		"RocketMQ 4.x plain_acl.yml `file`: check every request against it (as aclEnable=true), reloading it when it changes")
	fs.Var(&f.flush, "flush",
		"flush disk `type`: ASYNC_FLUSH (default) or SYNC_FLUSH")
	fs.StringVar(&f.tlsCert, "tls-cert", "",
		"PEM certificate (chain) `file` to serve TLS with (tls.server.certPath); needs --tls-key")
	fs.StringVar(&f.tlsKey, "tls-key", "",
		"unencrypted PEM private key `file` of --tls-cert (tls.server.keyPath)")
	fs.StringVar(&f.tlsMode, "tls-mode", "",
		"`mode` (tls.server.mode): enforcing (TLS only; the default with a certificate), permissive (TLS and plain on the port) or disabled")
	fs.BoolVar(&f.insecure, "insecure", false,
		"allow a non-loopback --listen without ACL (anyone who reaches the port can read and write every topic)")
	fs.IntVar(&f.maxConns, "max-connections", 0,
		"most open client connections; more are closed on accept (0: 16384; negative: no limit)")
	fs.IntVar(&f.maxInflight, "max-inflight", 0,
		"most unanswered requests per connection (held pulls included); at the limit the broker stops reading it (0: 1024; negative: no limit)")
	fs.DurationVar(&f.idleTimeout, "idle-timeout", 0,
		"close a connection that sends nothing for this `duration` (serverChannelMaxIdleTimeSeconds; 0: 2m; negative: never)")
	fs.DurationVar(&f.frameTimeout, "frame-timeout", 0,
		"a begun frame, a TLS handshake and each answer's write must complete within this `duration` (0: 30s; negative: no limit)")
	fs.StringVar(&f.http, "http", "",
		"serve the web console on this `address` (e.g. 127.0.0.1:8080; signs as $"+envAccessKey+" when ACL is on)")
	f.logLevel = levelFlag(slog.LevelInfo)
	fs.Var(&f.logLevel, "log-level",
		"log `level`: debug, info (default), warn or error")
	return fs
}

func brokerUsage(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprint(w, `Usage: rocketkit broker [flags]

Runs a RocketMQ-compatible name server and broker on one TCP listener. Point
the official clients' name server address at it. A RocketMQ broker.conf can
be reused with -c; keys that have no effect here are logged.

ACL: --acl FILE (or aclEnable=true in the -c file, with a plain_acl.yml next
to it or at $ROCKETMQ_HOME/conf/plain_acl.yml) checks every request as
RocketMQ 4.x's plain ACL does: the client's signature (AccessKey, SecretKey),
white-listed addresses, and each account's PUB/SUB permissions on topics and
groups; refused requests get NO_PERMISSION with the reason. A change to the
file applies within seconds; a broken file keeps the last good one.

TLS: --tls-cert and --tls-key serve TLS on the one port, name server requests
included (tls.server.* keys in the -c file do the same); --tls-mode permissive
serves plain clients on the same port too. A plain client of an enforcing
broker gets an error saying TLS is required.

Safety: listening on anything but loopback without ACL is refused unless
--insecure is given. Limits (defaults): 16384 connections, 1024 unanswered
requests per connection, frames up to 16 MiB (max-message-size + 64 KiB at
least), 2m idle, 30s to complete a frame, handshake or write.

Flags:

`)
	fs.SetOutput(w)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
	fmt.Fprint(w, `
The broker runs until SIGINT or SIGTERM, then flushes and closes the store
and exits 0; a second signal exits at once with status 1.
`)
}

// parseBrokerFlags parses the arguments of `rocketkit broker`. The error is
// flag.ErrHelp for -h.
func parseBrokerFlags(args []string) (*brokerFlags, *flag.FlagSet, error) {
	f := &brokerFlags{set: map[string]bool{}}
	fs := newBrokerFlagSet(f)
	if err := fs.Parse(args); err != nil {
		return nil, fs, err
	}
	if fs.NArg() > 0 {
		return nil, fs, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	fs.Visit(func(fl *flag.Flag) { f.set[fl.Name] = true })
	return f, fs, nil
}

// config builds the broker configuration: the flag defaults, then the -c
// file, then the flags given explicitly. It logs the file's unknown keys as
// warnings and its ignored keys as info. origin maps a Config koanf key to
// where its value came from, for error messages.
func (f *brokerFlags) config(log *slog.Logger) (cfg broker.Config, origin map[string]string, err error) {
	cfg = broker.Config{Listen: f.listen, DataDir: f.data, FlushDiskType: string(f.flush)}
	origin = map[string]string{}
	brokerIP := ""
	if f.conf != "" {
		var rep broker.ConfReport
		cfg, rep, err = broker.LoadBrokerConf(f.conf, cfg)
		for _, e := range rep.Unknown {
			attrs := []any{"file", f.conf, "line", e.Line, "key", e.Key}
			if e.Reason != "" {
				attrs = append(attrs, "hint", e.Reason)
			}
			log.Warn("unknown broker.conf key, not applied", attrs...)
		}
		for _, e := range rep.Ignored {
			log.Info("broker.conf key has no effect here", "file", f.conf, "line", e.Line, "key", e.Key, "reason", e.Reason)
		}
		if err != nil {
			return cfg, origin, err
		}
		for _, e := range rep.Applied {
			origin[e.Field] = fmt.Sprintf("%s:%d %s", f.conf, e.Line, e.Key)
			if e.Key == "brokerIP1" {
				brokerIP = e.Value
				origin["listen"] = origin[e.Field]
			}
		}
	}
	if f.set["listen"] {
		cfg.Listen = f.listen
		origin["listen"] = "--listen"
		if brokerIP != "" {
			// Keep advertising the file's brokerIP1, on the new port.
			adv, err := advertisedAddr(brokerIP, cfg.Listen)
			if err != nil {
				return cfg, origin, fmt.Errorf("--listen %s with brokerIP1 from %s: %w", f.listen, f.conf, err)
			}
			cfg.AdvertisedAddr = adv
		}
	}
	if f.set["data"] {
		cfg.DataDir = f.data
		origin["data-dir"] = "--data"
	}
	if f.set["flush"] {
		cfg.FlushDiskType = string(f.flush)
		origin["flush-disk-type"] = "--flush"
	}
	if f.set["acl"] {
		cfg.ACLEnable, cfg.ACLFile = true, f.acl
		origin["acl-enable"], origin["acl-file"] = "--acl", "--acl"
	}
	f.override(&cfg, origin)
	return cfg, origin, nil
}

// override applies the TLS and limit flags given explicitly.
func (f *brokerFlags) override(cfg *broker.Config, origin map[string]string) {
	set := func(flag, key string) bool {
		if f.set[flag] {
			origin[key] = "--" + flag
		}
		return f.set[flag]
	}
	if set("tls-cert", "tls-cert-file") {
		cfg.TLSCertFile = f.tlsCert
	}
	if set("tls-key", "tls-key-file") {
		cfg.TLSKeyFile = f.tlsKey
	}
	if set("tls-mode", "tls-mode") {
		cfg.TLSMode = f.tlsMode
	}
	if set("max-connections", "max-connections") {
		cfg.MaxConnections = f.maxConns
	}
	if set("max-inflight", "max-inflight-requests") {
		cfg.MaxInflightRequests = f.maxInflight
	}
	if set("idle-timeout", "idle-timeout") {
		cfg.IdleTimeout = f.idleTimeout
	}
	if set("frame-timeout", "frame-timeout") {
		cfg.FrameTimeout = f.frameTimeout
	}
}

// checkExposure refuses a listener reachable from other hosts without ACL
// unless insecure is set; with insecure it logs a warning instead.
func checkExposure(cfg broker.Config, insecure bool, log *slog.Logger) error {
	if cfg.ACLEnable || isLoopback(cfg.Listen) {
		return nil
	}
	if !insecure {
		return fmt.Errorf("refusing to listen on %s without ACL: anyone who can reach it can read and write every topic; "+
			"turn ACL on (--acl FILE, or aclEnable=true in the -c file), listen on loopback, or pass --insecure to accept the risk", cfg.Listen)
	}
	log.Warn("INSECURE: listening on a non-loopback address without ACL (--insecure): anyone who can reach it can read and write every topic",
		"listen", cfg.Listen)
	return nil
}

// isLoopback reports whether listen's host is a loopback address or
// "localhost". An empty host (every interface) or any other name is not.
func isLoopback(listen string) bool {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}

// advertisedAddr is the AdvertisedAddr for a broker.conf brokerIP1 of ip
// when the broker listens on listen, as broker.ParseBrokerConf derives it:
// ip with listen's port, or "" when that port is 0 and listen's host is ip.
func advertisedAddr(ip, listen string) (string, error) {
	host, port, err := net.SplitHostPort(listen)
	switch {
	case err != nil:
		return "", err
	case port != "0":
		return net.JoinHostPort(ip, port), nil
	case host == ip:
		return "", nil
	}
	return "", fmt.Errorf("%s cannot be advertised on a random port", ip)
}

// validateConfig checks cfg as broker.Start will, and adds to each problem
// the flag or broker.conf line its value came from.
func validateConfig(cfg broker.Config, origin map[string]string) error {
	full := cfg.WithDefaults()
	err := full.Validate()
	if err == nil {
		return nil
	}
	errs := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	}
	out := make([]error, 0, len(errs))
	for _, e := range errs {
		// Validate's messages read "broker config <koanf key>: ...".
		rest, ok := strings.CutPrefix(e.Error(), "broker config ")
		key, _, _ := strings.Cut(rest, ":")
		if o := origin[key]; ok && o != "" {
			e = fmt.Errorf("%w (set by %s)", e, o)
		}
		out = append(out, e)
	}
	return errors.Join(out...)
}

// runBroker is `rocketkit broker`: it starts a broker, prints one
// "listening on" line to stdout, and closes the broker when ctx is
// cancelled.
func runBroker(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	f, fs, err := parseBrokerFlags(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		brokerUsage(stdout, fs)
		return exitOK
	case err != nil:
		fmt.Fprintf(stderr, "rocketkit broker: %v\n\n", err)
		brokerUsage(stderr, fs)
		return exitUsage
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.Level(f.logLevel)}))

	cfg, origin, err := f.config(log)
	if err != nil {
		printErrors(stderr, "", err)
		return exitUsage
	}
	if err := validateConfig(cfg, origin); err != nil {
		printErrors(stderr, "invalid configuration: ", err)
		return exitUsage
	}
	if err := checkExposure(cfg, f.insecure, log); err != nil {
		printErrors(stderr, "", err)
		return exitUsage
	}
	for _, p := range []*string{&cfg.TLSCertFile, &cfg.TLSKeyFile} {
		if *p != "" {
			if abs, err := filepath.Abs(*p); err == nil {
				*p = abs
			}
		}
	}
	if abs, err := filepath.Abs(cfg.DataDir); err == nil {
		cfg.DataDir = abs
	}
	if cfg.ACLFile != "" {
		if abs, err := filepath.Abs(cfg.ACLFile); err == nil {
			cfg.ACLFile = abs
		}
	}

	b, err := broker.Start(ctx, cfg, broker.WithLogger(log))
	if err != nil {
		if errors.Is(err, context.Canceled) && ctx.Err() != nil {
			log.Info("start-up interrupted", "cause", context.Cause(ctx))
			return exitOK
		}
		printErrors(stderr, "", err)
		return exitFailure
	}
	fmt.Fprintf(stdout, "rocketkit broker listening on %s (data %s)\n", b.Addr(), cfg.DataDir)
	stopConsole, err := startBrokerConsole(ctx, f.http, f.insecure, cfg, b, log, stdout)
	if err != nil {
		printErrors(stderr, "", err)
		_ = b.Close()
		return exitFailure
	}

	<-ctx.Done()
	log.Info("shutting down; signal again to exit at once", "cause", context.Cause(ctx))
	stopConsole()
	if err := b.Close(); err != nil {
		log.Error("close broker", "err", err)
		return exitFailure
	}
	log.Info("broker stopped")
	return exitOK
}

// printErrors writes err to w one line per line, each prefixed
// "rocketkit broker: " and prefix.
func printErrors(w io.Writer, prefix string, err error) {
	for line := range strings.SplitSeq(err.Error(), "\n") {
		fmt.Fprintf(w, "rocketkit broker: %s%s\n", prefix, line)
	}
}

// flushFlag is --flush: ASYNC_FLUSH or SYNC_FLUSH, any case.
type flushFlag string

func (f *flushFlag) String() string { return string(*f) }

func (f *flushFlag) Set(s string) error {
	switch u := strings.ToUpper(s); u {
	case broker.AsyncFlush, broker.SyncFlush:
		*f = flushFlag(u)
		return nil
	}
	return fmt.Errorf("must be %s or %s", broker.AsyncFlush, broker.SyncFlush)
}

// levelFlag is --log-level: debug, info, warn or error.
type levelFlag slog.Level

func (l *levelFlag) String() string { return strings.ToLower(slog.Level(*l).String()) }

func (l *levelFlag) Set(s string) error {
	switch strings.ToLower(s) {
	case "debug":
		*l = levelFlag(slog.LevelDebug)
	case "info":
		*l = levelFlag(slog.LevelInfo)
	case "warn":
		*l = levelFlag(slog.LevelWarn)
	case "error":
		*l = levelFlag(slog.LevelError)
	default:
		return errors.New("must be debug, info, warn or error")
	}
	return nil
}
