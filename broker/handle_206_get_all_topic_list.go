package broker

// GET_ALL_TOPIC_LIST_FROM_NAMESERVER (206).
//
// Behavior: {"topicList":[...]} with every topic except the broker's
// internal ones, sorted. With Config.NamesrvAddr the broker is not a
// name server: REQUEST_CODE_NOT_SUPPORTED naming the name servers, as a
// Java broker answers it.

import "github.com/rocketkit/rocketkit/protocol/remoting"

func init() { register(remoting.GetAllTopicListFromNameServer, handleGetAllTopicList) }

func handleGetAllTopicList(b *Broker, _ *conn, req *remoting.Command) *remoting.Command {
	if resp := b.notNameServer(req); resp != nil {
		return resp
	}
	return jsonResponse(req, struct {
		Topics []string `json:"topicList"`
	}{b.topics.names()})
}
