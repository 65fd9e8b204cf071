package payload

import (
	"encoding/json"
	"fmt"
)

// MessageQueue names one queue of a topic on one broker, as it appears in
// lock bodies and offset tables.
type MessageQueue struct {
	Topic      string `json:"topic"`
	BrokerName string `json:"brokerName"`
	QueueID    int    `json:"queueId"`
}

// LockBatch is LOCK_BATCH_MQ's and UNLOCK_BATCH_MQ's body.
type LockBatch struct {
	Group    string         `json:"consumerGroup"`
	ClientID string         `json:"clientId"`
	Queues   []MessageQueue `json:"mqSet"`
}

// Encode returns the compact JSON body.
func (l LockBatch) Encode() []byte {
	if l.Queues == nil {
		l.Queues = []MessageQueue{}
	}
	b, err := json.Marshal(l)
	if err != nil {
		panic(fmt.Sprintf("payload: encode lock batch: %v", err)) // strings and ints only
	}
	return b
}

// ParseLocked decodes LOCK_BATCH_MQ's answer: the queues actually locked.
// An empty body means none.
func ParseLocked(body []byte) ([]MessageQueue, error) {
	if len(body) == 0 {
		return nil, nil
	}
	var v struct {
		Locked []MessageQueue `json:"lockOKMQSet"`
	}
	if err := json.Unmarshal(NormalizeFastJSON(body), &v); err != nil {
		return nil, fmt.Errorf("%w: lock answer: %w", ErrMalformed, err)
	}
	return v.Locked, nil
}

// ParseConsumerIDs decodes GET_CONSUMER_LIST_BY_GROUP's answer: the client
// ids of the group's live members.
func ParseConsumerIDs(body []byte) ([]string, error) {
	var v struct {
		IDs *[]string `json:"consumerIdList"`
	}
	if err := json.Unmarshal(body, &v); err != nil {
		return nil, fmt.Errorf("%w: consumer list: %w", ErrMalformed, err)
	}
	if v.IDs == nil {
		return nil, fmt.Errorf("%w: consumer list without consumerIdList", ErrMalformed)
	}
	return *v.IDs, nil
}
