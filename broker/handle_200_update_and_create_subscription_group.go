package broker

// UPDATE_AND_CREATE_SUBSCRIPTIONGROUP (200).
//
// Behavior: the body is Java's SubscriptionGroupConfig JSON; fields left
// out take Java's defaults (consumeEnable true, retryMaxTimes 16, ...).
// The group name is validated as Java's TopicValidator.validateGroup does
// (INVALID_PARAMETER otherwise); the config replaces the group's, and
// subscriptionGroup.json is written before SUCCESS. What the broker then
// does with it (subgroup_policy.go): consumeEnable=false refuses the
// group's pulls, retryMaxTimes is the reconsume limit of a send-back that
// names none.
//
// Deviations: consumeFromMinEnable, consumeBroadcastEnable, retryQueueNums,
// brokerId, whichBrokerWhenConsumeSlowly, notifyConsumerIdsChangedEnable,
// consumeMessageOrderly, groupRetryPolicy and attributes are stored and
// shown but change nothing.

import (
	"github.com/rocketkit/rocketkit/protocol/message"
	"github.com/rocketkit/rocketkit/protocol/remoting"
)

func init() {
	register(remoting.UpdateAndCreateSubscriptionGroup, handleUpdateAndCreateSubscriptionGroup)
}

func handleUpdateAndCreateSubscriptionGroup(b *Broker, c *conn, req *remoting.Command) *remoting.Command {
	sg, err := decodeSubscriptionGroup(req.Body)
	if err != nil {
		return errorResponse(req, remoting.InvalidParameter, "subscription group config: "+err.Error())
	}
	if err := message.ValidateGroup(sg.GroupName); err != nil {
		return errorResponse(req, remoting.InvalidParameter, err.Error())
	}
	if err := b.subGroups.put(sg); err != nil {
		return errorResponse(req, remoting.SystemError, err.Error())
	}
	b.log.Info("subscription group updated", "group", sg.GroupName, "consume_enable", sg.ConsumeEnable,
		"retry_max_times", sg.RetryMaxTimes, "remote", c.remote.String())
	return remoting.NewResponse(req, remoting.Success, "")
}
