package broker

// Consumer retries: a message a consumer failed to process is sent back
// (CONSUMER_SEND_MSG_BACK) into %RETRY%<group> with a delay level, and into
// %DLQ%<group> once it has been reconsumed maxReconsumeTimes times. A
// client that could not send it back sends it to %RETRY%<group> itself
// (SEND_MESSAGE with reconsumeTimes), and the send path routes an exhausted
// one to the dead-letter topic the same way.

import (
	"strconv"
	"strings"
	"time"

	"github.com/rocketkit/rocketkit/protocol/message"
	"github.com/rocketkit/rocketkit/protocol/remoting"
)

// sendBackRequest is a decoded CONSUMER_SEND_MSG_BACK.
type sendBackRequest struct {
	group      string
	offset     int64 // commit-log offset of the failed message
	delayLevel int32 // 0 = 3 + reconsumeTimes; negative = dead-letter now
	maxTimes   int32 // maxReconsumeTimes
}

// sendBack stores the failed message again with reconsumeTimes+1: into
// %RETRY%<group> with the delay level, or into %DLQ%<group> when it has
// been reconsumed maxTimes times or the level is negative. RETRY_TOPIC and
// ORIGIN_MESSAGE_ID (the original's offset message id) are set when absent,
// WAIT is set to false; UNIQ_KEY and every other property are kept. It
// returns the error response, or nil when stored.
func (b *Broker) sendBack(req *remoting.Command, sb sendBackRequest) *remoting.Command {
	rec, err := b.store.ReadRecord(sb.offset)
	if err != nil {
		return errorResponse(req, remoting.SystemError, "look up message at offset "+strconv.FormatInt(sb.offset, 10)+": "+err.Error())
	}
	orig, _, err := message.Decode(rec, false)
	if err != nil {
		return errorResponse(req, remoting.SystemError, "decode message: "+err.Error())
	}

	props := orig.Properties
	if _, ok := message.GetProperty(props, message.PropertyRetryTopic); !ok {
		props = message.SetProperty(props, message.PropertyRetryTopic, orig.Topic)
	}
	if v, _ := message.GetProperty(props, message.PropertyOriginMessageID); strings.TrimSpace(v) == "" {
		// Java: the looked-up message's id, which in the broker is its
		// offset message id (not the client's UNIQ_KEY, nor the
		// originMsgId of the request header, which only feeds hooks).
		props = message.SetProperty(props, message.PropertyOriginMessageID, orig.OffsetMsgID())
	}
	// Java stores the copy with WAIT=false (msgExt.setWaitStoreMsgOK(false)).
	props = message.SetProperty(props, message.PropertyWaitStoreMsgOK, "false")
	props = message.DeleteProperties(props, message.PropertyDelay)

	dest := message.RetryTopic(sb.group)
	if level := sb.delayLevel; orig.ReconsumeTimes >= sb.maxTimes || level < 0 {
		dest = message.DLQTopic(sb.group)
	} else {
		if level == 0 {
			level = 3 + orig.ReconsumeTimes
		}
		props = message.SetProperty(props, message.PropertyDelay, strconv.Itoa(int(level)))
	}
	ext := &message.Ext{
		QueueID: 0, Flag: orig.Flag, SysFlag: orig.SysFlag, BornTimestamp: orig.BornTimestamp,
		BornHost: orig.BornHost, ReconsumeTimes: orig.ReconsumeTimes + 1,
		Body: orig.Body, Topic: dest, Properties: props,
	}
	if err := b.writer.put(ext, true); err != nil {
		return errorResponse(req, remoting.SystemError, "store retry message: "+err.Error())
	}
	origTopic, _ := message.GetProperty(props, message.PropertyRetryTopic)
	b.traffic.sentBack.add(GroupTopic{sb.group, origTopic}, 1, int64(len(ext.Body)))
	b.log.Debug("message sent back", "group", sb.group, "topic", dest, "reconsume_times", ext.ReconsumeTimes,
		"msg_id", orig.MsgID())
	return nil
}

// routeExhaustedRetry sends a %RETRY% message that has been reconsumed too
// often to the group's dead-letter topic instead; so also any retry of a
// group that consumes orderly (an orderly consumer retries locally and
// only dead-letters). h and tc then name the dead-letter topic, queue 0.
func (b *Broker) routeExhaustedRetry(req *remoting.Command, h *sendHeader, tc *TopicConfig) *remoting.Command {
	if !message.IsRetryTopic(h.topic) {
		return nil
	}
	group := h.topic[len(message.RetryTopic("")):]
	exhausted := h.hasMaxReconsume && h.reconsumeTimes > h.maxReconsumeTimes
	if !exhausted && !b.locks.groupHoldsLock(group, time.Now()) {
		return nil
	}
	dlq, err := b.topics.ensure(message.DLQTopic(group), 1)
	if err != nil {
		return errorResponse(req, remoting.SystemError, err.Error())
	}
	*tc = dlq
	h.topic, h.queueID = dlq.Name, 0
	h.properties = message.DeleteProperties(h.properties, message.PropertyDelay)
	return nil
}
