// Command watermill-bench compares RocketKit's Watermill adapter with other
// Watermill Pub/Subs the way github.com/ThreeDotsLabs/watermill-benchmark
// does: N publishers publish M messages to a fresh topic, then one
// subscriber consumes (and acks) all of them; each phase is reported in
// messages per second.
//
//	go run . -backends gochannel,rocketkit,rocketkit-official,sql,nats -count 50000 -size 16,256
//
// It lives in its own module so that the comparison-only dependencies
// (watermill-sql, watermill-nats, the MySQL driver) stay out of the kit's
// go.mod.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
)

var (
	backendsFlag   = flag.String("backends", "gochannel,rocketkit,sql,nats", "comma-separated: gochannel, rocketkit, rocketkit-official, sql, nats")
	countFlag      = flag.Int("count", 50000, "messages per run")
	sqlCountFlag   = flag.Int("sql-count", 10000, "messages per run for the sql backend (it is much slower)")
	sizesFlag      = flag.String("size", "16", "comma-separated message sizes in bytes")
	publishersFlag = flag.Int("publishers", 200, "concurrent publishing goroutines (watermill-benchmark uses 200)")
	timeoutFlag    = flag.Duration("timeout", 10*time.Minute, "give up on a run after this long")

	rocketmqAddr = flag.String("rocketmq-addr", "", "name servers of a running cluster (host:port;host:port); empty starts the embedded broker in a temp dir")
	mysqlDSN     = flag.String("mysql-dsn", envOr("MYSQL_DSN", "root@tcp(127.0.0.1:3306)/test"), "MySQL/MariaDB DSN for the sql backend (default $MYSQL_DSN)")
	sqlConns     = flag.Int("sql-conns", 32, "sql backend: connection pool size")
	natsURL      = flag.String("nats-url", envOr("NATS_URL", "nats://127.0.0.1:4222"), "NATS server with JetStream for the nats backend (default $NATS_URL)")
	natsAckAsync = flag.Bool("nats-ack-async", false, "nats backend: acknowledge asynchronously (faster, not confirmed)")
	natsSubs     = flag.Int("nats-subscribers", 16, "nats backend: concurrent subscribers (watermill-benchmark uses 16 and 48)")
)

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// result is one run.
type result struct {
	backend    string
	size       int
	count      int
	publish    time.Duration
	subscribe  time.Duration
	duplicates int
}

func main() {
	flag.Parse()
	log.SetFlags(0)

	var sizes []int
	for s := range strings.SplitSeq(*sizesFlag, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 0 {
			log.Fatalf("bad -size %q", s)
		}
		sizes = append(sizes, n)
	}

	var results []result
	for name := range strings.SplitSeq(*backendsFlag, ",") {
		name = strings.TrimSpace(name)
		b, ok := backends[name]
		if !ok {
			log.Fatalf("unknown backend %q", name)
		}
		count := *countFlag
		if name == "sql" {
			count = *sqlCountFlag
		}
		for _, size := range sizes {
			log.Printf("%s: %d messages of %d bytes, %d publishers", name, count, size, *publishersFlag)
			r, err := run(name, b, count, size)
			if err != nil {
				log.Fatalf("%s: %v", name, err)
			}
			log.Printf("%s: publish %.0f msg/s, subscribe %.0f msg/s", name, rate(r.count, r.publish), rate(r.count, r.subscribe))
			results = append(results, r)
		}
	}

	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "backend\tsize (B)\tmessages\tpublish (msg/s)\tsubscribe (msg/s)\tduplicates\t")
	for _, r := range results {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.0f\t%.0f\t%d\t\n", r.backend, r.size, r.count,
			rate(r.count, r.publish), rate(r.count, r.subscribe), r.duplicates)
	}
	tw.Flush()
}

func rate(n int, d time.Duration) float64 { return float64(n) / d.Seconds() }

// backend creates a publisher and a subscriber for topic; cleanup (may be
// nil) removes what the run left behind.
type backend func(topic string) (pub message.Publisher, sub message.Subscriber, cleanup func() error, err error)

func run(name string, b backend, count, size int) (result, error) {
	topic := "benchmark_" + watermill.NewShortUUID()
	pub, sub, cleanup, err := b(topic)
	if err != nil {
		return result{}, err
	}
	if cleanup != nil {
		defer func() {
			if err := cleanup(); err != nil {
				log.Printf("%s: cleanup: %v", name, err)
			}
		}()
	}
	res := result{backend: name, size: size, count: count}

	// Publish phase: N goroutines, one message per Publish call.
	payload := make([]byte, size)
	for i := range payload {
		payload[i] = byte('a' + i%26)
	}
	work := make(chan *message.Message)
	errs := make(chan error, *publishersFlag)
	var wg sync.WaitGroup
	start := time.Now()
	for range *publishersFlag {
		wg.Go(func() {
			for msg := range work {
				if err := pub.Publish(topic, msg); err != nil {
					errs <- err
					for range work { // drain
					}
					return
				}
			}
		})
	}
	for range count {
		work <- message.NewMessage(watermill.NewULID(), payload)
	}
	close(work)
	wg.Wait()
	res.publish = time.Since(start)
	select {
	case err := <-errs:
		return res, fmt.Errorf("publish: %w", err)
	default:
	}

	// Subscribe phase: one subscription, every message acked.
	ctx, cancel := context.WithTimeout(context.Background(), *timeoutFlag)
	defer cancel()
	start = time.Now()
	msgs, err := sub.Subscribe(ctx, topic)
	if err != nil {
		return res, fmt.Errorf("subscribe: %w", err)
	}
	seen := make(map[string]struct{}, count)
	for len(seen) < count {
		select {
		case msg, ok := <-msgs:
			if !ok {
				return res, fmt.Errorf("subscription closed after %d of %d messages", len(seen), count)
			}
			if _, dup := seen[msg.UUID]; dup {
				res.duplicates++
			}
			seen[msg.UUID] = struct{}{}
			msg.Ack()
		case <-ctx.Done():
			return res, fmt.Errorf("received %d of %d messages: %w", len(seen), count, ctx.Err())
		}
	}
	res.subscribe = time.Since(start)

	if err := pub.Close(); err != nil {
		return res, fmt.Errorf("close publisher: %w", err)
	}
	if err := sub.Close(); err != nil {
		return res, fmt.Errorf("close subscriber: %w", err)
	}
	return res, nil
}
