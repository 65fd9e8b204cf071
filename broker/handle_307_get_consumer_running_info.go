package broker

// GET_CONSUMER_RUNNING_INFO (307), sent by an admin tool to the broker.
//
// Behavior: header consumerGroup, clientId (and jstackEnable). The request
// is passed on, header and body unchanged, to that member of the group
// over its own connection (consumer_call.go), and the consumer's answer
// (its ConsumerRunningInfo JSON: properties, subscriptionSet, mqTable,
// statusTable) is returned as it came, code and remark included. A client
// that is not a live member of the group: SYSTEM_ERROR "The Consumer
// <group> <clientId> not online"; no answer within 10 s:
// CONSUME_MSG_TIMEOUT; the consumer's connection closing meanwhile:
// SYSTEM_ERROR. The wait runs on a goroutine of its own (answerAsync), so
// the admin connection goes on being served.
//
// Deviations: Java also refuses clients older than V3_1_8; every client
// is asked here.

import (
	"context"

	"github.com/rocketkit/rocketkit/protocol/remoting"
)

func init() { register(remoting.GetConsumerRunningInfo, handleGetConsumerRunningInfo) }

func handleGetConsumerRunningInfo(b *Broker, c *conn, req *remoting.Command) *remoting.Command {
	group, clientID := req.ExtFields.Get("consumerGroup"), req.ExtFields.Get("clientId")
	target, refused := b.consumerConn(req, group, clientID)
	if refused != nil {
		return refused
	}
	c.answerAsync(req, func(ctx context.Context) *remoting.Command {
		return callConsumer(ctx, target, remoting.GetConsumerRunningInfo, req, group, clientID)
	})
	return nil
}
