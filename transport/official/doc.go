// Package official is the transport.Backend on the official Apache
// RocketMQ Go client (github.com/apache/rocketmq-client-go/v2), for
// services that want that client underneath; the kit's default is
// transport.Native. It passes the contract suite (transporttest), so the
// kit behaves the same on either, except where noted below.
//
//	b, err := official.New(client.Config{NameServers: []string{"10.0.0.1:9876"}},
//		official.WithLogger(logger))
//	p, err := b.NewProducer(client.ProducerConfig{Group: "orders-producer"})
//	res, err := p.Send(ctx, &client.Message{Topic: "orders", Tag: "created", Body: body})
//
// # Mapping
//
// client.Config: see New. Every producer and consumer is an official
// client object of its own, with its own instance name and so its own
// ClientID and client instance.
//
// client.ProducerConfig: Group, SendTimeout (WithSendMsgTimeout), Retries
// (WithRetry), CompressOver and CompressLevel (the client compresses bodies
// of at least its threshold, so CompressOver+1), MaxMessageSize (checked
// here), with package client's defaults.
//
// client.ConsumerConfig, with package client's defaults and checks:
//
//   - Subscriptions: one Subscribe each, with a TAG or SQL92 selector;
//   - Broadcasting, Orderly, ConsumeFrom and ConsumeTimestamp (passed in
//     UTC, as the client reads it), MaxReconsumeTimes (negative: 0),
//     PullBatchSize, ConsumeBatchSize, Concurrency, SuspendInterval and
//     LockRenewInterval: the client's options of the same meaning;
//   - PullThresholdPerQueue: for a concurrent consumer the backend's own
//     flow control, which also bounds a queue's unconsumed messages to
//     2000 offsets as package client does (the client's flow control
//     races; see pullGate), for an orderly one the client's option;
//   - RetryDelayLevel: the delay level of every send-back
//     (DelayLevelWhenNextConsume);
//   - RebalanceInterval (20s), OffsetCommitInterval (5s) and PullHold (20s)
//     are fixed in the client and ignored;
//   - OffsetDir is ignored: the client keeps a broadcasting consumer's
//     offsets under $HOME/.rocketmq_client_go (or the directory in the
//     environment variable rocketmq.client.localOffsetStoreDir, read when
//     the process starts), in a file named by its ClientID, which is the
//     same after a restart only when Config.InstanceName is set.
//
// Messages: Tag, Keys, Properties and Flag travel as the official client's
// message properties and flag; DelayLevel as DELAY (WithDelayTimeLevel),
// DeliverAt as TIMER_DELIVER_MS (WithDelayTimestamp). Package client's
// rules for a message (no system property set by hand, a body, at most
// one of DelayLevel and DeliverAt) are checked first. A batch's messages
// get their UNIQ_KEY here, as package client's do. Received messages come
// as client.MessageExt with topics without namespace and without the
// properties the official consumer adds itself (CONSUME_START_TIME,
// MIN_OFFSET, MAX_OFFSET).
//
// Send options (client.ResolveSendOptions): ToQueue, HashKey and
// WithSelector are honoured by the producer's queue selector; HashKey
// picks fnv32a(key) modulo the queue count, as the official hash selector
// and package client do, so a group may mix backends.
//
// Handler results, concurrent consumer: ConsumeSuccess is ConsumeSuccess;
// ConsumeRetry (a panic, an unknown result) is ConsumeRetryLater, sent
// back with RetryDelayLevel; ConsumeDeadLetter is ConsumeRetryLater with
// delay level -1, which the broker puts in %DLQ%group at once. Orderly
// consumer: ConsumeRetry is SuspendCurrentQueueAMoment after
// SuspendInterval (the client redelivers locally, counting ReconsumeTimes
// up); a message past MaxReconsumeTimes is not handed to the handler but
// suspended at once, which makes the client send it to the DLQ, and
// ConsumeDeadLetter raises the messages' ReconsumeTimes past the limit to
// the same end. Broadcasting consumers redeliver locally after
// SuspendInterval up to MaxReconsumeTimes, then drop the message with a
// log line, as they drop dead letters.
//
// Close drains: the consumer stops pulling, handler calls running finish,
// deliveries not handed out yet are held back unacknowledged (the group
// gets them again), and only then the client shuts down, committing what
// was consumed. Batches still being fetched are held from Close on and
// dropped after the shutdown, uncommitted as well: the client's Shutdown
// would otherwise close a queue's channel under the send of a batch
// (apache/rocketmq-client-go#1051, a panic or a data race; see pullGate).
//
// # Where the backend differs from transport.Native
//
//   - The official orderly consumer races by design (go test -race fails
//     with it); its first message of each queue comes after about 3s; a
//     second orderly member of a group cannot lock the queues the first
//     gave up until the broker's lock expires, unless the broker releases
//     locks of closed connections (the rocketkit broker does).
//   - Close settles before it shuts a client object down (settle.go): a
//     consumer's Close takes at least a second after its Start and 300ms
//     after it stopped pulling. WithQuietWait makes the wait an event on an
//     embedded broker.
//   - After a broker restart, a consumer resumes once its pull in flight
//     times out (the client does not wake it when the connection drops):
//     up to 30s.
//   - SendAsync is not retried; a send pinned to a queue is retried on that
//     queue. Check-backs are answered one at a time.
//   - A client object's first sends to a topic take turns until one got
//     through: concurrent ones would fail with "route info not found"
//     while the client looks the topic's route up (see firstSends).
//   - A concurrent consumer's flow control (PullThresholdPerQueue) lets
//     a queue whose messages have not been consumed for a minute fetch
//     one batch more each minute (the client reads a queue again when its
//     pull goroutine waited two minutes); a queue also has at most 32
//     fetched batches waiting for a handler slot.
//   - A transaction producer sends its plain messages with a second,
//     plain producer of group <group>-plain, made on first use: brokers
//     send check-backs to the group's newest producer, which must be the
//     transactional one.
//   - ConsumerConfig.Concurrency counts per subscribed topic (the retry
//     topic being one); RebalanceInterval, OffsetCommitInterval, PullHold
//     and OffsetDir are fixed by the client or ignored (see NewConsumer);
//     so are Config.RequestTimeout, RouteRefreshInterval,
//     HeartbeatInterval and BrokerBackoff (see New).
//   - Config.TLS is process-wide (the client keeps it in a global default)
//     and does not verify the broker's certificate.
//   - SendResult.RegionID is "DefaultRegion" when the broker names none.
//
// # Logging
//
// The official client logs through one process-global logger. WithLogger
// routes it (internal/clientlog) to the backend's *slog.Logger, switching
// atomically when another backend routes it later.
package official
