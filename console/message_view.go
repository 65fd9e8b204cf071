package console

import (
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"encoding/json"
	"io"
	"unicode/utf8"

	"github.com/rocketkit/rocketkit/protocol/message"
)

// Body sizes shown: a list's preview and a message page's body.
const (
	previewBytes = 200
	detailBytes  = 1 << 20
)

// messageView is a message as the pages show it.
type messageView struct {
	MsgID          string            `json:"msgId"`
	OffsetMsgID    string            `json:"offsetMsgId"`
	Topic          string            `json:"topic"`
	Tags           string            `json:"tags"`
	Keys           string            `json:"keys"`
	QueueID        int32             `json:"queueId"`
	QueueOffset    int64             `json:"queueOffset"`
	BornTime       int64             `json:"bornTime"`
	StoreTime      int64             `json:"storeTime"`
	BornHost       string            `json:"bornHost"`
	StoreHost      string            `json:"storeHost"`
	ReconsumeTimes int32             `json:"reconsumeTimes"`
	BodySize       int               `json:"bodySize"`
	Body           string            `json:"body"`
	BodyEncoding   string            `json:"bodyEncoding"` // text, json (pretty-printed) or base64
	Truncated      bool              `json:"truncated"`
	Properties     map[string]string `json:"properties,omitempty"`
	ConsumedBy     []consumption     `json:"consumedBy,omitempty"`
}

// consumption is whether a group has consumed a message: its committed
// offset on the message's queue is past the message.
type consumption struct {
	Group    string `json:"group"`
	Consumed bool   `json:"consumed"`
	Offset   int64  `json:"consumerOffset"`
}

// viewOf builds the view of m with at most limit bytes of body, JSON
// bodies pretty-printed (when whole), and properties when full.
func viewOf(m *message.Ext, limit int, full bool) messageView {
	keys, _ := message.GetProperty(m.Properties, message.PropertyKeys)
	v := messageView{MsgID: m.MsgID(), OffsetMsgID: m.OffsetMsgID(), Topic: m.Topic, Tags: m.Tags(), Keys: keys,
		QueueID: m.QueueID, QueueOffset: m.QueueOffset, BornTime: m.BornTimestamp, StoreTime: m.StoreTimestamp,
		BornHost: m.BornHost.String(), StoreHost: m.StoreHost.String(), ReconsumeTimes: m.ReconsumeTimes}
	body := m.Body
	if m.SysFlag&message.FlagCompressed != 0 {
		if d, err := inflate(body, detailBytes+1); err == nil {
			body = d
		}
	}
	v.BodySize = len(body)
	v.Body, v.BodyEncoding, v.Truncated = renderBody(body, limit)
	if full {
		v.Properties = message.ParseProperties(m.Properties)
	}
	return v
}

// renderBody returns body as text (JSON pretty-printed when the whole
// body fits and is JSON) or base64 when it is not UTF-8, cut at limit.
func renderBody(body []byte, limit int) (string, string, bool) {
	truncated := len(body) > limit
	if !truncated && json.Valid(body) && len(bytes.TrimSpace(body)) > 0 {
		var out bytes.Buffer
		if json.Indent(&out, body, "", "  ") == nil {
			return out.String(), "json", false
		}
	}
	cut := body[:min(len(body), limit)]
	for i := 0; truncated && i < utf8.UTFMax-1 && len(cut) > 0 && !utf8.Valid(cut); i++ {
		cut = cut[:len(cut)-1] // a rune split by the cut
	}
	if utf8.Valid(cut) {
		return string(cut), "text", truncated
	}
	return base64.StdEncoding.EncodeToString(body[:min(len(body), limit)]), "base64", truncated
}

// inflate decompresses a zlib body, at most limit bytes of it.
func inflate(b []byte, limit int64) ([]byte, error) {
	r, err := zlib.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(io.LimitReader(r, limit))
}
