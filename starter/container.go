package starter

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/rocketkit/rocketkit/admin"
	"github.com/rocketkit/rocketkit/broker/sqlfilter"
	"github.com/rocketkit/rocketkit/client"
	"github.com/rocketkit/rocketkit/listener"
	"github.com/rocketkit/rocketkit/tracing"
	"github.com/rocketkit/rocketkit/transport"
)

// listenerSet runs the application's listeners: one consumer of the
// endpoint's backend and one listener.Dispatcher each.
type listenerSet struct {
	cfg     Config
	ep      *Endpoint
	log     *slog.Logger
	metrics Metrics
	items   []*runningListener
}

type runningListener struct {
	spec    *listener.Spec
	disp    *listener.Dispatcher
	c       transport.Consumer // nil until started
	running atomic.Bool        // from a successful start until stop begins (Health)

	replies atomic.Pointer[producerHolder] // a reply listener's, while started (reply_listener.go)
}

// newListenerSet parses every listener, derives missing groups, applies
// configured defaults and checks that no two listeners share a group.
func newListenerSet(s *settings, ep *Endpoint, targets []any, codec listener.Codec, log *slog.Logger, m Metrics, tr tracing.Tracer) (*listenerSet, error) {
	ls := &listenerSet{cfg: s.cfg, ep: ep, log: log, metrics: m}
	cc := s.cfg.Consumer
	var errs []error
	var specs []*listener.Spec
	for _, t := range targets {
		spec, err := listener.Parse(t, s.lookup)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if err := checkSQL(spec); err != nil {
			errs = append(errs, err)
			continue
		}
		if spec.Group == "" {
			spec.Group = listener.DeriveGroup(s.cfg.ServiceName, spec)
		}
		if spec.Consumers == 0 {
			spec.Consumers = cc.ConsumeThreadMax
		}
		if spec.MaxReconsume < 0 {
			spec.MaxReconsume = cc.MaxReconsumeTimes
		}
		if spec.Suspend < 0 {
			spec.Suspend = cc.SuspendCurrentQueueTime
		}
		if spec.Timeout == 0 {
			spec.Timeout = cc.ConsumeTimeout
		}
		it := &runningListener{}
		opts := []listener.Option{listener.WithCodec(codec), listener.WithLogger(log), listener.WithReplySender(it.sendReply)}
		if m != nil {
			opts = append(opts, listener.WithObserver(m.Handled))
		}
		if tr != nil {
			opts = append(opts, listener.WithTracer(tr))
		}
		d, err := listener.NewDispatcher(spec, t, opts...)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		specs = append(specs, d.Spec())
		it.spec, it.disp = d.Spec(), d
		ls.items = append(ls.items, it)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if err := checkLocalGroups(specs); err != nil {
		return nil, err
	}
	return ls, nil
}

func (ls *listenerSet) specs() []*listener.Spec {
	out := make([]*listener.Spec, len(ls.items))
	for i, it := range ls.items {
		out[i] = it.spec
	}
	return out
}

// start checks the subscriptions against the broker, then starts every
// consumer; on failure it stops those already started.
func (ls *listenerSet) start(ctx context.Context) error {
	if len(ls.items) == 0 {
		return nil
	}
	if ls.cfg.Listener.SubscriptionCheck != CheckOff {
		adminOf := func(s *listener.Spec) (*admin.Client, error) { return ls.ep.adminWith(ls.credentials(s)) }
		if err := checkLiveMembers(ctx, ls.cfg.Listener.SubscriptionCheck, ls.cfg.Namespace, adminOf, ls.specs(), ls.log); err != nil {
			return err
		}
	}
	for _, it := range ls.items {
		if err := ls.startOne(ctx, it); err != nil {
			return errors.Join(err, ls.stop(ctx))
		}
		ls.log.Info("listener started", "listener", it.spec.Listener, "kind", it.spec.Kind.String(),
			"topic", it.spec.Topic, "tags", it.spec.Expression(), "group", it.spec.Group)
	}
	return nil
}

// credentials are what s's consumer signs with: the listener's own
// accessKey and secretKey, or rocketmq.consumer.access-key's.
func (ls *listenerSet) credentials(s *listener.Spec) client.Credentials {
	if s.AccessKey != "" {
		return client.Credentials{AccessKey: s.AccessKey, SecretKey: s.SecretKey}
	}
	return ls.ep.consumerCredentials()
}

func (ls *listenerSet) startOne(ctx context.Context, it *runningListener) error {
	s, cc := it.spec, ls.cfg.Consumer
	backend, err := ls.ep.backend(ls.credentials(s))
	if err != nil {
		return err
	}
	cfg := client.ConsumerConfig{
		Group:             s.Group,
		Subscriptions:     []client.Subscription{s.Subscription()},
		Broadcasting:      s.Model == listener.Broadcasting,
		Orderly:           s.Kind == listener.KindOrderly,
		ConsumeFrom:       client.ConsumeFromLastOffset,
		MaxReconsumeTimes: int(s.ReconsumeLimit()),
		PullBatchSize:     max(cc.PullBatchSize, s.Batch),
		ConsumeBatchSize:  max(1, s.Batch),
		Concurrency:       s.Consumers,
		SuspendInterval:   s.Suspend,
		RetryDelayLevel:   s.RetryDelayLevel,
	}
	if cc.ConsumeFromWhere == "first" {
		cfg.ConsumeFrom = client.ConsumeFromFirstOffset
	}
	if cfg.Broadcasting {
		if cfg.OffsetDir, err = ls.ep.offsetDir(); err != nil {
			return fmt.Errorf("starter: listener %s is broadcasting: %w", s.Listener, err)
		}
	}
	if err := it.startReplies(backend); err != nil {
		return err
	}
	c, err := backend.NewConsumer(cfg, it.disp.Consume)
	if err != nil {
		return errors.Join(fmt.Errorf("starter: listener %s: new consumer: %w", s.Listener, err), it.stopReplies())
	}
	if err := c.Start(ctx); err != nil {
		return errors.Join(fmt.Errorf("starter: listener %s: start consumer: %w", s.Listener, err), it.stopReplies())
	}
	it.c = c
	it.running.Store(true)
	return nil
}

// notRunning names the listeners whose consumer is not running: before
// start, after a failed start, and from the moment stop begins.
func (ls *listenerSet) notRunning() []string {
	var out []string
	for _, it := range ls.items {
		if !it.running.Load() {
			out = append(out, it.spec.Listener)
		}
	}
	return out
}

// stop closes every listener's consumer at once: each stops pulling,
// waits for its running handlers for up to rocketmq.shutdown-timeout, then
// cancels their contexts (what they return then is not acknowledged and
// is delivered again), commits what was handled and leaves its group.
func (ls *listenerSet) stop(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, ls.cfg.ShutdownTimeout)
	defer cancel()
	var wg sync.WaitGroup
	errs := make([]error, len(ls.items))
	for _, it := range ls.items {
		it.running.Store(false)
	}
	for i, it := range ls.items {
		if it.c == nil {
			continue
		}
		wg.Go(func() {
			err := it.c.Close(ctx)
			it.c = nil
			errs[i] = it.stopReplies()
			switch {
			case err == nil:
			case errors.Is(err, context.DeadlineExceeded):
				ls.log.Warn("listener did not drain in time; running handlers were cancelled and their messages will be redelivered",
					"listener", it.spec.Listener, "group", it.spec.Group, "timeout", ls.cfg.ShutdownTimeout)
			default:
				errs[i] = errors.Join(fmt.Errorf("starter: listener %s: close consumer: %w", it.spec.Listener, err), errs[i])
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// checkSQL refuses, at start-up, a sql selector the broker would not
// compile (RocketMQ's grammar, package sqlfilter), naming the line and
// column; the embedded broker and a RocketMQ cluster parse alike. A
// remote broker needs enablePropertyFilter=true as well.
func checkSQL(s *listener.Spec) error {
	if s.SQL == "" {
		return nil
	}
	if _, err := sqlfilter.Parse(s.SQL); err != nil {
		return &listener.TagError{Listener: s.Listener, Field: s.Field, Tag: "sql", Err: fmt.Errorf("%q: %w", s.SQL, err)}
	}
	return nil
}
