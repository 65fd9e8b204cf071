package broker

// The send path that SEND_MESSAGE, SEND_MESSAGE_V2 and SEND_BATCH_MESSAGE
// share: the request header, the size and topic checks, the answer. The
// handlers decode and answer; the message is stored through writer (put.go).

import (
	"context"
	"errors"
	"math/rand/v2"
	"strconv"
	"sync"
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
//
// A single message (SEND_MESSAGE, SEND_MESSAGE_V2) on the asynchronous path
// is staged instead (stageSend): the messages of a pipelined burst are
// stored in one append when the burst ends (flushSends).
func (b *Broker) answerSend(c *conn, req *remoting.Command, h sendHeader, send sendFunc) *remoting.Command {
	if b.cfg.FlushDiskType != SyncFlush && !b.repl.waitsForSlave() {
		if req.Code == remoting.SendMessage || req.Code == remoting.SendMessageV2 {
			return b.stageSend(c, req, h)
		}
		return send(b, context.Background(), c, req, h)
	}
	b.flushSends(c) // what the burst staged is stored first
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
	p, resp := b.prepareSend(c, req, h)
	if resp != nil {
		return resp
	}
	res, err := b.writer.append(ctx, p.ext)
	return b.finishSend(p, res, err)
}

// preparedSend is a single message validated and ready to store.
type preparedSend struct {
	req     *remoting.Command
	ext     *message.Ext
	queueID int32
	uniq    string
	half    bool
}

// prepareSend does everything sendMessage does before the message is
// stored: it returns the message, or the answer refusing it.
func (b *Broker) prepareSend(c *conn, req *remoting.Command, h sendHeader) (preparedSend, *remoting.Command) {
	if h.producerGroup != "" {
		b.clients.addProducer(h.producerGroup, c)
		b.noteRequester(h.producerGroup, h.properties, c)
	}
	if resp := b.checkMessage(req, h.properties, len(req.Body)); resp != nil {
		return preparedSend{}, resp
	}
	tc, resp := b.writableTopic(req, &h)
	if resp != nil {
		return preparedSend{}, resp
	}
	if resp := b.routeExhaustedRetry(req, &h, &tc); resp != nil {
		return preparedSend{}, resp
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
		return preparedSend{}, errorResponse(req, remoting.MessageIllegal, err.Error())
	}
	return preparedSend{req: req, ext: ext, queueID: h.queueID, uniq: uniq, half: half}, nil
}

// finishSend answers a prepared message given the outcome of its append.
func (b *Broker) finishSend(p preparedSend, res store.AppendResult, err error) *remoting.Command {
	if err != nil {
		return errorResponse(p.req, remoting.SystemError, "store message: "+err.Error())
	}
	if p.half {
		ext := p.ext
		ext.CommitLogOffset, ext.QueueOffset, ext.StoreTimestamp = res.CommitLogOffset, res.QueueOffset, res.StoreTimestamp
		b.tx.add(ext)
	}
	return b.sendResponse(p.req, []store.AppendResult{res}, p.queueID, p.uniq)
}

// sendStage holds the single messages of a connection's burst of
// pipelined requests that wait to be stored together (group commit): one
// Store.Append, so one write and one round of the store's lock, instead
// of one per message. The connection's reader stores them (flushSends)
// when the burst ends, before it dispatches any other request, and before
// it stops; so they are stored in the order they arrived, before anything
// that followed them on the connection, and each is answered exactly as
// it would have been alone. Only the reader goroutine uses it.
type sendStage struct {
	sends   []stagedSend
	entries []store.Entry
	buf     *[]byte // the records, back to back; from stageBuffers
}

// stagedSend is a prepared message and its record's place in the stage's
// buffer.
type stagedSend struct {
	preparedSend
	entry      store.Entry // without Record
	start, end int         // the record in buf
}

// Limits of a stage: it is stored once it holds this many messages or
// record bytes.
const (
	maxStagedSends = 256
	maxStagedBytes = 1 << 20
)

// stageBuffers holds record buffers between bursts; maxPooledStage keeps
// a buffer grown by large messages out of it.
var stageBuffers = sync.Pool{New: func() any { return new([]byte) }}

const maxPooledStage = 4 << 20

// stageSend prepares a single message and stages it; it is answered when
// the stage is stored. A refused message is answered at once, after the
// messages staged before it.
func (b *Broker) stageSend(c *conn, req *remoting.Command, h sendHeader) *remoting.Command {
	p, resp := b.prepareSend(c, req, h)
	if resp != nil {
		b.flushSends(c) // answers stay in the order of the requests
		return resp
	}
	st := &c.sends
	if st.buf == nil {
		st.buf = stageBuffers.Get().(*[]byte)
	}
	start := len(*st.buf)
	e := store.NewEntry(p.ext, *st.buf)
	*st.buf, e.Record = e.Record, nil
	st.sends = append(st.sends, stagedSend{preparedSend: p, entry: e, start: start, end: len(*st.buf)})
	if len(st.sends) >= maxStagedSends || len(*st.buf) >= maxStagedBytes {
		b.flushSends(c)
	}
	return nil
}

// flushSends stores the staged messages of c in one append and answers
// each (a one-way request gets no answer). Should the append refuse an
// entry (ErrInvalidEntry: nothing stored), each message is stored alone so
// that only that one fails, as without staging.
func (b *Broker) flushSends(c *conn) {
	st := &c.sends
	if len(st.sends) == 0 {
		return
	}
	buf := *st.buf
	entries := st.entries[:0]
	for i := range st.sends {
		s := &st.sends[i]
		e := s.entry
		e.Record = buf[s.start:s.end:s.end]
		entries = append(entries, e)
	}
	results, err := b.writer.appendStaged(entries)
	for i := range st.sends {
		s := &st.sends[i]
		var res store.AppendResult
		serr := err
		if errors.Is(err, store.ErrInvalidEntry) && len(entries) > 1 {
			var one []store.AppendResult
			one, serr = b.writer.appendStaged(entries[i : i+1])
			if serr == nil {
				res = one[0]
			}
		} else if err == nil {
			res = results[i]
		}
		b.answerStaged(c, s.preparedSend, res, serr)
	}
	clear(st.sends) // drop the requests and messages
	st.sends = st.sends[:0]
	clear(entries)
	st.entries = entries[:0]
	if cap(buf) <= maxPooledStage {
		*st.buf = buf[:0]
		stageBuffers.Put(st.buf)
	}
	st.buf = nil
}

// answerStaged answers one stored (or failed) staged message, turning a
// panic into the SYSTEM_ERROR answer its handler's would have been. The
// answer to a one-way request is dropped, as dispatch drops it.
func (b *Broker) answerStaged(c *conn, p preparedSend, res store.AppendResult, err error) {
	if p.req.IsOneway() {
		c.muteAnswer(p.req.Opaque) // the one reply below, or recoverHandler's, consumes it
	}
	defer c.recoverHandler(p.req)
	c.reply(b.finishSend(p, res, err))
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
	for _, r := range results {
		if r.Status == store.PutFlushDiskTimeout {
			code = remoting.FlushDiskTimeout
		}
	}
	last := results[len(results)-1]
	if slave := b.repl.awaitSlave(last.CommitLogOffset + int64(last.Size)); slave != remoting.Success {
		code = slave // Java: the replication status wins over the flush's
	}
	// The values made here (ids, queue id, offset) share one string, and
	// the command and its fields one allocation.
	var small [96]byte
	vals := small[:0]
	if len(results) > 1 {
		vals = make([]byte, 0, 57*len(results)+32)
	}
	for i, r := range results {
		if i > 0 {
			vals = append(vals, ',')
		}
		vals = message.AppendOffsetMsgID(vals, b.storeHost, r.CommitLogOffset)
	}
	idEnd := len(vals)
	vals = strconv.AppendInt(vals, int64(queueID), 10)
	qidEnd := len(vals)
	vals = strconv.AppendInt(vals, results[0].QueueOffset, 10)
	s := string(vals)
	rf := &struct {
		cmd    remoting.Command
		fields [6]remoting.Field
	}{cmd: *remoting.NewResponse(req, code, "")}
	resp := &rf.cmd
	rf.fields = [6]remoting.Field{
		{Key: "msgId", Value: s[:idEnd]},
		{Key: "queueId", Value: s[idEnd:qidEnd]},
		{Key: "queueOffset", Value: s[qidEnd:]},
		{Key: "transactionId", Value: uniq},
		{Key: "MSG_REGION", Value: "DefaultRegion"},
		{Key: "TRACE_ON", Value: "false"},
	}
	resp.ExtFields = rf.fields[:]
	return resp
}
