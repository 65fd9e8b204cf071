package broker

// SEND_MESSAGE (10) and SEND_MESSAGE_V2 (310).
//
// Behavior: wire doc §5.3. The topic is validated and auto-created (unless
// disabled); a negative queueId picks a random queue; bodies over
// MaxMessageSize and properties over 32767 bytes are refused with
// MESSAGE_ILLEGAL; a message for %RETRY%<group> whose reconsumeTimes
// exceeds maxReconsumeTimes goes to %DLQ%<group>. The broker adds UNIQ_KEY
// when missing and CLUSTER. With SYNC_FLUSH the answer waits for the group
// commit and is FLUSH_DISK_TIMEOUT when that takes longer than
// SyncFlushTimeout (the message is stored either way).
//
// Transactional messages (TRAN_MSG=true) are stored as half messages in
// RMQ_SYS_TRANS_HALF_TOPIC, invisible until END_TRANSACTION commits them;
// delayed ones (DELAY=level) are parked in SCHEDULE_TOPIC_XXXX until due.
// The answer then reports the requested queue and the parked copy's offsets,
// as Java does.

import (
	"context"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"

	"github.com/rocketkit/rocketkit/protocol/message"
	"github.com/rocketkit/rocketkit/protocol/remoting"
	"github.com/rocketkit/rocketkit/broker/store"
)

func init() {
	register(remoting.SendMessage, handleSendMessage)
	register(remoting.SendMessageV2, handleSendMessage)
}

// maxPropertiesSize is the largest properties string (its length is an int16
// in the stored record).
const maxPropertiesSize = 32767

// sendHeader is SEND_MESSAGE's header, from long (10) or short V2 keys.
type sendHeader struct {
	producerGroup     string
	topic             string
	queueID           int32
	sysFlag           int32
	bornTimestamp     int64
	flag              int32
	properties        string
	reconsumeTimes    int32
	maxReconsumeTimes int32
	hasMaxReconsume   bool
	batch             bool
}

// sendKeys names the header fields; V2 uses one-letter keys.
var (
	sendKeysLong = [...]string{"producerGroup", "topic", "queueId", "sysFlag", "bornTimestamp", "flag",
		"properties", "reconsumeTimes", "maxReconsumeTimes", "batch"}
	sendKeysShort = [...]string{"a", "b", "e", "f", "g", "h", "i", "j", "l", "m"}
)

func parseSendHeader(req *remoting.Command) (sendHeader, error) {
	keys := &sendKeysLong
	if req.Code == remoting.SendMessageV2 || req.Code == remoting.SendBatchMessage {
		keys = &sendKeysShort
	}
	f := req.ExtFields
	h := sendHeader{producerGroup: f.Get(keys[0]), topic: f.Get(keys[1]), properties: f.Get(keys[6]),
		batch: f.Bool(keys[9])}
	var err error
	if h.queueID, err = f.Int32(keys[2]); err != nil {
		return h, err
	}
	if h.sysFlag, err = f.Int32(keys[3]); err != nil {
		return h, err
	}
	if h.bornTimestamp, err = f.Int64(keys[4]); err != nil {
		return h, err
	}
	if v, ok := f.Lookup(keys[5]); ok && v != "" {
		if h.flag, err = f.Int32(keys[5]); err != nil {
			return h, err
		}
	}
	if v, ok := f.Lookup(keys[7]); ok && v != "" {
		if h.reconsumeTimes, err = f.Int32(keys[7]); err != nil {
			return h, err
		}
	}
	if v, ok := f.Lookup(keys[8]); ok && v != "" {
		if h.maxReconsumeTimes, err = f.Int32(keys[8]); err != nil {
			return h, err
		}
		h.hasMaxReconsume = true
	}
	return h, nil
}

func handleSendMessage(b *Broker, c *conn, req *remoting.Command) *remoting.Command {
	return b.answerSend(c, req, func(ctx context.Context) *remoting.Command { return b.sendOne(ctx, c, req) })
}

// answerSend runs a send. With SYNC_FLUSH the flush wait must not block the
// connection's reader (other senders share it), so the send runs in its own
// goroutine and answers when done.
func (b *Broker) answerSend(c *conn, req *remoting.Command, send func(context.Context) *remoting.Command) *remoting.Command {
	if b.cfg.FlushDiskType != SyncFlush {
		return send(context.Background())
	}
	go func() {
		defer c.recoverHandler(req)
		c.reply(send(context.Background()))
	}()
	return nil
}

