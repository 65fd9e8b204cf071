package broker

// GET_ALL_TOPIC_CONFIG (21).
//
// Behavior: Java's TopicConfigSerializeWrapper, {"topicConfigTable":
// {name: TopicConfig}, "dataVersion": {...}}: every topic, system ones
// included, as the broker registers them with a name server. A slave
// copies its master's table with it (slave_sync.go); admin tools list
// topics with it.
//
// Deviations: the data version is the registrar's (it changes when the
// table changes) only in cluster mode; a standalone broker answers its
// table's change count as the counter.

import (
	"github.com/rocketkit/rocketkit/protocol/payload"
	"github.com/rocketkit/rocketkit/protocol/remoting"
)

func init() { register(remoting.GetAllTopicConfig, handleGetAllTopicConfig) }

func handleGetAllTopicConfig(b *Broker, _ *conn, req *remoting.Command) *remoting.Command {
	return jsonResponse(req, payload.TopicConfigWrapper{
		Table:       b.topics.registration(),
		DataVersion: payload.DataVersion{Timestamp: b.startedAt.UnixMilli(), Counter: b.topics.version.Load()},
	})
}
