package client

// Request-reply (RocketMQ 4.6+), as the Java and Go clients do it: the
// requester stamps its message with a correlation id, its client id
// (REPLY_TO_CLIENT) and a TTL and waits; a responder builds the reply with
// NewReply and sends it like any message (as SEND_REPLY_MESSAGE, to the
// cluster's reply topic); the broker pushes it to the requester
// (PUSH_REPLY_MESSAGE_TO_CLIENT), whose serveReply completes the wait.

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rocketkit/rocketkit/client/internal/rpc"
	"github.com/rocketkit/rocketkit/protocol/message"
	"github.com/rocketkit/rocketkit/protocol/remoting"
)

// Request sends msg as a request and waits for its reply: the message a
// responder built with NewReply (or another client's CreateReplyMessage)
// and sent back. The wait ends at ctx's deadline with an error matching
// ErrReplyTimeout and context.DeadlineExceeded; without a deadline it is
// ProducerConfig.SendTimeout. Cancelling ctx returns ctx's error. The
// request is sent as by Send (retries included) and the reply is matched by
// the CORRELATION_ID property Request sets; REPLY_TO_CLIENT and TTL (the
// timeout in milliseconds, as the Java client writes it) are set too. The
// first request of a producer, and one to a topic whose route was not yet
// known, sends the client's heartbeat first so that the broker knows where
// to push the reply. It is safe for concurrent use.
func (p *Producer) Request(ctx context.Context, msg *Message, opts ...SendOption) (*MessageExt, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, p.cfg.SendTimeout)
		defer cancel()
	}
	deadline, _ := ctx.Deadline()
	req, err := p.prepare(msg, 0)
	if err != nil {
		return nil, err
	}
	if err := p.requestReady(ctx, req.topic); err != nil {
		return nil, err
	}
	id := newCorrelationID()
	ttl := max(time.Until(deadline).Milliseconds(), 0)
	req.props = message.SetProperty(req.props, message.PropertyCorrelationID, id)
	req.props = message.SetProperty(req.props, message.PropertyReplyToClient, p.c.id)
	req.props = message.SetProperty(req.props, message.PropertyTTL, strconv.FormatInt(ttl, 10))

	ch := p.c.replies.add(id)
	defer p.c.replies.remove(id)
	if _, err := p.sendWithRetries(ctx, msg, req, opts); err != nil {
		return nil, err
	}
	select {
	case reply := <-ch:
		return reply, nil
	case <-p.c.done:
		return nil, ErrClosed
	case <-ctx.Done():
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, fmt.Errorf("%w: request to %s (correlation id %s) waited %d ms: %w",
				ErrReplyTimeout, msg.Topic, id, ttl, ctx.Err())
		}
		return nil, fmt.Errorf("client: request to %s (correlation id %s): %w", msg.Topic, id, ctx.Err())
	}
}

// requestReady makes sure the brokers of topic know this client by its id
// before a request is sent, so that a reply can be pushed to it: the first
// request of a group, or one after new brokers appeared in the routes,
// sends the heartbeats now (Java's request does the same when the topic
// had no route yet).
func (p *Producer) requestReady(ctx context.Context, topic string) error {
	if _, err := p.c.publishRoute(ctx, topic); err != nil {
		return err
	}
	addrs := p.c.routes.brokerAddrs(false)
	if !p.c.replies.needHeartbeat(p.group, addrs) {
		return nil
	}
	if err := p.c.sendHeartbeats(ctx); err != nil {
		return fmt.Errorf("client: heartbeat before request to %s: %w", p.c.bareName(topic), err)
	}
	p.c.replies.heartbeated(p.group, addrs)
	return nil
}

// newCorrelationID returns a random UUID (version 4) string, as Java's
// CorrelationIdUtil and the Go client make them.
func newCorrelationID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	const hex = "0123456789abcdef"
	out := make([]byte, 0, 36)
	for i, v := range b {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out = append(out, '-')
		}
		out = append(out, hex[v>>4], hex[v&0x0f])
	}
	return string(out)
}

// NewReply returns the reply to req, a request a consumer received, with
// body as its body: for the cluster's reply topic (CLUSTER_REPLY_TOPIC,
// from the CLUSTER property brokers add), of type reply, carrying req's
// CORRELATION_ID, REPLY_TO_CLIENT and TTL, as Java's
// MessageUtil.createReplyMessage builds it. Send it with any producer's
// Send; the broker pushes it to the requester and answers SYSTEM_ERROR
// when the requester is gone. A message that was not sent by Request
// gets ErrNotRequest. Tag, Keys and user properties may be set on the
// result before sending.
func NewReply(req *MessageExt, body []byte) (*Message, error) {
	if req == nil {
		return nil, errors.New("client: create reply message: the request message is nil")
	}
	cluster := req.Property(message.PropertyCluster)
	if cluster == "" {
		return nil, fmt.Errorf("client: create reply message to %s: property %s is missing (brokers add it when storing)",
			req.MsgID, message.PropertyCluster)
	}
	replyTo, corr := req.Property(message.PropertyReplyToClient), req.Property(message.PropertyCorrelationID)
	if replyTo == "" || corr == "" {
		return nil, fmt.Errorf("%w: message %s has no %s or %s", ErrNotRequest, req.MsgID,
			message.PropertyReplyToClient, message.PropertyCorrelationID)
	}
	props := map[string]string{
		message.PropertyMsgType:       message.ReplyMessageFlag,
		message.PropertyCorrelationID: corr,
		message.PropertyReplyToClient: replyTo,
	}
	if ttl := req.Property(message.PropertyTTL); ttl != "" {
		props[message.PropertyTTL] = ttl
	}
	return &Message{Topic: message.ReplyTopic(cluster), Body: body, Properties: props}, nil
}

