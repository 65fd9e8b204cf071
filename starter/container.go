package starter

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	rocketmq "github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/rocketkit/rocketkit/listener"
)

// listenerSet runs the application's listeners: one push consumer and one
// listener.Dispatcher each.
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
	pc      rocketmq.PushConsumer // nil until started
	started time.Time
	running atomic.Bool // from a successful start until stop begins (Health)
}

// The client's rebalances read a flag that its Shutdown writes without
// synchronisation, so a rebalance running into Shutdown is a data race in
// the client. Start launches one, and the broker triggers one on every
// member change (another replica leaving, say). Before Shutdown, stop
// therefore suspends the consumer (no new rebalances or pulls) and waits
// until it has run for settleTime (the client's first timers fire within
// it); then, on the embedded broker, until the broker has received no
// request for quietTime (Broker.WaitQuiet: an event no slow machine can
// outrun, which also orders every RPC the broker saw before Shutdown for
// the race detector), and on a remote cluster, which offers no such event,
// until it has been suspended for quietTime, long enough for a rebalance
// already running to finish. Without the race detector the overlap is a
// harmless read of a bool; the waits matter to applications testing with
// -race, and are the same in every build.
const (
	settleTime = time.Second
	quietTime  = 300 * time.Millisecond
)

// newListenerSet parses every listener, derives missing groups, applies
// configured defaults and checks that no two listeners share a group.
func newListenerSet(s *settings, ep *Endpoint, targets []any, codec listener.Codec, log *slog.Logger, m Metrics) (*listenerSet, error) {
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
		opts := []listener.Option{listener.WithCodec(codec), listener.WithLogger(log)}
		if m != nil {
			opts = append(opts, listener.WithObserver(m.Handled))
		}
		d, err := listener.NewDispatcher(spec, t, opts...)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		specs = append(specs, d.Spec())
		ls.items = append(ls.items, &runningListener{spec: d.Spec(), disp: d})
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
	if ls.ep.Embedded() {
		for _, it := range ls.items {
			if it.spec.SQL != "" {
				return fmt.Errorf("%w: listener %s: the embedded broker filters by tag only; use tags, or a RocketMQ cluster with enablePropertyFilter=true", ErrSQLNotSupported, it.spec)
			}
		}
	}
	if ls.cfg.Listener.SubscriptionCheck != CheckOff {
		adm, err := ls.ep.Admin()
		if err != nil {
			return fmt.Errorf("starter: subscription check: %w", err)
		}
		if err := checkLiveMembers(ctx, ls.cfg.Listener.SubscriptionCheck, ls.cfg.Namespace, adm, ls.specs(), ls.log); err != nil {
			return err
		}
	}
	for _, it := range ls.items {
		if err := ls.startOne(it); err != nil {
			return errors.Join(err, ls.stop(ctx))
		}
		ls.log.Info("listener started", "listener", it.spec.Listener, "kind", it.spec.Kind.String(),
			"topic", it.spec.Topic, "tags", it.spec.Expression(), "group", it.spec.Group)
	}
	return nil
}

func (ls *listenerSet) startOne(it *runningListener) error {
	s, cc := it.spec, ls.cfg.Consumer
	model := consumer.Clustering
	if s.Model == listener.Broadcasting {
		model = consumer.BroadCasting
	}
	from := consumer.ConsumeFromLastOffset
	if cc.ConsumeFromWhere == "first" {
		from = consumer.ConsumeFromFirstOffset
	}
	opts := append(ls.ep.ConsumerOptions(s.Group),
		consumer.WithConsumerModel(model),
		consumer.WithConsumerOrder(s.Kind == listener.KindOrderly),
		consumer.WithConsumeGoroutineNums(s.Consumers),
		consumer.WithPullBatchSize(int32(max(cc.PullBatchSize, s.Batch))),
		consumer.WithConsumeMessageBatchMaxSize(max(1, s.Batch)),
		consumer.WithMaxReconsumeTimes(s.ReconsumeLimit()),
		consumer.WithConsumeTimeout(cc.ConsumeTimeout),
		consumer.WithConsumeFromWhere(from),
	)
	pc, err := consumer.NewPushConsumer(opts...)
	if err != nil {
		return fmt.Errorf("starter: listener %s: new consumer: %w", s.Listener, err)
	}
	if err := pc.Subscribe(s.Topic, s.Selector(), it.disp.Consume); err != nil {
		_ = pc.Shutdown()
		return fmt.Errorf("starter: listener %s: subscribe: %w", s.Listener, err)
	}
	if err := pc.Start(); err != nil {
		_ = pc.Shutdown()
		return fmt.Errorf("starter: listener %s: start consumer: %w", s.Listener, err)
	}
	it.pc, it.started = pc, time.Now()
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

// stop drains every listener at once: the consumers stop pulling and
// rebalancing, running handlers get rocketmq.shutdown-timeout to finish,
// then their contexts are cancelled; then the consumers shut down
// (persisting offsets of what was handled) and parked deliveries are
// released unacknowledged.
//
// Suspending first also keeps rebalances out of the client's Shutdown
// (see settleTime).
func (ls *listenerSet) stop(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, ls.cfg.ShutdownTimeout)
	defer cancel()
	var wg sync.WaitGroup
	errs := make([]error, len(ls.items))
	suspended := time.Now()
	for _, it := range ls.items {
		it.running.Store(false)
		if it.pc != nil {
			it.pc.Suspend()
		}
	}
	for i, it := range ls.items {
		wg.Go(func() {
			if err := it.disp.Drain(ctx); err != nil {
				ls.log.Warn("listener did not drain in time; running handlers were cancelled and their messages will be redelivered",
					"listener", it.spec.Listener, "group", it.spec.Group, "timeout", ls.cfg.ShutdownTimeout)
			}
			if it.pc != nil {
				time.Sleep(time.Until(it.started.Add(settleTime)))
				ls.ep.waitQuiet(ctx, quietTime)
				// A remote cluster (or ctx ended): the fixed wait; after
				// a quiet embedded broker it has passed already.
				time.Sleep(time.Until(suspended.Add(quietTime)))
				if err := it.pc.Shutdown(); err != nil {
					errs[i] = fmt.Errorf("starter: listener %s: shut down consumer: %w", it.spec.Listener, err)
				}
				it.pc = nil
			}
			it.disp.Release()
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}
