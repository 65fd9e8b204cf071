package payload

import (
	"encoding/json"
	"fmt"
)

// Consume types, message models and start positions as the heartbeat
// spells them.
const (
	ConsumePassively = "CONSUME_PASSIVELY" // push consumer
	ConsumeActively  = "CONSUME_ACTIVELY"  // pull consumer

	Clustering   = "CLUSTERING"
	Broadcasting = "BROADCASTING"

	ConsumeFromLastOffset  = "CONSUME_FROM_LAST_OFFSET"
	ConsumeFromFirstOffset = "CONSUME_FROM_FIRST_OFFSET"
	ConsumeFromTimestamp   = "CONSUME_FROM_TIMESTAMP"

	ExpressionTag   = "TAG"
	ExpressionSQL92 = "SQL92"
)

// Heartbeat is HEART_BEAT's body (HeartbeatData): which producer and
// consumer groups a client takes part in, and what each consumer group
// subscribes to.
type Heartbeat struct {
	ClientID  string         `json:"clientID"`
	Producers []ProducerData `json:"producerDataSet"`
	Consumers []ConsumerData `json:"consumerDataSet"`
}

// ProducerData names one producer group.
type ProducerData struct {
	Group string `json:"groupName"`
}

// ConsumerData is one consumer group's registration.
type ConsumerData struct {
	Group         string             `json:"groupName"`
	ConsumeType   string             `json:"consumeType"`
	MessageModel  string             `json:"messageModel"`
	ConsumeFrom   string             `json:"consumeFromWhere"`
	Subscriptions []SubscriptionData `json:"subscriptionDataSet"`
	UnitMode      bool               `json:"unitMode"`
}

// SubscriptionData is one topic's subscription. For TAG subscriptions
// Tags lists the tags ("" or "*" subscribe to all, with Tags empty) and
// Codes their hash codes as decimal strings; SQL92 subscriptions carry the
// expression in Expression and no tags.
type SubscriptionData struct {
	ClassFilterMode bool     `json:"classFilterMode"`
	Topic           string   `json:"topic"`
	Expression      string   `json:"subString"`
	Tags            []string `json:"tagsSet"`
	Codes           []string `json:"codeSet"`
	Version         int64    `json:"subVersion"`
	ExpressionType  string   `json:"expressionType"`
}

// Encode returns the compact JSON the client sends. Empty sets are
// written as [] (never null), as the Java broker expects. h is not
// modified.
func (h Heartbeat) Encode() []byte {
	if h.Producers == nil {
		h.Producers = []ProducerData{}
	}
	consumers := make([]ConsumerData, len(h.Consumers))
	for i, c := range h.Consumers {
		subs := make([]SubscriptionData, len(c.Subscriptions))
		for j, s := range c.Subscriptions {
			if s.Tags == nil {
				s.Tags = []string{}
			}
			if s.Codes == nil {
				s.Codes = []string{}
			}
			subs[j] = s
		}
		c.Subscriptions = subs
		consumers[i] = c
	}
	h.Consumers = consumers
	b, err := json.Marshal(h)
	if err != nil {
		panic(fmt.Sprintf("payload: encode heartbeat: %v", err)) // only strings, bools and numbers: cannot fail
	}
	return b
}
