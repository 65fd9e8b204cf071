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
	"time"

	"github.com/rocketkit/rocketkit/namesrv"
)

// runNamesrv is `rocketkit namesrv`: it starts a standalone name server
// (package namesrv), prints one "listening on" line to stdout, and closes
// it when ctx is cancelled.
func runNamesrv(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("rocketkit namesrv", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	listen := fs.String("listen", defaultListen, "TCP `address` to serve; port 0 picks a free port")
	expiry := fs.Duration("broker-expiry", 0,
		"drop a broker that has not registered for this `duration` (0: 2m, Java's default)")
	insecure := fs.Bool("insecure", false,
		"allow a non-loopback --listen (anyone who reaches the port can register a broker and steer clients to it)")
	level := levelFlag(slog.LevelInfo)
	fs.Var(&level, "log-level", "log `level`: debug, info (default), warn or error")
	usage := func(w io.Writer) {
		fmt.Fprint(w, `Usage: rocketkit namesrv [flags]

Runs a standalone RocketMQ name server. Brokers given its address in
namesrvAddr (broker.conf; several separated by ";") register with it every
30 seconds; clients given its address (with the others') ask it for routes.
A broker silent for 2 minutes, or whose connection closes, is dropped.
Routes live in memory only: a restarted name server learns them again from
the brokers within 30 seconds.

Flags:

`)
		fs.SetOutput(w)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		usage(stdout)
		return exitOK
	case err == nil && fs.NArg() > 0:
		err = fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if err != nil {
		fmt.Fprintf(stderr, "rocketkit namesrv: %v\n\n", err)
		usage(stderr)
		return exitUsage
	}
	if !*insecure && !loopbackListen(*listen) {
		fmt.Fprintf(stderr, "rocketkit namesrv: --listen %s is not a loopback address: anyone who reaches it can register brokers; add --insecure to serve it anyway\n", *listen)
		return exitUsage
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.Level(level)}))
	ns, err := namesrv.Start(ctx, namesrv.Config{Listen: *listen, BrokerExpiry: *expiry}, namesrv.WithLogger(log))
	if err != nil {
		fmt.Fprintf(stderr, "rocketkit namesrv: %v\n", err)
		if errors.Is(err, namesrv.ErrConfig) {
			return exitUsage
		}
		return exitFailure
	}
	fmt.Fprintf(stdout, "rocketkit namesrv listening on %s\n", ns.Addr())
	<-ctx.Done()
	log.Info("shutting down", "cause", context.Cause(ctx))
	start := time.Now()
	if err := ns.Close(); err != nil {
		log.Error("close name server", "err", err)
		return exitFailure
	}
	log.Info("name server stopped", "took", time.Since(start))
	return exitOK
}

// loopbackListen reports whether addr's host is a loopback IP or
// "localhost".
func loopbackListen(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return true // namesrv.Start reports the malformed address
	}
	if host == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}
