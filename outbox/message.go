package outbox

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/rocketkit/rocketkit/client"
	"github.com/rocketkit/rocketkit/protocol/message"
)

// KeyProperty is the message property that carries an outbox (or
// txcheck) message's unique key. The key is also one of the message's
// KEYS, so a broker can find the message by it (key-based compensation),
// and it is what consumers de-duplicate on (package outbox/inbox).
const KeyProperty = "ROCKETKIT_KEY"

// Limits of the outbox table's columns.
const (
	maxKeyLen         = 64
	maxTopicLen       = 127
	maxTagLen         = 127
	maxKeysLen        = 1024
	maxShardingKeyLen = 255
	maxDelayLevel     = 255
)

// Message is what Publish writes: one RocketMQ message.
type Message struct {
	// Destination is "topic" or "topic:tag", as with RocketMQTemplate.
	Destination string
	// Payload is encoded by the publisher's codec (JSONCodec by default:
	// []byte and string are sent as they are). An empty body is refused
	// (ErrInvalidMessage): RocketMQ does not store empty messages.
	Payload any
	// Key is the message's unique key, at most 64 characters without
	// spaces. Empty means a new UUID (NewKey). It is sent in KEYS and in
	// the KeyProperty property.
	Key string
	// Keys are business keys added to KEYS (no spaces), for lookups.
	Keys []string
	// ShardingKey routes the message to a queue by hash: messages of one
	// topic with the same sharding key are sent, and stored, in the order
	// they were published. Empty means no order.
	ShardingKey string
	// Properties are user properties. System property names (KEYS, TAGS,
	// UNIQ_KEY, …) and KeyProperty are refused.
	Properties map[string]string
	// DelayLevel is RocketMQ's delay level (1 = the first entry of the
	// broker's messageDelayLevel table); 0 sends at once.
	DelayLevel int
}

// Record is an encoded, validated message: what the outbox table holds
// and the relay sends. txcheck stores the same fields.
type Record struct {
	Key         string
	Topic       string
	Tag         string
	Keys        []string
	ShardingKey string
	Properties  map[string]string
	DelayLevel  int
	Body        []byte
}

// ParseDestination splits "topic:tag" (or "topic") and validates both.
func ParseDestination(dest string) (topic, tag string, err error) {
	topic, tag, _ = strings.Cut(dest, ":")
	if err := validTopic(topic); err != nil {
		return "", "", err
	}
	if len(tag) > maxTagLen || strings.Contains(tag, "||") || badChars(tag) {
		return "", "", fmt.Errorf("%w: tag %q (at most %d characters, no \"||\")", ErrInvalidMessage, tag, maxTagLen)
	}
	return topic, tag, nil
}

// topicChar reports the characters of a topic name: a-z A-Z 0-9 _ - % |.
// (A loop, not a regexp: every Publish checks its topic.)
func topicChar(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-' || c == '%' || c == '|'
}

func validTopic(topic string) error {
	ok := topic != "" && len(topic) <= maxTopicLen
	for i := 0; ok && i < len(topic); i++ {
		ok = topicChar(topic[i])
	}
	if !ok {
		return fmt.Errorf("%w: topic %q (1 to %d of a-z A-Z 0-9 _ - %% |)", ErrInvalidMessage, topic, maxTopicLen)
	}
	return nil
}

// badChars reports RocketMQ's property separators and whitespace other
// than space inside s.
func badChars(s string) bool {
	return strings.ContainsAny(s, "\x00\x01\x02\n\r\t")
}

// reservedProperties are set by the kit, the client or the broker.
var reservedProperties = []string{
	KeyProperty,
	message.PropertyKeys, message.PropertyTags, message.PropertyWaitStoreMsgOK,
	message.PropertyDelay, message.PropertyRetryTopic, message.PropertyTimerDeliverMS,
	message.PropertyRealTopic, message.PropertyRealQueueID, message.PropertyTransactionPrepared,
	message.PropertyProducerGroup, message.PropertyMinOffset, message.PropertyMaxOffset,
	message.PropertyOriginMessageID, message.PropertyReconsumeTime,
	message.PropertyUniqKey, message.PropertyMaxReconsumeTimes,
	message.PropertyConsumeStartTime, propertyTransactionPreparedQueueOffset,
	message.PropertyTransactionCheckTimes, message.PropertyCheckImmunitySeconds,
	message.PropertyShardingKey, message.PropertyTransactionID, message.PropertyCluster,
	message.PropertyMsgType, message.PropertyCorrelationID, message.PropertyReplyToClient,
	message.PropertyTTL, message.PropertyArriveTime,
}

// propertyTransactionPreparedQueueOffset is set by brokers on half
// messages.
const propertyTransactionPreparedQueueOffset = "TRAN_PREPARED_QUEUE_OFFSET"

