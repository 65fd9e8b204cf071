package starter

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/rocketkit/rocketkit/client"
	"github.com/rocketkit/rocketkit/listener"
	"github.com/rocketkit/rocketkit/protocol/message"
	"github.com/rocketkit/rocketkit/tracing"
	"github.com/rocketkit/rocketkit/transport"
)

// Template sends messages, like rocketmq-spring's RocketMQTemplate. The
// module provides one per application, backed by one producer of group
// rocketmq.producer.group; it is safe for concurrent use and usable from
// the start hooks of components that depend on it until their stop hooks
// ran.
//
// A destination is "topic" or "topic:tag". A payload of type []byte or
// string is the body as it is (a []byte must not change until the send
// returned, or for SendAsync until the callback ran); anything else is
// encoded by the codec (JSON unless a listener.Codec is provided through
// fx).
//
// ctx bounds the wait for the broker's answer: cancelling it returns an
// error, but the message may have been stored anyway. With
// rocketmq.strict-send a status other than SEND_OK is an error
// (*SendStatusError) returned together with the result.
type Template struct {
	cfg     Config
	ep      *Endpoint
	codec   listener.Codec
	log     *slog.Logger
	metrics Metrics
	tracer  tracing.Tracer // nil: none
	p       atomic.Pointer[producerHolder]
}

type producerHolder struct{ p transport.Producer }

// BatchMessage is one message of SendBatch.
type BatchMessage struct {
	Payload    any
	Keys       []string
	Properties map[string]string
}

func newTemplate(cfg Config, ep *Endpoint, codec listener.Codec, log *slog.Logger, m Metrics, tr tracing.Tracer) *Template {
	return &Template{cfg: cfg, ep: ep, codec: codec, log: log, metrics: m, tracer: tr}
}

func (t *Template) start(context.Context) error {
	backend, err := t.ep.producerBackend()
	if err != nil {
		return err
	}
	pc := t.cfg.Producer
	retries := pc.RetryTimesWhenSendFailed
	if retries == 0 {
		retries = -1 // none; the client's zero means its default
	}
	p, err := backend.NewProducer(client.ProducerConfig{
		Group:          pc.Group,
		SendTimeout:    pc.SendMessageTimeout,
		Retries:        retries,
		CompressOver:   pc.CompressMessageBodyThreshold,
		MaxMessageSize: pc.MaxMessageSize,
	})
	if err != nil {
		return fmt.Errorf("starter: new producer %s: %w", pc.Group, err)
	}
	t.p.Store(&producerHolder{p: p})
	return nil
}

func (t *Template) stop(context.Context) error {
	if h := t.p.Swap(nil); h != nil {
		if err := h.p.Close(); err != nil {
			return fmt.Errorf("starter: shut down producer: %w", err)
		}
	}
	return nil
}

func (t *Template) producer() (transport.Producer, error) {
	if h := t.p.Load(); h != nil {
		return h.p, nil
	}
	return nil, ErrNotStarted
}

// Send sends synchronously and returns the broker's answer.
func (t *Template) Send(ctx context.Context, dest string, payload any, opts ...SendOption) (*SendResult, error) {
	return t.sendSync(ctx, ModeSync, dest, payload, "", opts)
}

// SendOrderly sends synchronously to the queue hashKey hashes to, so that
// an orderly listener sees the messages of one key in send order (S4, S9).
func (t *Template) SendOrderly(ctx context.Context, dest string, payload any, hashKey string, opts ...SendOption) (*SendResult, error) {
	if hashKey == "" {
		return nil, errors.New("starter: SendOrderly: empty hash key")
	}
	return t.sendSync(ctx, ModeOrderly, dest, payload, hashKey, opts)
}

func (t *Template) sendSync(ctx context.Context, mode SendMode, dest string, payload any, hashKey string, opts []SendOption) (*SendResult, error) {
	p, err := t.producer()
	if err != nil {
		return nil, err
	}
	m, err := t.BuildMessage(dest, payload, opts...)
	if err != nil {
		return nil, err
	}
	var opt []client.SendOption
	if hashKey != "" {
		opt = append(opt, client.HashKey(hashKey))
	}
	ctx, end := t.traceSend(ctx, mode, m, nil)
	start := time.Now()
	r, err := p.Send(ctx, m, opt...)
	end(r, err)
	return t.finish(mode, m.Topic, 1, start, r, err)
}

// SendAsync sends without waiting; callback (may be nil) receives the
// result on a goroutine of its own. The returned error covers only
// building the message; failures of the send itself reach the callback.
func (t *Template) SendAsync(ctx context.Context, dest string, payload any, callback func(context.Context, *SendResult, error), opts ...SendOption) error {
	p, err := t.producer()
	if err != nil {
		return err
	}
	m, err := t.BuildMessage(dest, payload, opts...)
	if err != nil {
		return err
	}
	ctx, end := t.traceSend(ctx, ModeAsync, m, nil)
	start := time.Now()
	p.SendAsync(ctx, m, func(r *client.SendResult, err error) {
		end(r, err)
		res, err := t.finish(ModeAsync, m.Topic, 1, start, r, err)
		if callback != nil {
			callback(ctx, res, err)
		}
	})
	return nil
}

// SendOneway sends without waiting for any answer: fastest, and the
// caller never learns whether the message was stored (S10).
func (t *Template) SendOneway(ctx context.Context, dest string, payload any, opts ...SendOption) error {
	p, err := t.producer()
	if err != nil {
		return err
	}
	m, err := t.BuildMessage(dest, payload, opts...)
	if err != nil {
		return err
	}
	ctx, end := t.traceSend(ctx, ModeOneway, m, nil)
	start := time.Now()
	err = p.SendOneway(ctx, m)
	end(nil, err)
	t.observe(SendEvent{Topic: m.Topic, Mode: ModeOneway, Messages: 1, Status: SendUnknown, Latency: time.Since(start), Err: err})
	if err != nil {
		return fmt.Errorf("starter: send oneway to %s: %w", m.Topic, err)
	}
	return nil
}