// IsRequest reports whether m was sent by a request (Request, or another
// client's request call) and so expects a reply.
func IsRequest(m *MessageExt) bool {
	return m.Property(message.PropertyReplyToClient) != "" && m.Property(message.PropertyCorrelationID) != ""
}

// serveReply answers PUSH_REPLY_MESSAGE_TO_CLIENT: the reply completes the
// Request waiting for its correlation id. A reply nobody waits for any
// more (its Request timed out) is dropped with a log line and still
// answered SUCCESS, as the Java client does; a push that cannot be read is
// answered SYSTEM_ERROR.
func (c *Client) serveReply(conn *rpc.Conn, req *remoting.Command) *remoting.Command {
	m, err := c.decodeReply(req)
	if err != nil {
		c.log.Warn("drop an unreadable reply", "broker", conn.Addr(), "err", err)
		return remoting.NewResponse(req, remoting.SystemError, "process reply message fail: "+err.Error())
	}
	id := m.Property(message.PropertyCorrelationID)
	if !c.replies.complete(id, m) {
		c.log.Warn("reply matches no waiting request (timed out?)", "correlation_id", id,
			"reply_host", m.BornHost.String(), "broker", conn.Addr())
	}
	return remoting.NewResponse(req, remoting.Success, "")
}

// decodeReply reads a pushed reply as the Java client's
// receiveReplyMessage does, adding ARRIVE_TIME.
func (c *Client) decodeReply(req *remoting.Command) (*MessageExt, error) {
	f := req.ExtFields
	var (
		h   [3]int32
		ts  [2]int64
		err error
	)
	for i, k := range []string{"queueId", "sysFlag", "flag"} {
		if v := f.Get(k); v != "" {
			if h[i], err = f.Int32(k); err != nil {
				return nil, err
			}
		}
	}
	for i, k := range []string{"bornTimestamp", "storeTimestamp"} {
		if v := f.Get(k); v != "" {
			if ts[i], err = f.Int64(k); err != nil {
				return nil, err
			}
		}
	}
	var reconsume int32
	if v := f.Get("reconsumeTimes"); v != "" {
		if reconsume, err = f.Int32("reconsumeTimes"); err != nil {
			return nil, err
		}
	}
	topic := c.bareName(f.Get("topic"))
	m := &MessageExt{
		Topic: topic, Body: req.Body, Flag: h[2], SysFlag: h[1], ReconsumeTimes: reconsume,
		Queue:    MessageQueue{Topic: topic, QueueID: int(h[0])},
		BornTime: time.UnixMilli(ts[0]), StoreTime: time.UnixMilli(ts[1]),
		BornHost: parseHostPort(f.Get("bornHost")), StoreHost: parseHostPort(f.Get("storeHost")),
		props: message.SetProperty(f.Get("properties"), message.PropertyArriveTime,
			strconv.FormatInt(time.Now().UnixMilli(), 10)),
	}
	if m.SysFlag&message.FlagCompressed != 0 {
		if m.Body, err = decompress(req.Body); err != nil {
			return nil, fmt.Errorf("decompress body: %w", err)
		}
	}
	m.MsgID = m.Property(message.PropertyUniqKey)
	m.Tag = m.Property(message.PropertyTags)
	if keys := m.Property(message.PropertyKeys); keys != "" {
		m.Keys = strings.Fields(keys)
	}
	return m, nil
}

// parseHostPort parses "ip:port"; the zero AddrPort when it cannot.
func parseHostPort(s string) netip.AddrPort {
	ap, _ := netip.ParseAddrPort(s)
	return ap
}

// replyTable holds the Requests waiting for their reply, by correlation
// id, and the brokers each producer group was announced to for replies.
// The zero value is ready to use.
type replyTable struct {
	mu      sync.Mutex
	waiting map[string]chan *MessageExt // guarded by mu
	told    map[string]map[string]bool  // group -> broker addresses heartbeated; guarded by mu
}

func (t *replyTable) add(id string) chan *MessageExt {
	ch := make(chan *MessageExt, 1)
	t.mu.Lock()
	if t.waiting == nil {
		t.waiting = make(map[string]chan *MessageExt)
	}
	t.waiting[id] = ch
	t.mu.Unlock()
	return ch
}

func (t *replyTable) remove(id string) {
	t.mu.Lock()
	delete(t.waiting, id)
	t.mu.Unlock()
}

// complete hands m to the Request waiting for id; false if none is.
func (t *replyTable) complete(id string, m *MessageExt) bool {
	t.mu.Lock()
	ch := t.waiting[id]
	delete(t.waiting, id)
	t.mu.Unlock()
	if ch == nil {
		return false
	}
	ch <- m // buffered; each id is completed at most once
	return true
}

// needHeartbeat reports whether group was not yet announced to one of
// addrs.
func (t *replyTable) needHeartbeat(group string, addrs []string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	told := t.told[group]
	if len(addrs) == 0 || told == nil {
		return true
	}
	for _, a := range addrs {
		if !told[a] {
			return true
		}
	}
	return false
}

func (t *replyTable) heartbeated(group string, addrs []string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.told == nil {
		t.told = make(map[string]map[string]bool)
	}
	if t.told[group] == nil {
		t.told[group] = make(map[string]bool)
	}
	for _, a := range addrs {
		t.told[group][a] = true
	}
}

// pending counts the Requests waiting for their reply.
func (t *replyTable) pending() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.waiting)
}
