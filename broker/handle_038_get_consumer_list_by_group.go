package broker

// GET_CONSUMER_LIST_BY_GROUP (38).
//
// Behavior: wire doc §5.7. Always SUCCESS with {"consumerIdList":[...]}, the
// group's live client ids (the client does not check the code, and an
// empty list would make it drop every queue).

import (
	"encoding/json"

	"github.com/rocketkit/rocketkit/protocol/remoting"
)

func init() { register(remoting.GetConsumerListByGroup, handleGetConsumerList) }

func handleGetConsumerList(b *Broker, _ *conn, req *remoting.Command) *remoting.Command {
	body, err := json.Marshal(struct {
		IDs []string `json:"consumerIdList"`
	}{b.clients.memberIDs(req.ExtFields.Get("consumerGroup"))})
	if err != nil {
		return errorResponse(req, remoting.SystemError, err.Error())
	}
	resp := remoting.NewResponse(req, remoting.Success, "")
	resp.Body = body
	return resp
}
