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
//	b, err := broker.Start(ctx, broker.Config{Listen: "127.0.0.1:0", DataDir: dir})
//	...
//	p, err := producer.NewDefaultProducer(
//		producer.WithNameServer(primitive.NamesrvAddr{b.Addr()}), // an IP literal, as the client requires
//		...
//	)
//
// Tests use package brokertest, which picks a free port and a temporary
// directory. The rocketkit CLI runs the same broker (rocketkit broker) and
// reads RocketMQ's own broker.conf keys (ParseBrokerConf).
//
// # What it serves
//
// Name-server requests (routes, topic list, cluster info) and broker
// requests (send, batch send, pull with long polling and filtering by tag
// or by SQL92 selector over message properties (package sqlfilter),
// consumer groups and offsets, orderly queue locks, topic admin) on the
// same address; route data advertises that address as master (id 0) of
// one broker.
//
// # Cluster mode
//
// With Config.NamesrvAddr (namesrvAddr in a broker.conf) the broker
// registers with those name servers instead (cluster.go; package namesrv
// is one, Apache RocketMQ's mqnamesrv another): REGISTER_BROKER with its
// topic table at start, every RegisterNameServerPeriod (30s) and before
// answering a request that created or deleted a topic; UNREGISTER_BROKER
// at Close. It registers under BrokerName, BrokerID and ClusterName with
// its advertised address and, as the HA address, the listening port plus
// one (what a Java broker without haListenPort sends). It then answers
// name-server requests REQUEST_CODE_NOT_SUPPORTED, as a Java broker
// does; clients ask the name servers. Each request code is handled in its own file,
// handle_<code>_<name>.go, whose comment states the behaviour and any
// deviation from the Java broker. What is not supported yet is listed in
// UNSUPPORTED.md; lock ordering is in LOCKS.md.
//
// # Storage
//
// Messages live in package store: a commit log of segment files in the
// stored-message encoding (a pull answer is a slice of it), consume queues,
// a key index, a checkpoint and an abort marker for crash recovery. The
// broker's own metadata are JSON files under DataDir/config, each replaced
// atomically (configFile): topics.json (topic configuration),
// consumerOffset.json (each group's offsets), delayOffset.json (how far
// each delay level's schedule queue is delivered), timer.json (which
// timed messages are delivered) and subscriptionGroup.json (the consumer
// groups' settings, in Java's layout). Transactions need no file: pending half
// messages are rebuilt from the half and op queues at start.
//
// # Layout
//
// A request's path runs down through three layers, never up:
//
//   - conn.go reads frames and dispatches them to handle_<code>_<name>.go:
//     one file per request code that decodes the request and answers it;
//     no other file calls into a handler.
//   - The core paths the handlers call: send.go (the send path SEND_MESSAGE
//     and batches share), put.go (every way a message enters the store,
//     and parking of delayed ones), pull.go and pull_hold.go (serving and
//     holding pulls), retry.go (send-back, retry and dead-letter routing),
//     query.go, route.go, response.go, reply.go (request-reply: pushing
//     a reply to its requester, then storing it).
//   - The components with state of their own: topics.go, offsets.go,
//     clients.go, locks.go, transaction.go (half messages and check-back),
//     delay_level.go (DELAY levels), delay_time.go (TIMER_DELIVER_MS). The
//     delay, timer and transaction components get what they need (the store,
//     a putter that stores a message, the client table) rather than the
//     *Broker.
//
// traffic.go counts messages and bytes per topic and group on the paths
// above (atomic adds); introspect.go and stats.go are read-only views for
// observers such as package broker/brokermetrics (Prometheus).
//
// errors.go holds the package's sentinel errors; LOCKS.md the lock order.
// Tests of time-driven behaviour run in a testing/synctest bubble over
// internal/memnet (virtualtime_test.go).
//
// # ACL
//
// With Config.ACLEnable (aclEnable=true in a broker.conf; `rocketkit
// broker --acl FILE`), every request is checked against a RocketMQ 4.x
// plain_acl.yml (Config.ACLFile, else the one next to the broker.conf,
// else $ROCKETMQ_HOME/conf/plain_acl.yml) before its handler runs:
// conn.go calls admit (acl.go), which asks package broker/acl. A request
// passes from a white-listed address, or signed by a known account
// (ACL 1.0, as the clients' Credentials sign) that holds the permission
// its code needs on its topic and group; admin-only codes need an admin
// account; name-server requests are not checked, as RocketMQ 4.x's name
// server has none. Any other request is answered NO_PERMISSION with a
// remark saying what was missing ("No permission: account ak1 has no PUB
// on topic T"); the connection stays open. The file is read again every
// two seconds; a change applies from the next request, and a file that
// no longer parses keeps the last good ACL and is logged. Without
// ACLEnable nothing is checked.
//
// # TLS
//
// With Config.TLSCertFile and TLSKeyFile (or WithTLSConfig) the listener
// serves TLS, name-server requests included (tls.go). Config.TLSMode, as
// RocketMQ's tls.server.mode: TLSEnforcing (the default with a
// certificate) serves TLS only and answers a plain client's first request
// SYSTEM_ERROR "this rocketkit broker requires TLS ...", then closes;
// TLSPermissive serves both on the one port, telling a TLS client by its
// first byte (0x16, a handshake record). A TLS client of a plain broker
// is closed with a log line that says so. Our client and package admin
// show the "requires TLS" remark; the official Go client reports only
// that the topic's route was not found. The official client never
// verifies the broker's certificate (its dialer hard-codes
// InsecureSkipVerify), so it works with any certificate, self-signed
// included; its TLS switch (WithTls) is process-wide.
//
// # Limits
//
// Each connection is bounded (limits.go; Config fields, defaults in
// brackets): MaxConnections [16384] open connections, more are closed on
// accept; MaxFrameSize [16 MiB] per frame, a larger declared length
// closes the connection before anything is allocated, and a frame's
// buffer grows with the bytes that arrived rather than its declared
// length; MaxInflightRequests [1024] requests read but not answered (held
// pulls, SYNC_FLUSH sends), at which the connection's reader stops until
// an answer goes out; IdleTimeout [2m] without a frame closes it;
// FrameTimeout [30s] bounds a begun frame, a TLS handshake and each write.
// No read buffer is held between frames: an idle connection costs its
// goroutine and about a kilobyte of heap.
//
// # Bad input
//
// Malformed or oversized frames close that connection only; illegal topic
// or group names, oversized bodies and unknown request codes get RocketMQ
// error responses (INVALID_PARAMETER, MESSAGE_ILLEGAL,
// REQUEST_CODE_NOT_SUPPORTED) with a remark the client shows.
package broker
