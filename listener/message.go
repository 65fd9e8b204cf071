package listener

import (
	"context"
	"maps"
	"strings"
	"time"

	"github.com/rocketkit/rocketkit/client"
	"github.com/rocketkit/rocketkit/protocol/message"
)

// Message is a received message and its broker metadata. A handler may
// keep it after returning; it must not modify it while other goroutines
// read it.
type Message struct {
	Topic string   // the topic it was sent to (also for redeliveries)
	Tag   string   // its tag, "" if none
	Keys  []string // its business keys (KEYS property), nil if none
	// MsgID is the client-generated unique id, the same for every delivery.
	MsgID       string
	BrokerName  string
	QueueID     int
	QueueOffset int64
	// ReconsumeTimes counts earlier failed deliveries: 0 on the first one.
	ReconsumeTimes int
	BornTime       time.Time // when the producer created it
	StoreTime      time.Time // when the broker stored it
	Body           []byte

	codec Codec
	ext   *client.MessageExt // nil for NewMessage
	props map[string]string  // NewMessage's properties
}

// newMessage wraps a client message; m is filled in place to save an
// allocation per message.
func newMessage(m *Message, ext *client.MessageExt, codec Codec) *Message {
	*m = Message{
		Topic:          ext.Topic,
		Tag:            ext.Tag,
		Keys:           ext.Keys,
		MsgID:          ext.MsgID,
		BrokerName:     ext.Queue.BrokerName,
		QueueID:        ext.Queue.QueueID,
		QueueOffset:    ext.QueueOffset,
		ReconsumeTimes: int(ext.ReconsumeTimes),
		BornTime:       ext.BornTime,
		StoreTime:      ext.StoreTime,
		Body:           ext.Body,
		codec:          codec,
		ext:            ext,
	}
	return m
}

// NewMessage builds a Message, e.g. to unit-test a handler: properties
// may be nil; Decode uses codec, or JSON when codec is nil.
func NewMessage(topic, tag string, body []byte, properties map[string]string, codec Codec) *Message {
	m := &Message{Topic: topic, Tag: tag, Body: body, props: properties, codec: codec}
	if keys := properties[message.PropertyKeys]; keys != "" {
		m.Keys = strings.Fields(keys)
	}
	return m
}

// Decode decodes the body into v, a non-nil pointer: *[]byte receives the
// body itself (not a copy), *string a copy of it as text, anything else
// goes through the codec (JSON by default).
func (m *Message) Decode(v any) error {
	switch p := v.(type) {
	case *[]byte:
		*p = m.Body
		return nil
	case *string:
		*p = string(m.Body)
		return nil
	}
	c := m.codec
	if c == nil {
		c = JSON{}
	}
	return c.Unmarshal(UnmarshalParams{Message: m, Into: v})
}

// Property returns the named property, "" if absent. System properties
// (KEYS, TAGS, UNIQ_KEY, RETRY_TOPIC, ...) are included.
func (m *Message) Property(name string) string {
	if m.ext != nil {
		return m.ext.Property(name)
	}
	return m.props[name]
}

// Properties returns a copy of every property, the system ones included.
func (m *Message) Properties() map[string]string {
	if m.ext != nil {
		return m.ext.Properties()
	}
	return maps.Clone(m.props)
}

type ctxKey struct{}

// delivery is what a handler's context carries.
type delivery struct {
	spec *Spec
	msgs []*Message
}

// MessageFromCtx returns the message a Handle call is handling; false for
// a HandleBatch call or a context that is not a handler's.
func MessageFromCtx(ctx context.Context) (*Message, bool) {
	d, ok := ctx.Value(ctxKey{}).(*delivery)
	if !ok || len(d.msgs) != 1 {
		return nil, false
	}
	return d.msgs[0], true
}

// MessagesFromCtx returns the messages a handler call is handling, nil
// outside a handler.
func MessagesFromCtx(ctx context.Context) []*Message {
	if d, ok := ctx.Value(ctxKey{}).(*delivery); ok {
		return d.msgs
	}
	return nil
}

// SpecFromCtx returns the annotation of the listener whose handler ctx
// belongs to (its Group is the effective group), or false.
func SpecFromCtx(ctx context.Context) (*Spec, bool) {
	d, ok := ctx.Value(ctxKey{}).(*delivery)
	if !ok {
		return nil, false
	}
	return d.spec, true
}

// ReconsumeTimesFromCtx returns the ReconsumeTimes of the message a Handle
// call is handling (the largest of a batch), or -1 outside a handler.
func ReconsumeTimesFromCtx(ctx context.Context) int {
	n := -1
	for _, m := range MessagesFromCtx(ctx) {
		n = max(n, m.ReconsumeTimes)
	}
	return n
}
