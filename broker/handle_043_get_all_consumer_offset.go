package broker

// GET_ALL_CONSUMER_OFFSET (43).
//
// Behavior: Java's ConsumerOffsetSerializeWrapper, {"offsetTable":
// {"topic@group": {queueId: offset}}}: every committed offset. A slave
// copies its master's offsets with it (slave_sync.go).
//
// Deviations: standard JSON (queue ids as quoted keys) where Java's
// fastjson writes bare integers; both clients' parsers and Java's accept
// either.

import (
	"github.com/rocketkit/rocketkit/protocol/remoting"
)

func init() { register(remoting.GetAllConsumerOffset, handleGetAllConsumerOffset) }

func handleGetAllConsumerOffset(b *Broker, _ *conn, req *remoting.Command) *remoting.Command {
	return jsonResponse(req, b.offsets.table())
}