// sendOne stores a single message.
func (b *Broker) sendOne(ctx context.Context, c *conn, req *remoting.Command) *remoting.Command {
	h, err := parseSendHeader(req)
	if err != nil {
		return errorResponse(req, remoting.InvalidParameter, "send header: "+err.Error())
	}
	if h.producerGroup != "" {
		b.clients.addProducer(h.producerGroup, c)
	}
	if resp := b.checkMessage(req, h.properties, len(req.Body)); resp != nil {
		return resp
	}
	tc, resp := b.writableTopic(req, &h)
	if resp != nil {
		return resp
	}
	if resp := b.routeRetry(req, &h); resp != nil {
		return resp
	}
	props := h.properties
	uniq, ok := message.GetProperty(props, message.PropertyUniqKey)
	if !ok {
		uniq = newUniqKey(b.storeHost)
		props = message.SetProperty(props, message.PropertyUniqKey, uniq)
	}
	props = message.SetProperty(props, message.PropertyCluster, b.cfg.ClusterName)
	ext := &message.Ext{
		QueueID: h.queueID, Flag: h.flag, SysFlag: h.sysFlag, BornTimestamp: h.bornTimestamp,
		BornHost: c.remote, StoreHost: b.storeHost, ReconsumeTimes: h.reconsumeTimes,
		Body: req.Body, Topic: tc.Name, Properties: props,
	}
	half := isTransactional(props, h.sysFlag)
	if half {
		prepareHalf(ext, uniq)
	} else {
		b.routeSpecial(ext)
	}
	if err := ext.Validate(); err != nil {
		return errorResponse(req, remoting.MessageIllegal, err.Error())
	}
	// The store does not keep the record past Append: encode into a pooled
	// buffer.
	rb := recordPool.Get().(*[]byte)
	entries := [1]store.Entry{store.NewEntry(ext, (*rb)[:0])}
	results, err := b.store.Append(ctx, entries[:])
	if rec := entries[0].Record; cap(rec) <= maxPooledRecord {
		*rb = rec[:0]
		recordPool.Put(rb)
	}
	if err != nil {
		return errorResponse(req, remoting.SystemError, "store message: "+err.Error())
	}
	if half {
		ext.CommitLogOffset, ext.QueueOffset, ext.StoreTimestamp = results[0].CommitLogOffset, results[0].QueueOffset, results[0].StoreTimestamp
		b.tx.add(ext)
	}
	return b.sendResponse(req, results, h.queueID, uniq)
}

// recordPool holds buffers for encoding single sends; maxPooledRecord
// keeps large ones out of it.
var recordPool = sync.Pool{New: func() any { return new([]byte) }}

const maxPooledRecord = 64 << 10

// checkMessage enforces the size limits.
func (b *Broker) checkMessage(req *remoting.Command, props string, bodyLen int) *remoting.Command {
	if bodyLen > b.cfg.MaxMessageSize {
		return errorResponse(req, remoting.MessageIllegal, "message body size "+strconv.Itoa(bodyLen)+
			" exceeds the maximum "+strconv.Itoa(b.cfg.MaxMessageSize)+" bytes (maxMessageSize)")
	}
	if len(props) > maxPropertiesSize {
		return errorResponse(req, remoting.MessageIllegal, "message properties size "+
			strconv.Itoa(len(props))+" exceeds the maximum 32767 bytes")
	}
	return nil
}

// writableTopic validates and resolves the destination topic and queue.
func (b *Broker) writableTopic(req *remoting.Command, h *sendHeader) (TopicConfig, *remoting.Command) {
	if err := message.ValidateTopic(h.topic); err != nil {
		return TopicConfig{}, errorResponse(req, remoting.InvalidParameter, err.Error())
	}
	tc, err := b.topics.ensure(h.topic, 0)
	if err != nil {
		return tc, errorResponse(req, remoting.TopicNotExist, err.Error())
	}
	if tc.system() {
		return tc, errorResponse(req, remoting.NoPermission, "topic "+h.topic+" is reserved for the broker")
	}
	if tc.Perm&PermWrite == 0 {
		return tc, errorResponse(req, remoting.NoPermission, "topic "+h.topic+" is not writable")
	}
	queues := max(tc.WriteQueues, tc.ReadQueues)
	switch {
	case h.queueID < 0:
		h.queueID = int32(rand.IntN(max(tc.WriteQueues, 1)))
	case int(h.queueID) >= queues:
		return tc, errorResponse(req, remoting.InvalidParameter, "queueId "+strconv.Itoa(int(h.queueID))+
			" is out of range: topic "+h.topic+" has "+strconv.Itoa(queues)+" queues")
	}
	return tc, nil
}

