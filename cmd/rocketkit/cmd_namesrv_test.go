package main

import (
	"bufio"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/admin"
	"github.com/rocketkit/rocketkit/broker"
	"github.com/rocketkit/rocketkit/broker/brokertest"
	"github.com/rocketkit/rocketkit/internal/clienttest"
)

// TestNamesrvCommand runs `rocketkit namesrv`, registers a broker with it
// (namesrvAddr) and finds the broker through it; cancelling the command's
// context stops it with exit code 0.
func TestNamesrvCommand(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	outR, outW := io.Pipe()
	var stderr clienttest.LockedBuffer
	exited := make(chan int, 1)
	go func() {
		code := runNamesrv(ctx, []string{"--listen", "127.0.0.1:0", "--log-level", "debug"}, outW, &stderr)
		_ = outW.Close()
		exited <- code
	}()
	lines := make(chan string, 4)
	go func() {
		sc := bufio.NewScanner(outR)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var addr string
	select {
	case l := <-lines:
		var ok bool
		if addr, ok = strings.CutPrefix(l, "rocketkit namesrv listening on "); !ok {
			t.Fatalf("stdout line %q", l)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("no listening line; stderr:\n%s", &stderr)
	}

	b := brokertest.Start(t, brokertest.WithConfig(func(c *broker.Config) {
		c.NamesrvAddr, c.BrokerName = addr, "broker-cli"
	}))
	adm, err := admin.New(admin.Config{NameServers: []string{addr}})
	if err != nil {
		t.Fatal(err)
	}
	info, err := adm.Cluster(t.Context())
	if err != nil || info.Brokers["broker-cli"].Master() != b.Addr() {
		t.Fatalf("cluster through rocketkit namesrv: %+v, %v", info, err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if info, err := adm.Cluster(t.Context()); err != nil || len(info.Brokers) != 0 {
		t.Fatalf("after the broker closed: %+v, %v", info, err)
	}

	cancel()
	select {
	case code := <-exited:
		if code != exitOK {
			t.Fatalf("exit code %d; stderr:\n%s", code, &stderr)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("rocketkit namesrv did not stop")
	}
	if !strings.Contains(stderr.String(), "broker registered") || !strings.Contains(stderr.String(), "broker unregistered") {
		t.Fatalf("log lacks the registration and unregistration:\n%s", &stderr)
	}
}

func TestNamesrvCommandUsage(t *testing.T) {
	tests := []struct {
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{[]string{"-h"}, exitOK, "Usage: rocketkit namesrv [flags]", ""},
		{[]string{"--listen", "0.0.0.0:0"}, exitUsage, "", "not a loopback address"},
		{[]string{"--broker-expiry", "1ms"}, exitUsage, "", "broker-expiry"},
		{[]string{"extra"}, exitUsage, "", `unexpected argument "extra"`},
	}
	for _, tt := range tests {
		var out, errOut strings.Builder
		code := runNamesrv(t.Context(), tt.args, &out, &errOut)
		if code != tt.code || !strings.Contains(out.String(), tt.stdout) || !strings.Contains(errOut.String(), tt.stderr) {
			t.Errorf("%v: code %d, stdout %q, stderr %q", tt.args, code, out.String(), errOut.String())
		}
	}
}
