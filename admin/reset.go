package admin

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/rocketkit/rocketkit/protocol/remoting"
)

// ErrGroupOnline is returned by ResetOffset when the group has live
// members: they hold their offsets in memory and would write them back
// over the reset one.
var ErrGroupOnline = errors.New("admin: consumer group has live members")

// QueueReset is one queue's consumer offset before and after ResetOffset.
type QueueReset struct {
	Topic      string `json:"topic"`
	BrokerName string `json:"brokerName"`
	QueueID    int    `json:"queueId"`
	// OldOffset is the group's offset before the reset as the broker
	// reports it: -1 when it has none, except that, like Java's, it reports
	// 0 for a group new to a queue that still starts at offset 0.
	OldOffset int64 `json:"oldOffset"`
	// NewOffset is the first message stored at or after the reset time
	// (the queue's max offset when there is none).
	NewOffset int64 `json:"newOffset"`
}

// ResetOffset moves group's committed offset on every queue of topic to
// the first message stored at or after at, so that the group consumes
// again from that moment (an earlier time) or skips ahead to it (a later
// one); mqadmin's resetOffsetByTime for a stopped group. The group must
// have no live member (ErrGroupOnline otherwise): stop its consumers,
// reset, start them again. Broadcasting consumers keep their offsets on
// their own machine, so a reset does not reach them.
func (c *Client) ResetOffset(ctx context.Context, group, topic string, at time.Time) ([]QueueReset, error) {
	if group == "" || topic == "" {
		return nil, errors.New("admin: reset offset: group and topic are required")
	}
	if err := c.requireTopic(ctx, topic); err != nil {
		return nil, err
	}
	members, err := c.GroupMembers(ctx, group)
	switch {
	case errors.Is(err, ErrGroupOffline):
	case err != nil:
		return nil, err
	case len(members) > 0:
		ids := make([]string, len(members))
		for i, m := range members {
			ids[i] = m.ClientID + "@" + m.Addr
		}
		return nil, fmt.Errorf("%w: %s has %d (%s); stop them, reset, then start them again",
			ErrGroupOnline, group, len(members), strings.Join(ids, ", "))
	}
	queues, addrs, err := c.queuesWithMasters(ctx, topic)
	if err != nil {
		return nil, err
	}
	out := make([]QueueReset, 0, len(queues))
	for _, q := range queues {
		r, err := c.resetQueue(ctx, addrs[q.BrokerName], group, q, at)
		if err != nil {
			return out, err
		}
		out = append(out, r)
	}
	return out, nil
}

// resetQueue resets one queue on the master at addr.
func (c *Client) resetQueue(ctx context.Context, addr, group string, q QueueStatus, at time.Time) (QueueReset, error) {
	r := QueueReset{Topic: q.Topic, BrokerName: q.BrokerName, QueueID: q.QueueID, OldOffset: -1}
	queue := remoting.Fields{{Key: "topic", Value: q.Topic}, {Key: "queueId", Value: strconv.Itoa(q.QueueID)}}
	where := fmt.Sprintf("%s queue %d on %s", q.Topic, q.QueueID, addr)

	resp, err := c.invoke(ctx, addr, remoting.NewRequest(remoting.QueryConsumerOffset,
		append(remoting.Fields{{Key: "consumerGroup", Value: group}}, queue...), nil))
	if err != nil {
		return r, err
	}
	if resp.Code != remoting.QueryNotFound {
		if r.OldOffset, err = offsetOf(resp); err != nil {
			return r, fmt.Errorf("admin: offset of %s on %s: %w", group, where, err)
		}
	}

	if r.NewOffset, err = c.searchOffset(ctx, addr, q, at); err != nil {
		return r, err
	}

	resp, err = c.invoke(ctx, addr, remoting.NewRequest(remoting.UpdateConsumerOffset,
		append(remoting.Fields{{Key: "consumerGroup", Value: group}, {Key: "commitOffset", Value: strconv.FormatInt(r.NewOffset, 10)}}, queue...), nil))
	if err != nil {
		return r, err
	}
	if err := check(resp); err != nil {
		return r, fmt.Errorf("admin: update offset of %s on %s: %w", group, where, err)
	}
	return r, nil
}

// offsetOf reads the "offset" field of a successful answer.
func offsetOf(resp *remoting.Command) (int64, error) {
	if err := check(resp); err != nil {
		return 0, err
	}
	return resp.ExtFields.Int64("offset")
}
