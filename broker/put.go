package broker

// Every way a message enters the store passes through this file:
//
//   - a producer's message (SEND_MESSAGE, send.go): validated by the send
//     path, then writer.append;
//   - a producer's batch (SEND_BATCH_MESSAGE): encodeEntry per message, then
//     one writer.appendBatch;
//   - a message the broker writes itself (writer.put): a consumer's
//     send-back, a committed half message, a delayed or timed message
//     coming due (restoreParked gives it back its real topic and queue).
//
// On the way in, a message with a delivery time in the future or a delay
// level is parked (park) in the timer queue or its level's schedule queue
// instead of its topic; the delay components deliver it when it is due.
// Transactional half messages are prepared in transaction.go.

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/rocketkit/rocketkit/broker/store"
	"github.com/rocketkit/rocketkit/protocol/message"
)

// putter stores a message the broker writes itself: what the delay, timer
// and transaction components get of the broker instead of the *Broker.
type putter interface {
	// put stores ext in its topic (created if needed), parking it first by
	// its delivery time or delay level when route is set. It fails with
	// errMessageIllegal when ext cannot be encoded.
	put(ext *message.Ext, route bool) error
}

// writer appends messages to the store.
type writer struct {
	store     *store.Store
	topics    *topicTable
	storeHost netip.AddrPort      // STOREHOST of every record
	levels    int                 // number of delay levels; DELAY values above it are clamped
	in        *counterMap[string] // records and bytes written per topic (traffic.go)
}

var _ putter = (*writer)(nil)

// recordPool holds buffers for encoding single messages (the store does not
// keep the record past Append); maxPooledRecord keeps large ones out of it.
var recordPool = sync.Pool{New: func() any { return new([]byte) }}

const maxPooledRecord = 64 << 10

// append stores one message that has passed ext.Validate.
func (w *writer) append(ctx context.Context, ext *message.Ext) (store.AppendResult, error) {
	rb := recordPool.Get().(*[]byte)
	entries := [1]store.Entry{store.NewEntry(ext, (*rb)[:0])}
	results, err := w.store.Append(ctx, entries[:])
	if rec := entries[0].Record; cap(rec) <= maxPooledRecord {
		*rb = rec[:0]
		recordPool.Put(rb)
	}
	if err != nil {
		return store.AppendResult{}, err
	}
	w.in.add(ext.Topic, 1, int64(results[0].Size))
	return results[0], nil
}

// appendStaged stores entries of single messages (a connection's staged
// burst, send.go) in one append.
func (w *writer) appendStaged(entries []store.Entry) ([]store.AppendResult, error) {
	results, err := w.store.Append(context.Background(), entries)
	if err == nil {
		for i, r := range results {
			w.in.add(entries[i].Topic, 1, int64(r.Size))
		}
	}
	return results, err
}

// appendBatch stores entries (from encodeEntry) in one append.
func (w *writer) appendBatch(ctx context.Context, entries []store.Entry) ([]store.AppendResult, error) {
	results, err := w.store.Append(ctx, entries)
	if err == nil {
		var bytes int64
		for _, r := range results {
			bytes += int64(r.Size)
		}
		w.in.add(entries[0].Topic, int64(len(results)), bytes) // a batch goes to one queue
	}
	return results, err
}

// encodeEntry encodes ext for the store, with the tag code and index keys
// computed exactly as the store's recovery recomputes them. It fails when
// the message cannot be encoded, e.g. when the properties the broker adds
// (UNIQ_KEY, CLUSTER, REAL_TOPIC, ...) take them past 32767 bytes.
func encodeEntry(ext *message.Ext) (store.Entry, error) {
	if err := ext.Validate(); err != nil {
		return store.Entry{}, err
	}
	return store.NewEntry(ext, nil), nil
}

func (w *writer) put(ext *message.Ext, route bool) error {
	if _, err := w.topics.ensure(ext.Topic, 0); err != nil {
		return err
	}
	ext.StoreHost = w.storeHost
	if route {
		park(ext, time.Now(), w.levels)
	}
	if err := ext.Validate(); err != nil {
		return fmt.Errorf("%w: %w", errMessageIllegal, err)
	}
	_, err := w.append(context.Background(), ext)
	return err
}

// park rewrites a message that is not due yet so that it waits in a system
// queue: one with a delivery time in the future (TIMER_DELIVER_MS) in the
// timer queue, one with a DELAY level 1..levels in that level's schedule
// queue. The parked copy keeps its real topic and queue in REAL_TOPIC /
// REAL_QID. A half message is never parked: its delay applies when it is
// committed.
func park(ext *message.Ext, now time.Time, levels int) {
	if ext.Topic == halfTopic {
		return
	}
	ext.Properties = absoluteDelivery(ext.Properties, now)
	if _, later := dueTime(ext.Properties, now); later {
		parkTimed(ext)
		return
	}
	if delay, ok := message.GetProperty(ext.Properties, message.PropertyDelay); ok {
		if level := delayLevelOf(delay, levels); level > 0 {
			parkAtLevel(ext, level)
		}
	}
}

// keepRealDestination records ext's topic and queue in REAL_TOPIC / REAL_QID
// before it is moved to a system queue (timer, schedule or half).
func keepRealDestination(props string, ext *message.Ext) string {
	props = message.SetProperty(props, message.PropertyRealTopic, ext.Topic)
	return message.SetProperty(props, message.PropertyRealQueueID, strconv.Itoa(int(ext.QueueID)))
}

// restoreParked returns the copy of a message parked in a system queue
// (schedule or timer) that goes to its real topic and queue, without the
// property that parked it; it keeps everything else, UNIQ_KEY included, and
// gets new offsets when stored. ok is false when the parked message lost
// its real destination.
func restoreParked(m *message.Ext, parkedBy string) (out *message.Ext, ok bool) {
	topic, _ := message.GetProperty(m.Properties, message.PropertyRealTopic)
	qid, _ := message.GetProperty(m.Properties, message.PropertyRealQueueID)
	q, err := strconv.Atoi(qid)
	if topic == "" || err != nil {
		return nil, false
	}
	return &message.Ext{
		QueueID: int32(q), Flag: m.Flag, SysFlag: m.SysFlag, BornTimestamp: m.BornTimestamp,
		BornHost: m.BornHost, ReconsumeTimes: m.ReconsumeTimes,
		PreparedTransactionOffset: m.PreparedTransactionOffset,
		Body:                      m.Body, Topic: topic, Properties: message.DeleteProperties(m.Properties, parkedBy),
	}, true
}

// deliverParked stores a parked message that came due under its real topic
// and queue. A message that lost its real topic, or can no longer be
// encoded, is dropped with a log line rather than blocking its queue; other
// errors are returned and the caller retries.
func deliverParked(p putter, log *slog.Logger, m *message.Ext, parkedBy string) error {
	out, ok := restoreParked(m, parkedBy)
	if !ok {
		log.Warn("dropping a parked message without its real topic", "topic", m.Topic, "msg_id", m.MsgID())
		return nil
	}
	err := p.put(out, false)
	if errors.Is(err, errMessageIllegal) {
		log.Warn("dropping a parked message that cannot be stored", "topic", m.Topic, "msg_id", m.MsgID(), "err", err)
		return nil
	}
	return err
}
