package outbox_test

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/broker/brokertest"
	"github.com/rocketkit/rocketkit/client"
	"github.com/rocketkit/rocketkit/outbox"
	"github.com/rocketkit/rocketkit/outbox/outboxtest"
)

// benchWriters is the number of concurrent writers of the publish
// benchmarks.
const benchWriters = 8

// benchPayload is a ~200-byte order event.
type benchPayload struct {
	Order    string  `json:"order"`
	Customer string  `json:"customer"`
	Items    []int   `json:"items"`
	Amount   float64 `json:"amount"`
	Note     string  `json:"note"`
}

func newBenchPayload(rng *rand.Rand) (string, benchPayload) {
	order := fmt.Sprintf("order-%d", rng.IntN(10000))
	return order, benchPayload{Order: order, Customer: fmt.Sprintf("customer-%d", rng.IntN(1000)),
		Items: []int{rng.IntN(100), rng.IntN(100), rng.IntN(100)}, Amount: rng.Float64() * 1000,
		Note: "a benchmark order event padded to about two hundred bytes of JSON........."}
}

// runWriters runs n transactions split over benchWriters goroutines.
func runWriters(b *testing.B, n int, tx func(ctx context.Context, rng *rand.Rand) error) {
	var wg sync.WaitGroup
	errs := make(chan error, benchWriters)
	for w := range benchWriters {
		share := n / benchWriters
		if w < n%benchWriters {
			share++
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), uint64(time.Now().UnixNano())))
			for range share {
				if err := tx(context.Background(), rng); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
}

// BenchmarkPublish compares, in one run, 8 writers committing a bare
// INSERT of a ~200-byte row (one transaction per row) with 8 writers
// publishing the same payload through the outbox (one transaction per
// message) while a relay sends it to the broker. Each iteration runs both
// phases, alternating which goes first, with PUBLISH_ROWS rows each
// (default 10,000); the outbox phase ends when the relay has sent every
// row, so its rate is end to end. It also reports the CPU time per row of
// this process (writers, relay, broker) and of a local mariadbd/mysqld
// (cpu: both; db-cpu: the server's): on a machine shared with other work
// that is the steadier figure.
//
// Two more phases tell where the outbox's cost lies: insert-only writes
// the outbox rows with no relay running (what the outbox INSERT itself
// costs the writers: no relay can make the end-to-end rate exceed it),
// and discard runs the relay with a sender that drops every message (the
// relay's database work without the sends: the gap between it and the
// outbox phase is what the client and the broker cost).
//
//	go test -run '^$' -bench Publish -benchtime=4x ./outbox
func BenchmarkPublish(b *testing.B) {
	rows := envInt("PUBLISH_ROWS", 10000)
	db := outboxtest.Open(b, "interpolateParams=true")
	db.SetMaxOpenConns(64)
	db.SetMaxIdleConns(64)
	brk := brokertest.Start(b)

	bare := "bare_publish"
	if _, err := db.Exec("CREATE TABLE " + bare + " (id BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY, msg_key VARCHAR(64) NOT NULL, " +
		"order_id VARCHAR(64) NOT NULL, payload MEDIUMBLOB NOT NULL, created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6))"); err != nil {
		b.Fatal(err)
	}
	insert := "INSERT INTO " + bare + " (msg_key, order_id, payload) VALUES (?, ?, ?)"
	runBare := func() time.Duration {
		start := time.Now()
		runWriters(b, rows, func(ctx context.Context, rng *rand.Rand) error {
			order, p := newBenchPayload(rng)
			body, err := outbox.JSONCodec{}.Encode(outbox.EncodeParams{Payload: p})
			if err != nil {
				return err
			}
			return outbox.WithTx(ctx, db, func(ctx context.Context, tx *sql.Tx) error {
				_, err := tx.ExecContext(ctx, insert, outbox.NewKey(), order, body)
				return err
			})
		})
		return time.Since(start)
	}

	// publishPhase returns a phase in which the writers publish to table,
	// ending, when relay is not nil, once it has sent every row.
	publishPhase := func(table string, relay func(outbox.Config) *outbox.Relay) func() time.Duration {
		cfg := outbox.Config{Table: table}
		if err := outbox.Migrate(context.Background(), db.DB, cfg); err != nil {
			b.Fatal(err)
		}
		pub, err := outbox.NewPublisher(cfg)
		if err != nil {
			b.Fatal(err)
		}
		var r *outbox.Relay
		if relay != nil {
			r = relay(cfg)
		}
		topic := uniqueTopic("bench_e2e")
		return func() time.Duration {
			start := time.Now()
			runWriters(b, rows, func(ctx context.Context, rng *rand.Rand) error {
				order, p := newBenchPayload(rng)
				return outbox.WithTx(ctx, db, func(ctx context.Context, tx *sql.Tx) error {
					return pub.Publish(ctx, tx, outbox.Message{Destination: topic + ":created", Payload: p, ShardingKey: order})
				})
			})
			if r != nil {
				waitBacklog(b, r, 10*time.Minute)
			}
			return time.Since(start)
		}
	}
	var relay *outbox.Relay
	runOutbox := publishPhase("outbox_publish", func(cfg outbox.Config) *outbox.Relay {
		relay = startRelay(b, db.DB, cfg, startProducer(b, brk), outboxtest.KeyLookup(b, brk.Addr()))
		return relay
	})
	runInsertOnly := publishPhase("outbox_insert_only", nil)
	runDiscard := publishPhase("outbox_discard", func(cfg outbox.Config) *outbox.Relay {
		return startRelay(b, db.DB, cfg, discardSender{}, outboxtest.KeyLookup(b, brk.Addr()))
	})

	// Per phase: wall time, and CPU time of this process and of the
	// database server.
	type phase struct{ wall, self, db time.Duration }
	var pBare, pOutbox, pInsert, pDiscard phase
	measure := func(run func() time.Duration, p *phase) {
		s0, d0 := cpuNow()
		p.wall += run()
		s1, d1 := cpuNow()
		p.self += s1 - s0
		p.db += d1 - d0
	}
	for i := 0; b.Loop(); i++ {
		if i%2 == 0 {
			measure(runBare, &pBare)
			measure(runOutbox, &pOutbox)
		} else {
			measure(runOutbox, &pOutbox)
			measure(runBare, &pBare)
		}
		measure(runInsertOnly, &pInsert)
		measure(runDiscard, &pDiscard)
	}
	n := float64(rows * b.N)
	perRow := func(d time.Duration) float64 { return float64(d.Microseconds()) / n }
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(n/pBare.wall.Seconds(), "bare-rows/s")
	b.ReportMetric(n/pOutbox.wall.Seconds(), "outbox-rows/s")
	b.ReportMetric(100*pBare.wall.Seconds()/pOutbox.wall.Seconds(), "outbox-%-of-bare")
	b.ReportMetric(perRow(pBare.self+pBare.db), "bare-cpu-µs/row")
	b.ReportMetric(perRow(pOutbox.self+pOutbox.db), "outbox-cpu-µs/row")
	b.ReportMetric(perRow(pBare.db), "bare-db-cpu-µs/row")
	b.ReportMetric(perRow(pOutbox.db), "outbox-db-cpu-µs/row")
	b.ReportMetric(100*pBare.wall.Seconds()/pInsert.wall.Seconds(), "insert-only-%-of-bare")
	b.ReportMetric(perRow(pInsert.self+pInsert.db), "insert-only-cpu-µs/row")
	b.ReportMetric(100*pBare.wall.Seconds()/pDiscard.wall.Seconds(), "discard-%-of-bare")
	b.ReportMetric(perRow(pDiscard.self+pDiscard.db), "discard-cpu-µs/row")
	if st := relay.Stats(); st.Batches > 0 {
		b.ReportMetric(float64(st.Sent)/float64(st.Batches), "rows/send")
	}
}

