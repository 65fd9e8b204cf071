package broker

// The send path that SEND_MESSAGE, SEND_MESSAGE_V2 and SEND_BATCH_MESSAGE
// share: the request header, the size and topic checks, the answer. The
// handlers decode and answer; the message is stored through writer (put.go).

import (
	"context"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/rocketkit/rocketkit/broker/store"
	"github.com/rocketkit/rocketkit/protocol/message"
	"github.com/rocketkit/rocketkit/protocol/remoting"
)

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
	if req.Code == remoting.SendMessageV2 || req.Code == remoting.SendBatchMessage || req.Code == remoting.SendReplyMessageV2 {
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

// sendFunc is sendMessage or sendBatch, as a method expression so that
// passing it allocates nothing.
type sendFunc func(b *Broker, ctx context.Context, c *conn, req *remoting.Command, h sendHeader) *remoting.Command

// answerSend runs a send. With SYNC_FLUSH or on a SYNC_MASTER the wait for
// the disk or the slave must not block the connection's reader (other
// senders share it), so the send runs in its own goroutine and answers
// when done.
func (b *Broker) answerSend(c *conn, req *remoting.Command, h sendHeader, send sendFunc) *remoting.Command {
	if b.cfg.FlushDiskType != SyncFlush && !b.repl.waitsForSlave() {
		return send(b, context.Background(), c, req, h)
	}
	c.answerLater()
	go func() {
		defer c.release()
		defer c.recoverHandler(req)
		c.reply(send(b, context.Background(), c, req, h))
	}()
	return nil
}

// sendMessage stores a single message sent by a producer.
func (b *Broker) sendMessage(ctx context.Context, c *conn, req *remoting.Command, h sendHeader) *remoting.Command {
	if h.producerGroup != "" {
		b.clients.addProducer(h.producerGroup, c)
		b.noteRequester(h.producerGroup, h.properties, c)
	}
	if resp := b.checkMessage(req, h.properties, len(req.Body)); resp != nil {
		return resp
	}
	tc, resp := b.writableTopic(req, &h)
	if resp != nil {
		return resp
	}
	if resp := b.routeExhaustedRetry(req, &h); resp != nil {
		return resp
	}
	props := h.properties
	uniq, ok := message.GetProperty(props, message.PropertyUniqKey)
	if !ok {
		uniq = message.NewUniqKey(b.storeHost.Addr(), time.Now())
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
		park(ext, time.Now(), len(b.delays.levels))
	}
	if err := ext.Validate(); err != nil {
		return errorResponse(req, remoting.MessageIllegal, err.Error())
	}
	res, err := b.writer.append(ctx, ext)
	if err != nil {
		return errorResponse(req, remoting.SystemError, "store message: "+err.Error())
	}
	if half {
		ext.CommitLogOffset, ext.QueueOffset, ext.StoreTimestamp = res.CommitLogOffset, res.QueueOffset, res.StoreTimestamp
		b.tx.add(ext)
	}
	return b.sendResponse(req, []store.AppendResult{res}, h.queueID, uniq)
}

// sendBatch stores the messages of a batch, in one append to one queue.
func (b *Broker) sendBatch(ctx context.Context, c *conn, req *remoting.Command, h sendHeader) *remoting.Command {
	if h.producerGroup != "" {
		b.clients.addProducer(h.producerGroup, c)
	}
	if message.IsRetryTopic(h.topic) {
		return errorResponse(req, remoting.MessageIllegal, "batch messages cannot be sent to retry topic "+h.topic)
	}
	if resp := b.refuseBatchWrapper(req, h); resp != nil {
		return resp
	}
	items, err := message.DecodeBatch(req.Body)
	if err != nil {
		return errorResponse(req, remoting.MessageIllegal, "batch body: "+err.Error())
	}
	tc, resp := b.writableTopic(req, &h)
	if resp != nil {
		return resp
	}
	entries := make([]store.Entry, len(items))
	for i, it := range items {
		if resp := b.checkMessage(req, it.Properties, len(it.Body)); resp != nil {
			return resp
		}
		entry, err := encodeEntry(&message.Ext{
			QueueID: h.queueID, Flag: it.Flag, SysFlag: h.sysFlag, BornTimestamp: h.bornTimestamp,
			BornHost: c.remote, StoreHost: b.storeHost, ReconsumeTimes: h.reconsumeTimes,
			Body: it.Body, Topic: tc.Name, Properties: it.Properties,
		})
		if err != nil {
			return errorResponse(req, remoting.MessageIllegal, "batch message "+strconv.Itoa(i)+": "+err.Error())
		}
		entries[i] = entry
	}
	results, err := b.writer.appendBatch(ctx, entries)
	if err != nil {
		return errorResponse(req, remoting.SystemError, "store batch: "+err.Error())
	}
	return b.sendResponse(req, results, h.queueID, "")
}

// refuseBatchWrapper refuses what Java's CommitLog.asyncPutMessages refuses:
// a batch whose header has transaction bits in sysFlag or a delay level in
// its properties, with Java's code and remark (and the reason). Inner
// messages are stored as they are, immediate and not transactional, whatever
// DELAY, TIMER_DELIVER_MS or TRAN_MSG they carry (Java ignores those too).
func (b *Broker) refuseBatchWrapper(req *remoting.Command, h sendHeader) *remoting.Command {
	var reason string
	if message.TransactionType(h.sysFlag) != 0 {
		reason = "a batch cannot be transactional (sysFlag " + strconv.Itoa(int(h.sysFlag)) + ")"
	} else if v, ok := message.GetProperty(h.properties, message.PropertyDelay); ok {
		if level, err := strconv.Atoi(v); err == nil && level > 0 {
			reason = "a batch cannot be delayed (DELAY " + v + ")"
		}
	}
	if reason == "" {
		return nil
	}
	return errorResponse(req, remoting.MessageIllegal, "the message is illegal, maybe msg body or properties length not matched. "+
		"msg body length limit "+strconv.Itoa(b.cfg.MaxMessageSize)+"B, msg properties length limit 32KB. ("+reason+")")
}

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
	if resp := b.refuseWrite(req); resp != nil {
		return TopicConfig{}, resp
	}
	if err := message.ValidateTopic(h.topic); err != nil {
		return TopicConfig{}, errorResponse(req, remoting.InvalidParameter, err.Error())
	}
	tc, err := b.topics.ensure(h.topic, 0)
	if err != nil {
		return tc, errorResponse(req, remoting.TopicNotExist, err.Error())
	}
	b.syncRegistration() // an auto-created topic reaches the name servers first
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
	last := results[len(results)-1]
	if slave := b.repl.awaitSlave(last.CommitLogOffset + int64(last.Size)); slave != remoting.Success {
		code = slave // Java: the replication status wins over the flush's
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
