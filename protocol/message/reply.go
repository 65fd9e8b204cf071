package message

import "strings"

// Request-reply (RocketMQ 4.6+): a requester sends a message carrying
// PropertyCorrelationID, PropertyReplyToClient (its client id) and
// PropertyTTL; the responder answers with a message of type reply
// (PropertyMsgType = ReplyMessageFlag) to ReplyTopic of the CLUSTER the
// broker stamped on the request, which the broker pushes to the requester
// (PUSH_REPLY_MESSAGE_TO_CLIENT).
const (
	// ReplyTopicSuffix ends the name of a cluster's reply topic
	// (Java's MixAll.REPLY_TOPIC_POSTFIX, with the underscore).
	ReplyTopicSuffix = "_REPLY_TOPIC"
	// ReplyMessageFlag is the MSG_TYPE of a reply (MixAll.REPLY_MESSAGE_FLAG).
	ReplyMessageFlag = "reply"
	// PropertyPushReplyTime is when the broker pushed a reply, in Unix
	// milliseconds (MessageConst.PROPERTY_PUSH_REPLY_TIME).
	PropertyPushReplyTime = "PUSH_REPLY_TIME"
)

// ReplyTopic is the topic replies to requests of cluster are sent to:
// "<cluster>_REPLY_TOPIC" (MixAll.getReplyTopic).
func ReplyTopic(cluster string) string { return cluster + ReplyTopicSuffix }

// IsReplyTopic reports whether topic is a cluster's reply topic. Like
// Java's system topics it takes no namespace.
func IsReplyTopic(topic string) bool {
	return strings.HasSuffix(topic, ReplyTopicSuffix) && len(topic) > len(ReplyTopicSuffix)
}
