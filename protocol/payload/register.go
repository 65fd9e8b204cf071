package payload

import (
	"bytes"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"slices"
	"strings"
	"unicode/utf8"
)

// MaxQueueNums bounds a topic's read and write queue counts in a
// registration (Java's name server takes any int; no real topic has more
// queues than this).
const MaxQueueNums = 1 << 16

// RegisterBrokerBody is REGISTER_BROKER's body (Java's RegisterBrokerBody,
// uncompressed): every topic the broker holds, the version of that table,
// and the broker's filter servers.
//
//	{"topicConfigSerializeWrapper":{"topicConfigTable":{"T":{"topicName":"T",...}},
//	 "dataVersion":{"stateVersion":0,"timestamp":1700000000000,"counter":3}},
//	 "filterServerList":[]}
type RegisterBrokerBody struct {
	Topics        TopicConfigWrapper `json:"topicConfigSerializeWrapper"`
	FilterServers []string           `json:"filterServerList"`
}

// TopicConfigWrapper is Java's TopicConfigSerializeWrapper: the topic
// table by name and its data version. Static topics
// (topicQueueMappingInfoMap) are not read.
type TopicConfigWrapper struct {
	Table       map[string]TopicConfig `json:"topicConfigTable"`
	DataVersion DataVersion            `json:"dataVersion"`
}

// TopicConfig is one topic's layout as a broker registers it (Java's
// TopicConfig).
type TopicConfig struct {
	Name        string `json:"topicName"`
	ReadQueues  int    `json:"readQueueNums"`
	WriteQueues int    `json:"writeQueueNums"`
	Perm        int    `json:"perm"`
	// FilterType is "SINGLE_TAG" (Java's default) or "MULTI_TAG".
	FilterType string            `json:"topicFilterType,omitempty"`
	SysFlag    int               `json:"topicSysFlag"`
	Order      bool              `json:"order"`
	Attributes map[string]string `json:"attributes,omitempty"`
}

// DataVersion is Java's DataVersion: a broker bumps Counter (and
// Timestamp) whenever its topic table changes.
type DataVersion struct {
	StateVersion int64 `json:"stateVersion"`
	Timestamp    int64 `json:"timestamp"`
	Counter      int64 `json:"counter"`
}

// Encode returns the body as a broker sends it: standard JSON, topics in
// name order, "filterServerList" always an array.
func (b RegisterBrokerBody) Encode() []byte {
	if b.FilterServers == nil {
		b.FilterServers = []string{}
	}
	if b.Topics.Table == nil {
		b.Topics.Table = map[string]TopicConfig{}
	}
	out, err := json.Marshal(b)
	if err != nil { // only strings, ints and bools: cannot fail
		panic(fmt.Sprintf("payload: encode RegisterBrokerBody: %v", err))
	}
	return out
}

// BodyCRC32 is the bodyCrc32 header field of a REGISTER_BROKER carrying
// body: Java's UtilAll.crc32, the IEEE CRC-32 with the sign bit cleared.
// The name server checks it unless the field is 0.
func BodyCRC32(body []byte) int32 {
	return int32(crc32.ChecksumIEEE(body) & 0x7FFFFFFF)
}

// ParseRegisterBrokerBody decodes an uncompressed REGISTER_BROKER body,
// standard JSON or fastjson. An empty body is an empty registration (a
// broker with no topics), as in Java. A body that is a bare
// TopicConfigSerializeWrapper (brokers before 3.0.11) is accepted too.
//
// It fails with ErrMalformed on anything else: JSON that does not parse,
// a topic without a name or whose name differs from its key, a name of
// more than 255 bytes, invalid UTF-8 or control characters, queue counts
// outside 0..MaxQueueNums, a permission outside 0..7, or an empty filter
// server address.
func ParseRegisterBrokerBody(body []byte) (RegisterBrokerBody, error) {
	var out RegisterBrokerBody
	if len(bytes.TrimSpace(body)) == 0 {
		out.Topics.Table = map[string]TopicConfig{}
		out.FilterServers = []string{}
		return out, nil
	}
	var raw struct {
		Wrapper       *TopicConfigWrapper    `json:"topicConfigSerializeWrapper"`
		FilterServers []string               `json:"filterServerList"`
		Table         map[string]TopicConfig `json:"topicConfigTable"` // old brokers: the wrapper itself
		DataVersion   DataVersion            `json:"dataVersion"`
	}
	if err := json.Unmarshal(NormalizeFastJSON(body), &raw); err != nil {
		return RegisterBrokerBody{}, fmt.Errorf("%w: register broker body: %w", ErrMalformed, err)
	}
	switch {
	case raw.Wrapper != nil:
		out.Topics = *raw.Wrapper
	case raw.Table != nil:
		out.Topics = TopicConfigWrapper{Table: raw.Table, DataVersion: raw.DataVersion}
	default:
		return RegisterBrokerBody{}, fmt.Errorf("%w: register broker body has neither topicConfigSerializeWrapper nor topicConfigTable", ErrMalformed)
	}
	if out.Topics.Table == nil {
		out.Topics.Table = map[string]TopicConfig{}
	}
	out.FilterServers = raw.FilterServers
	if out.FilterServers == nil {
		out.FilterServers = []string{}
	}
	for key, tc := range out.Topics.Table {
		if err := checkTopicConfig(key, tc); err != nil {
			return RegisterBrokerBody{}, fmt.Errorf("%w: register broker body: %w", ErrMalformed, err)
		}
		if len(tc.Attributes) == 0 && tc.Attributes != nil {
			tc.Attributes = nil // Java writes {}; the same as none
			out.Topics.Table[key] = tc
		}
	}
	if i := slices.IndexFunc(out.FilterServers, func(s string) bool { return strings.TrimSpace(s) == "" }); i >= 0 {
		return RegisterBrokerBody{}, fmt.Errorf("%w: register broker body: filter server %d is empty", ErrMalformed, i)
	}
	return out, nil
}

func checkTopicConfig(key string, tc TopicConfig) error {
	switch {
	case tc.Name == "":
		return fmt.Errorf("topic %q has no topicName", key)
	case tc.Name != key:
		return fmt.Errorf("topic %q is registered under key %q", tc.Name, key)
	case len(tc.Name) > 255:
		return fmt.Errorf("topic name of %d bytes exceeds 255", len(tc.Name))
	case !utf8.ValidString(tc.Name) || strings.ContainsFunc(tc.Name, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return fmt.Errorf("topic %q: name has invalid UTF-8 or control characters", tc.Name)
	case tc.ReadQueues < 0 || tc.ReadQueues > MaxQueueNums || tc.WriteQueues < 0 || tc.WriteQueues > MaxQueueNums:
		return fmt.Errorf("topic %s: queue counts %d/%d outside 0..%d", tc.Name, tc.ReadQueues, tc.WriteQueues, MaxQueueNums)
	case tc.Perm < 0 || tc.Perm > PermRead|PermWrite|PermInherit:
		return fmt.Errorf("topic %s: perm %d outside 0..7", tc.Name, tc.Perm)
	}
	return nil
}
