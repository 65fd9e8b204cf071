package console

import (
	"net/http"
	"slices"
	"strings"
)

// handleTopics answers GET /api/topics?q=&system=&offset=&limit=: a page
// of topic names (those containing q; system topics only with system=1)
// and the total count. Names only: stats are per topic (handleTopic).
func (c *Console) handleTopics(w http.ResponseWriter, r *http.Request) {
	offset, limit, err := pageOf(r)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	all, err := c.adm.Topics(r.Context())
	if err != nil {
		c.fail(w, r, err)
		return
	}
	q := strings.ToLower(r.URL.Query().Get("q"))
	system := r.URL.Query().Get("system") == "1"
	names := all[:0]
	for _, t := range all {
		if (system || !isSystemTopic(t)) && strings.Contains(strings.ToLower(t), q) {
			names = append(names, t)
		}
	}
	slices.Sort(names)
	type row struct {
		Name   string  `json:"name"`
		Rate   float64 `json:"rate"`
		System bool    `json:"system"`
	}
	rows := []row{}
	for _, t := range paginate(names, offset, limit) {
		rate, _ := c.series.last("topic:" + t)
		rows = append(rows, row{Name: t, Rate: rate, System: isSystemTopic(t)})
	}
	writeJSON(w, map[string]any{"total": len(names), "offset": offset, "topics": rows})
}

// handleTopic answers GET /api/topic?topic=: its queues with their min
// and max offsets, the message count, and the sampled rate.
func (c *Console) handleTopic(w http.ResponseWriter, r *http.Request) {
	topic, err := required(r, "topic")
	if err != nil {
		c.fail(w, r, err)
		return
	}
	st, err := c.adm.TopicStats(r.Context(), topic)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	var stored int64
	for _, q := range st.Queues {
		stored += q.MaxOffset - q.MinOffset
	}
	writeJSON(w, map[string]any{"topic": topic, "queues": st.Queues, "stored": stored,
		"pendingTransactions": st.PendingTransactions, "rate": c.series.get("topic:" + topic)})
}
