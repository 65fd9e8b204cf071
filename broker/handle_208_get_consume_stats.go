package broker

// GET_CONSUME_STATS (208).
//
// Behavior: the group's progress per queue, in Java's ConsumeStats shape:
// {"offsetTable":{<mq>:{"brokerOffset":n,"consumerOffset":n,"lastTimestamp":0}},"consumeTps":0.0},
// where <mq> is a MessageQueue object used as a key, written fastjson-style
// (not standard JSON) exactly as the Java broker does, so RocketMQ's own
// tools read it. topic limits it to one topic.
//
// Deviations: lastTimestamp and consumeTps are always 0.

import (
	"strconv"

	"github.com/rocketkit/rocketkit/protocol/remoting"
)

func init() { register(remoting.GetConsumeStats, handleGetConsumeStats) }

func handleGetConsumeStats(b *Broker, _ *conn, req *remoting.Command) *remoting.Command {
	stats := b.ConsumeStats(req.ExtFields.Get("consumerGroup"), req.ExtFields.Get("topic"))
	body := []byte(`{"offsetTable":{`)
	for i, q := range stats {
		if i > 0 {
			body = append(body, ',')
		}
		body = appendMQKey(body, q.Topic, q.BrokerName, q.QueueID)
		body = append(body, `:{"brokerOffset":`...)
		body = strconv.AppendInt(body, q.BrokerOffset, 10)
		body = append(body, `,"consumerOffset":`...)
		body = strconv.AppendInt(body, q.ConsumerOffset, 10)
		body = append(body, `,"lastTimestamp":0}`...)
	}
	body = append(body, `},"consumeTps":0.0}`...)
	resp := remoting.NewResponse(req, remoting.Success, "")
	resp.Body = body
	return resp
}
