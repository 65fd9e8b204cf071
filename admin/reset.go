package admin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rocketkit/rocketkit/protocol/payload"
	"github.com/rocketkit/rocketkit/protocol/remoting"
)

// ErrGroupOnline is returned by ResetOffset when the group has live
// members and a broker cannot reset them (it does not support
// INVOKE_BROKER_TO_RESET_OFFSET): they hold their offsets in memory and
// would write them back over the reset ones.
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
// one); mqadmin's resetOffsetByTime. A group with live members is reset
// through each broker (INVOKE_BROKER_TO_RESET_OFFSET, forced as mqadmin's
// default): the broker stores the new offsets and tells every member,
// which drops what it holds of those queues and consumes from the new
// offsets without a restart (the official Go client takes about 10 s to
// act on it). A stopped group's offsets are set directly. ErrGroupOnline
// when the group is live and a broker cannot reset live members.
// Broadcasting consumers keep their offsets on their own machine, so a
// reset does not reach them. Cancelling ctx aborts the call.
func (c *Client) ResetOffset(ctx context.Context, group, topic string, at time.Time) ([]QueueReset, error) {
	if group == "" || topic == "" {
		return nil, errors.New("admin: reset offset: group and topic are required")
	}
	if err := c.requireTopic(ctx, topic); err != nil {
		return nil, err
	}
	members, err := c.GroupMembers(ctx, group)
	if err != nil && !errors.Is(err, ErrGroupOffline) {
		return nil, err
	}
	queues, addrs, err := c.queuesWithMasters(ctx, topic)
	if err != nil {
		return nil, err
	}
	out := make([]QueueReset, 0, len(queues))
	if len(members) > 0 {
		return c.resetLive(ctx, group, topic, at, queues, addrs, members)
	}
	for _, q := range queues {
		r, err := c.resetQueue(ctx, addrs[q.BrokerName], group, q, at)
		if err != nil {
			return out, err
		}
		out = append(out, r)
	}
	return out, nil
}

// resetLive resets a live group through each master of topic.
func (c *Client) resetLive(ctx context.Context, group, topic string, at time.Time, queues []QueueStatus,
	addrs map[string]string, members []Member) ([]QueueReset, error) {
	out := make([]QueueReset, 0, len(queues))
	for _, brokerName := range slices.Sorted(maps.Keys(addrs)) {
		addr := addrs[brokerName]
		var mine []QueueReset
		for _, q := range queues {
			if q.BrokerName != brokerName {
				continue
			}
			old, err := c.committedOffset(ctx, addr, group, q)
			if err != nil {
				return out, err
			}
			mine = append(mine, QueueReset{Topic: q.Topic, BrokerName: q.BrokerName, QueueID: q.QueueID, OldOffset: old})
		}
		resp, err := c.invoke(ctx, addr, remoting.NewRequest(remoting.InvokeBrokerToResetOffset, remoting.Fields{
			{Key: "topic", Value: topic}, {Key: "group", Value: group},
			{Key: "timestamp", Value: strconv.FormatInt(at.UnixMilli(), 10)}, {Key: "isForce", Value: "true"}}, nil))
		if err != nil {
			return out, err
		}
		switch resp.Code {
		case remoting.ConsumerNotOnline: // the members left meanwhile: set the offsets directly
			for _, q := range queues {
				if q.BrokerName == brokerName {
					r, err := c.resetQueue(ctx, addr, group, q, at)
					if err != nil {
						return out, err
					}
					out = append(out, r)
				}
			}
			continue
		case remoting.RequestCodeNotSupported:
			ids := make([]string, len(members))
			for i, m := range members {
				ids[i] = m.ClientID + "@" + m.Addr
			}
			return out, fmt.Errorf("%w: %s has %d (%s) and broker %s cannot reset live members; stop them, reset, then start them again",
				ErrGroupOnline, group, len(members), strings.Join(ids, ", "), addr)
		}
		if err := check(resp); err != nil {
			return out, fmt.Errorf("admin: reset offsets of %s on %s: %w", group, addr, err)
		}
		table, err := parseResetOffsetBody(resp.Body)
		if err != nil {
			return out, fmt.Errorf("admin: reset offsets of %s on %s: %w", group, addr, err)
		}
		for _, r := range mine {
			off, ok := table[payload.MessageQueue{Topic: r.Topic, BrokerName: r.BrokerName, QueueID: r.QueueID}]
			if !ok {
				continue // a read-only queue, which the broker does not reset
			}
			r.NewOffset = off
			out = append(out, r)
		}
	}
	return out, nil
}

// parseResetOffsetBody decodes Java's ResetOffsetBody: offsetTable keyed
// by queue objects (fastjson's form).
func parseResetOffsetBody(body []byte) (map[payload.MessageQueue]int64, error) {
	var v struct {
		Table map[string]int64 `json:"offsetTable"`
	}
	if err := json.Unmarshal(payload.NormalizeFastJSON(body), &v); err != nil {
		return nil, fmt.Errorf("decode offset table: %w", err)
	}
	out := make(map[payload.MessageQueue]int64, len(v.Table))
	for key, off := range v.Table {
		var mq payload.MessageQueue
		if err := json.Unmarshal([]byte(key), &mq); err != nil {
			return nil, fmt.Errorf("decode offset table: queue %q: %w", key, err)
		}
		out[mq] = off
	}
	return out, nil
}

// committedOffset returns the group's committed offset of q on the master
// at addr, -1 when it has none.
func (c *Client) committedOffset(ctx context.Context, addr, group string, q QueueStatus) (int64, error) {
	resp, err := c.invoke(ctx, addr, remoting.NewRequest(remoting.QueryConsumerOffset, remoting.Fields{
		{Key: "consumerGroup", Value: group}, {Key: "topic", Value: q.Topic},
		{Key: "queueId", Value: strconv.Itoa(q.QueueID)}}, nil))
	if err != nil {
		return -1, err
	}
	if resp.Code == remoting.QueryNotFound {
		return -1, nil
	}
	off, err := offsetOf(resp)
	if err != nil {
		return -1, fmt.Errorf("admin: offset of %s on %s queue %d on %s: %w", group, q.Topic, q.QueueID, addr, err)
	}
	return off, nil
}

// resetQueue resets one queue of a stopped group on the master at addr.
func (c *Client) resetQueue(ctx context.Context, addr, group string, q QueueStatus, at time.Time) (QueueReset, error) {
	r := QueueReset{Topic: q.Topic, BrokerName: q.BrokerName, QueueID: q.QueueID, OldOffset: -1}
	var err error
	if r.OldOffset, err = c.committedOffset(ctx, addr, group, q); err != nil {
		return r, err
	}
	if r.NewOffset, err = c.searchOffset(ctx, addr, q, at); err != nil {
		return r, err
	}
	resp, err := c.invoke(ctx, addr, remoting.NewRequest(remoting.UpdateConsumerOffset, remoting.Fields{
		{Key: "consumerGroup", Value: group}, {Key: "commitOffset", Value: strconv.FormatInt(r.NewOffset, 10)},
		{Key: "topic", Value: q.Topic}, {Key: "queueId", Value: strconv.Itoa(q.QueueID)}}, nil))
	if err != nil {
		return r, err
	}
	if err := check(resp); err != nil {
		return r, fmt.Errorf("admin: update offset of %s on %s queue %d on %s: %w", group, q.Topic, q.QueueID, addr, err)
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