// BenchmarkRelayDrain measures how fast one relay (default configuration)
// empties a backlog of 100,000 committed rows (10,000 sharding keys) into
// the broker. Each iteration fills and drains 100k rows; DRAIN_WORKERS and
// DRAIN_BATCH override Relay.Workers and Relay.BatchSize.
//
//	go test -run '^$' -bench RelayDrain -benchtime=3x ./outbox
func BenchmarkRelayDrain(b *testing.B) {
	const backlog = 100_000
	db := outboxtest.Open(b, "interpolateParams=true")
	db.SetMaxOpenConns(64)
	brk := brokertest.Start(b)
	var total time.Duration
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		cfg := outbox.Config{Table: fmt.Sprintf("drain_%d", i)}
		cfg.Relay.Workers = envInt("DRAIN_WORKERS", 0)
		cfg.Relay.BatchSize = envInt("DRAIN_BATCH", 0)
		topic := uniqueTopic("bench_drain")
		fillBacklog(b, db.DB, cfg, topic, backlog)
		p := startProducer(b, brk)
		r, err := outbox.NewRelay(cfg, db, p, outboxtest.KeyLookup(b, brk.Addr()))
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := time.Now()
		if err := r.Start(context.Background()); err != nil {
			b.Fatal(err)
		}
		waitBacklog(b, r, 10*time.Minute)
		elapsed := time.Since(start)
		b.StopTimer()
		_ = r.Close()
		total += elapsed
		b.StartTimer()
	}
	b.ReportMetric(float64(backlog*b.N)/total.Seconds(), "rows/s")
}

// fillBacklog commits n rows in transactions of 2,000.
func fillBacklog(b testing.TB, db *sql.DB, cfg outbox.Config, topic string, n int) {
	fillBacklogT(b, db, cfg, topic, n)
}

func fillBacklogT(b testing.TB, db *sql.DB, cfg outbox.Config, topic string, n int) {
	b.Helper()
	if err := outbox.Migrate(context.Background(), db, cfg); err != nil {
		b.Fatal(err)
	}
	pub, err := outbox.NewPublisher(cfg)
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for done := 0; done < n; {
		k := min(2000, n-done)
		msgs := make([]outbox.Message, k)
		for i := range msgs {
			order, p := newBenchPayload(rng)
			msgs[i] = outbox.Message{Destination: topic + ":created", Payload: p, ShardingKey: order}
		}
		if err := pub.Publish(context.Background(), db, msgs...); err != nil {
			b.Fatal(err)
		}
		done += k
	}
}

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return n
	}
	return def
}

// discardSender accepts every message and sends nothing: BenchmarkPublish's
// discard phase runs the relay without the client and the broker.
type discardSender struct{}

func (discardSender) Send(context.Context, *client.Message, ...client.SendOption) (*client.SendResult, error) {
	return &client.SendResult{Status: client.SendOK}, nil
}

func (discardSender) SendBatch(context.Context, []*client.Message, ...client.SendOption) (*client.SendResult, error) {
	return &client.SendResult{Status: client.SendOK}, nil
}
