package broker

// GET_ALL_DELAY_OFFSET (45).
//
// Behavior: Java's delayOffset.json, {"offsetTable": {level: offset}}: per
// delay level, the next schedule-queue offset to deliver. A slave copies
// its master's with it (slave_sync.go), so a slave restarted as master
// would not deliver a delayed message twice.
//
// Deviations: standard JSON (levels as quoted keys), as 43.

import (
	"github.com/rocketkit/rocketkit/protocol/remoting"
)

func init() { register(remoting.GetAllDelayOffset, handleGetAllDelayOffset) }

func handleGetAllDelayOffset(b *Broker, _ *conn, req *remoting.Command) *remoting.Command {
	return jsonResponse(req, b.delays.table())
}
