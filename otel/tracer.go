package rkotel

import (
	"context"
	"strings"

	"github.com/rocketkit/rocketkit/client"
	"github.com/rocketkit/rocketkit/protocol/message"
	"github.com/rocketkit/rocketkit/tracing"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// The kit's own attributes.
const (
	attrMode          = attribute.Key("rocketkit.send.mode")
	attrStatus        = attribute.Key("rocketkit.send.status")
	attrProducerGroup = attribute.Key("rocketkit.producer.group")
	attrListener      = attribute.Key("rocketkit.listener")
	attrOutcome       = attribute.Key("rocketkit.outcome")
	attrReconsume     = attribute.Key("rocketkit.message.reconsume_times")
	attrOutboxState   = attribute.Key("rocketkit.outbox.state")
	attrTxState       = attribute.Key("rocketkit.txcheck.state")
)

var _ tracing.Tracer = (*Instrumentation)(nil)

// StartSend implements tracing.Tracer: a PRODUCER span "send <topic>",
// whose context it writes into the messages (see the package
// documentation for batches and outbox rows).
func (in *Instrumentation) StartSend(ctx context.Context, s tracing.Send) (context.Context, func(*client.SendResult, error)) {
	if len(s.Messages) == 0 {
		return ctx, func(*client.SendResult, error) {}
	}
	first := s.Messages[0]
	attrs := make([]attribute.KeyValue, 0, 12)
	attrs = append(attrs, semconv.MessagingSystemRocketMQ, semconv.MessagingOperationTypeSend,
		semconv.MessagingOperationName("send"), semconv.MessagingDestinationName(first.Topic), attrMode.String(s.Mode))
	if s.Group != "" {
		attrs = append(attrs, attrProducerGroup.String(s.Group))
	}
	opts := []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindProducer)}
	parent := ctx
	var own []bool // batch: which messages carry their own (writer's) context
	if len(s.Messages) == 1 {
		attrs = append(attrs, messageAttrs(first, s.Mode)...)
		// An outbox row was created in its writer's context: the send
		// continues it, and links to the caller's span, if any.
		if sc := in.extract(first.Properties); sc.IsValid() {
			if cur := trace.SpanContextFromContext(ctx); cur.IsValid() {
				opts = append(opts, trace.WithLinks(trace.Link{SpanContext: cur}))
			}
			parent = trace.ContextWithRemoteSpanContext(ctx, sc)
		}
	} else {
		attrs = append(attrs, semconv.MessagingBatchMessageCount(len(s.Messages)))
		own = make([]bool, len(s.Messages))
		var links []trace.Link
		for i, m := range s.Messages {
			if sc := in.extract(m.Properties); sc.IsValid() {
				own[i] = true
				links = append(links, trace.Link{SpanContext: sc})
			}
		}
		opts = append(opts, trace.WithLinks(links...))
	}
	opts = append(opts, trace.WithAttributes(attrs...))
	ctx, span := in.tracer.Start(parent, "send "+first.Topic, opts...)
	for i, m := range s.Messages {
		if own != nil && own[i] {
			continue
		}
		if m.Properties == nil {
			m.Properties = make(map[string]string, 2)
		}
		in.prop.Inject(ctx, propagation.MapCarrier(m.Properties))
	}
	return ctx, func(r *client.SendResult, err error) {
		if s.Mode == "transaction" {
			in.countTxSend(first.Topic, err)
		}
		if r != nil {
			if len(s.Messages) == 1 && r.MsgID != "" {
				span.SetAttributes(semconv.MessagingMessageID(r.MsgID))
			}
			span.SetAttributes(attrStatus.String(r.Status.String()))
		}
		endSpan(span, err)
	}
}

// messageAttrs describes one message to send.
func messageAttrs(m *client.Message, mode string) []attribute.KeyValue {
	attrs := []attribute.KeyValue{semconv.MessagingMessageBodySize(len(m.Body))}
	if m.Tag != "" {
		attrs = append(attrs, semconv.MessagingRocketMQMessageTag(m.Tag))
	}
	if len(m.Keys) > 0 {
		attrs = append(attrs, semconv.MessagingRocketMQMessageKeys(m.Keys...))
	}
	switch {
	case mode == "transaction":
		attrs = append(attrs, semconv.MessagingRocketMQMessageTypeTransaction)
	case m.DelayLevel > 0:
		attrs = append(attrs, semconv.MessagingRocketMQMessageTypeDelay, semconv.MessagingRocketMQMessageDelayTimeLevel(m.DelayLevel))
	case !m.DeliverAt.IsZero():
		attrs = append(attrs, semconv.MessagingRocketMQMessageTypeDelay,
			semconv.MessagingRocketMQMessageDeliveryTimestamp(int(m.DeliverAt.UnixMilli())))
	case mode == "orderly" || m.Properties[message.PropertyShardingKey] != "":
		attrs = append(attrs, semconv.MessagingRocketMQMessageTypeFifo)
	default:
		attrs = append(attrs, semconv.MessagingRocketMQMessageTypeNormal)
	}
	return attrs
}

