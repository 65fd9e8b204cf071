package client

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rocketkit/rocketkit/protocol/message"
)

// Message is a message to send.
type Message struct {
	Topic string
	// Tag is the message's tag (TAGS), which consumers filter on.
	Tag string
	// Keys are business keys (KEYS), indexed by the broker for lookups.
	Keys []string
	Body []byte
	// Properties are user properties. Keys must not be empty nor contain
	// the separators \x01 and \x02; the broker's own property names (see
	// message.Property*) are refused.
	Properties map[string]string
	// Flag is an application-defined number carried unchanged.
	Flag int32
	// DelayLevel delivers the message after the broker's delay for that
	// level (1..18 by default: 1s 5s 10s 30s 1m 2m ... 2h); 0 = now.
	DelayLevel int
	// DeliverAt delivers the message at that time (TIMER_DELIVER_MS);
	// the zero time = now. Set at most one of DelayLevel and DeliverAt.
	DeliverAt time.Time
}

// encodeProperties returns the wire properties of m followed by UNIQ_KEY
// uniq (as message.SetProperty would add it). The order is fixed: tags,
// keys, delay, then the user's properties sorted by name, so equal
// messages encode equally. The string is built in one allocation (plus the
// sorted names when there are several properties).
func (m *Message) encodeProperties(uniq string) (string, error) {
	var delayKey, delay string
	switch {
	case m.DelayLevel < 0:
		return "", fmt.Errorf("client: delay level %d is negative", m.DelayLevel)
	case m.DelayLevel > 0 && !m.DeliverAt.IsZero():
		return "", fmt.Errorf("client: a message has either a delay level or a delivery time, not both")
	case m.DelayLevel > 0:
		delayKey, delay = message.PropertyDelay, strconv.Itoa(m.DelayLevel)
	case !m.DeliverAt.IsZero():
		delayKey, delay = message.PropertyTimerDeliverMS, strconv.FormatInt(m.DeliverAt.UnixMilli(), 10)
	}
	var one [1]string
	names := one[:0]
	if len(m.Properties) > 1 {
		names = make([]string, 0, len(m.Properties))
	}
	for k := range m.Properties {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names { // in order, so the error names the first bad one
		if err := message.ValidateProperty(k, m.Properties[k]); err != nil {
			return "", fmt.Errorf("client: property %q: %w", k, err)
		}
		if isSystemProperty(k) {
			return "", fmt.Errorf("client: property %q is set by RocketMQ itself; use the Message field instead", k)
		}
	}

	size := len(message.PropertyUniqKey) + len(uniq) + 2
	if m.Tag != "" {
		size += len(message.PropertyTags) + len(m.Tag) + 2
	}
	if len(m.Keys) > 0 {
		size += len(message.PropertyKeys) + len(m.Keys) + 1
		for _, k := range m.Keys {
			size += len(k)
		}
	}
	if delayKey != "" {
		size += len(delayKey) + len(delay) + 2
	}
	for _, k := range names {
		size += len(k) + len(m.Properties[k]) + 2
	}
	var sb strings.Builder
	sb.Grow(size)
	put := func(k, v string) {
		sb.WriteString(k)
		sb.WriteByte(message.NameValueSeparator)
		sb.WriteString(v)
		sb.WriteByte(message.PropertySeparator)
	}
	if m.Tag != "" {
		put(message.PropertyTags, m.Tag)
	}
	if len(m.Keys) > 0 {
		sb.WriteString(message.PropertyKeys)
		sb.WriteByte(message.NameValueSeparator)
		for i, k := range m.Keys {
			if i > 0 {
				sb.WriteByte(' ')
			}
			sb.WriteString(k)
		}
		sb.WriteByte(message.PropertySeparator)
	}
	if delayKey != "" {
		put(delayKey, delay)
	}
	for _, k := range names {
		put(k, m.Properties[k])
	}
	put(message.PropertyUniqKey, uniq)
	return sb.String(), nil
}

// systemProperties are set by clients and brokers, never by applications.
var systemProperties = map[string]bool{
	message.PropertyTags: true, message.PropertyKeys: true, message.PropertyDelay: true,
	message.PropertyTimerDeliverMS: true, message.PropertyUniqKey: true,
	message.PropertyTransactionPrepared: true, message.PropertyProducerGroup: true,
	message.PropertyRealTopic: true, message.PropertyRealQueueID: true, message.PropertyRetryTopic: true,
	message.PropertyOriginMessageID: true, message.PropertyCluster: true,
}

func isSystemProperty(k string) bool { return systemProperties[k] }

// MessageExt is a received message with the broker's metadata.
type MessageExt struct {
	Topic string // for a redelivery, the topic it was first sent to
	Tag   string
	Keys  []string
	Body  []byte // decompressed
	Flag  int32
	// MsgID is the producer's id (UNIQ_KEY), the same for every delivery;
	// OffsetMsgID when the message has none (batches).
	MsgID string
	// OffsetMsgID encodes the broker address and commit-log offset of this
	// stored copy.
	OffsetMsgID               string
	Queue                     MessageQueue
	QueueOffset               int64
	CommitLogOffset           int64
	PreparedTransactionOffset int64
	// ReconsumeTimes counts earlier failed deliveries: 0 on the first.
	ReconsumeTimes int32
	SysFlag        int32
	BornTime       time.Time
	StoreTime      time.Time
	BornHost       netip.AddrPort
	StoreHost      netip.AddrPort
	// TransactionID is the transaction's id for half messages and
	// committed transactional messages.
	TransactionID string

	props string // raw wire properties
}

// Property returns the value of property key ("" when absent), user and
// system properties alike.
func (m *MessageExt) Property(key string) string {
	v, _ := message.GetProperty(m.props, key)
	return v
}

// SetProperties replaces m's properties (system ones included) with p, for
// code that builds a MessageExt from another client's message.
func (m *MessageExt) SetProperties(p map[string]string) { m.props = message.FormatProperties(p) }

// Properties returns every property, system ones included, in a new map.
func (m *MessageExt) Properties() map[string]string { return message.ParseProperties(m.props) }

// UserProperties returns the properties an application set, in a new map.
func (m *MessageExt) UserProperties() map[string]string {
	p := message.ParseProperties(m.props)
	for k := range p {
		if isSystemProperty(k) {
			delete(p, k)
		}
	}
	return p
}

// NewMessageExt returns a copy of m carrying props as its properties
// (system ones included), for other clients' adapters and for tests. Tag,
// Keys and MsgID, when empty in m, are taken from the TAGS, KEYS and
// UNIQ_KEY properties.
func NewMessageExt(m MessageExt, props map[string]string) *MessageExt {
	m.props = message.FormatProperties(props)
	if m.Tag == "" {
		m.Tag = props[message.PropertyTags]
	}
	if len(m.Keys) == 0 {
		m.Keys = strings.Fields(props[message.PropertyKeys])
	}
	if m.MsgID == "" {
		m.MsgID = props[message.PropertyUniqKey]
	}
	return &m
}

// newMessageExt converts a decoded record, decompressing its body. brokerName
// names the broker it was read from.
func newMessageExt(e *message.Ext, brokerName string) (*MessageExt, error) {
	m := &MessageExt{
		Topic: e.Topic, Body: e.Body, Flag: e.Flag,
		OffsetMsgID: e.OffsetMsgID(), Queue: MessageQueue{Topic: e.Topic, BrokerName: brokerName, QueueID: int(e.QueueID)},
		QueueOffset: e.QueueOffset, CommitLogOffset: e.CommitLogOffset, PreparedTransactionOffset: e.PreparedTransactionOffset,
		ReconsumeTimes: e.ReconsumeTimes, SysFlag: e.SysFlag,
		BornTime: time.UnixMilli(e.BornTimestamp), StoreTime: time.UnixMilli(e.StoreTimestamp),
		BornHost: e.BornHost, StoreHost: e.StoreHost, props: e.Properties,
	}
	m.MsgID = m.Property(message.PropertyUniqKey)
	if m.MsgID == "" {
		m.MsgID = m.OffsetMsgID
	}
	m.Tag = m.Property(message.PropertyTags)
	if keys := m.Property(message.PropertyKeys); keys != "" {
		m.Keys = strings.Fields(keys)
	}
	if m.Property(message.PropertyTransactionPrepared) == "true" || message.TransactionType(e.SysFlag) != 0 {
		if id := m.Property(propertyTransactionIDJava); id != "" {
			m.TransactionID = id
		} else {
			m.TransactionID = m.Property(message.PropertyUniqKey)
		}
	}
	if e.SysFlag&message.FlagCompressed != 0 {
		body, err := decompress(e.Body)
		if err != nil {
			return m, fmt.Errorf("client: message %s: decompress body: %w", m.MsgID, err)
		}
		m.Body = body
	}
	return m, nil
}

// propertyTransactionIDJava is the Java broker's copy of the transaction id
// on half messages.
const propertyTransactionIDJava = "__transactionId__"

// compress deflates body with zlib at level, as the Java client does for
// bodies over its threshold.
func compress(body []byte, level int) ([]byte, error) {
	var buf bytes.Buffer
	buf.Grow(len(body) / 2)
	w, err := zlib.NewWriterLevel(&buf, level)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(body); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// maxInflated bounds a decompressed body (the broker's own body limit is
// 4 MiB compressed); a body that inflates past it is refused.
const maxInflated = 64 << 20

func decompress(body []byte) ([]byte, error) {
	r, err := zlib.NewReader(bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	defer r.Close()
	out, err := io.ReadAll(io.LimitReader(r, maxInflated+1))
	if err != nil {
		return nil, err
	}
	if len(out) > maxInflated {
		return nil, fmt.Errorf("inflates past %d bytes", maxInflated)
	}
	return out, nil
}
