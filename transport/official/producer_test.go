package official_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/broker/brokertest"
	"github.com/rocketkit/rocketkit/client"
	"github.com/rocketkit/rocketkit/internal/clienttest"
	"github.com/rocketkit/rocketkit/transport"
	"github.com/rocketkit/rocketkit/transport/official"
)

// The first sends of a new producer to a new topic, made at once, all get
// through. The official client publishes a topic's queues to the other
// sends of a client object before the broker's address, and a send finding
// a queue but no address fails at once with "route info not found"; the
// backend makes a topic's first sends take turns (firstSends). Each round
// has a fresh producer (its own client instance, which knows no broker
// yet) and a fresh topic; the senders start one after another, so that
// some look the route up while the first is storing it. Every send mode
// takes part, SendInTransaction (a client object of its own) on the
// transaction producers of the odd rounds. Without the turns, most runs
// fail.
func TestConcurrentFirstSendsToANewTopic(t *testing.T) {
	b := brokertest.Start(t)
	be, err := official.New(client.Config{NameServers: []string{b.Addr()}}, official.WithQuietWait(b.WaitQuiet))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = be.Close() })
	const rounds, senders = 30, 200
	for r := range rounds {
		cfg := client.ProducerConfig{Group: clienttest.UniqueName("first-send")}
		var p transport.Producer
		if r%2 == 0 {
			p, err = be.NewProducer(cfg)
		} else {
			p, err = be.NewTransactionProducer(cfg, client.TransactionCheckerFunc(func(context.Context, *client.MessageExt) client.TransactionState {
				return client.RollbackTransaction
			}))
		}
		if err != nil {
			t.Fatal(err)
		}
		topic := clienttest.UniqueName("first-send")
		var (
			wg     sync.WaitGroup
			mu     sync.Mutex
			failed []error
		)
		for i := range senders {
			wg.Go(func() {
				msg := &client.Message{Topic: topic, Body: fmt.Appendf(nil, "%d", i)}
				if err := sendOnce(t.Context(), p, i, r%2 == 1, msg); err != nil {
					mu.Lock()
					failed = append(failed, err)
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if len(failed) > 0 {
			t.Errorf("round %d: %d of %d first sends failed, the first with: %v", r, len(failed), senders, failed[0])
		}
		if err := p.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// sendOnce sends msg in the mode i picks: sync, batch, async, one-way, and
// with tx in a transaction.
func sendOnce(ctx context.Context, p transport.Producer, i int, tx bool, msg *client.Message) error {
	switch i % 5 {
	case 1:
		_, err := p.SendBatch(ctx, []*client.Message{msg})
		return err
	case 2:
		done := make(chan error, 1)
		p.SendAsync(ctx, msg, func(_ *client.SendResult, err error) { done <- err })
		return <-done
	case 3:
		return p.SendOneway(ctx, msg)
	case 4:
		if tx {
			_, _, err := p.SendInTransaction(ctx, msg, func(context.Context, *client.SendResult) client.TransactionState {
				return client.CommitTransaction
			})
			return err
		}
	}
	_, err := p.Send(ctx, msg)
	return err
}

// A transaction's first send to a topic lets the topic's other sends go
// once its half message got through, before its local transaction runs:
// here the local transaction sends a transaction to the same topic itself,
// which would otherwise wait for the turn the outer one holds.
func TestFirstTransactionLetsItsLocalTransactionSend(t *testing.T) {
	b := brokertest.Start(t)
	be, err := official.New(client.Config{NameServers: []string{b.Addr()}}, official.WithQuietWait(b.WaitQuiet))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = be.Close() })
	p, err := be.NewTransactionProducer(client.ProducerConfig{Group: clienttest.UniqueName("nested-tx")},
		client.TransactionCheckerFunc(func(context.Context, *client.MessageExt) client.TransactionState {
			return client.RollbackTransaction
		}))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = p.Close() }()
	topic := clienttest.UniqueName("nested-tx")
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	var innerErr error
	_, state, err := p.SendInTransaction(ctx, &client.Message{Topic: topic, Body: []byte("outer")},
		func(ctx context.Context, _ *client.SendResult) client.TransactionState {
			_, _, innerErr = p.SendInTransaction(ctx, &client.Message{Topic: topic, Body: []byte("inner")},
				func(context.Context, *client.SendResult) client.TransactionState { return client.CommitTransaction })
			return client.CommitTransaction
		})
	if err != nil || state != client.CommitTransaction {
		t.Fatalf("outer transaction: %v, %v", state, err)
	}
	if innerErr != nil {
		t.Fatalf("inner transaction: %v", innerErr)
	}
}
