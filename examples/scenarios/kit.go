package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/rocketkit/rocketkit/listener"
	"github.com/rocketkit/rocketkit/starter"
	"go.uber.org/fx"
)

// The scenarios below use the kit itself (S19): starter.Module with
// struct-tag listeners and the template, on the scenario broker.

// Steps records, per order, the steps the orderly listeners handled, and
// when each member handled its first message.
type Steps struct {
	mu      sync.Mutex
	byOrder map[string][]int
	first   map[string]time.Time // by member: its first message, warm-up probes included
	members map[string]bool      // the members that handled steps
	total   int                  // steps, probes not included
	probes  int
}

func newSteps() *Steps {
	return &Steps{byOrder: map[string][]int{}, first: map[string]time.Time{}, members: map[string]bool{}}
}

func (s *Steps) add(member string, st Step) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.first[member]; !ok {
		s.first[member] = time.Now()
	}
	if st.Probe {
		s.probes++
		return
	}
	s.byOrder[st.Order] = append(s.byOrder[st.Order], st.N)
	s.members[member] = true
	s.total++
}

func (s *Steps) count() (steps, probes int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.total, s.probes
}

// firstBy returns when member handled its first message (zero if never).
func (s *Steps) firstBy(member string) time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.first[member]
}

// Step is one step of an order's flow, or a warm-up probe.
type Step struct {
	Order string `json:"order"`
	N     int    `json:"n"`
	Probe bool   `json:"probe,omitempty"`
}

// OrderSteps is an orderly listener: one member at a time per queue, each
// queue's messages in order (S7), so each order's steps in order (S4).
type OrderSteps struct {
	listener.Orderly `topic:"t_steps" group:"c_steps" tags:"step"`
	steps            *Steps
	member           string
}

// Handle records one step.
func (l *OrderSteps) Handle(_ context.Context, m *listener.Message) error {
	var st Step
	if err := m.Decode(&st); err != nil {
		return listener.Discard(err)
	}
	l.steps.add(l.member, st)
	return nil
}

// member starts an application with one OrderSteps listener against the
// scenario broker.
func (e *env) member(ctx context.Context, name string, steps *Steps, opts ...fx.Option) (*fx.App, *starter.Template, error) {
	var tpl *starter.Template
	app := fx.New(append([]fx.Option{
		fx.NopLogger,
		starter.Module,
		starter.ConfigValues(map[string]any{"rocketmq.name-server": e.addr, "rocketmq.service-name": name}),
		starter.Listener(func() *OrderSteps { return &OrderSteps{steps: steps, member: name} }),
		fx.Populate(&tpl),
	}, opts...)...)
	if err := app.Start(ctx); err != nil {
		return nil, nil, err
	}
	return app, tpl, nil
}

// s4s7s11Orderly: two members of one group with an orderly listener; 20
// orders x 10 steps sent by order id; every step arrives, each order's in
// sequence, and the queues are shared between the members.
func s4s7s11Orderly(ctx context.Context, e *env) (string, error) {
	const orders = 20
	steps := newSteps()
	a, tpl, err := e.member(ctx, "member-a", steps)
	if err != nil {
		return "", err
	}
	defer a.Stop(context.Background())
	b, _, err := e.member(ctx, "member-b", steps)
	if err != nil {
		return "", err
	}
	defer b.Stop(context.Background())
	joined := time.Now()
	orderID := func(o int) string { return fmt.Sprintf("order-%02d", o) }

	// Member-a held every queue until member-b joined. Member-b consumes
	// once member-a gave up half of them: until it handled a message,
	// probes go round every order's queue (20 orders hash onto all four),
	// each round waited for. Then the queues stay where they are.
	deadline := time.Now().Add(e.timeout)
	for round := 1; steps.firstBy("member-b").IsZero(); round++ {
		if time.Now().After(deadline) {
			return "", fmt.Errorf("member-b handled nothing within %v of joining", e.timeout)
		}
		for o := range orders {
			if _, err := tpl.SendOrderly(ctx, "t_steps:step", Step{Order: orderID(o), Probe: true}, orderID(o)); err != nil {
				return "", err
			}
		}
		if err := waitUntil(e.timeout, func() bool { _, p := steps.count(); return p >= round*orders }); err != nil {
			return "", fmt.Errorf("warm-up round %d: %w", round, err)
		}
	}
	took := steps.firstBy("member-b").Sub(joined)

	for n := range 10 {
		for o := range orders {
			if _, err := tpl.SendOrderly(ctx, "t_steps:step", Step{Order: orderID(o), N: n}, orderID(o)); err != nil {
				return "", err
			}
		}
	}
	if err := waitUntil(e.timeout, func() bool { n, _ := steps.count(); return n >= 10*orders }); err != nil {
		n, _ := steps.count()
		return "", fmt.Errorf("%d of 200 steps handled: %w", n, err)
	}
	steps.mu.Lock()
	defer steps.mu.Unlock()
	if steps.total != 10*orders || len(steps.members) != 2 {
		return "", fmt.Errorf("%d steps handled by %d members, want 200 by 2", steps.total, len(steps.members))
	}
	for order, ns := range steps.byOrder {
		for i, n := range ns {
			if n != i {
				return "", fmt.Errorf("%s: steps %v, want 0..9 in order", order, ns)
			}
		}
	}
	return fmt.Sprintf("200 steps of 20 orders, each order's 10 in sequence; %d members shared the queues (no global order, none needed). "+
		"The second member handled its first message %v after joining, long before the broker's lock expiry (60 s): the kit's client unlocks the queues it gives up "+
		"(the official Go client kept them locked until they expired)",
		len(steps.members), took.Round(100*time.Microsecond)), nil
}

