package broker

// GET_ALL_TOPIC_LIST_FROM_NAMESERVER (206).
//
// Behavior: {"topicList":[...]} with every topic except the broker's
// internal ones, sorted.

import "github.com/rocketkit/rocketkit/protocol/remoting"

func init() { register(remoting.GetAllTopicListFromNameServer, handleGetAllTopicList) }

func handleGetAllTopicList(b *Broker, _ *conn, req *remoting.Command) *remoting.Command {
	return jsonResponse(req, struct {
		Topics []string `json:"topicList"`
	}{b.topics.names()})
}
