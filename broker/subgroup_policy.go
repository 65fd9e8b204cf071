package broker

// What a subscription group's settings (subgroups.go) change in the
// request paths: the pull path asks pullRefused, the send-back path
// groupRetryMaxTimes. Each path calls in with one line.

import (
	"github.com/rocketkit/rocketkit/protocol/remoting"
)

// pullRefused returns the answer to a PULL_MESSAGE that the group's
// settings refuse, or nil: SUBSCRIPTION_GROUP_NOT_EXIST for a group no
// administrator created while autoCreateSubscriptionGroup is off, and
// NO_PERMISSION for a group with consumeEnable=false, with Java's remarks.
func (b *Broker) pullRefused(req *remoting.Command) *remoting.Command {
	group := req.ExtFields.Get("consumerGroup")
	sg, ok := b.subGroups.find(group)
	if !ok {
		return errorResponse(req, remoting.SubscriptionGroupNotExist, "subscription group ["+group+
			"] does not exist (autoCreateSubscriptionGroup is false: create it with mqadmin updateSubGroup)")
	}
	if !sg.ConsumeEnable {
		return errorResponse(req, remoting.NoPermission, "subscription group no permission, "+group)
	}
	return nil
}

// groupRetryMaxTimes is the reconsume limit of a send-back whose request
// names none: the group's retryMaxTimes (16 unless configured). A limit in
// the request wins, as in Java.
func (b *Broker) groupRetryMaxTimes(group string) int32 {
	sg, _ := b.subGroups.find(group)
	return int32(sg.RetryMaxTimes)
}