// Audit subscribes c_audit to TagA; AuditB subscribes the same group to
// TagB: the study's lost-messages trap (S6).
type Audit struct {
	listener.Concurrent `topic:"t_audit" group:"c_audit" tags:"TagA"`
}

// Handle accepts every message.
func (*Audit) Handle(context.Context, *listener.Message) error { return nil }

// AuditB is Audit's group with another subscription.
type AuditB struct {
	listener.Concurrent `topic:"t_audit" group:"c_audit" tags:"TagB"`
}

// Handle accepts every message.
func (*AuditB) Handle(context.Context, *listener.Message) error { return nil }

// s6OneGroupOneSubscription: the pitfall is the protocol's, so it shows on
// the kit's client too (subscriptionOverride); the kit's starter refuses
// what silently lost messages in the study, in one process and across
// processes.
func s6OneGroupOneSubscription(ctx context.Context, e *env) (string, error) {
	tagA, tagB, err := subscriptionOverride(ctx, e)
	if err != nil {
		return "", fmt.Errorf("raw client: %w", err)
	}
	cfg := starter.ConfigValues(map[string]any{"rocketmq.name-server": e.addr})
	both := fx.New(fx.NopLogger, starter.Module, cfg,
		starter.Listener(func() *Audit { return &Audit{} }), starter.Listener(func() *AuditB { return &AuditB{} }))
	err = both.Start(ctx)
	if err == nil {
		_ = both.Stop(ctx)
		return "", errors.New("two listeners sharing a group with different tags started")
	}
	if !errors.Is(err, starter.ErrSubscriptionConflict) {
		return "", fmt.Errorf("one process: %w", err)
	}
	oneProcess := firstClause(err)

	first := fx.New(fx.NopLogger, starter.Module, cfg, starter.Listener(func() *Audit { return &Audit{} }))
	if err := first.Start(ctx); err != nil {
		return "", err
	}
	defer first.Stop(context.Background())
	second := fx.New(fx.NopLogger, starter.Module, cfg, starter.Listener(func() *AuditB { return &AuditB{} }))
	err = second.Start(ctx)
	if err == nil {
		_ = second.Stop(ctx)
		return "", errors.New("a second process joined c_audit with another subscription")
	}
	if !errors.Is(err, starter.ErrSubscriptionConflict) {
		return "", fmt.Errorf("two processes: %w", err)
	}
	return fmt.Sprintf("protocol-level, so it shows on the kit's client too: members of one group on TagA and on TagB got %d and %d of their 10, %d of 20 lost "+
		"(the broker filters by the last heartbeat's subscription, each member drops the other tag); "+
		"the starter refuses c_audit on TagA and on TagB at start-up, in one process (%q) and against a live member of another",
		tagA, tagB, 20-tagA-tagB, oneProcess), nil
}

// s15NameServers: a client given only a dead name server must not start
// quietly consuming nothing.
func s15NameServers(ctx context.Context, e *env) (string, error) {
	var warnings strings.Builder
	log := slog.New(slog.NewTextHandler(&warnings, &slog.HandlerOptions{Level: slog.LevelWarn}))
	dead := fx.New(fx.NopLogger, starter.Module, fx.Supply(log),
		starter.ConfigValues(map[string]any{"rocketmq.name-server": "127.0.0.1:1"}))
	err := dead.Start(ctx)
	if err == nil {
		_ = dead.Stop(ctx)
		return "", errors.New("started with only a dead name server")
	}
	if !errors.Is(err, starter.ErrNameServerUnreachable) || !strings.Contains(warnings.String(), "single name server") {
		return "", fmt.Errorf("start-up error %v, warnings %q", err, warnings.String())
	}
	warnings.Reset()
	one := fx.New(fx.NopLogger, starter.Module, fx.Supply(log),
		starter.ConfigValues(map[string]any{"rocketmq.name-server": "127.0.0.1:1;" + e.addr}))
	if err := one.Start(ctx); err != nil {
		return "", fmt.Errorf("one of two name servers alive: %w", err)
	}
	defer one.Stop(context.Background())
	if !strings.Contains(warnings.String(), "name server not answering") {
		return "", fmt.Errorf("no warning about the dead name server: %q", warnings.String())
	}
	return "only a dead name server: start-up fails (and a single one is warned about); one dead of two: starts, naming the dead one", nil
}

// firstClause is err's message up to its first ';'.
func firstClause(err error) string {
	clause, _, _ := strings.Cut(err.Error(), ";")
	return clause
}
