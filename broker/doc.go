// Package broker is RocketKit's embedded Apache RocketMQ name server and
// broker: one process, one listener, speaking RocketMQ's remoting protocol
// so the official Go client (github.com/apache/rocketmq-client-go/v2) works
// against it unchanged.
//
// # Starting
//
// Start returns a running broker; Close stops it cleanly (flush,
// checkpoint). Give clients Addr as their name server:
//
//	b, err := broker.Start(ctx, broker.Config{DataDir: dir})
//	...
//	p, _ := rocketmq.NewProducer(producer.WithNameServer(primitive.NamesrvAddr{b.Addr()}))
//
// Tests use package brokertest, which picks a free port and a temporary
// directory. The rocketkit CLI runs the same broker (rocketkit broker) and
// reads RocketMQ's own broker.conf keys (ParseBrokerConf).
//
// # What it serves
//
// Name-server requests (routes, topic list, cluster info) and broker
// requests (send, batch send, pull with long polling, consumer groups and
// offsets, orderly queue locks, topic admin) on the same address; route
// data advertises that address as master (id 0) of one broker. Each request
// code is handled in its own file, handle_<code>_<name>.go, whose comment
// states the behaviour and any deviation from the Java broker. What is not
// supported yet is listed in UNSUPPORTED.md; lock ordering is in LOCKS.md.
//
// # Storage
//
// Messages live in package store: a commit log of segment files in the
// stored-message encoding (a pull answer is a slice of it), consume queues,
// a key index, a checkpoint and an abort marker for crash recovery. Topics
// and consumer offsets are JSON files under DataDir/config, replaced
// atomically.
//
// # Bad input
//
// Malformed or oversized frames close that connection only; illegal topic
// or group names, oversized bodies and unknown request codes get RocketMQ
// error responses (INVALID_PARAMETER, MESSAGE_ILLEGAL,
// REQUEST_CODE_NOT_SUPPORTED) with a remark the client shows.
package broker
