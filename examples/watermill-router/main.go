// Command watermill-router runs a Watermill router on RocketMQ: RocketKit's
// embedded broker, started in a temporary directory, and the
// starter/watermill adapter on the kit's own client. Orders are published
// to "orders:created"; one handler turns each order into an invoice on
// "invoices", a second prints the invoices. An order that can never be
// billed goes to the dead-letter topic at once. The program exits by itself
// once every invoice is printed.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/rocketkit/rocketkit/broker"
	"github.com/rocketkit/rocketkit/client"
	rmqwatermill "github.com/rocketkit/rocketkit/starter/watermill"
	"github.com/rocketkit/rocketkit/transport"
)

type order struct {
	ID       string `json:"id"`
	Customer string `json:"customer"`
	Cents    int    `json:"cents"`
}

type invoice struct {
	Number string `json:"number"`
	Order  string `json:"order"`
	Cents  int    `json:"cents"`
}

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := run(ctx, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "watermill-router:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, out io.Writer) error {
	logger := watermill.NewSlogLogger(slog.New(slog.NewTextHandler(os.Stderr,
		&slog.HandlerOptions{Level: slog.LevelWarn})))

	dir, err := os.MkdirTemp("", "watermill-router-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	b, err := broker.Start(ctx, broker.Config{Listen: "127.0.0.1:0", DataDir: dir})
	if err != nil {
		return fmt.Errorf("start broker: %w", err)
	}
	defer b.Close()

	// One client (one connection to the broker) for the publisher and the
	// subscriber, closed after them. For a real cluster, list its name
	// servers (and Namespace, Credentials) here.
	backend, err := transport.Native(client.Config{NameServers: []string{b.Addr()}})
	if err != nil {
		return err
	}
	defer backend.Close()
	pub, err := rmqwatermill.NewPublisher(rmqwatermill.PublisherConfig{}, backend, logger)
	if err != nil {
		return err
	}
	defer pub.Close()
	sub, err := rmqwatermill.NewSubscriber(rmqwatermill.SubscriberConfig{
		// One group per topic: "billing-orders" and "billing-invoices".
		ConsumerGroup: "billing-{topic}",
	}, backend, logger)
	if err != nil {
		return err
	}
	defer sub.Close()

	orders := []order{
		{ID: "order-1", Customer: "ada", Cents: 4200},
		{ID: "order-2", Customer: "grace", Cents: 1999},
		{ID: "order-3", Customer: "edsger", Cents: 500},
	}

	router, err := message.NewRouter(message.RouterConfig{CloseTimeout: 10 * time.Second}, logger)
	if err != nil {
		return err
	}
	// Handler errors wrapped by rmqwatermill.Discard dead-letter the
	// message at once (%DLQ%billing-orders) instead of retrying it.
	router.AddMiddleware(rmqwatermill.DiscardMiddleware)
	router.AddHandler("bill", "orders:created", sub, "invoices", pub, bill)

	var (
		mu      sync.Mutex
		printed = map[string]bool{} // delivery is at least once
		done    = make(chan struct{})
	)
	router.AddConsumerHandler("print", "invoices", sub, func(msg *message.Message) error {
		var inv invoice
		if err := json.Unmarshal(msg.Payload, &inv); err != nil {
			return err
		}
		mu.Lock()
		defer mu.Unlock()
		if printed[inv.Number] {
			return nil
		}
		printed[inv.Number] = true
		fmt.Fprintf(out, "invoice %s for %s: %d.%02d EUR\n", inv.Number, inv.Order, inv.Cents/100, inv.Cents%100)
		if len(printed) == len(orders) {
			close(done)
		}
		return nil
	})

	runErr := make(chan error, 1)
	go func() { runErr <- router.Run(ctx) }()
	select {
	case <-router.Running():
	case err := <-runErr:
		return fmt.Errorf("router: %w", err)
	}

	for _, o := range orders {
		payload, _ := json.Marshal(o)
		msg := message.NewMessage(o.ID, payload)
		msg.Metadata.Set("customer", o.Customer)
		if err := pub.Publish("orders:created", msg); err != nil {
			return err
		}
	}

	select {
	case <-done:
	case <-ctx.Done():
		return fmt.Errorf("waiting for invoices: %w", ctx.Err())
	}
	if err := router.Close(); err != nil {
		return err
	}
	if err := <-runErr; err != nil {
		return fmt.Errorf("router: %w", err)
	}
	fmt.Fprintf(out, "processed %d orders through RocketMQ\n", len(orders))
	return nil
}

// bill turns an order into an invoice. An order that cannot be decoded or
// has no amount can never be billed: it is discarded to the dead-letter
// topic rather than retried.
func bill(msg *message.Message) ([]*message.Message, error) {
	var o order
	if err := json.Unmarshal(msg.Payload, &o); err != nil {
		return nil, rmqwatermill.Discard(err)
	}
	if o.Cents <= 0 {
		return nil, rmqwatermill.Discard(errors.New("order without amount"))
	}
	payload, err := json.Marshal(invoice{Number: "INV-" + o.ID, Order: o.ID, Cents: o.Cents})
	if err != nil {
		return nil, err
	}
	inv := message.NewMessage("invoice-"+o.ID, payload)
	inv.Metadata.Set("customer", msg.Metadata.Get("customer"))
	return []*message.Message{inv}, nil
}
