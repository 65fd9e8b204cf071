package client

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"time"

	"github.com/rocketkit/rocketkit/protocol/message"
	"github.com/rocketkit/rocketkit/protocol/remoting"
)

// A SendOption changes how one send picks its queue.
type SendOption interface{ applySend(*sendOptions) }

type sendOptions struct {
	queue    *MessageQueue
	hashKey  string
	hashed   bool
	selector QueueSelector
}

// SendOptions is what a list of SendOption asks for, for code that sends
// through another client (the kit's official-client backend).
type SendOptions struct {
	Queue    *MessageQueue // ToQueue
	HashKey  string        // HashKey, when Hashed
	Hashed   bool
	Selector QueueSelector // WithSelector
}

// ResolveSendOptions applies opts and reports what they ask for.
func ResolveSendOptions(opts ...SendOption) SendOptions {
	var o sendOptions
	for _, opt := range opts {
		opt.applySend(&o)
	}
	return SendOptions{Queue: o.queue, HashKey: o.hashKey, Hashed: o.hashed, Selector: o.selector}
}

type sendOptionFunc func(*sendOptions)

func (f sendOptionFunc) applySend(o *sendOptions) { f(o) }

// ToQueue sends to q (as got from Producer.Queues) instead of picking a queue.
func ToQueue(q MessageQueue) SendOption {
	return sendOptionFunc(func(o *sendOptions) { o.queue = &q })
}

// HashKey sends every message with the same key to the same queue (while
// the topic's queues stay the same), so a consumer sees them in send
// order: the queue is fnv32a(key) modulo the number of writable queues, as
// the official Go client's hash selector picks it.
func HashKey(key string) SendOption {
	return sendOptionFunc(func(o *sendOptions) { o.hashKey, o.hashed = key, true })
}

// WithSelector picks the queue with s.
func WithSelector(s QueueSelector) SendOption {
	return sendOptionFunc(func(o *sendOptions) { o.selector = s })
}

// QueueSelector picks the queue for a message among the topic's writable
// queues (never empty). It must be safe for concurrent use.
type QueueSelector interface {
	Select(msg *Message, queues []MessageQueue) MessageQueue
}

// QueueSelectorFunc adapts a function to QueueSelector.
type QueueSelectorFunc func(msg *Message, queues []MessageQueue) MessageQueue

// Select calls f.
func (f QueueSelectorFunc) Select(msg *Message, queues []MessageQueue) MessageQueue {
	return f(msg, queues)
}

// Send sends msg and waits for the broker's answer. A retriable failure is
// retried (ProducerConfig.Retries) on another broker when the topic has
// several, unless a queue was chosen by an option. The result's Status
// tells whether a durability guarantee asked of the broker held; it is an
// error only when the message was not stored. Cancelling ctx abandons the
// wait (the message may still be stored).
func (p *Producer) Send(ctx context.Context, msg *Message, opts ...SendOption) (*SendResult, error) {
	req, err := p.prepare(msg, 0)
	if err != nil {
		return nil, err
	}
	return p.sendWithRetries(ctx, msg, req, opts)
}

// SendBatch sends msgs, all to the same topic, in one request: they are
// stored in one queue with consecutive offsets. Delayed, timed and
// transactional messages cannot be batched.
func (p *Producer) SendBatch(ctx context.Context, msgs []*Message, opts ...SendOption) (*SendResult, error) {
	req, err := p.prepareBatch(msgs)
	if err != nil {
		return nil, err
	}
	return p.sendWithRetries(ctx, msgs[0], req, opts)
}

// SendAsync sends msg and calls done with the outcome once the broker
// answers, the send fails or ctx ends; done runs exactly once, on a
// goroutine of its own. Failures are retried as by Send.
func (p *Producer) SendAsync(ctx context.Context, msg *Message, done func(*SendResult, error), opts ...SendOption) {
	req, err := p.prepare(msg, 0)
	if err != nil {
		go done(nil, err)
		return
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		done(p.sendWithRetries(ctx, msg, req, opts))
	}()
}

// SendOneway sends msg without waiting for an answer: it returns once the
// message is queued on the connection, and nothing says whether the broker
// stored it. A message queued before Close is still written.
func (p *Producer) SendOneway(ctx context.Context, msg *Message, opts ...SendOption) error {
	req, err := p.prepare(msg, 0)
	if err != nil {
		return err
	}
	q, addr, err := p.pick(ctx, msg, opts, "")
	if err != nil {
		return err
	}
	return p.c.oneway(ctx, addr, req.forQueue(q))
}

