package broker

// Request-reply (RocketMQ 4.6+): a responder sends its reply to the
// cluster's reply topic with SEND_REPLY_MESSAGE; the broker pushes it to
// the requesting client (PUSH_REPLY_MESSAGE_TO_CLIENT, found by the
// reply's REPLY_TO_CLIENT among the clients that heartbeated) and stores
// it, as Java's ReplyMessageProcessor with storeReplyMessageEnable=true.

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/rocketkit/rocketkit/protocol/message"
	"github.com/rocketkit/rocketkit/protocol/remoting"
)

// pushReplyTimeout bounds the wait for the requester's answer to a push
// (Java's Broker2Client.callClient).
const pushReplyTimeout = 10 * time.Second

// sendReply pushes a reply to its requester, then stores it. The answer is
// SUCCESS when the push succeeded and SYSTEM_ERROR (with the reason) when
// it did not; either way it carries the stored copy's msgId, queueId and
// queueOffset, or "0" and 0 when storing failed, as Java answers. It waits
// on the requester's connection, so it never runs on a reader goroutine
// (handle_324_send_reply_message.go answers through answerAsync).
func (b *Broker) sendReply(ctx context.Context, c *conn, req *remoting.Command, h sendHeader) *remoting.Command {
	if resp := b.checkMessage(req, h.properties, len(req.Body)); resp != nil {
		return resp
	}
	tc, resp := b.writableTopic(req, &h)
	if resp != nil {
		return resp
	}
	ext := &message.Ext{
		QueueID: h.queueID, Flag: h.flag, SysFlag: h.sysFlag, BornTimestamp: h.bornTimestamp,
		BornHost: c.remote, StoreHost: b.storeHost, ReconsumeTimes: h.reconsumeTimes,
		Body: req.Body, Topic: tc.Name, Properties: h.properties,
	}
	if err := ext.Validate(); err != nil {
		return errorResponse(req, remoting.MessageIllegal, err.Error())
	}
	code, remark := remoting.Success, ""
	if err := b.pushReply(ctx, c, req, ext); err != nil {
		code, remark = remoting.SystemError, err.Error()
		b.log.Warn("reply not pushed", "topic", tc.Name, "remote", c.remote.String(), "err", err)
	}
	msgID, offset := "0", int64(0)
	if res, err := b.writer.append(ctx, ext); err != nil {
		b.log.Warn("store reply message", "topic", tc.Name, "err", err)
	} else {
		msgID, offset = message.OffsetMsgID(b.storeHost, res.CommitLogOffset), res.QueueOffset
	}
	out := remoting.NewResponse(req, code, remark)
	out.ExtFields = remoting.Fields{
		{Key: "msgId", Value: msgID},
		{Key: "queueId", Value: strconv.Itoa(int(h.queueID))},
		{Key: "queueOffset", Value: strconv.FormatInt(offset, 10)},
		{Key: "MSG_REGION", Value: "DefaultRegion"},
		{Key: "TRACE_ON", Value: "false"},
	}
	return out
}

// noteRequester registers the sender of a request (a message with
// REPLY_TO_CLIENT) as a producer of group under that client id, unless
// the client is known already, so that the reply can be pushed before the
// client's first heartbeat reached this broker. The official Go client
// needs it: its Request heartbeats only when the topic has no route, and
// this broker routes every topic (auto-creation), so it would wait for its
// 30 s heartbeat. Java's broker finds requesters by heartbeat only.
func (b *Broker) noteRequester(group, props string, c *conn) {
	if id, _ := message.GetProperty(props, message.PropertyReplyToClient); id != "" {
		b.clients.addRequester(group, id, c)
	}
}

// pushReply sends ext to the client named by its REPLY_TO_CLIENT and waits
// for the client's answer. The pushed properties carry PUSH_REPLY_TIME;
// the stored ones do not (Java stores the properties string as sent).
func (b *Broker) pushReply(ctx context.Context, from *conn, req *remoting.Command, ext *message.Ext) error {
	target, _ := message.GetProperty(ext.Properties, message.PropertyReplyToClient)
	if target == "" {
		return fmt.Errorf("reply message properties[%s] is null", message.PropertyReplyToClient)
	}
	to := b.clients.clientConn(target)
	if to == nil {
		return fmt.Errorf("push reply message fail, channel of <%s> not found", target)
	}
	now := time.Now().UnixMilli()
	f := req.ExtFields
	long := req.Code == remoting.SendReplyMessage
	pick := func(longKey, shortKey string) string {
		if long {
			return f.Get(longKey)
		}
		return f.Get(shortKey)
	}
	fields := remoting.Fields{
		{Key: "producerGroup", Value: pick("producerGroup", "a")},
		{Key: "topic", Value: ext.Topic},
		{Key: "defaultTopic", Value: pick("defaultTopic", "c")},
		{Key: "defaultTopicQueueNums", Value: pick("defaultTopicQueueNums", "d")},
		{Key: "queueId", Value: strconv.Itoa(int(ext.QueueID))},
		{Key: "sysFlag", Value: strconv.Itoa(int(ext.SysFlag))},
		{Key: "bornTimestamp", Value: strconv.FormatInt(ext.BornTimestamp, 10)},
		{Key: "flag", Value: strconv.Itoa(int(ext.Flag))},
		{Key: "properties", Value: message.SetProperty(ext.Properties, message.PropertyPushReplyTime, strconv.FormatInt(now, 10))},
		{Key: "reconsumeTimes", Value: strconv.Itoa(int(ext.ReconsumeTimes))},
		{Key: "unitMode", Value: strconv.FormatBool(pick("unitMode", "k") == "true")},
		{Key: "bornHost", Value: from.remote.String()},
		{Key: "storeHost", Value: b.storeHost.String()},
		{Key: "storeTimestamp", Value: strconv.FormatInt(now, 10)},
	}
	ctx, cancel := context.WithTimeout(ctx, pushReplyTimeout)
	defer cancel()
	resp, err := to.invoke(ctx, remoting.PushReplyMessageToClient, fields, ext.Body)
	if err != nil {
		return fmt.Errorf("push reply message to %s fail: %w", target, err)
	}
	if resp.Code != remoting.Success {
		return fmt.Errorf("push reply message to %s fail: code %d (%s)", target, resp.Code, resp.Remark)
	}
	return nil
}
