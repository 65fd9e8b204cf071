package official

import (
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/rocketkit/rocketkit/client"
	"github.com/rocketkit/rocketkit/protocol/message"
)

// systemProperties are set by clients and brokers, never by applications;
// a client.Message carrying one is refused, as package client does.
var systemProperties = map[string]bool{
	message.PropertyTags: true, message.PropertyKeys: true, message.PropertyDelay: true,
	message.PropertyTimerDeliverMS: true, message.PropertyUniqKey: true,
	message.PropertyTransactionPrepared: true, message.PropertyProducerGroup: true,
	message.PropertyRealTopic: true, message.PropertyRealQueueID: true, message.PropertyRetryTopic: true,
	message.PropertyOriginMessageID: true, message.PropertyCluster: true,
}

// clientSideProperties are the properties the official push consumer adds
// to a pulled message itself; they never were on the wire and are not
// shown to handlers.
var clientSideProperties = []string{
	message.PropertyConsumeStartTime, message.PropertyMinOffset, message.PropertyMaxOffset,
}

// checkMessage applies package client's rules for a message to send.
func checkMessage(m *client.Message, maxSize int) error {
	if m == nil {
		return errors.New("official: nil message")
	}
	if err := message.ValidateTopic(m.Topic); err != nil {
		return fmt.Errorf("official: %w", err)
	}
	if message.IsRetryTopic(m.Topic) || message.IsDLQTopic(m.Topic) {
		return fmt.Errorf("official: topic %s is a retry or dead-letter topic; consumers write those", m.Topic)
	}
	if len(m.Body) == 0 {
		return fmt.Errorf("official: message for %s has an empty body", m.Topic)
	}
	if len(m.Body) > maxSize {
		return fmt.Errorf("official: message body of %d bytes is more than MaxMessageSize %d", len(m.Body), maxSize)
	}
	switch {
	case m.DelayLevel < 0:
		return fmt.Errorf("official: delay level %d is negative", m.DelayLevel)
	case m.DelayLevel > 0 && !m.DeliverAt.IsZero():
		return errors.New("official: a message has either a delay level or a delivery time, not both")
	}
	for k, v := range m.Properties {
		if err := message.ValidateProperty(k, v); err != nil {
			return fmt.Errorf("official: property %q: %w", k, err)
		}
		if systemProperties[k] {
			return fmt.Errorf("official: property %q is set by RocketMQ itself; use the Message field instead", k)
		}
	}
	return nil
}

// toPrimitive converts a checked message. The topic is the bare one: the
// official producer adds the namespace.
func toPrimitive(m *client.Message) *primitive.Message {
	pm := primitive.NewMessage(m.Topic, m.Body)
	pm.Flag = m.Flag
	props := make(map[string]string, len(m.Properties)+3)
	maps.Copy(props, m.Properties)
	if m.Tag != "" {
		props[message.PropertyTags] = m.Tag
	}
	if len(m.Keys) > 0 {
		props[message.PropertyKeys] = strings.Join(m.Keys, " ")
	}
	switch {
	case m.DelayLevel > 0:
		props[message.PropertyDelay] = strconv.Itoa(m.DelayLevel)
	case !m.DeliverAt.IsZero():
		props[message.PropertyTimerDeliverMS] = strconv.FormatInt(m.DeliverAt.UnixMilli(), 10)
	}
	pm.WithProperties(props)
	return pm
}

// sendResult converts the official client's result for a send that did
// not fail.
func (b *backend) sendResult(r *primitive.SendResult) (*client.SendResult, error) {
	if r == nil {
		return nil, errors.New("official: the client returned no send result")
	}
	var status client.SendStatus
	switch r.Status {
	case primitive.SendOK:
		status = client.SendOK
	case primitive.SendFlushDiskTimeout:
		status = client.SendFlushDiskTimeout
	case primitive.SendFlushSlaveTimeout:
		status = client.SendFlushSlaveTimeout
	case primitive.SendSlaveNotAvailable:
		status = client.SendSlaveNotAvailable
	default:
		return nil, fmt.Errorf("official: send status %d unknown", r.Status)
	}
	res := &client.SendResult{Status: status, MsgID: r.MsgID, OffsetMsgID: r.OffsetMsgID,
		QueueOffset: r.QueueOffset, TransactionID: r.TransactionID, RegionID: r.RegionID}
	if q := r.MessageQueue; q != nil {
		res.Queue = client.MessageQueue{Topic: b.bareName(q.Topic), BrokerName: q.BrokerName, QueueID: q.QueueId}
	}
	return res, nil
}

// fromExt converts a message the official client received (a pulled
// message, or a half message it is asked to check) into package client's
// form: topics without namespace, the official consumer's own properties
// removed, the transaction id derived as package client does.
func (b *backend) fromExt(e *primitive.MessageExt) *client.MessageExt {
	props := e.GetProperties()
	for _, k := range clientSideProperties {
		delete(props, k)
	}
	m := &client.MessageExt{
		Topic: b.bareName(e.Topic), Tag: props[message.PropertyTags], Body: e.Body, Flag: e.Flag,
		MsgID: e.MsgId, OffsetMsgID: e.OffsetMsgId,
		QueueOffset: e.QueueOffset, CommitLogOffset: e.CommitLogOffset,
		PreparedTransactionOffset: e.PreparedTransactionOffset,
		ReconsumeTimes:            e.ReconsumeTimes, SysFlag: e.SysFlag,
		BornTime: time.UnixMilli(e.BornTimestamp), StoreTime: time.UnixMilli(e.StoreTimestamp),
		BornHost: parseHost(e.BornHost), StoreHost: parseHost(e.StoreHost),
	}
	if keys := props[message.PropertyKeys]; keys != "" {
		m.Keys = strings.Fields(keys)
	}
	if m.MsgID == "" {
		m.MsgID = props[message.PropertyUniqKey]
	}
	if q := e.Queue; q != nil {
		m.Queue = client.MessageQueue{Topic: b.bareName(q.Topic), BrokerName: q.BrokerName, QueueID: q.QueueId}
		if q.Topic == "" {
			m.Queue.Topic = m.Topic
		}
	}
	if props[message.PropertyTransactionPrepared] == "true" || message.TransactionType(e.SysFlag) != 0 {
		m.TransactionID = props[message.PropertyTransactionID]
		if m.TransactionID == "" {
			m.TransactionID = props[message.PropertyUniqKey]
		}
	}
	m.SetProperties(props)
	return m
}

// parseHost parses the official client's "ip:port" (IPv6 without
// brackets); the zero AddrPort when it cannot.
func parseHost(s string) netip.AddrPort {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap
	}
	i := strings.LastIndexByte(s, ':')
	if i < 0 {
		return netip.AddrPort{}
	}
	host := strings.Trim(s[:i], "[]")
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.AddrPort{}
	}
	port, err := strconv.ParseUint(s[i+1:], 10, 16)
	if err != nil {
		return netip.AddrPort{}
	}
	return netip.AddrPortFrom(a, uint16(port))
}
