package client

import (
	"context"
	"strconv"

	"github.com/rocketkit/rocketkit/protocol/remoting"
)

// deadLetterLevel is the send-back delay level that sends a message to the
// group's dead-letter topic at once.
const deadLetterLevel = -1

// retry acts on ConsumeRetry from a concurrent handler. Clustering: each
// message is sent back to its broker, which redelivers it after the delay
// (or dead-letters it after MaxReconsumeTimes); one that cannot be sent
// back is sent, as Java does, to the group's retry topic on another
// broker group's master (resendToRetry), and when that fails too it is
// redelivered locally after SuspendInterval, so it is never lost.
// Broadcasting: redelivered locally up to MaxReconsumeTimes, then dropped
// with a log line.
func (c *Consumer) retry(q *pullQueue, msgs []*MessageExt) {
	var done, again []*MessageExt
	for _, m := range msgs {
		switch {
		case c.cfg.Broadcasting && m.ReconsumeTimes >= c.cfg.maxReconsume():
			c.logDropped(m, "failed too often")
			done = append(done, m)
		case c.cfg.Broadcasting:
			again = append(again, m)
		default:
			if err := c.sendBackOrResend(c.handlerCtx, m, c.cfg.RetryDelayLevel); err != nil {
				c.log.Warn("send back failed; redelivering locally", "topic", m.Topic, "msg_id", m.MsgID, "err", err)
				again = append(again, m)
			} else {
				done = append(done, m)
			}
		}
	}
	q.finish(done)
	if len(again) > 0 {
		c.redeliverLater(q, reconsumed(again))
	}
}

// deadLetter acts on ConsumeDeadLetter from a concurrent handler: each
// message is sent to the dead-letter topic (through another master's
// retry topic when its own cannot take it; retried every SuspendInterval
// until a broker takes it); broadcasting drops them with a log line.
func (c *Consumer) deadLetter(q *pullQueue, msgs []*MessageExt) {
	var done []*MessageExt
	for _, m := range msgs {
		if c.cfg.Broadcasting {
			c.logDropped(m, "dead-lettered by the handler")
			done = append(done, m)
			continue
		}
		if err := c.sendBackOrResend(c.handlerCtx, m, deadLetterLevel); err != nil {
			c.log.Warn("dead-lettering failed; trying again", "topic", m.Topic, "msg_id", m.MsgID, "err", err)
			c.wg.Go(func() {
				if c.deadLetterUntil(q, m) {
					q.finish([]*MessageExt{m})
				}
			})
			continue
		}
		done = append(done, m)
	}
	q.finish(done)
}

// deadLetterUntil sends m to the dead-letter topic every SuspendInterval
// until the broker takes it (true) or the queue is dropped (false: m stays
// uncommitted and is delivered again to the queue's next owner).
func (c *Consumer) deadLetterUntil(q *pullQueue, m *MessageExt) bool {
	for sleepCtx(q.ctx, c.cfg.SuspendInterval) {
		err := c.sendBackOrResend(c.handlerCtx, m, deadLetterLevel)
		if err == nil {
			return true
		}
		c.log.Warn("dead-lettering failed", "topic", m.Topic, "msg_id", m.MsgID, "err", err)
	}
	return false
}

// redeliverLater hands msgs to the handlers again after SuspendInterval,
// unless the queue is dropped first.
func (c *Consumer) redeliverLater(q *pullQueue, msgs []*MessageExt) {
	c.wg.Go(func() {
		if sleepCtx(q.ctx, c.cfg.SuspendInterval) {
			c.tasks.push(consumeTask{q: q, msgs: msgs})
		}
	})
}

// reconsumed returns copies of msgs with ReconsumeTimes one higher, for a
// local redelivery (the handler may still hold the originals).
func reconsumed(msgs []*MessageExt) []*MessageExt {
	out := make([]*MessageExt, len(msgs))
	for i, m := range msgs {
		cp := *m
		cp.ReconsumeTimes++
		out[i] = &cp
	}
	return out
}

func (c *Consumer) logDropped(m *MessageExt, why string) {
	c.log.Warn("message dropped: "+why, "topic", m.Topic, "queue_id", m.Queue.QueueID, "offset", m.QueueOffset,
		"msg_id", m.MsgID, "reconsume_times", m.ReconsumeTimes)
}

// sendBack sends a failed message back to the master of the broker group
// it was read from (CONSUMER_SEND_MSG_BACK): into the group's retry topic
// with delayLevel (0: the broker's choice), or the dead-letter topic with
// deadLetterLevel or once it was reconsumed MaxReconsumeTimes times. The
// master only, as Java's findBrokerAddressInPublish: a slave stores no
// writes, so while the master is down (its queues are pulled from a slave)
// sendBack fails at once and retry falls back to resendToRetry.
func (c *Consumer) sendBack(ctx context.Context, m *MessageExt, delayLevel int) error {
	addr, err := c.client.masterAddr(m.Queue.BrokerName)
	if err != nil {
		return err
	}
	req := remoting.NewClientRequest(remoting.ConsumerSendMsgBack, remoting.Fields{
		{Key: "group", Value: c.group},
		{Key: "offset", Value: strconv.FormatInt(m.CommitLogOffset, 10)},
		{Key: "delayLevel", Value: strconv.Itoa(delayLevel)},
		{Key: "originMsgId", Value: m.MsgID},
		{Key: "originTopic", Value: c.client.wireName(m.Topic)},
		{Key: "unitMode", Value: "false"},
		{Key: "maxReconsumeTimes", Value: strconv.Itoa(int(c.cfg.maxReconsume()))},
		{Key: "bname", Value: m.Queue.BrokerName},
	}, nil)
	_, err = c.client.callOK(ctx, addr, req)
	return err
}
