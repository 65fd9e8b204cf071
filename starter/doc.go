// Package starter is RocketKit's fx module: rocketmq-spring done the Go
// way. It reads the rocketmq.* configuration, runs the embedded broker
// (or connects to a RocketMQ cluster), provides a producer Template, and
// runs the application's listeners (package listener) from start to stop.
//
//	fx.New(
//		starter.Module,
//		starter.ConfigFile("app.yaml"),
//		starter.Listener(NewBillOrders),
//		fx.Invoke(func(t *starter.Template) { ... }),
//	).Run()
//
// Numbers such as S6 and S15 in these docs name experiments of the RocketMQ
// study the kit answers; examples/scenarios/README.md lists them, and
// examples/scenarios replays them.
//
// # Configuration
//
// Sources, lowest precedence first: the defaults; ConfigValues given in
// code; the YAML file (ConfigFile, or the path in ROCKETKIT_CONFIG, which
// replaces ConfigFile's); environment variables. With no file at all the
// defaults run the embedded broker.
//
// Environment variables override keys below rocketmq: the variable's name
// is the key upper-cased with '.' and '-' replaced by '_' (EnvName):
//
//	ROCKETMQ_NAME_SERVER                    rocketmq.name-server
//	ROCKETMQ_PRODUCER_GROUP                 rocketmq.producer.group
//	ROCKETMQ_PRODUCER_SEND_MESSAGE_TIMEOUT  rocketmq.producer.send-message-timeout
//
// Only known keys are mapped (Keys lists them), so the mapping is exact;
// other ROCKETMQ_* variables (such as the client's own
// ROCKETMQ_GO_LOG_LEVEL) are ignored. Listener placeholders
// (${billing.consumers}) read any key of the whole configuration, then
// the variable named the same way (BILLING_CONSUMERS).
//
// Every value is checked at start-up: an unknown key below rocketmq, a
// value of the wrong type or out of range fails start-up with an error
// naming the key, e.g.
//
//	rocketmq.producer.send-message-timeout: "abc" is not a duration
//
// Durations are Go durations ("3s", "1m30s") or whole milliseconds
// (3000), as rocketmq-spring writes them. The keys, with their defaults:
//
//	rocketmq.name-server       embedded: run the broker in-process; or
//	                           "host:port;host:port": a RocketMQ cluster.
//	                           List every name server: a single one draws
//	                           a warning (S15), and start-up fails when
//	                           none answers.
//	rocketmq.client            rocketkit: the kit's own client; official:
//	                           the official Go client (same behaviour)
//	rocketmq.access-key        ACL credentials for producer, consumers and
//	rocketmq.secret-key        admin requests (the producer.* and consumer.*
//	                           keys override; see ACL and TLS)
//	rocketmq.security-token    sent and signed with every request when set
//	rocketmq.namespace         prefixes topics and groups ("ns%topic")
//	rocketmq.tls               false; true: TLS to name servers and brokers
//	rocketmq.tls-ca            a PEM file of CAs to verify against instead
//	                           of the system's roots (needs tls: true)
//	rocketmq.tls-insecure-skip-verify
//	                           false; true accepts any certificate (a test
//	                           or embedded broker's self-signed one)
//	rocketmq.instance-name     the pid; the client id is ip@instance-name
//	rocketmq.unit-name         appended to the client id when set
//	rocketmq.service-name      the executable's name; used in derived
//	                           group names (see package listener)
//	rocketmq.strict-send       false; true turns any send status but
//	                           SEND_OK into an error (S13)
//	rocketmq.shutdown-timeout  10s: how long stopping waits for running
//	                           handlers before cancelling their contexts
//	rocketmq.client-log-level  warn: the least level of the client's
//	                           own records passed to the app's logger
//	                           (debug, info, warn, error, off)
//
//	rocketmq.producer.group                            <service-name>-producer
//	rocketmq.producer.send-message-timeout             3s per attempt
//	rocketmq.producer.retry-times-when-send-failed     2 (sync sends)
//	rocketmq.producer.compress-message-body-threshold  4096 bytes
//	rocketmq.producer.max-message-size                 4194304 bytes
//	rocketmq.producer.access-key, secret-key
//
//	rocketmq.consumer.pull-batch-size             32
//	rocketmq.consumer.consume-thread-max          20: handler concurrency
//	                                              unless a tag sets consumers
//	rocketmq.consumer.offset-dir                  beside the embedded broker's
//	                                              data; where broadcasting
//	                                              listeners keep offsets
//	rocketmq.consumer.consume-timeout             15m: a handler call's ctx
//	                                              deadline unless a tag sets
//	                                              timeout
//	rocketmq.consumer.max-reconsume-times         -1: 16 concurrent,
//	                                              unlimited orderly
//	rocketmq.consumer.suspend-current-queue-time  1s: orderly pause after
//	                                              a failure
//	rocketmq.consumer.consume-from-where          last (or first): start
//	                                              of a new group
//	rocketmq.consumer.access-key, secret-key
//
//	rocketmq.listener.subscription-check  fail (or warn, off): see Groups
//
//	rocketmq.txcheck.*  TxCheck's producer and sweeper, with the keys of
//	                    txcheck.Config: group (<service-name>-tx), table
//	                    (rocketkit_txcheck), schema-table, grace-period
//	                    (1m), send-timeout, check-timeout,
//	                    max-payload-size, probe-topic, skip-migrations,
//	                    sweeper.after (15m; must exceed grace-period and
//	                    the broker's check window), sweeper.interval,
//	                    sweeper.batch-size, sweeper.lookup-concurrency,
//	                    sweeper.retention. Unused without TxCheck.
//
//	rocketmq.embedded.*  the embedded broker, with the keys of
//	                     broker.Config: listen (127.0.0.1:0, a free port),
//	                     data-dir (a temporary directory removed on stop),
//	                     message-delay-level (RocketMQ's 1s 5s 10s ... 2h;
//	                     tests use milliseconds), flush-disk-type,
//	                     sync-flush-timeout, default-topic-queue-nums,
//	                     max-message-size, max-pull-hold,
//	                     rebalance-lock-max-live-time, transaction-*, ...
//
// # ACL and TLS
//
// On a cluster with ACL (RocketMQ 4.x plain_acl.yml; the embedded broker's
// rocketmq.embedded.acl-enable and acl-file), rocketmq.access-key and
// secret-key sign every request the module makes: the Template's sends
// (rocketmq.producer.* when set), the listeners' consumers
// (rocketmq.consumer.* when set), and the admin requests of the
// subscription check (each listener's credentials), the outbox's and
// TxCheck's key lookups (the producer's) and Health (Endpoint.Admin's).
// A refused request's error carries the broker's NO_PERMISSION remark,
// which names the account and the permission missing. A listener may
// consume with credentials of its own, as rocketmq-spring's
// accessKey and secretKey attributes, through the tag keys accessKey and
// secretKey (secretKey must be a placeholder; see package listener); its
// consumer then gets a client of its own, without
// rocketmq.security-token.
//
// rocketmq.tls dials every name server and broker over TLS, verified
// against the system's roots, or rocketmq.tls-ca's CAs; with
// rocketmq.tls-insecure-skip-verify any certificate is accepted. The
// official client (rocketmq.client official) never verifies certificates,
// whatever the keys say, and turns TLS on process-wide (see
// transport/official); it refuses tls-ca rather than pretend to check it.
//
// # Application configuration
//
// AppConfig binds the application's own keys below a prefix to a struct
// it provides, read from the same sources as rocketmq.* (the defaults
// passed to AppConfig, ConfigValues, the YAML file, the environment), as
// @ConfigurationProperties does in Spring:
//
//	type BillingConfig struct {
//		DBDSN   string        `koanf:"db-dsn"`
//		Timeout time.Duration `koanf:"timeout"`
//		Workers int           `koanf:"workers"`
//	}
//
//	starter.AppConfig("billing", BillingConfig{Timeout: time.Second, Workers: 4}),
//
// Every exported field takes its key below the prefix from its koanf tag,
// kebab-case like the rocketmq keys (billing.db-dsn); `koanf:"-"` leaves a
// field out, an untagged embedded struct lends its fields to the parent,
// and a nested struct is a level of keys (billing.retry.attempts). Fields
// are strings, booleans, integers, floats, durations (as rocketmq's: "3s"
// or whole milliseconds), []string (a YAML list, or comma-separated in
// the environment) or any encoding.TextUnmarshaler (slog.Level,
// netip.Addr). The environment variable of a key is named as for
// rocketmq.* (EnvName): BILLING_DB_DSN overrides billing.db-dsn.
//
// Errors are those of rocketmq.* keys: an unknown key below the prefix
// ("billing.db-dns: unknown key (did you mean billing.db-dsn?)"; so a key
// below it that only a listener placeholder reads needs a field too), a
// value of the wrong type, e.g.
//
//	billing.timeout: "abc" is not a duration
//
// Then, if *T has a method Validate() error, it runs; a *ConfigError it
// returns names its own key, any other error is reported under the
// prefix. A struct AppConfig cannot bind (an untagged field, a field type
// not listed above, the prefix rocketmq) fails start-up naming the field.
// Like every start-up error, these come out of fx wrapped; Cause unwraps
// them. LoadAppConfig reads the same keys without fx.
//
// # Lifecycle
//
// Module registers start and stop hooks in this order: the embedded broker
// (or the name-server check), the Template's producer, the listeners.
// Components that depend on the Endpoint (Outbox, TxCheck, the watermill
// publisher and subscriber) register theirs later, so they start after
// the broker and stop before the endpoint closes its connections.
// Before starting the listeners it checks their groups (see Groups). Stop
// runs in reverse: the listeners stop pulling, running handlers get
// rocketmq.shutdown-timeout to finish, then their contexts are cancelled;
// deliveries that arrived meanwhile, and those whose handler was
// cancelled, are not acknowledged and come back later, to the next
// instance. Then the producer and the broker stop.
//
// # Groups
//
// One consumer group, one subscription (S6): two listeners sharing a group
// fail start-up with an error naming both, and before starting, the module
// asks the broker (admin.Client.GroupMembers) for each group's live
// members and refuses to start when one subscribes differently
// (rocketmq.listener.subscription-check: warn only logs it, off skips the
// check). To change a group's tags, stop the old members first or use a
// new group. Listeners without a group tag get a derived one, unique by
// construction (see package listener).
//
// # Sending
//
// Template mirrors RocketMQTemplate: Send, SendAsync, SendOneway,
// SendOrderly (by hash key), SendBatch, with destinations "topic:tag" and
// options for keys, properties and timing: WithDelayLevel (the broker's
// delay levels), WithDeliverAt and WithDelay (RocketMQ 5's timer messages:
// any time, to the millisecond). Payloads of type
// []byte and string are sent as they are, others encoded by the Codec
// (listener.JSON unless one is provided through fx). Every producer and
// consumer the module creates gets its own client instance name (S10).
// SendAndReceive is sendAndReceive: a request whose typed reply comes from
// a listener with HandleReply (listener.ReplyHandler, rocketmq-spring's
// RocketMQReplyListener), sent back through a producer of the listener's
// group plus "-reply"; ErrReplyTimeout when none came by ctx's deadline.
//
// Other components that send or consume take the *Endpoint the module
// provides and use its backends (ProducerBackend, ConsumerBackend), so
// they share the application's connections, client, credentials,
// namespace and TLS; each has an fx option that runs it in the app's
// lifecycle: Outbox (the transactional outbox and its relay), TxCheck (a
// *txcheck.Producer configured by rocketmq.txcheck.*, and its sweeper),
// TxChecker (a topic's check-backs, answered by a checker with fx
// dependencies), and in package starter/watermill ProvidePublisher and
// ProvideSubscriber (a watermill message.Publisher and
// message.Subscriber). Outbox and TxCheck need the app's *sql.DB.
//
// # Logging and metrics
//
// Provide a *slog.Logger through fx to receive the module's logs and the
// client's own records at or above rocketmq.client-log-level;
// without one, nothing is logged, and the client prints nothing. Provide a
// Metrics implementation to count sends and handler outcomes and measure
// latencies; the module itself depends on no metrics library. With Outbox,
// a Metrics that also implements OutboxMetrics counts the relay's rows
// (sent, retried, compensated, failed), and *OutboxRelay gives its totals
// and backlog (rows not sent yet) to read on scrape.
//
// Provide a tracing.Tracer to trace every send of the Template, every
// handler call of a listener, and, with Outbox and TxCheck, the relay's
// sends (each row carries its writer's trace context) and transaction
// check-backs; without one nothing is traced. The nested module
// github.com/rocketkit/rocketkit/otel provides a Tracer and a Metrics
// for OpenTelemetry in one fx option (rkotel.Module); the kit's own
// module depends on neither.
//
// # Health
//
// The module provides a *Health: Check reports whether the app is started
// and not stopping, a name server answers and knows a broker, the
// template's producer runs and every listener's consumer runs. It is an
// http.Handler too (200 "ok", or 503 with the reason), for a readiness
// probe:
//
//	fx.Invoke(func(mux *http.ServeMux, h *starter.Health) { mux.Handle("/health/rocketmq", h) })
//
// Listeners count as not running from the moment the app starts stopping,
// so a draining replica leaves the load balancer first.
//
// # Testing
//
// Package startertest starts an application with this module against an
// in-process broker in a test, the way fxtest does for fx.
package starter
