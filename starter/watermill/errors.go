package watermill

import "errors"

var (
	// ErrPublisherClosed is returned by Publish after Close was called.
	ErrPublisherClosed = errors.New("watermill: publisher closed")

	// ErrSubscriberClosed is returned by Subscribe after Close was called.
	ErrSubscriberClosed = errors.New("watermill: subscriber closed")

	// ErrNotStarted is returned by the message.Publisher and
	// message.Subscriber of ProvidePublisher and ProvideSubscriber before
	// the fx app started.
	ErrNotStarted = errors.New("watermill: app not started")

	// ErrInvalidTopic is returned when a watermill topic does not map to a
	// RocketMQ topic: the topic part is empty or has characters outside
	// [%|a-zA-Z0-9_-], or the part after ':' is empty, or a publish tag
	// holds "||".
	ErrInvalidTopic = errors.New("watermill: invalid topic")

	// ErrReservedMetadata is returned by Publish when a metadata key is one
	// of RocketMQ's system property names (KEYS, TAGS, DELAY, UNIQ_KEY, ...;
	// see [ReservedProperty]) or the adapter's own UUIDProperty. Such a key
	// would change how the broker treats the message, so it is refused
	// rather than silently renamed.
	ErrReservedMetadata = errors.New("watermill: metadata key is a reserved RocketMQ property")

	// ErrInvalidMetadata is returned by Publish when a metadata key is
	// empty or a key or value holds the bytes 0x01 or 0x02, which separate
	// properties on the wire.
	ErrInvalidMetadata = errors.New("watermill: metadata cannot be encoded as a RocketMQ property")

	// ErrGroupConflict is returned by Subscribe when the subscription's
	// consumer group already subscribes, in this Subscriber, to another
	// topic or with another tag expression. RocketMQ requires every member
	// of a group to subscribe identically; otherwise queues are assigned to
	// members that do not read them and messages are silently skipped. Put
	// "{topic}" in the configured ConsumerGroup, or use one Subscriber per
	// subscription.
	ErrGroupConflict = errors.New("watermill: consumer group already subscribes differently")

	// ErrSendStatus is returned by Publish, when RequireSendOK is set, if
	// the broker stored a message but did not answer SEND_OK.
	ErrSendStatus = errors.New("watermill: send status is not SEND_OK")
)