// NewRecord encodes m's payload with codec and validates the message;
// maxBody bounds the body (0 = no bound). The key is generated when m.Key
// is empty. Errors wrap ErrInvalidMessage, ErrEncode or
// ErrPayloadTooLarge.
func NewRecord(codec Codec, m Message, maxBody int) (Record, error) {
	topic, tag, err := ParseDestination(m.Destination)
	if err != nil {
		return Record{}, err
	}
	r := Record{Key: m.Key, Topic: topic, Tag: tag, ShardingKey: m.ShardingKey, DelayLevel: m.DelayLevel}
	if r.Key == "" {
		r.Key = NewKey()
	}
	if len(r.Key) > maxKeyLen || strings.ContainsRune(r.Key, ' ') || badChars(r.Key) {
		return Record{}, fmt.Errorf("%w: key %q (at most %d characters, no spaces)", ErrInvalidMessage, r.Key, maxKeyLen)
	}
	keysLen := len(r.Key)
	for _, k := range m.Keys {
		if k == "" || strings.ContainsRune(k, ' ') || badChars(k) {
			return Record{}, fmt.Errorf("%w: business key %q (non-empty, no spaces)", ErrInvalidMessage, k)
		}
		keysLen += 1 + len(k)
	}
	if keysLen > maxKeysLen {
		return Record{}, fmt.Errorf("%w: keys take %d characters, at most %d", ErrInvalidMessage, keysLen, maxKeysLen)
	}
	r.Keys = slices.Clone(m.Keys)
	if len(r.ShardingKey) > maxShardingKeyLen || badChars(r.ShardingKey) {
		return Record{}, fmt.Errorf("%w: sharding key %q (at most %d characters)", ErrInvalidMessage, r.ShardingKey, maxShardingKeyLen)
	}
	if r.DelayLevel < 0 || r.DelayLevel > maxDelayLevel {
		return Record{}, fmt.Errorf("%w: delay level %d (0 to %d)", ErrInvalidMessage, r.DelayLevel, maxDelayLevel)
	}
	if len(m.Properties) > 0 {
		r.Properties = make(map[string]string, len(m.Properties))
		for k, v := range m.Properties {
			if k == "" || badChars(k) || badChars(v) || slices.Contains(reservedProperties, k) {
				return Record{}, fmt.Errorf("%w: property %q", ErrInvalidMessage, k)
			}
			r.Properties[k] = v
		}
	}
	body, err := codec.Encode(EncodeParams{Topic: topic, Tag: tag, Payload: m.Payload})
	if err != nil {
		return Record{}, fmt.Errorf("%w for %s: %w", ErrEncode, m.Destination, err)
	}
	if maxBody > 0 && len(body) > maxBody {
		return Record{}, fmt.Errorf("%w: %d bytes for %s, at most %d", ErrPayloadTooLarge, len(body), m.Destination, maxBody)
	}
	if len(body) == 0 {
		return Record{}, fmt.Errorf("%w: empty body for %s (RocketMQ refuses empty messages)", ErrInvalidMessage, m.Destination)
	}
	r.Body = body
	return r, nil
}

// Message builds the RocketMQ message: tag, KEYS (business keys then the
// unique key), the KeyProperty and SHARDING_KEY properties with the user's
// properties, and the delay level. The relay picks a message's queue by
// its SHARDING_KEY; others sending it keep its key's queue with
// client.HashKey(r.ShardingKey).
func (r Record) Message() *client.Message {
	props := make(map[string]string, len(r.Properties)+2)
	maps.Copy(props, r.Properties)
	props[KeyProperty] = r.Key
	if r.ShardingKey != "" {
		props[message.PropertyShardingKey] = r.ShardingKey
	}
	keys := make([]string, 0, len(r.Keys)+1)
	keys = append(append(keys, r.Keys...), r.Key)
	return &client.Message{Topic: r.Topic, Tag: r.Tag, Keys: keys, Body: r.Body, Properties: props, DelayLevel: r.DelayLevel}
}

// shardHash is the hash of (topic, sharding key) the relay uses to keep
// per-key order; 0 means no sharding key.
func shardHash(topic, shardingKey string) uint64 {
	if shardingKey == "" {
		return 0
	}
	// FNV-1a 64 of topic, 0, shardingKey, without allocating.
	const offset, prime = 14695981039346656037, 1099511628211
	h := uint64(offset)
	for i := 0; i < len(topic); i++ {
		h = (h ^ uint64(topic[i])) * prime
	}
	h *= prime // ^ 0
	for i := 0; i < len(shardingKey); i++ {
		h = (h ^ uint64(shardingKey[i])) * prime
	}
	if s := h &^ (1 << 63); s != 0 {
		return s
	}
	return 1
}
