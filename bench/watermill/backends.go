package main

import (
	"context"
	stdsql "database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	natswm "github.com/ThreeDotsLabs/watermill-nats/v2/pkg/nats"
	sqlwm "github.com/ThreeDotsLabs/watermill-sql/v4/pkg/sql"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/pubsub/gochannel"
	_ "github.com/go-sql-driver/mysql"
	"github.com/nats-io/nats.go"

	"github.com/rocketkit/rocketkit/broker"
	"github.com/rocketkit/rocketkit/client"
	rmqwatermill "github.com/rocketkit/rocketkit/starter/watermill"
	"github.com/rocketkit/rocketkit/transport"
	"github.com/rocketkit/rocketkit/transport/official"
)

var logger = watermill.NopLogger{}

var backends = map[string]backend{
	"gochannel":          newGoChannel,
	"rocketkit":          newRocketKit,
	"rocketkit-official": newRocketKitOfficial,
	"sql":                newSQL,
	"nats":               newNATS,
}

// newGoChannel is watermill's in-process Pub/Sub, persistent so that the
// messages published before Subscribe are kept (as watermill-benchmark
// configures it).
func newGoChannel(string) (message.Publisher, message.Subscriber, func() error, error) {
	ps := gochannel.NewGoChannel(gochannel.Config{Persistent: true}, logger)
	return ps, ps, nil, nil
}

// newRocketKit is the adapter on the kit's own client; see rocketKit.
func newRocketKit(string) (message.Publisher, message.Subscriber, func() error, error) {
	return rocketKit(func(cfg client.Config) (transport.Backend, error) { return transport.Native(cfg) })
}

// newRocketKitOfficial is the adapter on the official Go client
// (transport/official), for comparison; see rocketKit.
func newRocketKitOfficial(string) (message.Publisher, message.Subscriber, func() error, error) {
	return rocketKit(func(cfg client.Config) (transport.Backend, error) {
		return official.New(cfg, official.WithLogger(slog.New(slog.DiscardHandler)))
	})
}

// rocketKit is the adapter on the embedded broker (started in a temp dir,
// in this process) or on -rocketmq-addr, with the publisher and the
// subscriber on one backend made by open. Both sides use their default
// configuration.
func rocketKit(open func(client.Config) (transport.Backend, error)) (message.Publisher, message.Subscriber, func() error, error) {
	addr := *rocketmqAddr
	var stop []func() error // run in reverse
	cleanup := func() error {
		var errs []error
		for i := len(stop) - 1; i >= 0; i-- {
			errs = append(errs, stop[i]())
		}
		return errors.Join(errs...)
	}
	if addr == "" {
		dir, err := os.MkdirTemp("", "watermill-bench-")
		if err != nil {
			return nil, nil, nil, err
		}
		b, err := broker.Start(context.Background(), broker.Config{Listen: "127.0.0.1:0", DataDir: dir})
		if err != nil {
			os.RemoveAll(dir)
			return nil, nil, nil, fmt.Errorf("start broker: %w", err)
		}
		addr = b.Addr()
		stop = append(stop, func() error {
			err := b.Close()
			os.RemoveAll(dir)
			return err
		})
	}
	backend, err := open(client.Config{NameServers: client.ParseNameServers(addr)})
	if err != nil {
		return nil, nil, cleanup, err
	}
	stop = append(stop, backend.Close)
	pub, err := rmqwatermill.NewPublisher(rmqwatermill.PublisherConfig{}, backend, logger)
	if err != nil {
		return nil, nil, cleanup, err
	}
	sub, err := rmqwatermill.NewSubscriber(rmqwatermill.SubscriberConfig{
		ConsumerGroup: "benchmark-{topic}",
	}, backend, logger)
	if err != nil {
		_ = pub.Close()
		return nil, nil, cleanup, err
	}
	return pub, sub, cleanup, nil
}

// newSQL is watermill-sql on MySQL/MariaDB with the default MySQL schema
// (payload column BLOB, as watermill-benchmark uses), the default batch
// size of 100 and a pool of -sql-conns connections.
func newSQL(topic string) (message.Publisher, message.Subscriber, func() error, error) {
	db, err := stdsql.Open("mysql", *mysqlDSN)
	if err != nil {
		return nil, nil, nil, err
	}
	// The publishers share the pool; MariaDB's default max_connections is
	// 151, less than -publishers.
	db.SetMaxOpenConns(*sqlConns)
	if err := db.Ping(); err != nil {
		db.Close()
		return nil, nil, nil, fmt.Errorf("ping %s: %w", *mysqlDSN, err)
	}
	schema := sqlwm.DefaultMySQLSchema{GeneratePayloadType: func(string) string { return "BLOB" }}
	offsets := sqlwm.DefaultMySQLOffsetsAdapter{}
	pub, err := sqlwm.NewPublisher(sqlwm.BeginnerFromStdSQL(db), sqlwm.PublisherConfig{SchemaAdapter: schema, AutoInitializeSchema: true}, logger)
	if err != nil {
		db.Close()
		return nil, nil, nil, err
	}
	sub, err := sqlwm.NewSubscriber(sqlwm.BeginnerFromStdSQL(db), sqlwm.SubscriberConfig{
		SchemaAdapter:    schema,
		OffsetsAdapter:   offsets,
		InitializeSchema: true,
		PollInterval:     10 * time.Millisecond,
	}, logger)
	if err != nil {
		db.Close()
		return nil, nil, nil, err
	}
	cleanup := func() error {
		defer db.Close()
		for _, table := range []string{schema.MessagesTable(topic), offsets.MessagesOffsetsTable(topic)} {
			if _, err := db.Exec("DROP TABLE IF EXISTS " + table); err != nil {
				return err
			}
		}
		return nil
	}
	return pub, sub, cleanup, nil
}

// newNATS is watermill-nats on NATS JetStream: a stream per topic created
// on demand, explicit acks (synchronous unless -nats-ack-async), a durable
// queue group of -nats-subscribers subscribers.
func newNATS(topic string) (message.Publisher, message.Subscriber, func() error, error) {
	options := []nats.Option{nats.RetryOnFailedConnect(true), nats.Timeout(30 * time.Second)}
	js := natswm.JetStreamConfig{
		AutoProvision:    true,
		SubscribeOptions: []nats.SubOpt{nats.DeliverAll(), nats.AckExplicit()},
		AckAsync:         *natsAckAsync,
		DurablePrefix:    "benchmark",
	}
	marshaler := &natswm.NATSMarshaler{}
	pub, err := natswm.NewPublisher(natswm.PublisherConfig{
		URL: *natsURL, NatsOptions: options, Marshaler: marshaler, JetStream: js,
	}, logger)
	if err != nil {
		return nil, nil, nil, err
	}
	sub, err := natswm.NewSubscriber(natswm.SubscriberConfig{
		URL:              *natsURL,
		QueueGroupPrefix: "benchmark",
		SubscribersCount: *natsSubs,
		AckWaitTimeout:   30 * time.Second,
		CloseTimeout:     30 * time.Second,
		NatsOptions:      options,
		Unmarshaler:      marshaler,
		JetStream:        js,
	}, logger)
	if err != nil {
		return nil, nil, nil, err
	}
	cleanup := func() error {
		nc, err := nats.Connect(*natsURL)
		if err != nil {
			return err
		}
		defer nc.Close()
		jsc, err := nc.JetStream()
		if err != nil {
			return err
		}
		err = jsc.DeleteStream(topic)
		if err != nil && strings.Contains(err.Error(), "not found") {
			return nil
		}
		return err
	}
	return pub, sub, cleanup, nil
}
