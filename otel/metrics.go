package rkotel

import (
	"context"
	"errors"

	"github.com/rocketkit/rocketkit/listener"
	"github.com/rocketkit/rocketkit/outbox"
	"github.com/rocketkit/rocketkit/starter"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
)

var (
	_ starter.Metrics       = (*Instrumentation)(nil)
	_ starter.OutboxMetrics = (*Instrumentation)(nil)
	_ outbox.Metrics        = (*Instrumentation)(nil)
)

// instruments are the package's metric instruments.
type instruments struct {
	sent        metric.Int64Counter
	sendTime    metric.Float64Histogram
	consumed    metric.Int64Counter
	processTime metric.Float64Histogram
	outboxRows  metric.Int64Counter
	txSends     metric.Int64Counter
	txChecks    metric.Int64Counter
}

func newInstruments(m metric.Meter) (instruments, error) {
	var i instruments
	var errs [7]error
	i.sent, errs[0] = m.Int64Counter("messaging.client.sent.messages", metric.WithUnit("{message}"),
		metric.WithDescription("Messages the Template sent, by destination, send mode and error type."))
	i.sendTime, errs[1] = m.Float64Histogram("messaging.client.operation.duration", metric.WithUnit("s"),
		metric.WithDescription("Duration of the Template's sends, until the broker answered."))
	i.consumed, errs[2] = m.Int64Counter("messaging.client.consumed.messages", metric.WithUnit("{message}"),
		metric.WithDescription("Messages handed to listeners, by consumer group, destination and outcome."))
	i.processTime, errs[3] = m.Float64Histogram("messaging.process.duration", metric.WithUnit("s"),
		metric.WithDescription("Duration of listener handler calls."))
	i.outboxRows, errs[4] = m.Int64Counter("rocketkit.outbox.relay.rows", metric.WithUnit("{row}"),
		metric.WithDescription("Outbox rows the relay claimed, sent, found, retried, compensated, failed, released or pruned."))
	i.txSends, errs[5] = m.Int64Counter("rocketkit.txcheck.sends", metric.WithUnit("{message}"),
		metric.WithDescription("Transactional messages sent by txcheck, by destination and error type."))
	i.txChecks, errs[6] = m.Int64Counter("rocketkit.txcheck.checks", metric.WithUnit("{check}"),
		metric.WithDescription("Transaction check-backs answered, by destination and state."))
	return i, errors.Join(errs[:]...)
}

// Sent implements starter.Metrics.
func (in *Instrumentation) Sent(ev starter.SendEvent) {
	attrs := make([]attribute.KeyValue, 0, 6)
	attrs = append(attrs, semconv.MessagingSystemRocketMQ, semconv.MessagingOperationTypeSend,
		semconv.MessagingOperationName("send"), semconv.MessagingDestinationName(ev.Topic), attrMode.String(string(ev.Mode)))
	if ev.Err != nil {
		attrs = append(attrs, semconv.ErrorType(ev.Err))
	}
	set := metric.WithAttributeSet(attribute.NewSet(attrs...))
	ctx := context.Background()
	in.inst.sent.Add(ctx, int64(ev.Messages), set)
	in.inst.sendTime.Record(ctx, ev.Latency.Seconds(), set)
}

// Handled implements starter.Metrics. Deliveries that shutdown
// interrupted before their handler ran (Latency 0) are counted but not
// timed.
func (in *Instrumentation) Handled(r listener.Result) {
	attrs := make([]attribute.KeyValue, 0, 7)
	attrs = append(attrs, semconv.MessagingSystemRocketMQ, semconv.MessagingOperationTypeProcess,
		semconv.MessagingOperationName("process"), semconv.MessagingDestinationName(r.Topic),
		semconv.MessagingConsumerGroupName(r.Group), attrOutcome.String(r.Outcome.String()))
	if r.Err != nil {
		attrs = append(attrs, semconv.ErrorType(r.Err))
	}
	set := metric.WithAttributeSet(attribute.NewSet(attrs...))
	ctx := context.Background()
	in.inst.consumed.Add(ctx, int64(r.Messages), set)
	if r.Outcome != listener.OutcomeInterrupted || r.Latency > 0 {
		in.inst.processTime.Record(ctx, r.Latency.Seconds(), set)
	}
}

// OutboxRelayed implements starter.OutboxMetrics.
func (in *Instrumentation) OutboxRelayed(s outbox.RelayStats) { in.Relayed(s) }

// Relayed implements outbox.Metrics, for a relay run without the starter.
func (in *Instrumentation) Relayed(s outbox.RelayStats) {
	ctx := context.Background()
	for _, c := range [...]struct {
		set metric.MeasurementOption
		n   int64
	}{
		{outboxClaimed, s.Claimed}, {outboxSent, s.Sent}, {outboxFound, s.Found}, {outboxRetried, s.Retried},
		{outboxCompensated, s.Compensated}, {outboxFailed, s.Failed}, {outboxReleased, s.Released}, {outboxPruned, s.Pruned},
	} {
		if c.n != 0 {
			in.inst.outboxRows.Add(ctx, c.n, c.set)
		}
	}
}

func outboxState(state string) metric.MeasurementOption {
	return metric.WithAttributeSet(attribute.NewSet(semconv.MessagingSystemRocketMQ, attrOutboxState.String(state)))
}

var (
	outboxClaimed     = outboxState("claimed")
	outboxSent        = outboxState("sent")
	outboxFound       = outboxState("found")
	outboxRetried     = outboxState("retried")
	outboxCompensated = outboxState("compensated")
	outboxFailed      = outboxState("failed")
	outboxReleased    = outboxState("released")
	outboxPruned      = outboxState("pruned")
)

func (in *Instrumentation) countTxSend(topic string, err error) {
	attrs := []attribute.KeyValue{semconv.MessagingSystemRocketMQ, semconv.MessagingDestinationName(topic)}
	if err != nil {
		attrs = append(attrs, semconv.ErrorType(err))
	}
	in.inst.txSends.Add(context.Background(), 1, metric.WithAttributes(attrs...))
}

func (in *Instrumentation) countCheck(topic, state string, err error) {
	attrs := []attribute.KeyValue{semconv.MessagingSystemRocketMQ, semconv.MessagingDestinationName(topic), attrTxState.String(state)}
	if err != nil {
		attrs = append(attrs, semconv.ErrorType(err))
	}
	in.inst.txChecks.Add(context.Background(), 1, metric.WithAttributes(attrs...))
}

// ObserveBacklog reports o's backlog (outbox rows not sent yet, one
// query per collection) as the gauge rocketkit.outbox.backlog, until the
// returned registration is unregistered. Collections before the relay
// started, or whose query fails, report nothing. Module does this for
// the app's starter.Outbox.
func (in *Instrumentation) ObserveBacklog(o *starter.OutboxRelay) (metric.Registration, error) {
	g, err := in.meter.Int64ObservableGauge("rocketkit.outbox.backlog", metric.WithUnit("{row}"),
		metric.WithDescription("Outbox rows not sent yet."))
	if err != nil {
		return nil, err
	}
	set := metric.WithAttributeSet(attribute.NewSet(semconv.MessagingSystemRocketMQ))
	return in.meter.RegisterCallback(func(ctx context.Context, obs metric.Observer) error {
		n, err := o.Backlog(ctx)
		if err != nil {
			return nil // not started, or the database did not answer: no value
		}
		obs.ObserveInt64(g, n, set)
		return nil
	}, g)
}
