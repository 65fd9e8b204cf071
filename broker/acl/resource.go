package acl

import (
	"encoding/json"
	"fmt"

	"github.com/rocketkit/rocketkit/protocol/message"
	"github.com/rocketkit/rocketkit/protocol/remoting"
)

// Resource is a topic or a consumer group a request uses, with the
// permission it needs there.
type Resource struct {
	// Group is true for a consumer group, false for a topic.
	Group bool
	// Name is the topic or group name.
	Name string
	// Need is Pub or Sub.
	Need Perm
}

// String returns "PUB on topic T" or "SUB on group G".
func (r Resource) String() string {
	kind := "topic"
	if r.Group {
		kind = "group"
	}
	return r.Need.String() + " on " + kind + " " + r.Name
}

// adminCodes are the requests only an admin account may send (Java's
// Permission.ADMIN_CODE).
var adminCodes = map[int16]bool{
	remoting.UpdateAndCreateTopic:             true,
	remoting.DeleteTopicInBroker:              true,
	remoting.DeleteTopicInNameServer:          true,
	remoting.UpdateBrokerConfig:               true,
	remoting.UpdateAndCreateSubscriptionGroup: true,
	remoting.DeleteSubscriptionGroup:          true,
	50:                                        true, // UPDATE_AND_CREATE_ACL_CONFIG
	51:                                        true, // DELETE_ACL_CONFIG
	53:                                        true, // UPDATE_GLOBAL_WHITE_ADDRS_CONFIG
}

// NeedsAdmin reports whether request code needs an admin account.
func NeedsAdmin(code int16) bool { return adminCodes[code] }

// nameServerCodes are answered without any check: RocketMQ 4.x's name
// server has no ACL, and clients ask it for routes unsigned.
var nameServerCodes = map[int16]bool{
	remoting.GetRouteInfoByTopic:           true,
	remoting.GetBrokerClusterInfo:          true,
	remoting.GetAllTopicListFromNameServer: true,
}

// Resources returns the topics and groups req uses and the permission
// each needs, following Java's PlainAccessValidator.parse:
//
//	SEND_MESSAGE, SEND_MESSAGE_V2,     PUB on the topic (SUB on the group
//	SEND_BATCH_MESSAGE                 for a %RETRY%group topic)
//	CONSUMER_SEND_MSG_BACK             SUB on the group
//	PULL_MESSAGE, QUERY_CONSUMER_OFFSET,
//	UPDATE_CONSUMER_OFFSET             SUB on the topic and the group
//	QUERY_MESSAGE                      SUB on the topic
//	HEART_BEAT                         SUB on each consumer group and each
//	                                   topic it subscribes to
//	UNREGISTER_CLIENT,
//	GET_CONSUMER_LIST_BY_GROUP         SUB on the consumer group
//
// A topic %RETRY%G or %DLQ%G stands for group G (Java treats %DLQ% topics
// as topics). Other codes use no resource. An error means the request
// cannot be read (a heartbeat body that is not JSON).
func Resources(req *remoting.Command) ([]Resource, error) {
	f := req.ExtFields
	var rs []Resource
	topic := func(name string, need Perm) {
		if name == "" {
			return
		}
		switch {
		case message.IsRetryTopic(name):
			rs = append(rs, Resource{Group: true, Name: name[len(message.RetryTopicPrefix):], Need: Sub})
		case message.IsDLQTopic(name):
			rs = append(rs, Resource{Group: true, Name: name[len(message.DLQTopicPrefix):], Need: Sub})
		default:
			rs = append(rs, Resource{Name: name, Need: need})
		}
	}
	group := func(name string) {
		if name != "" {
			rs = append(rs, Resource{Group: true, Name: name, Need: Sub})
		}
	}
	switch req.Code {
	case remoting.SendMessage:
		topic(f.Get("topic"), Pub)
	case remoting.SendMessageV2, remoting.SendBatchMessage:
		topic(f.Get("b"), Pub)
	case remoting.ConsumerSendMsgBack:
		group(f.Get("group"))
	case remoting.PullMessage, remoting.QueryConsumerOffset, remoting.UpdateConsumerOffset:
		topic(f.Get("topic"), Sub)
		group(f.Get("consumerGroup"))
	case remoting.QueryMessage:
		topic(f.Get("topic"), Sub)
	case remoting.UnregisterClient, remoting.GetConsumerListByGroup:
		group(f.Get("consumerGroup"))
	case remoting.HeartBeat:
		var hb struct {
			Consumers []struct {
				Group         string `json:"groupName"`
				Subscriptions []struct {
					Topic string `json:"topic"`
				} `json:"subscriptionDataSet"`
			} `json:"consumerDataSet"`
		}
		if err := json.Unmarshal(req.Body, &hb); err != nil {
			return nil, fmt.Errorf("heartbeat body: %w", err)
		}
		for _, cd := range hb.Consumers {
			group(cd.Group)
			for _, s := range cd.Subscriptions {
				topic(s.Topic, Sub)
			}
		}
	}
	return rs, nil
}
