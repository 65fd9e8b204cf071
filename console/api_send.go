package console

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/rocketkit/rocketkit/client"
)

// sendRequest is POST /api/send's body.
type sendRequest struct {
	Topic string `json:"topic"`
	Tag   string `json:"tag"`
	// Keys are separated by spaces.
	Keys string `json:"keys"`
	Body string `json:"body"`
}

// handleSend answers POST /api/send: it sends one message (a test
// message) and answers its ids and queue.
func (c *Console) handleSend(w http.ResponseWriter, r *http.Request) {
	if c.sender == nil {
		c.fail(w, r, ErrNoSender)
		return
	}
	var req sendRequest
	if err := decodeBody(r, &req); err != nil {
		c.fail(w, r, err)
		return
	}
	if req.Topic == "" || req.Body == "" {
		c.fail(w, r, fmt.Errorf("%w: topic and body are required", ErrBadRequest))
		return
	}
	res, err := c.sender.Send(r.Context(), &client.Message{Topic: req.Topic, Tag: req.Tag,
		Keys: strings.Fields(req.Keys), Body: []byte(req.Body)})
	if err != nil {
		c.fail(w, r, err)
		return
	}
	writeJSON(w, map[string]any{"msgId": res.MsgID, "offsetMsgId": res.OffsetMsgID, "status": res.Status.String(),
		"brokerName": res.Queue.BrokerName, "queueId": res.Queue.QueueID, "queueOffset": res.QueueOffset})
}
