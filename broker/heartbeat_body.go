package broker

// The HEART_BEAT body, in the shapes real clients write it. The Java and Go
// clients write consumeType, messageModel and consumeFromWhere as enum names
// and subVersion as a number; the C++ client family (rocketmq-client-cpp,
// which the Python and Node.js clients wrap) writes the enums as their
// ordinals and subVersion as a string (HeartbeatData::Encode,
// SubscriptionData::toJson). Java's fastjson reads both; so do these types.

import (
	"encoding/json"
	"fmt"
	"strconv"
)

// heartbeat is the HEART_BEAT body.
type heartbeat struct {
	ClientID  string         `json:"clientID"`
	Producers []producerData `json:"producerDataSet"`
	Consumers []consumerData `json:"consumerDataSet"`
}

// producerData is one producer group in a heartbeat.
type producerData struct {
	GroupName string `json:"groupName"`
}

// consumerData is one consumer group in a heartbeat.
type consumerData struct {
	GroupName        string         `json:"groupName"`
	ConsumeType      consumeType    `json:"consumeType"`
	MessageModel     messageModel   `json:"messageModel"`
	ConsumeFromWhere consumeFrom    `json:"consumeFromWhere"`
	Subscriptions    []Subscription `json:"subscriptionDataSet"`
}

// Java's enums in declaration order: an ordinal indexes these.
var (
	consumeTypeNames  = []string{"CONSUME_ACTIVELY", "CONSUME_PASSIVELY", "CONSUME_POP"}
	messageModelNames = []string{ModelBroadcasting, ModelClustering}
	consumeFromNames  = []string{"CONSUME_FROM_LAST_OFFSET", "CONSUME_FROM_LAST_OFFSET_AND_FROM_MIN_WHEN_BOOT_FIRST",
		"CONSUME_FROM_MIN_OFFSET", "CONSUME_FROM_MAX_OFFSET", "CONSUME_FROM_FIRST_OFFSET", "CONSUME_FROM_TIMESTAMP"}
)

// consumeType, messageModel and consumeFrom hold an enum's name, read from
// its name or its ordinal.
type (
	consumeType  string
	messageModel string
	consumeFrom  string
)

func (e *consumeType) UnmarshalJSON(b []byte) error {
	s, err := enumName(b, "consumeType", consumeTypeNames)
	*e = consumeType(s)
	return err
}

func (e *messageModel) UnmarshalJSON(b []byte) error {
	s, err := enumName(b, "messageModel", messageModelNames)
	*e = messageModel(s)
	return err
}

func (e *consumeFrom) UnmarshalJSON(b []byte) error {
	s, err := enumName(b, "consumeFromWhere", consumeFromNames)
	*e = consumeFrom(s)
	return err
}

// enumName reads a Java enum as fastjson does: a string is the name (kept as
// sent), an integer the ordinal into names, null nothing.
func enumName(b []byte, key string, names []string) (string, error) {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return "", err
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
	return "", fmt.Errorf("%s %s is neither a name nor an ordinal of %v", key, b, names)
}

// UnmarshalJSON reads a subscription as the Java broker's fastjson does:
// subVersion may be a number or a string holding one (the C++ client).
func (s *Subscription) UnmarshalJSON(b []byte) error {
	type plain Subscription
	w := struct {
		*plain
		SubVersion json.RawMessage `json:"subVersion"`
	}{plain: (*plain)(s)}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	s.SubVersion = 0
	raw := w.SubVersion
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var text string
	if raw[0] == '"' {
		if err := json.Unmarshal(raw, &text); err != nil {
			return err
		}
		if text == "" {
			return nil
		}
	} else {
		text = string(raw)
	}
	v, err := strconv.ParseInt(text, 10, 64)
	if err != nil {
		return fmt.Errorf("subscription subVersion %s is not an integer", raw)
	}
	s.SubVersion = v
	return nil
}
