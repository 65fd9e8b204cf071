package broker

// GET_ALL_SUBSCRIPTIONGROUP_CONFIG (201).
//
// Behavior: every group the broker knows (live members or stored offsets),
// each with RocketMQ's default subscription-group settings.
//
// Deviations: groups are implicit; their settings cannot be changed yet.

import (
	"slices"

	"github.com/rocketkit/rocketkit/protocol/remoting"
)

func init() { register(remoting.GetAllSubscriptionGroupConfig, handleGetAllSubscriptionGroups) }

// subscriptionGroupConfig mirrors Java's SubscriptionGroupConfig defaults.
type subscriptionGroupConfig struct {
	GroupName                      string `json:"groupName"`
	ConsumeEnable                  bool   `json:"consumeEnable"`
	ConsumeFromMinEnable           bool   `json:"consumeFromMinEnable"`
	ConsumeBroadcastEnable         bool   `json:"consumeBroadcastEnable"`
	RetryMaxTimes                  int    `json:"retryMaxTimes"`
	RetryQueueNums                 int    `json:"retryQueueNums"`
	BrokerID                       int    `json:"brokerId"`
	WhichBrokerWhenConsumeSlowly   int    `json:"whichBrokerWhenConsumeSlowly"`
	NotifyConsumerIDsChangedEnable bool   `json:"notifyConsumerIdsChangedEnable"`
}

func handleGetAllSubscriptionGroups(b *Broker, _ *conn, req *remoting.Command) *remoting.Command {
	names := append(b.clients.groupNames(), b.offsets.groups("")...)
	slices.Sort(names)
	names = slices.Compact(names)
	table := make(map[string]subscriptionGroupConfig, len(names))
	for _, n := range names {
		table[n] = subscriptionGroupConfig{GroupName: n, ConsumeEnable: true, ConsumeFromMinEnable: true,
			ConsumeBroadcastEnable: true, RetryMaxTimes: 16, RetryQueueNums: 1, WhichBrokerWhenConsumeSlowly: 1,
			NotifyConsumerIDsChangedEnable: true}
	}
	type dataVersion struct {
		Timestamp int64 `json:"timestamp"`
		Counter   int32 `json:"counter"`
	}
	return jsonResponse(req, struct {
		Table       map[string]subscriptionGroupConfig `json:"subscriptionGroupTable"`
		DataVersion dataVersion                        `json:"dataVersion"`
	}{table, dataVersion{Timestamp: b.startedAt.UnixMilli()}})
}
