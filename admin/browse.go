package admin

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/rocketkit/rocketkit/protocol/message"
	"github.com/rocketkit/rocketkit/protocol/remoting"
)

// ToolsGroup is the consumer group Browse reads under, mqadmin's. It
// commits nothing, so no group's progress changes.
const ToolsGroup = "TOOLS_CONSUMER"

// browseBatch is the number of messages one Browse pull asks for.
const browseBatch = 32

// BrowseQuery selects the messages Browse returns.
type BrowseQuery struct {
	Topic string
	// Begin and End bound the store time; zero values mean unbounded.
	Begin, End time.Time
	// Max bounds the number of messages returned. Default 100.
	Max int
}

// Browse reads the messages of q.Topic stored between q.Begin and q.End
// from every queue of every master, oldest first per queue, ordered by
// broker, queue and offset, at most q.Max of them (mqadmin printMsg). It
// pulls like a consumer of ToolsGroup with its own subscription ("*") and
// commits nothing. A missing topic is ErrTopicNotFound (checked in the
// topic list first, so that a broker that creates topics on a route
// lookup does not create it).
func (c *Client) Browse(ctx context.Context, q BrowseQuery) ([]message.Ext, error) {
	if q.Max <= 0 {
		q.Max = 100
	}
	if err := c.requireTopic(ctx, q.Topic); err != nil {
		return nil, err
	}
	queues, addrs, err := c.queuesWithMasters(ctx, q.Topic)
	if err != nil {
		return nil, err
	}
	var out []message.Ext
	for _, qs := range queues {
		if len(out) >= q.Max {
			break
		}
		addr := addrs[qs.BrokerName]
		from := qs.MinOffset
		if !q.Begin.IsZero() {
			if from, err = c.searchOffset(ctx, addr, qs, q.Begin); err != nil {
				return out, err
			}
		}
		if out, err = c.browseQueue(ctx, addr, qs, from, q, out); err != nil {
			return out, err
		}
	}
	return out, nil
}

// browseQueue appends the messages of one queue from offset from to out,
// until the queue's end, a message stored at or after q.End, or q.Max.
func (c *Client) browseQueue(ctx context.Context, addr string, qs QueueStatus, from int64, q BrowseQuery, out []message.Ext) ([]message.Ext, error) {
	for from < qs.MaxOffset && len(out) < q.Max {
		resp, err := c.invoke(ctx, addr, remoting.NewRequest(remoting.PullMessage, remoting.Fields{
			{Key: "consumerGroup", Value: ToolsGroup},
			{Key: "topic", Value: qs.Topic},
			{Key: "queueId", Value: strconv.Itoa(qs.QueueID)},
			{Key: "queueOffset", Value: strconv.FormatInt(from, 10)},
			{Key: "maxMsgNums", Value: strconv.Itoa(min(browseBatch, q.Max-len(out)))},
			{Key: "sysFlag", Value: "4"}, // the subscription is in this request
			{Key: "commitOffset", Value: "0"},
			{Key: "suspendTimeoutMillis", Value: "0"},
			{Key: "subscription", Value: "*"},
			{Key: "subVersion", Value: "0"},
			{Key: "expressionType", Value: "TAG"},
		}, nil))
		if err != nil {
			return out, err
		}
		switch resp.Code {
		case remoting.Success:
		case remoting.PullNotFound, remoting.PullRetryImmediately, remoting.PullOffsetMoved:
			next, err := resp.ExtFields.Int64("nextBeginOffset")
			if err != nil || next <= from {
				return out, nil // nothing more to read here
			}
			from = next
			continue
		default:
			return out, fmt.Errorf("admin: read %s queue %d on %s: %w", qs.Topic, qs.QueueID, addr, check(resp))
		}
		msgs, err := message.DecodeAll(resp.Body, false)
		if err != nil {
			return out, fmt.Errorf("admin: decode %s queue %d from %s: %w", qs.Topic, qs.QueueID, addr, err)
		}
		if len(msgs) == 0 {
			return out, nil
		}
		for _, m := range msgs {
			if !q.End.IsZero() && m.StoreTimestamp >= q.End.UnixMilli() {
				return out, nil
			}
			if len(out) < q.Max {
				out = append(out, m)
			}
		}
		from = msgs[len(msgs)-1].QueueOffset + 1
	}
	return out, nil
}

// requireTopic returns ErrTopicNotFound unless the name servers list
// topic. Read-only calls check this first: on a broker that creates topics
// on a route lookup (this kit's), asking for the route would create it.
func (c *Client) requireTopic(ctx context.Context, topic string) error {
	topics, err := c.Topics(ctx)
	if err != nil {
		return err
	}
	if !slices.Contains(topics, topic) {
		return fmt.Errorf("%w: %s", ErrTopicNotFound, topic)
	}
	return nil
}

// queuesWithMasters returns topic's queues (TopicStatus) and the master
// address of each broker name, from one route lookup.
func (c *Client) queuesWithMasters(ctx context.Context, topic string) ([]QueueStatus, map[string]string, error) {
	route, err := c.Route(ctx, topic)
	if err != nil {
		return nil, nil, err
	}
	addrs := make(map[string]string, len(route.Brokers))
	var masters []string
	for _, b := range route.Brokers {
		if a := b.Master(); a != "" {
			addrs[b.BrokerName] = a
			masters = append(masters, a)
		}
	}
	st, err := c.topicStatsOn(ctx, topic, masters)
	if err != nil {
		return nil, nil, err
	}
	queues := st.Queues
	for _, q := range queues {
		if addrs[q.BrokerName] == "" {
			return nil, nil, fmt.Errorf("admin: no master address for broker %s of topic %s", q.BrokerName, topic)
		}
	}
	return queues, addrs, nil
}

// searchOffset returns the first offset of the queue stored at or after
// at (the max offset when none is).
func (c *Client) searchOffset(ctx context.Context, addr string, q QueueStatus, at time.Time) (int64, error) {
	resp, err := c.invoke(ctx, addr, remoting.NewRequest(remoting.SearchOffsetByTimestamp, remoting.Fields{
		{Key: "topic", Value: q.Topic}, {Key: "queueId", Value: strconv.Itoa(q.QueueID)},
		{Key: "timestamp", Value: strconv.FormatInt(at.UnixMilli(), 10)}}, nil))
	if err != nil {
		return 0, err
	}
	off, err := offsetOf(resp)
	if err != nil {
		return 0, fmt.Errorf("admin: search %s queue %d on %s by time: %w", q.Topic, q.QueueID, addr, err)
	}
	return off, nil
}
