package broker

// GET_ALL_TOPIC_LIST_FROM_NAMESERVER (206).
//
// Behavior: {"topicList":[...]} with every topic except the broker's
// internal ones, sorted.

import (
	"encoding/json"

	"github.com/rocketkit/rocketkit/protocol/remoting"
)

func init() { register(remoting.GetAllTopicListFromNameServer, handleGetAllTopicList) }

func handleGetAllTopicList(b *Broker, _ *conn, req *remoting.Command) *remoting.Command {
	return jsonResponse(req, struct {
		Topics []string `json:"topicList"`
	}{b.topics.names()})
}

// jsonResponse is SUCCESS with v as the JSON body.
func jsonResponse(req *remoting.Command, v any) *remoting.Command {
	body, err := json.Marshal(v)
	if err != nil {
		return errorResponse(req, remoting.SystemError, err.Error())
	}
	resp := remoting.NewResponse(req, remoting.Success, "")
	resp.Body = body
	return resp
}
