package admin

import (
	"context"
	"fmt"
	"time"

	"github.com/rocketkit/rocketkit/protocol/message"
)

// QueuePage selects a page of one queue's messages for ReadQueue.
type QueuePage struct {
	Topic      string
	BrokerName string
	QueueID    int
	// From is the first queue offset to read; a negative From starts at
	// the first message stored at or after Begin instead (the queue's
	// first message when Begin is zero too).
	From int64
	// Begin and End bound the store time; zero values mean unbounded.
	// Reading stops at the first message stored at or after End.
	Begin, End time.Time
	// Max bounds the number of messages returned. Default 32.
	Max int
}

// ReadQueue reads at most p.Max messages of one queue, oldest first, and
// returns them with the queue's status and the offset the next page
// starts at. It costs one route lookup, one topic-stats request and one
// pull per 32 messages however long the queue is, and commits nothing
// (it pulls as ToolsGroup, like Browse). A missing topic is
// ErrTopicNotFound, a missing queue ErrNotFound. From is clamped into
// the queue's [min, max) offsets.
func (c *Client) ReadQueue(ctx context.Context, p QueuePage) ([]message.Ext, QueueStatus, int64, error) {
	if p.Max <= 0 {
		p.Max = browseBatch
	}
	if err := c.requireTopic(ctx, p.Topic); err != nil {
		return nil, QueueStatus{}, 0, err
	}
	queues, addrs, err := c.queuesWithMasters(ctx, p.Topic)
	if err != nil {
		return nil, QueueStatus{}, 0, err
	}
	for _, qs := range queues {
		if qs.BrokerName != p.BrokerName || qs.QueueID != p.QueueID {
			continue
		}
		addr := addrs[qs.BrokerName]
		from := p.From
		if from < 0 {
			from = qs.MinOffset
			if !p.Begin.IsZero() {
				if from, err = c.searchOffset(ctx, addr, qs, p.Begin); err != nil {
					return nil, qs, 0, err
				}
			}
		}
		from = max(min(from, qs.MaxOffset), qs.MinOffset)
		msgs, err := c.browseQueue(ctx, addr, qs, from, BrowseQuery{Topic: p.Topic, End: p.End, Max: p.Max}, nil)
		next := from
		if len(msgs) > 0 {
			next = msgs[len(msgs)-1].QueueOffset + 1
		}
		return msgs, qs, next, err
	}
	return nil, QueueStatus{}, 0, fmt.Errorf("%w: queue %d of %s on broker %s", ErrNotFound, p.QueueID, p.Topic, p.BrokerName)
}