// routeRetry sends a %RETRY% message that has been reconsumed too often to
// the group's dead-letter topic instead.
func (b *Broker) routeRetry(req *remoting.Command, h *sendHeader) *remoting.Command {
	if !message.IsRetryTopic(h.topic) {
		return nil
	}
	group := h.topic[len(message.RetryTopic("")):]
	exhausted := h.hasMaxReconsume && h.reconsumeTimes > h.maxReconsumeTimes
	if !exhausted && !b.locks.groupHoldsLock(group, time.Now()) {
		return nil
	}
	dlq, err := b.topics.ensure(message.DLQTopic(group), 1)
	if err != nil {
		return errorResponse(req, remoting.SystemError, err.Error())
	}
	h.topic, h.queueID = dlq.Name, 0
	h.properties = message.DeleteProperties(h.properties, message.PropertyDelay)
	return nil
}

// routeSpecial parks delayed messages: those with a delivery time in the
// future (TIMER_DELIVER_MS) in the timer queue, those with a DELAY level
// 1..n in that level's schedule queue. A half message's delay applies when
// it is committed.
func (b *Broker) routeSpecial(ext *message.Ext) {
	if ext.Topic == halfTopic {
		return
	}
	if _, later := dueTime(ext.Properties, time.Now()); later {
		b.timers.park(ext)
		return
	}
	if delay, ok := message.GetProperty(ext.Properties, message.PropertyDelay); ok {
		if level := b.sched.level(delay); level > 0 {
			b.sched.park(ext, level)
		}
	}
}

// entryFor encodes ext for the store, with the tag code and index keys
// computed exactly as the store's recovery recomputes them. It fails when
// the message cannot be encoded, e.g. when the properties the broker adds
// (UNIQ_KEY, CLUSTER, REAL_TOPIC, ...) take them past 32767 bytes.
func (b *Broker) entryFor(ext *message.Ext) (store.Entry, error) {
	if err := ext.Validate(); err != nil {
		return store.Entry{}, err
	}
	return store.NewEntry(ext, nil), nil
}

// sendResponse answers a stored send. msgId lists the offset message ids of
// every stored message (comma separated for batches).
func (b *Broker) sendResponse(req *remoting.Command, results []store.AppendResult, queueID int32, uniq string) *remoting.Command {
	code := remoting.Success
	var msgID string
	if len(results) == 1 {
		msgID = message.OffsetMsgID(b.storeHost, results[0].CommitLogOffset)
	} else {
		ids := make([]byte, 0, 33*len(results))
		for i, r := range results {
			if i > 0 {
				ids = append(ids, ',')
			}
			ids = append(ids, message.OffsetMsgID(b.storeHost, r.CommitLogOffset)...)
		}
		msgID = string(ids)
	}
	for _, r := range results {
		if r.Status == store.PutFlushDiskTimeout {
			code = remoting.FlushDiskTimeout
		}
	}
	// One allocation for the command and its fields.
	rf := &struct {
		cmd    remoting.Command
		fields [6]remoting.Field
	}{cmd: *remoting.NewResponse(req, code, "")}
	resp := &rf.cmd
	rf.fields = [6]remoting.Field{
		{Key: "msgId", Value: msgID},
		{Key: "queueId", Value: strconv.Itoa(int(queueID))},
		{Key: "queueOffset", Value: strconv.FormatInt(results[0].QueueOffset, 10)},
		{Key: "transactionId", Value: uniq},
		{Key: "MSG_REGION", Value: "DefaultRegion"},
		{Key: "TRACE_ON", Value: "false"},
	}
	resp.ExtFields = rf.fields[:]
	return resp
}
