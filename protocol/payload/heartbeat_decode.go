package payload

// Reading a HEART_BEAT body in the shapes real clients write it. The Java
// and Go clients write consumeType, messageModel and consumeFromWhere as
// enum names and subVersion as a number; the C++ client family
// (rocketmq-client-cpp, which the Python and Node.js clients wrap) writes
// the enums as their ordinals and subVersion as a string
// (HeartbeatData::Encode, SubscriptionData::toJson). Java's fastjson reads
// both; so does ParseHeartbeat.

import (
	"encoding/json"
	"fmt"
	"strconv"
)

// Java's enums in declaration order: an ordinal indexes these.
var (
	consumeTypeNames  = []string{ConsumeActively, ConsumePassively, "CONSUME_POP"}
	messageModelNames = []string{Broadcasting, Clustering}
	consumeFromNames  = []string{ConsumeFromLastOffset, "CONSUME_FROM_LAST_OFFSET_AND_FROM_MIN_WHEN_BOOT_FIRST",
		"CONSUME_FROM_MIN_OFFSET", "CONSUME_FROM_MAX_OFFSET", ConsumeFromFirstOffset, ConsumeFromTimestamp}
)

// ParseHeartbeat decodes a HEART_BEAT body as the Java broker's fastjson
// does: the enums as names (kept as sent) or ordinals, subVersion as a
// number or a string holding one, null as absent. It fails with
// ErrMalformed on JSON that does not parse, an ordinal out of range, or a
// subVersion that is not an integer.
func ParseHeartbeat(body []byte) (Heartbeat, error) {
	var raw struct {
		ClientID  string         `json:"clientID"`
		Producers []ProducerData `json:"producerDataSet"`
		Consumers []struct {
			Group         string          `json:"groupName"`
			ConsumeType   json.RawMessage `json:"consumeType"`
			MessageModel  json.RawMessage `json:"messageModel"`
			ConsumeFrom   json.RawMessage `json:"consumeFromWhere"`
			UnitMode      bool            `json:"unitMode"`
			Subscriptions []struct {
				ClassFilterMode bool            `json:"classFilterMode"`
				Topic           string          `json:"topic"`
				Expression      string          `json:"subString"`
				Tags            []string        `json:"tagsSet"`
				Codes           json.RawMessage `json:"codeSet"` // strings (Go) or numbers (Java)
				Version         json.RawMessage `json:"subVersion"`
				ExpressionType  string          `json:"expressionType"`
			} `json:"subscriptionDataSet"`
		} `json:"consumerDataSet"`
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		return Heartbeat{}, fmt.Errorf("%w: heartbeat: %w", ErrMalformed, err)
	}
	hb := Heartbeat{ClientID: raw.ClientID, Producers: raw.Producers}
	for _, rc := range raw.Consumers {
		cd := ConsumerData{Group: rc.Group, UnitMode: rc.UnitMode}
		var err error
		if cd.ConsumeType, err = enumName(rc.ConsumeType, "consumeType", consumeTypeNames); err != nil {
			return Heartbeat{}, err
		}
		if cd.MessageModel, err = enumName(rc.MessageModel, "messageModel", messageModelNames); err != nil {
			return Heartbeat{}, err
		}
		if cd.ConsumeFrom, err = enumName(rc.ConsumeFrom, "consumeFromWhere", consumeFromNames); err != nil {
			return Heartbeat{}, err
		}
		for _, rs := range rc.Subscriptions {
			sd := SubscriptionData{ClassFilterMode: rs.ClassFilterMode, Topic: rs.Topic, Expression: rs.Expression,
				Tags: rs.Tags, ExpressionType: rs.ExpressionType}
			if sd.Version, err = lenientInt(rs.Version); err != nil {
				return Heartbeat{}, fmt.Errorf("%w: heartbeat: subscription to %s: subVersion %s is not an integer", ErrMalformed, rs.Topic, rs.Version)
			}
			sd.Codes = codeStrings(rs.Codes)
			cd.Subscriptions = append(cd.Subscriptions, sd)
		}
		hb.Consumers = append(hb.Consumers, cd)
	}
	return hb, nil
}

// enumName reads a Java enum as fastjson does: a string is the name (kept
// as sent), an integer the ordinal into names, null or absent nothing.
func enumName(b json.RawMessage, key string, names []string) (string, error) {
	if len(b) == 0 {
		return "", nil
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return "", fmt.Errorf("%w: heartbeat: %s: %w", ErrMalformed, key, err)
	}
	switch v := v.(type) {
	case nil:
		return "", nil
	case string:
		return v, nil
	case float64:
		if i := int(v); float64(i) == v && i >= 0 && i < len(names) {
			return names[i], nil
		}
	}
	return "", fmt.Errorf("%w: heartbeat: %s %s is neither a name nor an ordinal of %v", ErrMalformed, key, b, names)
}

// lenientInt reads a number, a string holding one, or null/absent (0).
func lenientInt(b json.RawMessage) (int64, error) {
	if len(b) == 0 || string(b) == "null" {
		return 0, nil
	}
	text := string(b)
	if b[0] == '"' {
		if err := json.Unmarshal(b, &text); err != nil {
			return 0, err
		}
		if text == "" {
			return 0, nil
		}
	}
	return strconv.ParseInt(text, 10, 64)
}

// codeStrings reads codeSet as strings, whether written as strings or
// numbers; anything else reads as none (the broker recomputes the codes
// from the tags).
func codeStrings(b json.RawMessage) []string {
	var vals []json.Number
	if len(b) == 0 || json.Unmarshal(b, &vals) != nil {
		var strs []string
		if len(b) > 0 && json.Unmarshal(b, &strs) == nil {
			return strs
		}
		return nil
	}
	out := make([]string, len(vals))
	for i, v := range vals {
		out[i] = v.String()
	}
	return out
}
