package watermill

import (
	"fmt"
	"strings"

	wm "github.com/ThreeDotsLabs/watermill/message"

	"github.com/rocketkit/rocketkit/client"
	"github.com/rocketkit/rocketkit/protocol/message"
)

// UUIDProperty is the user property that carries the watermill message UUID,
// so that it round-trips exactly (the UUID is also the message key, KEYS,
// which the broker indexes but splits on spaces). The name is the one
// watermill's Kafka adapter uses for its UUID header.
const UUIDProperty = "_watermill_message_uuid"

// EmptyPayloadProperty marks a message published with an empty payload.
// RocketMQ refuses empty bodies, so such a message is sent with a body of
// one zero byte and this user property set to "true"; the Subscriber
// restores the empty payload. Consumers that are not watermill see the
// one byte.
const EmptyPayloadProperty = "_watermill_empty_payload"

// reserved holds RocketMQ's system property names: Java's
// MessageConst.STRING_HASH_SET (which Java's Message.putUserProperty
// refuses), the other names MessageConst defines (the official Go client's
// sharding key among them), and the adapter's own.
var reserved = map[string]bool{}

func init() {
	for _, k := range []string{
		// MessageConst.STRING_HASH_SET
		"TRACE_ON", "MSG_REGION", "KEYS", "TAGS", "WAIT", "DELAY", "RETRY_TOPIC",
		"REAL_TOPIC", "REAL_QID", "TRAN_MSG", "PGROUP", "MIN_OFFSET", "MAX_OFFSET",
		"BUYER_ID", "ORIGIN_MESSAGE_ID", "TRANSFER_FLAG", "CORRECTION_FLAG", "MQ2_FLAG",
		"RECONSUME_TIME", "UNIQ_KEY", "MAX_RECONSUME_TIMES", "CONSUME_START_TIME",
		"POP_CK", "POP_CK_OFFSET", "1ST_POP_TIME", "TRAN_PREPARED_QUEUE_OFFSET",
		"DUP_INFO", "EXTEND_UNIQ_INFO", "INSTANCE_ID", "CORRELATION_ID",
		"REPLY_TO_CLIENT", "TTL", "ARRIVE_TIME", "PUSH_REPLY_TIME", "CLUSTER",
		"MSG_TYPE", "INNER_MULTI_QUEUE_OFFSET", "TIMER_DELAY_MS", "TIMER_DELAY_SEC",
		"TIMER_DELIVER_MS", "TIMER_ENQUEUE_MS", "TIMER_DEQUEUE_MS", "TIMER_ROLL_TIMES",
		"TIMER_OUT_MS", "TIMER_DEL_UNIQKEY", "TIMER_DEL_MS", "TIMER_DELAY_LEVEL",
		"__BORNHOST", "BORN_TIMESTAMP", "DLQ_ORIGIN_TOPIC", "DLQ_ORIGIN_MESSAGE_ID",
		"__CRC32#",
		// other MessageConst names
		"INNER_NUM", "INNER_BASE", "CHECK_IMMUNITY_TIME_IN_SECONDS", "__transactionId__",
		"TRANSACTION_CHECK_TIMES", "__SHARDINGKEY", "PROPERTY_FORWARD_QUEUE_ID",
		"REDIRECT", "INNER_MULTI_DISPATCH", "TRACE_CONTEXT", "TIMER_IN_MS",
		// the adapter's
		UUIDProperty, EmptyPayloadProperty,
	} {
		reserved[k] = true
	}
}

// transientPrefix marks properties Java brokers never store.
const transientPrefix = "__RMQ.TRANSIENT."

// ReservedProperty reports whether key is a RocketMQ system property name
// (or the adapter's UUIDProperty or EmptyPayloadProperty). Publish refuses metadata with such keys
// ([ErrReservedMetadata]) and received messages never carry them as
// metadata.
func ReservedProperty(key string) bool {
	return reserved[key] || strings.HasPrefix(key, transientPrefix)
}

// parseTopic splits a watermill topic "topic" or "topic:rest" into the
// RocketMQ topic and the part after the first ':'.
func parseTopic(topic string) (rmqTopic, rest string, hasRest bool, err error) {
	rmqTopic, rest, hasRest = strings.Cut(topic, ":")
	if err := message.ValidateTopic(rmqTopic); err != nil {
		return "", "", false, fmt.Errorf("%w %q: %w", ErrInvalidTopic, topic, err)
	}
	rest = strings.TrimSpace(rest)
	if hasRest && rest == "" {
		return "", "", false, fmt.Errorf("%w %q: empty after ':'", ErrInvalidTopic, topic)
	}
	return rmqTopic, rest, hasRest, nil
}

