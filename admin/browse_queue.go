package admin

import (
	"context"
	"fmt"
	"slices"
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
// starts at. It costs a topic check, one route lookup, one topic-stats
// request per master and one pull per 32 messages however long the queue
// is, and commits nothing (it pulls as ToolsGroup, like Browse). A missing
// topic is ErrTopicNotFound, a missing queue ErrNotFound. From is clamped
// into the queue's [min, max) offsets. To read several queues of a topic,
// OpenTopic pays the look-ups once.
func (c *Client) ReadQueue(ctx context.Context, p QueuePage) ([]message.Ext, QueueStatus, int64, error) {
	r, err := c.OpenTopic(ctx, p.Topic)
	if err != nil {
		return nil, QueueStatus{}, 0, err
	}
	return r.Read(ctx, p)
}

// TopicReader reads pages of one topic's queues (as ReadQueue) with the
// topic check, route and queue offsets looked up once, when OpenTopic
// made it: what was appended since is read up to the offsets seen then.
type TopicReader struct {
	c      *Client
	topic  string
	queues []QueueStatus
	addrs  map[string]string // master address by broker name
}

// OpenTopic looks topic up for reading its queues page by page. A missing
// topic is ErrTopicNotFound.
func (c *Client) OpenTopic(ctx context.Context, topic string) (*TopicReader, error) {
	if err := c.requireTopic(ctx, topic); err != nil {
		return nil, err
	}
	queues, addrs, err := c.queuesWithMasters(ctx, topic)
	if err != nil {
		return nil, err
	}
	return &TopicReader{c: c, topic: topic, queues: queues, addrs: addrs}, nil
}

// Queues lists the topic's queues with their offsets as OpenTopic found them.
func (r *TopicReader) Queues() []QueueStatus { return slices.Clone(r.queues) }

// Read reads a page of one queue of the topic (p.Topic is ignored), as
// ReadQueue does.
func (r *TopicReader) Read(ctx context.Context, p QueuePage) ([]message.Ext, QueueStatus, int64, error) {
	if p.Max <= 0 {
		p.Max = browseBatch
	}
	for _, qs := range r.queues {
		if qs.BrokerName != p.BrokerName || qs.QueueID != p.QueueID {
			continue
		}
		addr := r.addrs[qs.BrokerName]
		from := p.From
		var err error
		if from < 0 {
			from = qs.MinOffset
			if !p.Begin.IsZero() {
				if from, err = r.c.searchOffset(ctx, addr, qs, p.Begin); err != nil {
					return nil, qs, 0, err
				}
			}
		}
		from = max(min(from, qs.MaxOffset), qs.MinOffset)
		msgs, err := r.c.browseQueue(ctx, addr, qs, from, BrowseQuery{Topic: r.topic, End: p.End, Max: p.Max}, nil)
		next := from
		if len(msgs) > 0 {
			next = msgs[len(msgs)-1].QueueOffset + 1
		}
		return msgs, qs, next, err
	}
	return nil, QueueStatus{}, 0, fmt.Errorf("%w: queue %d of %s on broker %s", ErrNotFound, p.QueueID, r.topic, p.BrokerName)
}
