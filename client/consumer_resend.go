package client

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/rocketkit/rocketkit/protocol/message"
)

// innerProducerGroup is the producer group of the copies a consumer sends
// to its retry topic itself (Java's CLIENT_INNER_PRODUCER).
const innerProducerGroup = "CLIENT_INNER_PRODUCER"

// newInnerProducer returns the unregistered producer a consumer sends its
// retry copies with.
func newInnerProducer(c *Client) *Producer {
	cfg := ProducerConfig{Group: innerProducerGroup}.WithDefaults()
	return &Producer{c: c, cfg: cfg, group: innerProducerGroup}
}

// sendBackOrResend sends m back (sendBack) and, when that fails, a copy to
// the group's retry topic (resendToRetry). nil once either went through.
func (c *Consumer) sendBackOrResend(ctx context.Context, m *MessageExt, delayLevel int) error {
	err := c.sendBack(ctx, m, delayLevel)
	if err == nil {
		return nil
	}
	if rerr := c.resendToRetry(ctx, m, delayLevel); rerr != nil {
		return fmt.Errorf("%w; a copy to the retry topic failed too: %w", err, rerr)
	}
	c.log.Info("send back failed; sent a copy to the retry topic through another broker",
		"topic", m.Topic, "msg_id", m.MsgID, "dead_letter", delayLevel == deadLetterLevel, "err", err)
	return nil
}

// resendToRetry is Java's fallback when CONSUMER_SEND_MSG_BACK fails (the
// master of m's broker group is down, say): a copy of m, sent by the
// consumer itself to %RETRY%<group> on another group's master, with m's
// properties and body, RETRY_TOPIC (m's topic), ORIGIN_MESSAGE_ID,
// ReconsumeTimes+1 and MaxReconsumeTimes in the header (the broker
// dead-letters it past the maximum), and delayLevel, or 3+ReconsumeTimes
// for 0 as the broker would choose. UNIQ_KEY is kept, so the copy has m's
// MsgID. For deadLetterLevel the reconsume count is past the maximum, so
// the broker stores the copy in %DLQ%<group>. One attempt.
func (c *Consumer) resendToRetry(ctx context.Context, m *MessageExt, delayLevel int) error {
	reconsume := m.ReconsumeTimes + 1
	if delayLevel == deadLetterLevel {
		reconsume = max(reconsume, c.cfg.maxReconsume()+1)
	}
	if delayLevel <= 0 {
		delayLevel = 3 + int(m.ReconsumeTimes)
	}
	origin := m.Property(message.PropertyOriginMessageID)
	if origin == "" {
		origin = m.MsgID
	}
	props := message.DeleteProperties(m.props, message.PropertyTransactionPrepared,
		message.PropertyReconsumeTime, message.PropertyMaxReconsumeTimes)
	props = message.SetProperty(props, message.PropertyRetryTopic, c.client.wireName(m.Topic))
	props = message.SetProperty(props, message.PropertyOriginMessageID, origin)
	props = message.SetProperty(props, message.PropertyDelay, strconv.Itoa(delayLevel))
	p := c.inner
	topic := message.RetryTopicPrefix + c.group
	req := &sendRequest{topic: topic, flag: m.Flag, props: props, body: m.Body, born: time.Now().UnixMilli(),
		group: p.group, uniqIDs: m.Property(message.PropertyUniqKey),
		reconsumeTimes: reconsume, maxReconsumeTimes: c.cfg.maxReconsume()}
	p.compressBody(req)
	q, addr, err := p.pick(ctx, &Message{Topic: topic}, nil, m.Queue.BrokerName)
	if err != nil {
		return err
	}
	_, err = p.sendOnce(ctx, addr, q, req)
	return err
}