// publishTarget maps a watermill topic to the RocketMQ topic and tag of a
// publish: "orders" or "orders:created".
func publishTarget(topic string) (rmqTopic, tag string, err error) {
	rmqTopic, tag, _, err = parseTopic(topic)
	if err != nil {
		return "", "", err
	}
	if strings.Contains(tag, "||") {
		return "", "", fmt.Errorf("%w %q: a publish tag cannot hold \"||\"", ErrInvalidTopic, topic)
	}
	if message.IsRetryTopic(rmqTopic) || message.IsDLQTopic(rmqTopic) {
		return "", "", fmt.Errorf("%w %q: retry and dead-letter topics are written by the broker only", ErrInvalidTopic, topic)
	}
	return rmqTopic, tag, nil
}

// subscribeTarget maps a watermill topic to the RocketMQ topic and tag
// expression of a subscription: "orders" (all tags), "orders:*",
// "orders:created || paid". A dead-letter topic (%DLQ%group) may be read.
func subscribeTarget(topic string) (rmqTopic, expr string, err error) {
	rmqTopic, expr, hasExpr, err := parseTopic(topic)
	if err != nil {
		return "", "", err
	}
	if message.IsRetryTopic(rmqTopic) {
		return "", "", fmt.Errorf("%w %q: the client subscribes to its group's retry topic by itself", ErrInvalidTopic, topic)
	}
	if !hasExpr {
		expr = "*"
	}
	return rmqTopic, normalizeExpr(expr), nil
}

// normalizeExpr writes a tag expression the way the client parses it
// (tags separated by "||", spaces trimmed), so that equal subscriptions
// compare equal.
func normalizeExpr(expr string) string {
	if expr == "" || expr == "*" {
		return "*"
	}
	parts := strings.Split(expr, "||")
	out := parts[:0]
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	if len(out) == 0 {
		return "*"
	}
	return strings.Join(out, " || ")
}

// toRocketMQ converts a watermill message for rmqTopic with tag (may be
// empty). It fails on metadata that cannot be a user property.
func toRocketMQ(rmqTopic, tag string, msg *wm.Message) (*client.Message, error) {
	props := make(map[string]string, len(msg.Metadata)+2)
	for k, v := range msg.Metadata {
		switch {
		case k == "":
			return nil, fmt.Errorf("message %s: %w: empty key", msg.UUID, ErrInvalidMetadata)
		case strings.ContainsAny(k, "\x01\x02") || strings.ContainsAny(v, "\x01\x02"):
			return nil, fmt.Errorf("message %s: %w: key %q or its value holds 0x01 or 0x02", msg.UUID, ErrInvalidMetadata, k)
		case ReservedProperty(k):
			return nil, fmt.Errorf("message %s: %w: %q", msg.UUID, ErrReservedMetadata, k)
		}
		props[k] = v
	}
	if strings.ContainsAny(msg.UUID, "\x01\x02") {
		return nil, fmt.Errorf("message %q: %w: the UUID holds 0x01 or 0x02", msg.UUID, ErrInvalidMetadata)
	}
	out := &client.Message{Topic: rmqTopic, Tag: tag, Body: msg.Payload, Properties: props}
	if msg.UUID != "" {
		props[UUIDProperty] = msg.UUID
		out.Keys = strings.Fields(msg.UUID)
	}
	if len(msg.Payload) == 0 {
		// RocketMQ refuses empty bodies; watermill allows empty payloads.
		out.Body = emptyBody
		props[EmptyPayloadProperty] = "true"
	}
	return out, nil
}

// emptyBody stands in for an empty payload on the wire.
var emptyBody = []byte{0}

// fromRocketMQ converts a received message. The UUID is UUIDProperty, else
// the first message key, else the message id (UNIQ_KEY), so that messages
// from other producers get a stable UUID too. Metadata is every user
// property; system properties are left out.
func fromRocketMQ(m *client.MessageExt) *wm.Message {
	props := m.Properties()
	uuid := props[UUIDProperty]
	if uuid == "" {
		if len(m.Keys) > 0 {
			uuid = m.Keys[0]
		} else {
			uuid = m.MsgID
		}
	}
	payload := m.Body
	if props[EmptyPayloadProperty] == "true" {
		payload = nil
	}
	out := wm.NewMessage(uuid, payload)
	for k, v := range props {
		if !ReservedProperty(k) {
			out.Metadata[k] = v
		}
	}
	return out
}
