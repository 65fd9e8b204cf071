package broker

// CONSUMER_SEND_MSG_BACK (36).
//
// Behavior: wire doc §10.6. The failed message is read by its commit-log
// offset and stored again with reconsumeTimes+1: into %RETRY%<group> with
// the delay level asked for (0 = 3 + reconsumeTimes), or into %DLQ%<group>
// when it has been reconsumed maxReconsumeTimes times (header, default 16)
// or the level is negative. RETRY_TOPIC and ORIGIN_MESSAGE_ID are set when
// absent; UNIQ_KEY and every other property are kept.
//
// Deviations: none known. Anything but SUCCESS makes the client fall back
// to sending the message to %RETRY%<group> itself.

import (
	"context"
	"strconv"

	"github.com/rocketkit/rocketkit/protocol/message"
	"github.com/rocketkit/rocketkit/protocol/remoting"
	"github.com/rocketkit/rocketkit/broker/store"
)

func init() { register(remoting.ConsumerSendMsgBack, handleConsumerSendMsgBack) }

// defaultMaxReconsumeTimes is RocketMQ's retryMaxTimes.
const defaultMaxReconsumeTimes = 16

func handleConsumerSendMsgBack(b *Broker, c *conn, req *remoting.Command) *remoting.Command {
	f := req.ExtFields
	group := f.Get("group")
	if err := message.ValidateGroup(group); err != nil {
		return errorResponse(req, remoting.InvalidParameter, err.Error())
	}
	offset, err := f.Int64("offset")
	if err != nil {
		return errorResponse(req, remoting.InvalidParameter, err.Error())
	}
	delayLevel := int32(0)
	if v, ok := f.Lookup("delayLevel"); ok && v != "" {
		if delayLevel, err = f.Int32("delayLevel"); err != nil {
			return errorResponse(req, remoting.InvalidParameter, err.Error())
		}
	}
	maxTimes := int32(defaultMaxReconsumeTimes)
	if v, ok := f.Lookup("maxReconsumeTimes"); ok && v != "" {
		if maxTimes, err = f.Int32("maxReconsumeTimes"); err != nil {
			return errorResponse(req, remoting.InvalidParameter, err.Error())
		}
	}
	rec, err := b.store.ReadRecord(offset)
	if err != nil {
		return errorResponse(req, remoting.SystemError, "look up message at offset "+strconv.FormatInt(offset, 10)+": "+err.Error())
	}
	orig, _, err := message.Decode(rec, false)
	if err != nil {
		return errorResponse(req, remoting.SystemError, "decode message: "+err.Error())
	}

	props := orig.Properties
	if _, ok := message.GetProperty(props, message.PropertyRetryTopic); !ok {
		props = message.SetProperty(props, message.PropertyRetryTopic, orig.Topic)
	}
	if _, ok := message.GetProperty(props, message.PropertyOriginMessageID); !ok {
		id := f.Get("originMsgId")
		if id == "" {
			id = orig.MsgID()
		}
		props = message.SetProperty(props, message.PropertyOriginMessageID, id)
	}
	props = message.DeleteProperties(props, message.PropertyDelay)

	dest := message.RetryTopic(group)
	if orig.ReconsumeTimes >= maxTimes || delayLevel < 0 {
		dest = message.DLQTopic(group)
	} else {
		if delayLevel == 0 {
			delayLevel = 3 + orig.ReconsumeTimes
		}
		props = message.SetProperty(props, message.PropertyDelay, strconv.Itoa(int(delayLevel)))
	}
	if _, err := b.topics.ensure(dest, 1); err != nil {
		return errorResponse(req, remoting.SystemError, err.Error())
	}
	ext := &message.Ext{
		QueueID: 0, Flag: orig.Flag, SysFlag: orig.SysFlag, BornTimestamp: orig.BornTimestamp,
		BornHost: orig.BornHost, StoreHost: b.storeHost, ReconsumeTimes: orig.ReconsumeTimes + 1,
		Body: orig.Body, Topic: dest, Properties: props,
	}
	b.routeSpecial(ext)
	entry, err := b.entryFor(ext)
	if err != nil {
		return errorResponse(req, remoting.SystemError, "retry message: "+err.Error())
	}
	if _, err := b.store.Append(context.Background(), []store.Entry{entry}); err != nil {
		return errorResponse(req, remoting.SystemError, "store retry message: "+err.Error())
	}
	b.log.Debug("message sent back", "group", group, "topic", dest, "reconsume_times", ext.ReconsumeTimes,
		"msg_id", orig.MsgID())
	return remoting.NewResponse(req, remoting.Success, "")
}
