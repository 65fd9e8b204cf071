package client

import (
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/protocol/message"
)

// referenceProperties is the definition encodeProperties implements in one
// allocation: tags, keys, delay, the user's properties by name, each added
// with message.SetProperty, then UNIQ_KEY.
func referenceProperties(m *Message, uniq string) string {
	props := ""
	if m.Tag != "" {
		props = message.SetProperty(props, message.PropertyTags, m.Tag)
	}
	if len(m.Keys) > 0 {
		props = message.SetProperty(props, message.PropertyKeys, strings.Join(m.Keys, " "))
	}
	if m.DelayLevel > 0 {
		props = message.SetProperty(props, message.PropertyDelay, strconv.Itoa(m.DelayLevel))
	} else if !m.DeliverAt.IsZero() {
		props = message.SetProperty(props, message.PropertyTimerDeliverMS, strconv.FormatInt(m.DeliverAt.UnixMilli(), 10))
	}
	for _, k := range slices.Sorted(maps.Keys(m.Properties)) {
		props = message.SetProperty(props, k, m.Properties[k])
	}
	return message.SetProperty(props, message.PropertyUniqKey, uniq)
}

func TestEncodePropertiesMatchesReference(t *testing.T) {
	const uniq = "C0A8000100002A9F0000000000000001"
	at := time.UnixMilli(1795539887918)
	for _, m := range []*Message{
		{},
		{Tag: "TagA"},
		{Keys: []string{"k1"}},
		{Tag: "T", Keys: []string{"k1", "k2", ""}, DelayLevel: 3},
		{DeliverAt: at, Properties: map[string]string{"p": "v"}},
		{Tag: "T", Properties: map[string]string{"z": "1", "a": "", "m": "x y", "b": "2"}},
		{Keys: []string{"only"}, DeliverAt: at, Properties: map[string]string{"p": "v", "q": "w"}},
	} {
		got, err := m.encodeProperties(uniq)
		if err != nil {
			t.Fatalf("%+v: %v", m, err)
		}
		if want := referenceProperties(m, uniq); got != want {
			t.Errorf("%+v:\n got %q\nwant %q", m, got, want)
		}
		if v, ok := message.GetProperty(got, message.PropertyUniqKey); !ok || v != uniq {
			t.Errorf("%+v: UNIQ_KEY %q %v", m, v, ok)
		}
	}

	for _, tt := range []struct {
		m    *Message
		want string
	}{
		{&Message{DelayLevel: -1}, "negative"},
		{&Message{DelayLevel: 1, DeliverAt: at}, "not both"},
		{&Message{Properties: map[string]string{"b": "ok", message.PropertyTags: "x", message.PropertyUniqKey: "y"}},
			`property "TAGS"`}, // the first bad one by name
		{&Message{Properties: map[string]string{"bad\x01name": "v"}}, "bad\\x01name"},
	} {
		if _, err := tt.m.encodeProperties(uniq); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%+v: error %v, want it to mention %q", tt.m, err, tt.want)
		}
	}
}

func TestEncodePropertiesAllocations(t *testing.T) {
	m := &Message{Tag: "TagA", Keys: []string{"k1", "k2"}, Properties: map[string]string{"sent": "1795539887918"}}
	if n := testing.AllocsPerRun(100, func() { _, _ = m.encodeProperties("C0A8000100002A9F0000000000000001") }); n != 1 {
		t.Errorf("%v allocations per message, want 1", n)
	}
}
