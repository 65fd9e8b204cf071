package broker

// GET_TOPIC_STATS_INFO (202).
//
// Behavior: per queue of topic, in Java's TopicStatsTable shape:
// {"offsetTable":{<mq>:{"minOffset":n,"maxOffset":n,"lastUpdateTimestamp":0}}}
// with fastjson-style MessageQueue keys, plus "pendingTransactions": the
// number of half messages for the topic awaiting commit or rollback
// (produced, not yet visible: not consumer lag). Unknown topics get
// TOPIC_NOT_EXIST.
//
// Deviations: lastUpdateTimestamp is always 0.

import (
	"strconv"

	"github.com/rocketkit/rocketkit/protocol/remoting"
)

func init() { register(remoting.GetTopicStatsInfo, handleGetTopicStatsInfo) }

func handleGetTopicStatsInfo(b *Broker, _ *conn, req *remoting.Command) *remoting.Command {
	topic := req.ExtFields.Get("topic")
	tc, ok := b.topics.get(topic)
	if !ok {
		return errorResponse(req, remoting.TopicNotExist, "topic "+topic+" does not exist")
	}
	body := []byte(`{"offsetTable":{`)
	for q := range int32(max(tc.ReadQueues, tc.WriteQueues)) {
		if q > 0 {
			body = append(body, ',')
		}
		minOff, maxOff := b.store.QueueRange(topic, q)
		body = appendMQKey(body, topic, b.cfg.BrokerName, q)
		body = append(body, `:{"minOffset":`...)
		body = strconv.AppendInt(body, minOff, 10)
		body = append(body, `,"maxOffset":`...)
		body = strconv.AppendInt(body, maxOff, 10)
		body = append(body, `,"lastUpdateTimestamp":0}`...)
	}
	body = append(body, `},"pendingTransactions":`...)
	body = strconv.AppendInt(body, int64(b.tx.pendingByTopic()[topic]), 10)
	body = append(body, '}')
	resp := remoting.NewResponse(req, remoting.Success, "")
	resp.Body = body
	return resp
}
