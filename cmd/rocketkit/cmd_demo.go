package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rocketkit/rocketkit/broker"
	"github.com/rocketkit/rocketkit/client"
	"github.com/rocketkit/rocketkit/transport"
	"github.com/rocketkit/rocketkit/transport/official"
)

// runDemo starts an embedded broker and drives it end to end through a
// client (the kit's own, or --client official): an orders flow sent with a sharding key, consumed by a
// clustering group filtering on tags, with a summary at the end. It exits
// non-zero if any message is missing.
func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	orders := fs.Int("orders", 200, "number of orders; each sends a created and a paid message")
	dataDir := fs.String("data", "", "broker data directory (default: a temporary one, removed afterwards)")
	timeout := fs.Duration("timeout", 60*time.Second, "give up when not everything is consumed by then")
	which := fs.String("client", transport.NativeName, "the client: rocketkit (the kit's own) or official (github.com/apache/rocketmq-client-go/v2)")
	var cf connFlags
	cf.defineCredentials(fs)
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: rocketkit demo [flags]\n\nRuns the embedded broker and an orders flow through a RocketMQ client.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if *orders < 1 {
		fmt.Fprintln(stderr, "rocketkit demo: -orders must be at least 1")
		return exitUsage
	}
	if *which != transport.NativeName && *which != official.Name {
		fmt.Fprintf(stderr, "rocketkit demo: -client %q: want rocketkit or official\n", *which)
		return exitUsage
	}
	cn, err := cf.resolve()
	if err != nil {
		fmt.Fprintln(stderr, "rocketkit demo:", err)
		return exitUsage
	}
	if err := demo(ctx, *which, *orders, *dataDir, *timeout, cn, stdout); err != nil {
		fmt.Fprintln(stderr, "rocketkit demo:", err)
		return exitFailure
	}
	return exitOK
}

// demo runs the flow. With credentials (--ak/--sk), the broker enforces
// ACL: a plain_acl.yml in dataDir grants that one account PUB|SUB.
func demo(ctx context.Context, which string, orders int, dataDir string, timeout time.Duration, cn conn, out io.Writer) error {
	if dataDir == "" {
		dir, err := os.MkdirTemp("", "rocketkit-demo-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		dataDir = dir
	}
	routeClientLogs(nil)
	start := time.Now()
	bc := broker.Config{Listen: "127.0.0.1:0", DataDir: dataDir, MaxPullHold: 2 * time.Second}
	if !cn.cred.IsZero() {
		bc.ACLEnable, bc.ACLFile = true, filepath.Join(dataDir, "plain_acl.yml")
		yml := fmt.Sprintf("accounts:\n  - accessKey: %s\n    secretKey: %s\n    defaultTopicPerm: PUB|SUB\n    defaultGroupPerm: SUB\n",
			strconv.Quote(cn.cred.AccessKey), strconv.Quote(cn.cred.SecretKey))
		if err := os.WriteFile(bc.ACLFile, []byte(yml), 0o600); err != nil {
			return err
		}
	}
	b, err := broker.Start(ctx, bc)
	if err != nil {
		return err
	}
	defer b.Close()
	fmt.Fprintf(out, "broker   listening on %s (data %s), started in %v\n", b.Addr(), dataDir, time.Since(start).Round(time.Microsecond))
	if bc.ACLEnable {
		fmt.Fprintf(out, "broker   enforces ACL: account %s may send and consume\n", cn.cred.AccessKey)
	}

	backend, err := newBackend(which, []string{b.Addr()}, cn)
	if err != nil {
		return err
	}
	defer backend.Close()
	p, err := backend.NewProducer(client.ProducerConfig{Group: "demo-orders-producer"})
	if err != nil {
		return err
	}
	defer p.Close()

	const topic = "demo-orders"
	want := 2 * orders
	var mu sync.Mutex
	seen := make(map[string]bool, want)
	done := make(chan struct{})
	c, err := backend.NewConsumer(client.ConsumerConfig{Group: "demo-billing", ConsumeFrom: client.ConsumeFromFirstOffset,
		Subscriptions: []client.Subscription{{Topic: topic, Expression: "created || paid"}}},
		func(_ context.Context, msgs []*client.MessageExt) client.ConsumeResult {
			mu.Lock()
			defer mu.Unlock()
			for _, m := range msgs {
				seen[strings.Join(m.Keys, " ")+"/"+m.Tag] = true
			}
			if len(seen) == want {
				select {
				case <-done:
				default:
					close(done)
				}
			}
			return client.ConsumeSuccess
		})
	if err != nil {
		return err
	}
	if err := c.Start(ctx); err != nil {
		return err
	}
	defer c.Close(context.WithoutCancel(ctx))

	sendStart := time.Now()
	for i := range orders {
		key := fmt.Sprintf("order-%05d", i)
		for _, tag := range []string{"created", "paid"} {
			msg := &client.Message{Topic: topic, Tag: tag, Keys: []string{key},
				Body: []byte(`{"order":"` + key + `","event":"` + tag + `"}`)}
			res, err := p.Send(ctx, msg, client.HashKey(key))
			if err != nil {
				return fmt.Errorf("send %s %s: %w", key, tag, err)
			}
			if res.Status != client.SendOK {
				return fmt.Errorf("send %s %s: status %v", key, tag, res.Status)
			}
		}
	}
	sendTook := time.Since(sendStart)
	fmt.Fprintf(out, "producer sent %d messages (sync, sharded by order key, client %s) in %v: %.0f msg/s\n",
		want, backend.Name(), sendTook.Round(time.Millisecond), float64(want)/sendTook.Seconds())

	select {
	case <-done:
	case <-time.After(timeout):
	case <-ctx.Done():
		return context.Cause(ctx)
	}
	mu.Lock()
	got := len(seen)
	mu.Unlock()
	fmt.Fprintf(out, "consumer group demo-billing received %d of %d distinct messages %v after the first send\n",
		got, want, time.Since(sendStart).Round(time.Millisecond))
	if got != want {
		return fmt.Errorf("%d of %d messages were not consumed within %v", want-got, want, timeout)
	}
	fmt.Fprintln(out, "demo OK")
	return nil
}