// sendRequest is a SEND_MESSAGE or SEND_BATCH_MESSAGE before its queue is
// chosen.
type sendRequest struct {
	topic   string // on the wire
	batch   bool
	sysFlag int32
	flag    int32
	props   string
	body    []byte
	born    int64
	group   string
	uniqIDs string // UNIQ_KEY of the message(s), comma separated
	reply   bool   // MSG_TYPE=reply: sent as SEND_REPLY_MESSAGE (request.go)
	// reconsumeTimes and maxReconsumeTimes go in the header of a copy
	// sent to a retry topic (consumer_resend.go); 0 otherwise.
	reconsumeTimes, maxReconsumeTimes int32
}

// forQueue returns the request for queue q. Single messages use
// SEND_MESSAGE's long header keys, batches SEND_BATCH_MESSAGE's short ones,
// as the official Go client writes them.
func (r *sendRequest) forQueue(q MessageQueue) *remoting.Command {
	qid := strconv.Itoa(q.QueueID)
	sys := strconv.Itoa(int(r.sysFlag))
	born := strconv.FormatInt(r.born, 10)
	flag := strconv.Itoa(int(r.flag))
	if r.batch {
		return remoting.NewClientRequest(remoting.SendBatchMessage, remoting.Fields{
			{Key: "a", Value: r.group}, {Key: "b", Value: r.topic}, {Key: "c", Value: defaultTopic},
			{Key: "d", Value: "4"}, {Key: "e", Value: qid}, {Key: "f", Value: sys}, {Key: "g", Value: born},
			{Key: "h", Value: flag}, {Key: "i", Value: r.props}, {Key: "j", Value: "0"}, {Key: "k", Value: "false"},
			{Key: "l", Value: "0"}, {Key: "m", Value: "true"}, {Key: "n", Value: q.BrokerName},
		}, r.body)
	}
	code := remoting.SendMessage
	if r.reply {
		code = remoting.SendReplyMessage // same header, as the Go client sends replies
	}
	return remoting.NewClientRequest(code, remoting.Fields{
		{Key: "producerGroup", Value: r.group}, {Key: "topic", Value: r.topic}, {Key: "queueId", Value: qid},
		{Key: "sysFlag", Value: sys}, {Key: "bornTimestamp", Value: born}, {Key: "flag", Value: flag},
		{Key: "reconsumeTimes", Value: strconv.Itoa(int(r.reconsumeTimes))}, {Key: "unitMode", Value: "false"},
		{Key: "maxReconsumeTimes", Value: strconv.Itoa(int(r.maxReconsumeTimes))},
		{Key: "defaultTopic", Value: defaultTopic}, {Key: "defaultTopicQueueNums", Value: "4"},
		{Key: "batch", Value: "false"}, {Key: "properties", Value: r.props}, {Key: "bname", Value: q.BrokerName},
	}, r.body)
}

// prepare checks msg and encodes what does not depend on the queue.
// extraSysFlag carries the transaction type.
func (p *Producer) prepare(msg *Message, extraSysFlag int32) (*sendRequest, error) {
	if p.closed.Load() {
		return nil, ErrClosed
	}
	if err := p.check(msg); err != nil {
		return nil, err
	}
	now := time.Now()
	uniq := message.NewUniqKey(p.c.host, now)
	props, err := msg.encodeProperties(uniq)
	if err != nil {
		return nil, err
	}
	r := &sendRequest{topic: p.c.wireName(msg.Topic), sysFlag: extraSysFlag, flag: msg.Flag, props: props,
		body: msg.Body, born: now.UnixMilli(), group: p.group, uniqIDs: uniq,
		reply: msg.Properties[message.PropertyMsgType] == message.ReplyMessageFlag}
	p.compressBody(r)
	return r, nil
}

// compressBody compresses r's body, as Java does, when it is larger than
// CompressOver and compression makes it smaller.
func (p *Producer) compressBody(r *sendRequest) {
	if p.cfg.CompressOver < 0 || len(r.body) <= p.cfg.CompressOver {
		return
	}
	if z, err := compress(r.body, p.cfg.CompressLevel); err == nil && len(z) < len(r.body) {
		r.body = z
		r.sysFlag |= message.FlagCompressed
	}
}

