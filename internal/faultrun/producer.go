package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/rocketkit/rocketkit/outbox"
	"github.com/rocketkit/rocketkit/starter"
	"go.uber.org/fx"
)

// producerApp is the producer service: an fx app whose Template sends to
// the concurrent and orderly topics, and which writes orders with their
// outbox messages in MySQL transactions (relayed by the relay processes).
type producerApp struct {
	app *fx.App
	tpl *starter.Template
	db  *sql.DB
	pub *outbox.Publisher
	l   *ledger

	stop chan struct{}
	wg   sync.WaitGroup
}

func startProducer(namesrv string, db *sql.DB, l *ledger, log *slog.Logger) (*producerApp, error) {
	pub, err := outbox.NewPublisher(outboxConfig())
	if err != nil {
		return nil, err
	}
	p := &producerApp{db: db, pub: pub, l: l, stop: make(chan struct{})}
	p.app = fx.New(
		fx.NopLogger,
		starter.Module,
		starter.ConfigValues(map[string]any{
			"rocketmq.name-server":                   namesrv,
			"rocketmq.service-name":                  "faultrun",
			"rocketmq.instance-name":                 "producer",
			"rocketmq.producer.send-message-timeout": "2s",
		}),
		fx.Supply(log),
		fx.Populate(&p.tpl),
	)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := p.app.Start(ctx); err != nil {
		return nil, starter.Cause(err)
	}
	return p, nil
}

// Load shape.
const (
	concurrentSenders = 2
	orderlySenders    = 2
	keysPerSender     = 3
	outboxWriters     = 2
)

// startLoad starts the senders and writers; finish stops them.
func (p *producerApp) startLoad(seed uint64) {
	for w := range concurrentSenders {
		rng := rand.New(rand.NewPCG(seed, uint64(100+w)))
		n := 0
		p.loop(func() time.Duration {
			n++
			return p.sendConcurrent(fmt.Sprintf("c%d-%07d", w, n), rng)
		})
	}
	for w := range orderlySenders {
		rng := rand.New(rand.NewPCG(seed, uint64(200+w)))
		seqs := make([]int, keysPerSender)
		for i := range seqs {
			seqs[i] = 1
		}
		i := 0
		p.loop(func() time.Duration {
			k := i % keysPerSender
			i++
			return p.sendOrderly(fmt.Sprintf("key-%d-%d", w, k), &seqs[k], rng)
		})
	}
	for w := range outboxWriters {
		rng := rand.New(rand.NewPCG(seed, uint64(300+w)))
		next := int64(w+1) * 1_000_000_000
		p.loop(func() time.Duration { return p.writeOrders(&next, rng) })
	}
}

// loop runs step until finish, pausing as long as step says: the load's
// pace, and a back-off after a failure.
func (p *producerApp) loop(step func() time.Duration) {
	p.wg.Go(func() {
		for {
			select {
			case <-p.stop:
				return
			default:
			}
			pause := step()
			select {
			case <-p.stop:
				return
			case <-time.After(pause):
			}
		}
	})
}

// finish stops the load and waits for the sends in flight.
func (p *producerApp) finish() {
	close(p.stop)
	p.wg.Wait()
}

// sendConcurrent sends id to the concurrent listener.
func (p *producerApp) sendConcurrent(id string, rng *rand.Rand) time.Duration {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := p.tpl.Send(ctx, topicConcurrent, idPayload{ID: id})
	ok := err == nil && res.Status == starter.SendOK
	p.l.sent(id, ok)
	if !ok {
		return 100 * time.Millisecond
	}
	return time.Duration(5+rng.IntN(20)) * time.Millisecond
}

// sendOrderly sends key's next seq; it moves on only once the send
// returned SEND_OK.
func (p *producerApp) sendOrderly(key string, seq *int, rng *rand.Rand) time.Duration {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := p.tpl.SendOrderly(ctx, topicOrderly, seqPayload{Key: key, Seq: *seq}, key)
	ok := err == nil && res.Status == starter.SendOK
	p.l.sentOrderly(key, *seq, ok)
	if !ok {
		return 100 * time.Millisecond
	}
	*seq++
	return time.Duration(rng.IntN(10)) * time.Millisecond
}

// errCommit marks a failed COMMIT: the transaction's outcome is unknown.
var errCommit = errors.New("commit")

// writeOrders commits 1 to 3 orders, each with its outbox message, in one
// transaction.
func (p *producerApp) writeOrders(next *int64, rng *rand.Rand) time.Duration {
	n := 1 + rng.IntN(3)
	orders := make([]int64, n)
	msgs := make([]outbox.Message, n)
	for i := range orders {
		*next++
		orders[i] = *next
		msgs[i] = outbox.Message{Destination: topicOutbox, Payload: orderPayload{Order: *next}}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := func() error {
		tx, err := p.db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer func() { _ = tx.Rollback() }()
		for _, id := range orders {
			if _, err := tx.ExecContext(ctx, "INSERT INTO fr_orders (id) VALUES (?)", id); err != nil {
				return err
			}
		}
		if err := p.pub.Publish(ctx, tx, msgs...); err != nil {
			return err
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("%w: %w", errCommit, err)
		}
		return nil
	}()
	var commitErr, otherErr error
	if errors.Is(err, errCommit) {
		commitErr = err
	} else {
		otherErr = err
	}
	p.l.wrote(orders, commitErr, otherErr)
	if err != nil {
		return 100 * time.Millisecond
	}
	return time.Duration(5+rng.IntN(20)) * time.Millisecond
}
