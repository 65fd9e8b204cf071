package console

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rocketkit/rocketkit/admin"
	"github.com/rocketkit/rocketkit/protocol/message"
)

// maxConsumedBy bounds the groups asked whether they consumed a message.
const maxConsumedBy = 50

// handleMessages answers GET /api/messages, one of:
//
//   - topic and key: the messages with that key (at most limit per broker);
//   - id (with topic for a producer's message id): that message;
//   - topic with begin, end and cursor: a page of the messages stored in
//     [begin, end), queue by queue, and the cursor of the next page ("" at
//     the end). Each page reads at most limit messages.
func (c *Console) handleMessages(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	_, limit, err := pageOf(r)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	topic, key, id := q.Get("topic"), q.Get("key"), q.Get("id")
	var msgs []message.Ext
	next := ""
	switch {
	case id != "":
		msgs, err = c.byID(r.Context(), topic, id)
	case topic == "":
		err = fmt.Errorf("%w: topic is required (or an offset message id)", ErrBadRequest)
	case key != "":
		msgs, err = c.adm.QueryByKey(r.Context(), admin.Query{Topic: topic, Key: key, Max: limit})
	default:
		var begin, end time.Time
		if begin, err = parseTime(q.Get("begin")); err == nil {
			if end, err = parseTime(q.Get("end")); err == nil {
				msgs, next, err = c.timePage(r.Context(), topic, begin, end, q.Get("cursor"), limit)
			}
		}
	}
	if err != nil {
		c.fail(w, r, err)
		return
	}
	views := make([]messageView, 0, len(msgs))
	for i := range msgs {
		views = append(views, viewOf(&msgs[i], previewBytes, false))
	}
	writeJSON(w, map[string]any{"messages": views, "next": next})
}

// byID finds a message by its offset message id (which locates it), or
// by its producer id (UNIQ_KEY) in topic.
func (c *Console) byID(ctx context.Context, topic, id string) ([]message.Ext, error) {
	if _, _, err := message.ParseOffsetMsgID(id); err == nil {
		m, err := c.adm.ViewMessage(ctx, id)
		if err != nil {
			return nil, err
		}
		return []message.Ext{m}, nil
	}
	if topic == "" {
		return nil, fmt.Errorf("%w: %q is not an offset message id; give the topic to look up a message id", ErrBadRequest, id)
	}
	return c.adm.QueryByKey(ctx, admin.Query{Topic: topic, Key: id, Max: 4})
}

// timePage reads at most limit messages of topic stored in [begin, end)
// from the position cursor ("<queue index>:<offset>", or "<queue index>"
// for that queue's first message at or after begin; "" = the start),
// queue after queue, and returns the next page's cursor ("" when done).
func (c *Console) timePage(ctx context.Context, topic string, begin, end time.Time, cursor string, limit int) ([]message.Ext, string, error) {
	qi, off := 0, int64(-1)
	if cursor != "" {
		a, b, ok := strings.Cut(cursor, ":")
		var err1, err2 error
		qi, err1 = strconv.Atoi(a)
		if ok {
			off, err2 = strconv.ParseInt(b, 10, 64)
		}
		if err1 != nil || err2 != nil || qi < 0 || (ok && off < 0) {
			return nil, "", fmt.Errorf("%w: cursor %q", ErrBadRequest, cursor)
		}
	}
	reader, err := c.adm.OpenTopic(ctx, topic) // one topic, route and stats look-up for the page
	if err != nil {
		return nil, "", err
	}
	queues := reader.Queues()
	slices.SortFunc(queues, func(a, b admin.QueueStatus) int {
		if a.BrokerName != b.BrokerName {
			return strings.Compare(a.BrokerName, b.BrokerName)
		}
		return a.QueueID - b.QueueID
	})
	var out []message.Ext
	for ; qi < len(queues); qi, off = qi+1, -1 {
		qs := queues[qi]
		if off >= qs.MaxOffset || qs.MaxOffset == qs.MinOffset {
			continue
		}
		msgs, _, next, err := reader.Read(ctx, admin.QueuePage{BrokerName: qs.BrokerName,
			QueueID: qs.QueueID, From: off, Begin: begin, End: end, Max: limit - len(out)})
		if err != nil {
			return out, "", err
		}
		out = append(out, msgs...)
		if len(out) >= limit {
			if next < qs.MaxOffset {
				return out, strconv.Itoa(qi) + ":" + strconv.FormatInt(next, 10), nil
			}
			if qi+1 < len(queues) { // the next queue, from begin
				return out, strconv.Itoa(qi + 1), nil
			}
			return out, "", nil
		}
	}
	return out, "", nil
}

// handleMessage answers GET /api/message?id=<offset message id>: the
// message with its body (up to 1 MiB, JSON pretty-printed), properties,
// and which groups have consumed it.
func (c *Console) handleMessage(w http.ResponseWriter, r *http.Request) {
	id, err := required(r, "id")
	if err != nil {
		c.fail(w, r, err)
		return
	}
	if _, _, err := message.ParseOffsetMsgID(id); err != nil {
		c.fail(w, r, fmt.Errorf("%w: %w", ErrBadRequest, err))
		return
	}
	m, err := c.adm.ViewMessage(r.Context(), id)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	v := viewOf(&m, detailBytes, true)
	v.ConsumedBy, err = c.consumedBy(r.Context(), &m)
	if err != nil {
		c.log.Debug("console: consumed-by", "err", err)
	}
	writeJSON(w, v)
}

// consumedBy asks the first maxConsumedBy user groups whether their
// committed offset on m's queue is past m; groups without an offset there
// are left out.
func (c *Console) consumedBy(ctx context.Context, m *message.Ext) ([]consumption, error) {
	info, err := c.adm.Cluster(ctx)
	if err != nil {
		return nil, err
	}
	store := m.StoreHost.String()
	brokerName := ""
	for name, b := range info.Brokers {
		for _, addr := range b.Addrs {
			if addr == store {
				brokerName = name
			}
		}
	}
	groups, err := c.groupNames(ctx)
	if err != nil {
		return nil, err
	}
	out := []consumption{}
	asked := 0
	for _, g := range groups {
		if isSystemGroup(g) {
			continue
		}
		if asked++; asked > maxConsumedBy {
			break
		}
		qs, err := c.adm.ConsumeStats(ctx, g, m.Topic)
		if err != nil {
			continue
		}
		for _, q := range qs {
			if q.Topic == m.Topic && q.QueueID == int(m.QueueID) && (brokerName == "" || q.BrokerName == brokerName) {
				out = append(out, consumption{Group: g, Consumed: q.ConsumerOffset > m.QueueOffset, Offset: q.ConsumerOffset})
			}
		}
	}
	return out, nil
}
