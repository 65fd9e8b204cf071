package payload

import (
	"encoding/json"
	"fmt"
	"strings"
)

// ConsumerOffsetTable is Java's ConsumerOffsetSerializeWrapper, the body of
// GET_ALL_CONSUMER_OFFSET (43) a slave copies from its master: every
// group's next offset per queue, keyed "topic@group", then by queue id.
//
//	{"offsetTable":{"TopicA@GroupA":{"0":12,"1":7}}}
type ConsumerOffsetTable struct {
	OffsetTable map[string]map[int32]int64 `json:"offsetTable"`
}

// ConsumerOffsetKey is the offset table key of group's offsets in topic.
func ConsumerOffsetKey(topic, group string) string { return topic + "@" + group }

// SplitConsumerOffsetKey splits a "topic@group" key; ok is false when there
// is no '@'. Topics and groups cannot contain '@', so the first one splits.
func SplitConsumerOffsetKey(key string) (topic, group string, ok bool) {
	return strings.Cut(key, "@")
}

// DelayOffsetTable is the body of GET_ALL_DELAY_OFFSET (45), Java's
// delayOffset.json: per delay level (1..n), the next offset of the level's
// schedule queue to deliver.
//
//	{"offsetTable":{"1":0,"3":12}}
type DelayOffsetTable struct {
	OffsetTable map[int32]int64 `json:"offsetTable"`
}

// ParseConsumerOffsetTable decodes a GET_ALL_CONSUMER_OFFSET body, standard
// JSON or fastjson (bare integer keys). It fails with ErrMalformed on JSON
// that does not parse, a key without '@' or a negative offset.
func ParseConsumerOffsetTable(body []byte) (ConsumerOffsetTable, error) {
	var t ConsumerOffsetTable
	if err := json.Unmarshal(NormalizeFastJSON(body), &t); err != nil {
		return ConsumerOffsetTable{}, fmt.Errorf("%w: consumer offset table: %w", ErrMalformed, err)
	}
	for key, queues := range t.OffsetTable {
		if _, _, ok := SplitConsumerOffsetKey(key); !ok {
			return ConsumerOffsetTable{}, fmt.Errorf("%w: consumer offset table: key %q is not topic@group", ErrMalformed, key)
		}
		for q, off := range queues {
			if q < 0 || off < 0 {
				return ConsumerOffsetTable{}, fmt.Errorf("%w: consumer offset table: %s queue %d offset %d", ErrMalformed, key, q, off)
			}
		}
	}
	return t, nil
}

// ParseDelayOffsetTable decodes a GET_ALL_DELAY_OFFSET body, standard JSON
// or fastjson. It fails with ErrMalformed on JSON that does not parse, a
// level below 1 or a negative offset.
func ParseDelayOffsetTable(body []byte) (DelayOffsetTable, error) {
	var t DelayOffsetTable
	if err := json.Unmarshal(NormalizeFastJSON(body), &t); err != nil {
		return DelayOffsetTable{}, fmt.Errorf("%w: delay offset table: %w", ErrMalformed, err)
	}
	for level, off := range t.OffsetTable {
		if level < 1 || off < 0 {
			return DelayOffsetTable{}, fmt.Errorf("%w: delay offset table: level %d offset %d", ErrMalformed, level, off)
		}
	}
	return t, nil
}
