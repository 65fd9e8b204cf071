package watermill

import (
	"context"

	"github.com/apache/rocketmq-client-go/v2/primitive"
)

// deliveryKey is the context key of a received message's broker metadata.
type deliveryKey struct{}

// delivery is what the broker said about a received message.
type delivery struct {
	msgID          string
	tag            string
	brokerName     string
	queueID        int
	queueOffset    int64
	reconsumeTimes int32
}

func withDelivery(ctx context.Context, m *primitive.MessageExt) context.Context {
	d := delivery{
		msgID:          m.MsgId,
		tag:            m.GetTags(),
		queueID:        -1,
		queueOffset:    m.QueueOffset,
		reconsumeTimes: m.ReconsumeTimes,
	}
	if m.Queue != nil {
		d.brokerName, d.queueID = m.Queue.BrokerName, m.Queue.QueueId
	}
	return context.WithValue(ctx, deliveryKey{}, d)
}

func deliveryFrom(ctx context.Context) (delivery, bool) {
	d, ok := ctx.Value(deliveryKey{}).(delivery)
	return d, ok
}

// MsgIDFromCtx returns the RocketMQ message id (UNIQ_KEY) of a received
// message, from msg.Context().
func MsgIDFromCtx(ctx context.Context) (string, bool) {
	d, ok := deliveryFrom(ctx)
	return d.msgID, ok
}

// TagFromCtx returns the tag of a received message ("" when it has none).
func TagFromCtx(ctx context.Context) (string, bool) {
	d, ok := deliveryFrom(ctx)
	return d.tag, ok
}

// QueueIDFromCtx returns the queue the message was read from. A redelivered
// (nacked) message is read from the group's retry topic, whose queue this
// is.
func QueueIDFromCtx(ctx context.Context) (int, bool) {
	d, ok := deliveryFrom(ctx)
	return d.queueID, ok
}

// QueueOffsetFromCtx returns the message's logical offset in its queue.
func QueueOffsetFromCtx(ctx context.Context) (int64, bool) {
	d, ok := deliveryFrom(ctx)
	return d.queueOffset, ok
}

// ReconsumeTimesFromCtx returns how often the message was redelivered
// before (0 on first delivery).
func ReconsumeTimesFromCtx(ctx context.Context) (int32, bool) {
	d, ok := deliveryFrom(ctx)
	return d.reconsumeTimes, ok
}

// BrokerNameFromCtx returns the name of the broker that holds the queue.
func BrokerNameFromCtx(ctx context.Context) (string, bool) {
	d, ok := deliveryFrom(ctx)
	return d.brokerName, ok
}