// SendBatch sends msgs to one destination in one request; they are stored
// together, in order, in one queue. opts apply to every message. Batches
// carry no delay level nor delivery time.
func (t *Template) SendBatch(ctx context.Context, dest string, msgs []BatchMessage, opts ...SendOption) (*SendResult, error) {
	p, err := t.producer()
	if err != nil {
		return nil, err
	}
	if len(msgs) == 0 {
		return nil, errors.New("starter: SendBatch: no messages")
	}
	out := make([]*client.Message, len(msgs))
	size := 0
	for i, bm := range msgs {
		m, err := t.BuildMessage(dest, bm.Payload, append(opts[:len(opts):len(opts)], WithKeys(bm.Keys...))...)
		if err != nil {
			return nil, fmt.Errorf("starter: SendBatch message %d: %w", i, err)
		}
		if m.DelayLevel != 0 || !m.DeliverAt.IsZero() {
			return nil, errors.New("starter: SendBatch: batches cannot carry a delay level or delivery time (brokers deliver them at once)")
		}
		for k, v := range bm.Properties {
			if m.Properties == nil {
				m.Properties = map[string]string{}
			}
			m.Properties[k] = v
		}
		size += len(m.Body)
		out[i] = m
	}
	if size > t.cfg.Producer.MaxMessageSize {
		return nil, fmt.Errorf("%w: batch of %d bytes exceeds rocketmq.producer.max-message-size %d", ErrMessageTooLarge, size, t.cfg.Producer.MaxMessageSize)
	}
	ctx, end := t.traceSend(ctx, ModeBatch, nil, out)
	start := time.Now()
	r, err := p.SendBatch(ctx, out)
	end(r, err)
	return t.finish(ModeBatch, out[0].Topic, len(out), start, r, err)
}

// BuildMessage returns the client message Send would send: body encoded,
// tag from the destination, options applied. Other senders (such as a
// transactional producer) use it to send exactly what the template would.
func (t *Template) BuildMessage(dest string, payload any, opts ...SendOption) (*client.Message, error) {
	topic, tag, err := parseDestination(dest)
	if err != nil {
		return nil, err
	}
	var body []byte
	switch v := payload.(type) {
	case []byte:
		body = v
	case string:
		body = []byte(v)
	default:
		if body, err = t.codec.Marshal(listener.MarshalParams{Topic: topic, Tag: tag, Value: payload}); err != nil {
			return nil, err
		}
	}
	if len(body) > t.cfg.Producer.MaxMessageSize {
		return nil, fmt.Errorf("%w: %d bytes to %s exceed rocketmq.producer.max-message-size %d", ErrMessageTooLarge, len(body), topic, t.cfg.Producer.MaxMessageSize)
	}
	m := &client.Message{Topic: topic, Tag: tag, Body: body}
	if len(opts) > 0 {
		var o sendOptions
		for _, opt := range opts {
			opt.apply(&o)
		}
		if err := o.check(); err != nil {
			return nil, err
		}
		o.applyTo(m)
	}
	return m, nil
}

func (t *Template) finish(mode SendMode, topic string, n int, start time.Time, r *client.SendResult, err error) (*SendResult, error) {
	ev := SendEvent{Topic: topic, Mode: mode, Messages: n, Status: SendUnknown, Latency: time.Since(start), Err: err}
	if err != nil {
		t.observe(ev)
		return nil, fmt.Errorf("starter: send to %s: %w", topic, err)
	}
	res := newSendResult(r)
	if res.Topic == "" {
		res.Topic = topic
	}
	ev.Status = res.Status
	if res.Status != SendOK && t.cfg.StrictSend {
		ev.Err = &SendStatusError{Status: res.Status, MsgID: res.MsgID, Topic: topic}
		t.observe(ev)
		return res, ev.Err
	}
	t.observe(ev)
	return res, nil
}

// traceSend starts the tracer's send of m, or of the batch msgs when m
// is nil (built only with a tracer: without one nothing is allocated).
func (t *Template) traceSend(ctx context.Context, mode SendMode, m *client.Message, msgs []*client.Message) (context.Context, func(*client.SendResult, error)) {
	if t.tracer == nil {
		return ctx, endSend
	}
	if m != nil {
		msgs = []*client.Message{m}
	}
	return t.tracer.StartSend(ctx, tracing.Send{Mode: string(mode), Group: t.cfg.Producer.Group, Messages: msgs})
}

// endSend ends an untraced send.
func endSend(*client.SendResult, error) {}

func (t *Template) observe(ev SendEvent) {
	if t.metrics != nil {
		t.metrics.Sent(ev)
	}
}

// parseDestination splits "topic:tag".
func parseDestination(dest string) (topic, tag string, err error) {
	topic, tag, _ = strings.Cut(dest, ":")
	if err := message.ValidateTopic(topic); err != nil {
		return "", "", fmt.Errorf("%w %q: %v", ErrBadDestination, dest, unwrapName(err))
	}
	if strings.ContainsAny(tag, "|* \t") {
		return "", "", fmt.Errorf("%w %q: a message carries one tag, without '|', '*' or spaces", ErrBadDestination, dest)
	}
	return topic, tag, nil
}

func unwrapName(err error) string {
	return strings.TrimSuffix(err.Error(), ": "+message.ErrInvalidName.Error())
}
