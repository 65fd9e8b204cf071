package console

import (
	"fmt"
	"net/http"
)

// resetRequest is POST /api/reset's body.
type resetRequest struct {
	Group string `json:"group"`
	Topic string `json:"topic"`
	// Time is where the group resumes: RFC 3339, YYYY-MM-DDTHH:MM (the
	// server's zone) or Unix milliseconds.
	Time string `json:"time"`
}

// handleReset answers POST /api/reset: it moves the group's offsets on
// the topic to the first message stored at or after the time (a live
// group's through the broker, as mqadmin resetOffsetByTime) and answers
// each queue's old and new offsets.
func (c *Console) handleReset(w http.ResponseWriter, r *http.Request) {
	var req resetRequest
	if err := decodeBody(r, &req); err != nil {
		c.fail(w, r, err)
		return
	}
	if req.Group == "" || req.Topic == "" || req.Time == "" {
		c.fail(w, r, fmt.Errorf("%w: group, topic and time are required", ErrBadRequest))
		return
	}
	at, err := parseTime(req.Time)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	queues, err := c.adm.ResetOffset(r.Context(), req.Group, req.Topic, at)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	c.log.Info("console: reset offsets", "group", req.Group, "topic", req.Topic, "to", at, "queues", len(queues))
	writeJSON(w, map[string]any{"group": req.Group, "topic": req.Topic, "queues": queues})
}