// prepareBatch checks and encodes a batch. Each message gets its own
// UNIQ_KEY, as Java's MessageBatch does.
func (p *Producer) prepareBatch(msgs []*Message) (*sendRequest, error) {
	if p.closed.Load() {
		return nil, ErrClosed
	}
	if len(msgs) == 0 {
		return nil, errors.New("client: empty batch")
	}
	r := &sendRequest{topic: p.c.wireName(msgs[0].Topic), batch: true, born: time.Now().UnixMilli(), group: p.group}
	ids := make([]string, len(msgs))
	size := 0
	for i, m := range msgs {
		if err := p.check(m); err != nil {
			return nil, fmt.Errorf("client: batch message %d: %w", i, err)
		}
		if m.Topic != msgs[0].Topic {
			return nil, fmt.Errorf("client: batch message %d is for topic %q, the batch for %q", i, m.Topic, msgs[0].Topic)
		}
		if m.DelayLevel != 0 || !m.DeliverAt.IsZero() {
			return nil, fmt.Errorf("client: batch message %d: delayed and timed messages cannot be batched", i)
		}
		ids[i] = message.NewUniqKey(p.c.host, time.Now())
		props, err := m.encodeProperties(ids[i])
		if err != nil {
			return nil, fmt.Errorf("client: batch message %d: %w", i, err)
		}
		r.body = message.AppendBatchItem(r.body, message.BatchItem{Flag: m.Flag, Body: m.Body, Properties: props})
		size += len(m.Body)
	}
	if size > p.cfg.MaxMessageSize {
		return nil, fmt.Errorf("client: batch bodies total %d bytes, more than MaxMessageSize %d", size, p.cfg.MaxMessageSize)
	}
	r.uniqIDs = strings.Join(ids, ",")
	return r, nil
}

func (p *Producer) check(msg *Message) error {
	if msg == nil {
		return errors.New("client: nil message")
	}
	if err := message.ValidateTopic(msg.Topic); err != nil {
		return fmt.Errorf("client: %w", err)
	}
	if message.IsRetryTopic(msg.Topic) || message.IsDLQTopic(msg.Topic) {
		return fmt.Errorf("client: topic %s is a retry or dead-letter topic; consumers write those", msg.Topic)
	}
	if len(msg.Body) == 0 {
		return fmt.Errorf("client: message for %s has an empty body", msg.Topic)
	}
	if len(msg.Body) > p.cfg.MaxMessageSize {
		return fmt.Errorf("client: message body of %d bytes is more than MaxMessageSize %d", len(msg.Body), p.cfg.MaxMessageSize)
	}
	return nil
}

// sendWithRetries sends req, retrying retriable failures on another broker.
func (p *Producer) sendWithRetries(ctx context.Context, msg *Message, req *sendRequest, opts []SendOption) (*SendResult, error) {
	var errs []error
	lastBroker := ""
	attempts := 1 + p.cfg.Retries
	for attempt := range attempts {
		q, addr, err := p.pick(ctx, msg, opts, lastBroker)
		if err != nil {
			return nil, errors.Join(append(errs, err)...)
		}
		res, err := p.sendOnce(ctx, addr, q, req)
		if err == nil {
			p.c.faults.succeeded(q.BrokerName)
			return res, nil
		}
		errs = append(errs, err)
		if retriable(err) {
			p.c.refreshSoon(req.topic)
		}
		if !retriable(err) || ctx.Err() != nil || pinned(opts) || attempt == attempts-1 {
			break
		}
		p.c.faults.failed(q.BrokerName, time.Now())
		lastBroker = q.BrokerName
	}
	if len(errs) == 1 {
		return nil, errs[0]
	}
	return nil, fmt.Errorf("client: send to %s failed %d times: %w", p.c.bareName(req.topic), len(errs), errors.Join(errs...))
}

// sendOnce makes one attempt.
func (p *Producer) sendOnce(ctx context.Context, addr string, q MessageQueue, req *sendRequest) (*SendResult, error) {
	cmd := req.forQueue(q)
	resp, err := p.c.callWithin(ctx, addr, cmd, p.cfg.SendTimeout)
	if err != nil {
		return nil, err
	}
	return p.sendResult(addr, cmd, resp, q, req)
}

