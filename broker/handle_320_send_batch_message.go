package broker

// SEND_BATCH_MESSAGE (320).
//
// Behavior: wire doc §5.4. The body holds the inner messages; each is stored
// as its own message in the one queue, with consecutive queue offsets, in a
// single append. The answer's msgId lists every offset message id, comma
// separated, and queueOffset is the first one's.
//
// Deviations: like Java, batches to %RETRY% topics and batches holding
// delayed, timed or transactional messages are refused; the broker
// does not add UNIQ_KEY or CLUSTER to inner messages (the client sets no
// UNIQ_KEY on batches, so their MsgId is the offset message id).

import (
	"context"
	"strconv"

	"github.com/rocketkit/rocketkit/protocol/message"
	"github.com/rocketkit/rocketkit/protocol/remoting"
	"github.com/rocketkit/rocketkit/broker/store"
)

func init() { register(remoting.SendBatchMessage, handleSendBatchMessage) }

func handleSendBatchMessage(b *Broker, c *conn, req *remoting.Command) *remoting.Command {
	return b.answerSend(c, req, func(ctx context.Context) *remoting.Command { return b.sendBatch(ctx, c, req) })
}

func (b *Broker) sendBatch(ctx context.Context, c *conn, req *remoting.Command) *remoting.Command {
	h, err := parseSendHeader(req)
	if err != nil {
		return errorResponse(req, remoting.InvalidParameter, "batch header: "+err.Error())
	}
	if h.producerGroup != "" {
		b.clients.addProducer(h.producerGroup, c)
	}
	if message.IsRetryTopic(h.topic) {
		return errorResponse(req, remoting.MessageIllegal, "batch messages cannot be sent to retry topic "+h.topic)
	}
	items, err := message.DecodeBatch(req.Body)
	if err != nil {
		return errorResponse(req, remoting.MessageIllegal, "batch body: "+err.Error())
	}
	tc, resp := b.writableTopic(req, &h)
	if resp != nil {
		return resp
	}
	entries := make([]store.Entry, len(items))
	for i, it := range items {
		if resp := b.checkMessage(req, it.Properties, len(it.Body)); resp != nil {
			return resp
		}
		if resp := refuseInBatch(req, i, it.Properties); resp != nil {
			return resp
		}
		entry, err := b.entryFor(&message.Ext{
			QueueID: h.queueID, Flag: it.Flag, SysFlag: h.sysFlag, BornTimestamp: h.bornTimestamp,
			BornHost: c.remote, StoreHost: b.storeHost, ReconsumeTimes: h.reconsumeTimes,
			Body: it.Body, Topic: tc.Name, Properties: it.Properties,
		})
		if err != nil {
			return errorResponse(req, remoting.MessageIllegal, "batch message "+strconv.Itoa(i)+": "+err.Error())
		}
		entries[i] = entry
	}
	results, err := b.store.Append(ctx, entries)
	if err != nil {
		return errorResponse(req, remoting.SystemError, "store batch: "+err.Error())
	}
	return b.sendResponse(req, results, h.queueID, "")
}

// refuseInBatch refuses what Java refuses in a batch: delayed, timed and
// transactional messages.
func refuseInBatch(req *remoting.Command, i int, props string) *remoting.Command {
	for _, key := range []string{message.PropertyDelay, message.PropertyTimerDeliverMS, message.PropertyTransactionPrepared} {
		if v, ok := message.GetProperty(props, key); ok && v != "" && v != "0" && v != "false" {
			return errorResponse(req, remoting.MessageIllegal, "batch message "+strconv.Itoa(i)+
				": "+key+" is not supported in batches; send it on its own")
		}
	}
	return nil
}
