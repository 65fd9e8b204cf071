// Package listener declares RocketMQ message listeners as plain structs,
// the way rocketmq-spring's @RocketMQMessageListener does for Java, and
// dispatches messages from the official Go client to them.
//
// A listener is a struct with one marker field, of type Orderly or
// Concurrent, whose struct tag is the listener's annotation, and a Handle
// method:
//
//	type BillOrders struct {
//		listener.Orderly `topic:"orders" group:"billing-orders" tags:"created || paid"`
//		Bills            *Billing // the application's service
//	}
//
//	func NewBillOrders(bills *Billing) *BillOrders { return &BillOrders{Bills: bills} }
//
//	func (l *BillOrders) Handle(ctx context.Context, m *listener.Message) error {
//		var o Order
//		if err := m.Decode(&o); err != nil {
//			return listener.Discard(err) // never decodable: dead-letter it now
//		}
//		return l.Bills.Apply(ctx, o)
//	}
//
// Register its constructor with the starter, which parses the tag, runs a
// push consumer for it from the application's start to its stop, and
// passes its dependencies in through fx:
//
//	fx.New(starter.Module, fx.Provide(NewBilling), starter.Listener(NewBillOrders), ...)
//
// A listener whose method is HandleReply (ReplyHandler) instead of Handle
// answers requests (Template.SendAndReceive): what it returns is sent back
// as the reply, like rocketmq-spring's RocketMQReplyListener.
//
// Numbers such as S4 and S6 below name experiments of the RocketMQ study
// the kit answers; examples/scenarios/README.md lists them.
//
// # Markers
//
// Orderly: messages of one queue are handled one delivery at a time, in
// queue order, by one member of the group at a time. Together with
// sending by key (starter's Template.SendOrderly), messages with the same
// key are handled in the order they were sent (S4, S7). Expect about 3
// seconds between start and the first delivery: the official client
// waits for its queue locks.
//
// Concurrent: deliveries are handled in parallel by up to consumers
// goroutines, in no particular order (S11).
//
// The marker may be embedded (as above) or a named field; a struct has
// exactly one.
//
// # Tag grammar
//
// The marker's tag is a Go struct tag: space-separated key:"value" pairs,
// each value a Go string literal. Keys are case-sensitive; unknown keys
// and keys given twice are errors.
//
//	topic         required. The topic to subscribe, [%|a-zA-Z0-9_-], at
//	              most 127 bytes.
//	group         the consumer group. Default: derived (see Groups).
//	tags          a tag expression: "*" (default: every message), one tag,
//	              or tags separated by "||" ("created || paid"); spaces
//	              around tags are ignored, a tag holds no space or '|'.
//	sql           a SQL92 selector on message properties instead of tags
//	              ("amount > 100 AND TAGS IN ('paid')"), in RocketMQ's
//	              grammar; excludes tags. The broker filters: the embedded
//	              one always does (package broker/sqlfilter); a RocketMQ
//	              cluster needs enablePropertyFilter=true, otherwise every
//	              pull fails and the client retries every 3 seconds (logged
//	              as warnings). The starter refuses a selector that does
//	              not compile at start-up, naming its line and column.
//	model         clustering (default: each message to one member of the
//	              group) or broadcasting (each message to every member).
//	consumers     handler concurrency, 1..1000. Default:
//	              rocketmq.consumer.consume-thread-max (20).
//	maxReconsume  how often a failing message is retried before it is
//	              dead-lettered, -1..2^30. Default:
//	              rocketmq.consumer.max-reconsume-times, which defaults to
//	              16 for concurrent and unlimited for orderly listeners.
//	timeout       the deadline of each handler call's ctx, a duration
//	              ("30s", "1m30s") or whole milliseconds ("30000").
//	              Default: none here; the starter gives listeners
//	              without it rocketmq.consumer.consume-timeout (15m).
//	batch         1..1024: the handler receives up to this many messages
//	              per call, through HandleBatch instead of Handle.
//	suspend       orderly only: how long a queue pauses after a failed
//	              delivery, as a duration. Default:
//	              rocketmq.consumer.suspend-current-queue-time (1s).
//	delayLevelWhenNextConsume
//	              concurrent only, as rocketmq-spring's attribute: the
//	              delay level a failed message is sent back with. 0
//	              (default) lets the broker step it up with each retry
//	              (10s, 30s, 1m, 2m, ... with the default table); 1..18
//	              retries it after that level's delay every time.
//	accessKey     the listener's own ACL credentials, as rocketmq-spring's
//	secretKey     accessKey and secretKey: its consumer signs with them
//	              instead of rocketmq.consumer.access-key's. Both or
//	              neither (both empty after expansion: the configured
//	              ones). secretKey must be a placeholder
//	              (secretKey:"${billing.secret-key}"): a literal secret is
//	              refused.
//
// # Placeholders
//
// Every value, numbers included, may use placeholders resolved from the
// application's configuration when the starter reads the tag:
//
//	${key}          the value of key; start-up fails when it is not set
//	${key:default}  the value of key, or default (which may be empty or
//	                contain ':', but not '}')
//	$${             a literal "${"
//
// A key is [A-Za-z0-9._-]+. The starter looks it up in the configuration
// (YAML file, environment overrides) and then in the environment variable
// named by upper-casing the key and replacing '.' and '-' by '_': so
// ${billing.consumers} also reads BILLING_CONSUMERS. A placeholder may be
// part of a value:
//
//	type ConfiguredOrders struct {
//		listener.Orderly `topic:"${billing.topic:orders}" group:"${billing.group}-orders" consumers:"${billing.consumers:4}"`
//	}
//
// # Groups
//
// A consumer group belongs to exactly one subscription (S6): the broker
// keeps one subscription per group and topic, so members of one group
// subscribing differently steal each other's messages and look like
// message loss. The starter therefore refuses to start when two listeners
// share a group (naming both), and, before starting, asks the broker for
// the group's live members and refuses (or warns, per
// rocketmq.listener.subscription-check) when one subscribes differently.
// Use one group per listener; different groups may subscribe the same
// topic with different tags (S8).
//
// A listener without a group tag gets "<service>-<topic>-<Type>", from
// rocketmq.service-name, the topic and the listener's type name, with
// bytes outside [a-zA-Z0-9_-] replaced by '_' (DeriveGroup). It is unique
// by construction: a type has one subscription, and a service has one type
// of each name per topic (two types of the same name from different
// packages on one topic are reported as sharing a group). Every replica
// of the service derives the same group and so shares the work. Renaming
// the type or the service renames the group, which starts from the newest
// messages (rocketmq.consumer.consume-from-where): set group explicitly for
// listeners whose progress must survive renames.
//
// # Results
//
// What a handler returns decides what happens to its messages:
//
//	nil            acknowledged.
//	error          concurrent: retried later through %RETRY%group, after
//	               the broker's delay for level 3 + ReconsumeTimes (10s,
//	               30s, 1m, ... with the default table); orderly: the queue
//	               pauses for suspend, then the same messages are handled
//	               again before anything behind them. After maxReconsume
//	               retries they go to %DLQ%group.
//	Discard(err)   dead-lettered at once into %DLQ%group: concurrent
//	               through the send-back with delay level -1; orderly by
//	               marking them past maxReconsume, which makes the client
//	               send them back with delay level -1.
//	panic          recovered, logged with its stack, handled as an error.
//
// Broadcasting listeners have no retry or dead-letter topic: a failed
// concurrent delivery is logged and dropped by the client, a discarded one
// is logged and dropped.
//
// The ctx of a handler call is cancelled when its timeout passes and when
// the application stops and rocketmq.shutdown-timeout has passed; messages
// whose handler was interrupted that way (or was never called because
// stopping had begun) are not acknowledged and are delivered again later.
//
// # Messages
//
// A Message carries the body and the broker's metadata (MsgID, Keys, Tag,
// Topic, QueueID, QueueOffset, ReconsumeTimes, BornTime, StoreTime; every
// property through Property and Properties). Decode decodes the body with
// the application's Codec (JSON by default); NewMessage builds one for a
// handler's unit test.
// Code further down the call chain reads the delivery from the handler's
// ctx with MessageFromCtx, MessagesFromCtx, SpecFromCtx and
// ReconsumeTimesFromCtx.
package listener
