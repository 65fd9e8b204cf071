package console

import (
	"errors"
	"net/http"
	"strings"

	"github.com/rocketkit/rocketkit/admin"
)

// handleGroups answers GET /api/groups?q=&system=&offset=&limit=: a page
// of subscription groups with each one's total lag (asked for the page's
// groups only) and the total count.
func (c *Console) handleGroups(w http.ResponseWriter, r *http.Request) {
	offset, limit, err := pageOf(r)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	all, err := c.groupNames(r.Context())
	if err != nil {
		c.fail(w, r, err)
		return
	}
	q := strings.ToLower(r.URL.Query().Get("q"))
	system := r.URL.Query().Get("system") == "1"
	names := all[:0]
	for _, g := range all {
		if (system || !isSystemGroup(g)) && strings.Contains(strings.ToLower(g), q) {
			names = append(names, g)
		}
	}
	type row struct {
		Name  string `json:"name"`
		Lag   int64  `json:"lag"`
		Error string `json:"error,omitempty"`
	}
	rows := []row{}
	for _, g := range paginate(names, offset, limit) {
		v := row{Name: g}
		qs, err := c.adm.ConsumeStats(r.Context(), g, "")
		switch {
		case errors.Is(err, admin.ErrTopicNotFound): // no offsets yet
		case err != nil:
			v.Error = err.Error()
		default:
			v.Lag = totalLag(qs)
		}
		rows = append(rows, v)
	}
	writeJSON(w, map[string]any{"total": len(names), "offset": offset, "groups": rows})
}

// memberView is one live consumer of a group.
type memberView struct {
	ClientID      string            `json:"clientId"`
	Addr          string            `json:"addr"`
	Language      string            `json:"language"`
	Version       int               `json:"version"`
	Subscriptions map[string]string `json:"subscriptions"`
}

// queueLag is a group's position on one queue.
type queueLag struct {
	Topic          string `json:"topic"`
	BrokerName     string `json:"brokerName"`
	QueueID        int    `json:"queueId"`
	BrokerOffset   int64  `json:"brokerOffset"`
	ConsumerOffset int64  `json:"consumerOffset"`
	Lag            int64  `json:"lag"`
}

// handleGroup answers GET /api/group?group=: its live members with their
// client language and version, its lag per queue and in total, and the
// sampled total lag.
func (c *Console) handleGroup(w http.ResponseWriter, r *http.Request) {
	group, err := required(r, "group")
	if err != nil {
		c.fail(w, r, err)
		return
	}
	members := []memberView{}
	ms, err := c.adm.GroupMembers(r.Context(), group)
	if err != nil && !errors.Is(err, admin.ErrGroupOffline) {
		c.fail(w, r, err)
		return
	}
	for _, m := range ms {
		members = append(members, memberView{ClientID: m.ClientID, Addr: m.Addr, Language: m.Language,
			Version: m.Version, Subscriptions: m.Subscriptions})
	}
	queues := []queueLag{}
	qs, err := c.adm.ConsumeStats(r.Context(), group, "")
	if err != nil && !errors.Is(err, admin.ErrTopicNotFound) {
		c.fail(w, r, err)
		return
	}
	for _, q := range qs {
		queues = append(queues, queueLag{Topic: q.Topic, BrokerName: q.BrokerName, QueueID: q.QueueID,
			BrokerOffset: q.BrokerOffset, ConsumerOffset: q.ConsumerOffset, Lag: q.Lag()})
	}
	writeJSON(w, map[string]any{"group": group, "members": members, "queues": queues,
		"lag": totalLag(qs), "lagSeries": c.series.get("group:" + group)})
}
