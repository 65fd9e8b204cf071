package main

import (
	"context"
	"crypto/tls"
	"log/slog"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/broker"
	"github.com/rocketkit/rocketkit/internal/clienttest"
	"github.com/rocketkit/rocketkit/internal/testcert"
)

// The TLS and limit flags set their Config fields and name themselves as
// the origin; the tls.server.* keys of a -c file do the same, and a flag
// given explicitly overrides the file.
func TestBrokerTLSAndLimitFlags(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	conf := writeConf(t, "tls.server.mode=permissive\ntls.server.certPath=/c.pem\ntls.server.keyPath=/k.pem\nserverChannelMaxIdleTimeSeconds=300\n")
	f, _, err := parseBrokerFlags([]string{"-c", conf, "--tls-cert", "/flag.pem", "--max-connections", "50",
		"--max-inflight", "8", "--idle-timeout", "1m", "--frame-timeout", "5s"})
	if err != nil {
		t.Fatal(err)
	}
	cfg, origin, err := f.config(log)
	if err != nil {
		t.Fatal(err)
	}
	want := broker.Config{TLSMode: broker.TLSPermissive, TLSCertFile: "/flag.pem", TLSKeyFile: "/k.pem",
		MaxConnections: 50, MaxInflightRequests: 8, IdleTimeout: time.Minute, FrameTimeout: 5 * time.Second}
	got := broker.Config{TLSMode: cfg.TLSMode, TLSCertFile: cfg.TLSCertFile, TLSKeyFile: cfg.TLSKeyFile,
		MaxConnections: cfg.MaxConnections, MaxInflightRequests: cfg.MaxInflightRequests,
		IdleTimeout: cfg.IdleTimeout, FrameTimeout: cfg.FrameTimeout}
	if got != want {
		t.Fatalf("config = %+v\nwant %+v", got, want)
	}
	if origin["tls-cert-file"] != "--tls-cert" || !strings.Contains(origin["tls-mode"], "tls.server.mode") {
		t.Fatalf("origin = %v", origin)
	}
	f, _, _ = parseBrokerFlags([]string{"--tls-mode", "strict"})
	cfg, origin, _ = f.config(log)
	if err := validateConfig(cfg, origin); err == nil || !strings.Contains(err.Error(), "(set by --tls-mode)") {
		t.Fatalf("--tls-mode strict: %v", err)
	}

	var help strings.Builder
	_, fs, _ := parseBrokerFlags([]string{"-h"})
	brokerUsage(&help, fs)
	for _, flag := range []string{"-tls-cert file", "-tls-key file", "-tls-mode mode", "-insecure", "-max-connections",
		"-max-inflight", "-idle-timeout duration", "-frame-timeout duration"} {
		if !strings.Contains(help.String(), flag) {
			t.Errorf("--help does not document %s:\n%s", flag, &help)
		}
	}
}

// A non-loopback listener without ACL is refused unless --insecure, which
// logs a warning; loopback, or ACL, need neither.
func TestBrokerRefusesExposedListenerWithoutACL(t *testing.T) {
	var stdout, stderr strings.Builder
	code := runBroker(t.Context(), []string{"--listen", "0.0.0.0:0", "--data", t.TempDir()}, &stdout, &stderr)
	if code != exitUsage || !strings.Contains(stderr.String(), "refusing to listen on 0.0.0.0:0 without ACL") ||
		!strings.Contains(stderr.String(), "--insecure") {
		t.Fatalf("exit %d, stderr:\n%s", code, &stderr)
	}

	var logs strings.Builder
	log := slog.New(slog.NewTextHandler(&logs, nil))
	if err := checkExposure(broker.Config{Listen: "0.0.0.0:9876"}, true, log); err != nil ||
		!strings.Contains(logs.String(), "level=WARN msg=\"INSECURE: listening on a non-loopback address without ACL") {
		t.Fatalf("--insecure: %v, log %q", err, &logs)
	}
	for _, tt := range []struct {
		cfg     broker.Config
		refused bool
	}{
		{broker.Config{Listen: "127.0.0.1:9876"}, false},
		{broker.Config{Listen: "[::1]:9876"}, false},
		{broker.Config{Listen: "localhost:9876"}, false},
		{broker.Config{Listen: ":9876"}, true},
		{broker.Config{Listen: "[::]:9876"}, true},
		{broker.Config{Listen: "10.1.2.3:9876"}, true},
		{broker.Config{Listen: "broker.example:9876"}, true},
		{broker.Config{Listen: "0.0.0.0:9876", ACLEnable: true}, false},
	} {
		err := checkExposure(tt.cfg, false, slog.New(slog.DiscardHandler))
		if (err != nil) != tt.refused {
			t.Errorf("%+v: %v, want refused %v", tt.cfg, err, tt.refused)
		}
	}
}

// `rocketkit broker --tls-cert --tls-key` serves TLS: a TLS client
// completes its handshake, trusting the test certificate.
func TestBrokerCommandServesTLS(t *testing.T) {
	cert := testcert.New(t)
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr clienttest.LockedBuffer
	done := make(chan int, 1)
	go func() {
		done <- runBroker(ctx, []string{"--listen", "127.0.0.1:0", "--data", t.TempDir(),
			"--tls-cert", cert.CertFile, "--tls-key", cert.KeyFile}, &stdout, &stderr)
	}()
	defer func() {
		cancel()
		if code := <-done; code != exitOK {
			t.Errorf("exit %d, stderr:\n%s", code, &stderr)
		}
	}()
	listening := regexp.MustCompile(`listening on (\S+) `)
	var addr string
	for deadline := time.Now().Add(60 * time.Second); addr == ""; time.Sleep(10 * time.Millisecond) {
		if m := listening.FindStringSubmatch(stdout.String()); m != nil {
			addr = m[1]
		} else if time.Now().After(deadline) {
			t.Fatalf("not listening; stderr:\n%s", &stderr)
		}
	}
	nc, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
	tc := cert.ClientConfig()
	tc.ServerName = "127.0.0.1"
	if err := tls.Client(nc, tc).Handshake(); err != nil {
		t.Fatalf("TLS handshake with `rocketkit broker --tls-cert`: %v", err)
	}
}