// StartDelivery implements tracing.Tracer: a CONSUMER span
// "process <topic>" linked to every message's creation context, and its
// child when there is one message.
func (in *Instrumentation) StartDelivery(ctx context.Context, d tracing.Delivery) (context.Context, func(string, error)) {
	attrs := make([]attribute.KeyValue, 0, 14)
	attrs = append(attrs, semconv.MessagingSystemRocketMQ, semconv.MessagingOperationTypeProcess,
		semconv.MessagingOperationName("process"), semconv.MessagingDestinationName(d.Topic),
		semconv.MessagingConsumerGroupName(d.Group), attrListener.String(d.Listener))
	if d.Broadcasting {
		attrs = append(attrs, semconv.MessagingRocketMQConsumptionModelBroadcasting)
	} else {
		attrs = append(attrs, semconv.MessagingRocketMQConsumptionModelClustering)
	}
	links := make([]trace.Link, 0, len(d.Messages))
	for _, m := range d.Messages {
		if sc := in.extractExt(m); sc.IsValid() {
			links = append(links, trace.Link{SpanContext: sc})
		}
	}
	parent := ctx
	if len(d.Messages) == 1 {
		m := d.Messages[0]
		attrs = append(attrs, receivedAttrs(m)...)
		if len(links) == 1 {
			parent = trace.ContextWithRemoteSpanContext(ctx, links[0].SpanContext)
		}
	} else {
		attrs = append(attrs, semconv.MessagingBatchMessageCount(len(d.Messages)))
	}
	ctx, span := in.tracer.Start(parent, "process "+d.Topic, trace.WithSpanKind(trace.SpanKindConsumer),
		trace.WithLinks(links...), trace.WithAttributes(attrs...))
	return ctx, func(outcome string, err error) {
		span.SetAttributes(attrOutcome.String(outcome))
		endSpan(span, err)
	}
}

// receivedAttrs describes one received message.
func receivedAttrs(m *client.MessageExt) []attribute.KeyValue {
	attrs := []attribute.KeyValue{semconv.MessagingMessageID(m.MsgID), semconv.MessagingMessageBodySize(len(m.Body)),
		attrReconsume.Int(int(m.ReconsumeTimes))}
	if m.Tag != "" {
		attrs = append(attrs, semconv.MessagingRocketMQMessageTag(m.Tag))
	}
	if len(m.Keys) > 0 {
		attrs = append(attrs, semconv.MessagingRocketMQMessageKeys(m.Keys...))
	}
	return attrs
}

// StartCheck implements tracing.Tracer: a SERVER span "check <topic>",
// the child of the half message's send span, linked to it.
func (in *Instrumentation) StartCheck(ctx context.Context, c tracing.Check) (context.Context, func(string, error)) {
	m := c.Message
	attrs := append(receivedAttrs(m), semconv.MessagingSystemRocketMQ, semconv.MessagingDestinationName(m.Topic),
		semconv.MessagingRocketMQMessageTypeTransaction, attrProducerGroup.String(c.Group))
	opts := []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindServer), trace.WithAttributes(attrs...)}
	parent := ctx
	if sc := in.extractExt(m); sc.IsValid() {
		opts = append(opts, trace.WithLinks(trace.Link{SpanContext: sc}))
		parent = trace.ContextWithRemoteSpanContext(ctx, sc)
	}
	ctx, span := in.tracer.Start(parent, "check "+m.Topic, opts...)
	return ctx, func(state string, err error) {
		in.countCheck(m.Topic, state, err)
		span.SetAttributes(attrTxState.String(state))
		endSpan(span, err)
	}
}

// Inject implements tracing.Tracer: it writes ctx's trace context into
// props with the propagator.
func (in *Instrumentation) Inject(ctx context.Context, props map[string]string) {
	in.prop.Inject(ctx, propagation.MapCarrier(props))
}

func (in *Instrumentation) extract(props map[string]string) trace.SpanContext {
	if len(props) == 0 {
		return trace.SpanContext{}
	}
	return trace.SpanContextFromContext(in.prop.Extract(context.Background(), propagation.MapCarrier(props)))
}

func (in *Instrumentation) extractExt(m *client.MessageExt) trace.SpanContext {
	return trace.SpanContextFromContext(in.prop.Extract(context.Background(), extCarrier{m}))
}

// endSpan ends span, with status Error and error.type when err is set.
func endSpan(span trace.Span, err error) {
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, firstLine(err.Error()))
		span.SetAttributes(semconv.ErrorType(err))
	}
	span.End()
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