// sendResult turns a send's answer into a result: SUCCESS and the three
// "stored, but" codes are results, anything else an error.
func (p *Producer) sendResult(addr string, cmd, resp *remoting.Command, q MessageQueue, req *sendRequest) (*SendResult, error) {
	var status SendStatus
	switch resp.Code {
	case remoting.Success:
		status = SendOK
	case remoting.FlushDiskTimeout:
		status = SendFlushDiskTimeout
	case remoting.FlushSlaveTimeout:
		status = SendFlushSlaveTimeout
	case remoting.SlaveNotAvailable:
		status = SendSlaveNotAvailable
	default:
		return nil, brokerError(addr, cmd, resp)
	}
	f := resp.ExtFields
	res := &SendResult{Status: status, MsgID: req.uniqIDs, OffsetMsgID: f.Get("msgId"),
		Queue:         MessageQueue{Topic: p.c.bareName(q.Topic), BrokerName: q.BrokerName, QueueID: q.QueueID},
		TransactionID: f.Get("transactionId"), RegionID: f.Get("MSG_REGION")}
	if qid, err := f.Int32("queueId"); err == nil {
		res.Queue.QueueID = int(qid)
	}
	res.QueueOffset, _ = f.Int64("queueOffset")
	return res, nil
}

// retriable reports whether a failed send may be tried again: transport
// failures and the codes the Java client retries on.
func retriable(err error) bool {
	var be *BrokerError
	if errors.As(err, &be) {
		var re *remoting.Error
		if errors.As(be.Err, &re) {
			switch re.Code {
			case remoting.SystemError, remoting.ServiceNotAvailable, remoting.NoPermission, remoting.TopicNotExist:
				return true
			}
		}
		return false
	}
	return !errors.Is(err, ErrClosed) && !errors.Is(err, context.Canceled)
}

func pinned(opts []SendOption) bool {
	var o sendOptions
	for _, opt := range opts {
		opt.applySend(&o)
	}
	return o.queue != nil || o.hashed || o.selector != nil
}

// pick chooses the queue for msg and returns the address of its broker's
// master. Without an option it goes round-robin over the writable queues,
// skipping brokers that just failed (and avoidBroker) while others remain.
func (p *Producer) pick(ctx context.Context, msg *Message, opts []SendOption, avoidBroker string) (MessageQueue, string, error) {
	var o sendOptions
	for _, opt := range opts {
		opt.applySend(&o)
	}
	topic := p.c.wireName(msg.Topic)
	route, err := p.c.publishRoute(ctx, topic)
	if err != nil {
		return MessageQueue{}, "", err
	}
	queues := route.publish
	if len(queues) == 0 {
		return MessageQueue{}, "", fmt.Errorf("%w: topic %s has no writable queue on a master", ErrNoQueue, msg.Topic)
	}
	var q MessageQueue
	switch {
	case o.queue != nil:
		q = *o.queue
		q.Topic = topic
	case o.hashed:
		h := fnv.New32a()
		_, _ = h.Write([]byte(o.hashKey))
		q = queues[int(h.Sum32())%len(queues)]
	case o.selector != nil:
		q = o.selector.Select(msg, bareQueues(p.c, queues))
		q.Topic = topic
	default:
		q = p.roundRobin(queues, avoidBroker)
	}
	addr, err := p.c.masterAddr(q.BrokerName)
	if err != nil {
		return MessageQueue{}, "", err
	}
	return q, addr, nil
}

// roundRobin takes the next queue whose broker is neither avoided nor in
// backoff, or the next queue at all when every broker is.
func (p *Producer) roundRobin(queues []MessageQueue, avoidBroker string) MessageQueue {
	now := time.Now()
	start := int(p.next.Add(1))
	for i := range queues {
		q := queues[(start+i)%len(queues)]
		if q.BrokerName != avoidBroker && p.c.faults.available(q.BrokerName, now) {
			return q
		}
	}
	return queues[start%len(queues)]
}

func bareQueues(c *Client, queues []MessageQueue) []MessageQueue {
	out := make([]MessageQueue, len(queues))
	for i, q := range queues {
		out[i] = MessageQueue{Topic: c.bareName(q.Topic), BrokerName: q.BrokerName, QueueID: q.QueueID}
	}
	return out
}

// Queues returns topic's writable queues, for ToQueue.
func (p *Producer) Queues(ctx context.Context, topic string) ([]MessageQueue, error) {
	route, err := p.c.publishRoute(ctx, p.c.wireName(topic))
	if err != nil {
		return nil, err
	}
	return bareQueues(p.c, route.publish), nil
}
