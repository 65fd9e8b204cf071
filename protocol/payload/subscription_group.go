package payload

import "encoding/json"

// SubscriptionGroupConfig is a consumer group's settings on a broker, Java's
// SubscriptionGroupConfig: the body of UPDATE_AND_CREATE_SUBSCRIPTIONGROUP,
// the entries of GET_ALL_SUBSCRIPTIONGROUP_CONFIG's answer and of a
// broker's subscriptionGroup.json. Fields a broker does not act on are
// carried as given, so what an administrator set reads back unchanged.
// NewSubscriptionGroupConfig gives RocketMQ's defaults; decoding into one
// keeps them for the fields a body leaves out, as fastjson does.
type SubscriptionGroupConfig struct {
	GroupName string `json:"groupName"`
	// ConsumeEnable false makes the broker refuse the group's pulls
	// (NO_PERMISSION): the group stops consuming until it is set again.
	ConsumeEnable          bool `json:"consumeEnable"`
	ConsumeFromMinEnable   bool `json:"consumeFromMinEnable"`
	ConsumeBroadcastEnable bool `json:"consumeBroadcastEnable"`
	ConsumeMessageOrderly  bool `json:"consumeMessageOrderly"`
	RetryQueueNums         int  `json:"retryQueueNums"`
	// RetryMaxTimes is how often a message is redelivered before it goes
	// to the group's dead-letter topic, for consumers whose send-back
	// names no limit: the Java, Go and RocketKit clients name theirs
	// (16 by default), which wins, as on a Java broker.
	RetryMaxTimes                  int   `json:"retryMaxTimes"`
	BrokerID                       int64 `json:"brokerId"`
	WhichBrokerWhenConsumeSlowly   int64 `json:"whichBrokerWhenConsumeSlowly"`
	NotifyConsumerIDsChangedEnable bool  `json:"notifyConsumerIdsChangedEnable"`
	GroupSysFlag                   int   `json:"groupSysFlag"`
	ConsumeTimeoutMinute           int   `json:"consumeTimeoutMinute"`

	// RocketMQ 5's additions, carried as given.
	GroupRetryPolicy    json.RawMessage `json:"groupRetryPolicy,omitempty"`
	SubscriptionDataSet json.RawMessage `json:"subscriptionDataSet,omitempty"`
	Attributes          json.RawMessage `json:"attributes,omitempty"`
}

// NewSubscriptionGroupConfig returns RocketMQ's default settings for group.
func NewSubscriptionGroupConfig(group string) SubscriptionGroupConfig {
	return SubscriptionGroupConfig{GroupName: group, ConsumeEnable: true, ConsumeFromMinEnable: true,
		ConsumeBroadcastEnable: true, RetryQueueNums: 1, RetryMaxTimes: 16, WhichBrokerWhenConsumeSlowly: 1,
		NotifyConsumerIDsChangedEnable: true, ConsumeTimeoutMinute: 15}
}
