// Package transport is the seam between the kit (starter, listener
// containers, outbox, txcheck, the watermill adapter, the CLI) and a
// RocketMQ client. The kit sends and consumes through the small Backend,
// Producer and Consumer interfaces here, with the message types of package
// client, and never names a client implementation itself.
//
// # Backends
//
//   - Native (the default) runs on the kit's own client, package client:
//     race-free, one pipelined connection per broker shared by every
//     producer and consumer of the process.
//   - Package transport/official runs on the official Go client
//     (github.com/apache/rocketmq-client-go/v2), for services that want it.
//     Importing it registers it under "official" (Register, Open), as
//     database/sql drivers register; then rocketmq.client: official in the
//     starter's configuration selects it (--client official on the CLI).
//
// Both pass one contract suite (transporttest), which holds the behaviours
// the kit relies on: send modes, tags, per-key order, balance on join and
// leave, broadcasting, retry and dead letters, delay, transactions with
// check-back, shutdown drain and broker restart.
package transport
