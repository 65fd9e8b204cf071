// Command scenarios replays the RocketMQ study the kit answers (its
// experiments S1..S19, listed in README.md here) on an embedded broker:
// each scenario runs for real, through the kit's own client (package
// client) or the kit's starter, and prints what happened. Where the study's
// pitfall belonged to the official Go client rather than to RocketMQ, the
// line says so. S13 to S16 run on an in-process cluster (two name
// servers, two masters with a slave each); S17, DLedger's automatic
// failover, is Apache RocketMQ's, and its line says how to point the kit at it.
//
//	go run ./examples/scenarios            # all of them
//	go run ./examples/scenarios -only S12  # some of them
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/rocketkit/rocketkit/broker"
)

// txTimeout is the scenario broker's transactionTimeOut, short so that S12
// does not wait Java's 6 s for its first check-back.
const txTimeout = 500 * time.Millisecond

// scenario is one experiment of the study.
type scenario struct {
	id, title string
	run       func(context.Context, *env) (string, error)
}

var scenarios = []scenario{
	{"S1", "send to chosen queues", s1ChosenQueues},
	{"S2 S5 S8", "tags: one group per subscription", s2s5s8Tags},
	{"S3", "10,000 ordered messages", s3Ordered},
	{"S4 S7 S11", "orderly listeners, two members", s4s7s11Orderly},
	{"S6", "one group, one subscription", s6OneGroupOneSubscription},
	{"S9 S10", "send modes and instance names", s9s10SendModes},
	{"S12", "transactions with check-back", s12Transactions},
	{"S13", "send results and durability", s13SendResults},
	{"S13", "send results of a SYNC_MASTER", s13ClusterStatuses},
	{"S14", "queues over several masters", s14SeveralMasters},
	{"S15", "name servers", s15NameServers},
	{"S15", "losing one of two name servers", s15NameServerLoss},
	{"S16", "master down, reads from the slave", s16MasterDown},
	{"S17", "automatic failover (DLedger)", notReplayable(
		"Apache RocketMQ's job: a DLedger or controller-mode cluster elects a new master; point the kit at its name servers with rocketmq.name-server (or --namesrv), nothing else changes")},
	{"S18", "load on a small machine", s18Load},
	{"S19", "Spring-style integration", func(context.Context, *env) (string, error) {
		return "this program: S4, S6 and S15 run on starter.Module with struct-tag listeners and the template; the others on the kit's client (package client) directly", nil
	}},
}

func main() {
	only := flag.String("only", "", "run only these scenarios, e.g. S1,S12 (default all)")
	timeout := flag.Duration("timeout", time.Minute, "how long a scenario waits for its messages")
	flag.Parse()
	if err := run(context.Background(), os.Stdout, *only, *timeout); err != nil {
		fmt.Fprintln(os.Stderr, "scenarios:", err)
		os.Exit(1)
	}
}

// run starts the broker, runs the selected scenarios and reports each on
// out: "ok", "n/a" (needs Apache RocketMQ itself) or "FAILED". It fails if any failed.
func run(ctx context.Context, out io.Writer, only string, timeout time.Duration) error {
	selected, err := selectScenarios(only)
	if err != nil {
		return err
	}
	dir, cleanup, err := tempDir()
	if err != nil {
		return err
	}
	defer cleanup()
	b, err := broker.Start(ctx, broker.Config{Listen: "127.0.0.1:0", DataDir: dir,
		TransactionTimeout: txTimeout, TransactionCheckInterval: txTimeout})
	if err != nil {
		return err
	}
	defer b.Close()
	e, err := newEnv(b.Addr(), timeout)
	if err != nil {
		return err
	}
	defer e.Close()
	fmt.Fprintf(out, "embedded broker on %s\n", b.Addr())
	failed := 0
	for _, s := range selected {
		start := time.Now()
		res, err := s.run(ctx, e)
		var na errNotReplayable
		switch {
		case errors.As(err, &na):
			fmt.Fprintf(out, "%-10s n/a     %s: %s\n", s.id, s.title, na.answer)
		case err != nil:
			failed++
			fmt.Fprintf(out, "%-10s FAILED  %s: %v\n", s.id, s.title, err)
		default:
			fmt.Fprintf(out, "%-10s ok      %s: %s (%v)\n", s.id, s.title, res, time.Since(start).Round(time.Millisecond))
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d scenarios failed", failed, len(selected))
	}
	return nil
}

// selectScenarios returns the scenarios named in only (all when empty).
func selectScenarios(only string) ([]scenario, error) {
	if only == "" {
		return scenarios, nil
	}
	var out []scenario
	for _, id := range strings.Split(only, ",") {
		id = strings.ToUpper(strings.TrimSpace(id))
		found := false
		for _, s := range scenarios {
			if strings.Contains(" "+s.id+" ", " "+id+" ") {
				out = append(out, s)
				found = true
				break
			}
		}
		if !found {
			return nil, fmt.Errorf("-only: no scenario %q (S1..S19)", id)
		}
	}
	return out, nil
}

// tempDir makes a broker data directory and returns its removal.
func tempDir() (string, func(), error) {
	dir, err := os.MkdirTemp("", "rocketkit-scenarios-")
	if err != nil {
		return "", nil, err
	}
	return dir, func() { _ = os.RemoveAll(dir) }, nil
}

// waitUntil polls cond until it holds or timeout passes.
func waitUntil(timeout time.Duration, cond func() bool) error {
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			return fmt.Errorf("not within %v", timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return nil
}
