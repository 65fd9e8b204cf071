package client

// What a broker asks a consumer on its own: its running state
// (GET_CONSUMER_RUNNING_INFO, for admin tools) and to move its offsets
// (RESET_CONSUMER_CLIENT_OFFSET, sent when an administrator resets a live
// group's offsets on a Java broker).

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/rocketkit/rocketkit/protocol/payload"
)

// runningInfo is the body of the answer to GET_CONSUMER_RUNNING_INFO, in
// Java's ConsumerRunningInfo shape: mqTable is keyed by the queue as a JSON
// object, fastjson's way (Java's tools read it so).
func (c *Consumer) runningInfo(jstack bool) []byte {
	type queueInfo struct {
		CommitOffset    int64 `json:"commitOffset"`
		CachedMsgCount  int   `json:"cachedMsgCount"`
		Locked          bool  `json:"locked"`
		LastLockTime    int64 `json:"lastLockTimestamp"`
		Dropped         bool  `json:"droped"`
		TransactionMsgs int   `json:"transactionMsgCount"`
	}
	props := map[string]string{
		"PROP_CLIENT_VERSION":           "rocketkit",
		"PROP_CONSUME_TYPE":             payload.ConsumePassively,
		"PROP_CONSUMEORDERLY":           strconv.FormatBool(c.cfg.Orderly),
		"PROP_THREADPOOL_CORE_SIZE":     strconv.Itoa(c.cfg.Concurrency),
		"PROP_NAMESERVER_ADDR":          strings.Join(c.client.cfg.NameServers, ";"),
		"PROP_CONSUMER_START_TIMESTAMP": strconv.FormatInt(time.Now().UnixMilli(), 10),
		"messageModel":                  c.data.MessageModel,
		"consumeFromWhere":              c.data.ConsumeFrom,
	}
	var sb strings.Builder
	sb.WriteString(`{"properties":`)
	writeJSON(&sb, props)
	sb.WriteString(`,"subscriptionSet":`)
	writeJSON(&sb, c.data.Subscriptions)
	sb.WriteString(`,"mqTable":{`)
	c.mu.Lock()
	first := true
	for mq, q := range c.queues {
		q.mu.Lock()
		info := queueInfo{CommitOffset: q.written, CachedMsgCount: q.track.inFlight() + len(q.buf),
			Locked: !q.lockedAt.IsZero(), Dropped: q.dropped}
		if !q.lockedAt.IsZero() {
			info.LastLockTime = q.lockedAt.UnixMilli()
		}
		q.mu.Unlock()
		if !first {
			sb.WriteByte(',')
		}
		first = false
		writeJSON(&sb, payload.MessageQueue{Topic: mq.Topic, BrokerName: mq.BrokerName, QueueID: mq.QueueID})
		sb.WriteByte(':')
		writeJSON(&sb, info)
	}
	c.mu.Unlock()
	sb.WriteString(`},"statusTable":{},"jstack":""}`)
	_ = jstack // goroutine dumps are not sent: they would expose the application's internals
	return []byte(sb.String())
}

func writeJSON(sb *strings.Builder, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		b = []byte("null")
	}
	sb.Write(b)
}

// resetOffsets moves the owned queues listed in offsets (wire queues) to
// the given offsets: each is let go without committing what it consumed,
// the new offset is stored, and the next rebalance (asked for at once)
// takes it again from there. Queues it does not own are left to their
// owners, which get the same request. It returns how many it moved.
func (c *Consumer) resetOffsets(ctx context.Context, offsets map[MessageQueue]int64) (int, error) {
	var reset []*pullQueue
	c.mu.Lock()
	for mq, q := range c.queues {
		if _, ok := offsets[mq]; ok {
			delete(c.queues, mq)
			c.dropping[mq] = q
			reset = append(reset, q)
		}
	}
	c.mu.Unlock()
	if len(reset) == 0 {
		return 0, nil
	}
	for _, q := range reset {
		q.drop()
	}
	var err error
	for _, q := range reset {
		<-q.pulled
		q.inflight.Wait()
		if werr := c.offsets.write(ctx, map[MessageQueue]int64{q.mq: offsets[q.mq]}, true); werr != nil && err == nil {
			err = fmt.Errorf("client: reset offset of %s: %w", q.mq, werr)
		}
		if c.lockingOrderly() {
			_ = c.unlock(ctx, []MessageQueue{q.mq})
		}
		c.mu.Lock()
		if c.dropping[q.mq] == q {
			delete(c.dropping, q.mq)
		}
		c.mu.Unlock()
	}
	c.rebalanceSoon()
	c.log.Info("offsets reset by the broker", "queues", len(reset))
	return len(reset), err
}

// parseResetBody decodes RESET_CONSUMER_CLIENT_OFFSET's body: an
// offsetTable keyed by queue, in fastjson's object-key form or gson's
// array-of-pairs form.
func parseResetBody(body []byte) (map[MessageQueue]int64, error) {
	var asObject struct {
		Table map[string]int64 `json:"offsetTable"`
	}
	if err := json.Unmarshal(payload.NormalizeFastJSON(body), &asObject); err == nil && asObject.Table != nil {
		out := make(map[MessageQueue]int64, len(asObject.Table))
		for key, off := range asObject.Table {
			var mq payload.MessageQueue
			if err := json.Unmarshal([]byte(key), &mq); err != nil {
				return nil, fmt.Errorf("%w: reset offsets: queue key %q: %w", payload.ErrMalformed, key, err)
			}
			out[MessageQueue{Topic: mq.Topic, BrokerName: mq.BrokerName, QueueID: mq.QueueID}] = off
		}
		return out, nil
	}
	var asPairs struct {
		Table [][2]json.RawMessage `json:"offsetTable"`
	}
	if err := json.Unmarshal(body, &asPairs); err != nil {
		return nil, fmt.Errorf("%w: reset offsets: %w", payload.ErrMalformed, err)
	}
	out := make(map[MessageQueue]int64, len(asPairs.Table))
	for _, pair := range asPairs.Table {
		var mq payload.MessageQueue
		var off int64
		if err := json.Unmarshal(pair[0], &mq); err != nil {
			return nil, fmt.Errorf("%w: reset offsets: %w", payload.ErrMalformed, err)
		}
		if err := json.Unmarshal(pair[1], &off); err != nil {
			return nil, fmt.Errorf("%w: reset offsets: %w", payload.ErrMalformed, err)
		}
		out[MessageQueue{Topic: mq.Topic, BrokerName: mq.BrokerName, QueueID: mq.QueueID}] = off
	}
	return out, nil
}
