package message

import (
	"fmt"
	"slices"
	"strings"
)

// Property keys the broker reads or writes (wire doc §9).
const (
	PropertyTags                  = "TAGS"
	PropertyKeys                  = "KEYS"
	PropertyUniqKey               = "UNIQ_KEY"
	PropertyDelay                 = "DELAY"
	PropertyTimerDeliverMS        = "TIMER_DELIVER_MS"
	PropertyTimerDelaySec         = "TIMER_DELAY_SEC" // RocketMQ 5 clients' relative delay, seconds
	PropertyTimerDelayMS          = "TIMER_DELAY_MS"  // RocketMQ 5 clients' relative delay, milliseconds
	PropertyRealTopic             = "REAL_TOPIC"
	PropertyRealQueueID           = "REAL_QID"
	PropertyRetryTopic            = "RETRY_TOPIC"
	PropertyOriginMessageID       = "ORIGIN_MESSAGE_ID"
	PropertyTransactionPrepared   = "TRAN_MSG"
	PropertyProducerGroup         = "PGROUP"
	PropertyTransactionID         = "__transactionId__"
	PropertyTransactionCheckTimes = "TRANSACTION_CHECK_TIMES"
	PropertyCheckImmunitySeconds  = "CHECK_IMMUNITY_TIME_IN_SECONDS"
	PropertyCluster               = "CLUSTER"
	PropertyMinOffset             = "MIN_OFFSET"
	PropertyMaxOffset             = "MAX_OFFSET"
	PropertyReconsumeTime         = "RECONSUME_TIME"
	PropertyMaxReconsumeTimes     = "MAX_RECONSUME_TIMES"
	PropertyConsumeStartTime      = "CONSUME_START_TIME"
	PropertyWaitStoreMsgOK        = "WAIT"
	PropertyShardingKey           = "SHARDING_KEY"
	PropertyCorrelationID         = "CORRELATION_ID"
	PropertyReplyToClient         = "REPLY_TO_CLIENT"
	PropertyTTL                   = "TTL"
	PropertyArriveTime            = "ARRIVE_TIME"
	PropertyMsgType               = "MSG_TYPE"
)

// Separators of the property string (§8.4).
const (
	NameValueSeparator = '\x01'
	PropertySeparator  = '\x02'
)

// nextItem returns the next item of props starting at i (up to the next
// PropertySeparator or the end), its key and value if it is a valid pair
// (exactly one NameValueSeparator), and the position after it.
func nextItem(props string, i int) (item, key, value string, ok bool, next int) {
	end := strings.IndexByte(props[i:], PropertySeparator)
	if end < 0 {
		item, next = props[i:], len(props)
	} else {
		item, next = props[i:i+end], i+end+1
	}
	sep := strings.IndexByte(item, NameValueSeparator)
	if sep < 0 || strings.IndexByte(item[sep+1:], NameValueSeparator) >= 0 {
		return item, "", "", false, next
	}
	return item, item[:sep], item[sep+1:], true, next
}

// GetProperty returns the value of key in props. It parses like the Go
// client (split on 0x02, then on 0x01, keep items with exactly one 0x01; a
// later duplicate wins) and does not allocate.
func GetProperty(props, key string) (string, bool) {
	var (
		val   string
		found bool
	)
	for i := 0; i < len(props); {
		_, k, v, ok, next := nextItem(props, i)
		if ok && k == key {
			val, found = v, true
		}
		i = next
	}
	return val, found
}

// SetProperty returns props with key set to value: the first valid item for
// key is replaced in place and later duplicates are dropped; if there is
// none the pair is appended. Other items, including ones the client would
// ignore, are kept byte for byte. The caller must ensure
// ValidateProperty(key, value) succeeds.
func SetProperty(props, key, value string) string {
	if !hasKey(props, key) {
		var sb strings.Builder
		sb.Grow(len(props) + len(key) + len(value) + 3)
		sb.WriteString(props)
		if props != "" && props[len(props)-1] != PropertySeparator {
			sb.WriteByte(PropertySeparator)
		}
		writePair(&sb, key, value)
		return sb.String()
	}
	var sb strings.Builder
	sb.Grow(len(props) + len(value))
	done := false
	for i := 0; i < len(props); {
		item, k, _, ok, next := nextItem(props, i)
		switch {
		case ok && k == key && done:
			// drop later duplicate
		case ok && k == key:
			writePair(&sb, key, value)
			done = true
		default:
			sb.WriteString(item)
			if next > i+len(item) {
				sb.WriteByte(PropertySeparator)
			}
		}
		i = next
	}
	return sb.String()
}

// DeleteProperties returns props without the valid items whose key is one
// of keys. Other items are kept byte for byte. props is returned unchanged
// (without allocating) if it holds none of keys.
func DeleteProperties(props string, keys ...string) string {
	if !slices.ContainsFunc(keys, func(k string) bool { return hasKey(props, k) }) {
		return props
	}
	var sb strings.Builder
	sb.Grow(len(props))
	for i := 0; i < len(props); {
		item, k, _, ok, next := nextItem(props, i)
		if !ok || !slices.Contains(keys, k) {
			sb.WriteString(item)
			if next > i+len(item) {
				sb.WriteByte(PropertySeparator)
			}
		}
		i = next
	}
	return sb.String()
}

// ParseProperties returns the properties in props as a map, parsed like
// the Go client. It never returns nil.
func ParseProperties(props string) map[string]string {
	m := make(map[string]string, strings.Count(props, string(rune(PropertySeparator)))+1)
	for i := 0; i < len(props); {
		_, k, v, ok, next := nextItem(props, i)
		if ok {
			m[k] = v
		}
		i = next
	}
	return m
}

// FormatProperties returns the property string for m with keys in sorted
// order (the client uses map order; sorting makes the output
// deterministic). The caller must ensure every pair passes ValidateProperty.
func FormatProperties(m map[string]string) string {
	keys := make([]string, 0, len(m))
	n := 0
	for k, v := range m {
		keys = append(keys, k)
		n += len(k) + len(v) + 2
	}
	slices.Sort(keys)
	var sb strings.Builder
	sb.Grow(n)
	for _, k := range keys {
		writePair(&sb, k, m[k])
	}
	return sb.String()
}

// ValidateProperty reports whether key and value can be stored in a
// property string: the key is non-empty and neither contains 0x01 or 0x02.
func ValidateProperty(key, value string) error {
	switch {
	case key == "":
		return fmt.Errorf("validate property: empty key: %w", ErrInvalidProperty)
	case strings.ContainsAny(key, "\x01\x02"):
		return fmt.Errorf("validate property %q: key contains a separator (0x01 or 0x02): %w", key, ErrInvalidProperty)
	case strings.ContainsAny(value, "\x01\x02"):
		return fmt.Errorf("validate property %q: value contains a separator (0x01 or 0x02): %w", key, ErrInvalidProperty)
	}
	return nil
}

func hasKey(props, key string) bool {
	_, ok := GetProperty(props, key)
	return ok
}

func writePair(sb *strings.Builder, key, value string) {
	sb.WriteString(key)
	sb.WriteByte(NameValueSeparator)
	sb.WriteString(value)
	sb.WriteByte(PropertySeparator)
}
