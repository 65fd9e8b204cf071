package watermill

import (
	"context"
	"sync/atomic"

	"github.com/rocketkit/rocketkit/client"
)

// deliveryKey is the context key of a received message's *delivery.
type deliveryKey struct{}

// delivery is what the broker said about a received message, and what the
// application decided beyond Ack and Nack.
type delivery struct {
	msgID          string
	tag            string
	brokerName     string
	queueID        int
	queueOffset    int64
	reconsumeTimes int32

	deadLetter atomic.Bool // set by DeadLetter: a Nack dead-letters
}

func withDelivery(ctx context.Context, m *client.MessageExt) (context.Context, *delivery) {
	d := &delivery{
		msgID:          m.MsgID,
		tag:            m.Tag,
		brokerName:     m.Queue.BrokerName,
		queueID:        m.Queue.QueueID,
		queueOffset:    m.QueueOffset,
		reconsumeTimes: m.ReconsumeTimes,
	}
	return context.WithValue(ctx, deliveryKey{}, d), d
}

func deliveryFrom(ctx context.Context) (*delivery, bool) {
	d, ok := ctx.Value(deliveryKey{}).(*delivery)
	if !ok {
		return &delivery{queueID: -1}, false
	}
	return d, true
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
