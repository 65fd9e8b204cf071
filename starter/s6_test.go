package starter_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/internal/clienttest"
	"github.com/rocketkit/rocketkit/listener"
	"github.com/rocketkit/rocketkit/starter"
	"github.com/rocketkit/rocketkit/starter/startertest"
)

// Two listeners of one group with different tags: the S6 pitfall.
type TagBListener struct {
	listener.Concurrent `topic:"t_luo01" group:"c_luo01" tags:"TagB"`
	in                  *inbox
}

func (l *TagBListener) Handle(_ context.Context, m *listener.Message) error { l.in.add(m); return nil }

type TagACListener struct {
	listener.Concurrent `topic:"t_luo01" group:"c_luo01" tags:"TagA || TagC"`
	in                  *inbox
}

func (l *TagACListener) Handle(_ context.Context, m *listener.Message) error { l.in.add(m); return nil }

func TestTwoListenersSharingAGroupFailStartup(t *testing.T) {
	_, err := startertest.Start(t,
		startertest.Listener(func() *TagBListener { return &TagBListener{} }),
		startertest.Listener(func() *TagACListener { return &TagACListener{} }),
	)
	if !errors.Is(err, starter.ErrSubscriptionConflict) {
		t.Fatalf("err = %v, want a subscription conflict", err)
	}
	for _, want := range []string{"TagBListener (concurrent, topic t_luo01, tags TagB, group c_luo01)",
		"TagACListener (concurrent, topic t_luo01, tags TagA || TagC, group c_luo01)", "different subscriptions", "S6"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

// Another process already consumes the group with other tags: start-up
// fails, or warns with subscription-check: warn.
func TestLiveMemberWithAnotherSubscription(t *testing.T) {
	first := startertest.New(t, startertest.Listener(func() *TagBListener { return &TagBListener{in: newInbox()} }))
	other := startertest.Config(map[string]any{"rocketmq.name-server": first.NameServer()})

	_, err := startertest.Start(t, other, startertest.Listener(func() *TagACListener { return &TagACListener{in: newInbox()} }))
	if !errors.Is(err, starter.ErrSubscriptionConflict) {
		t.Fatalf("err = %v, want a subscription conflict", err)
	}
	for _, want := range []string{"listener TagACListener", "live member", `subscribes t_luo01="TagB"`, `t_luo01="TagA || TagC"`, "S6"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}

	var logs clienttest.LockedBuffer
	warned := startertest.New(t, other,
		startertest.Config(map[string]any{"rocketmq.listener.subscription-check": "warn"}),
		startertest.Logger(slog.New(slog.NewTextHandler(&logs, nil))),
		startertest.Listener(func() *TagACListener { return &TagACListener{in: newInbox()} }))
	if !strings.Contains(logs.String(), "subscription conflict") {
		t.Errorf("warn mode did not log the conflict:\n%s", logs.String())
	}

	warned.RequireStop()

	// The same subscription in another process is a normal second member,
	// with a client id of its own (S10).
	second := startertest.New(t, other, startertest.Listener(func() *TagBListener { return &TagBListener{in: newInbox()} }))
	adm, err := second.Endpoint.Admin()
	if err != nil {
		t.Fatal(err)
	}
	members, err := adm.GroupMembers(sendCtx(t), "c_luo01")
	if err != nil || len(members) != 2 || members[0].ClientID == members[1].ClientID {
		t.Errorf("group members %+v, %v; want two distinct clients", members, err)
	}
}

// S8: the same topic, two groups, different tags: each gets its own.
type GroupB struct {
	listener.Concurrent `topic:"t_luo02" group:"c_luo02" tags:"TagB"`
	in                  *inbox
}

func (l *GroupB) Handle(_ context.Context, m *listener.Message) error { l.in.add(m); return nil }

type GroupAC struct {
	listener.Concurrent `topic:"t_luo02" group:"c_luo03" tags:"TagA||TagC"`
	in                  *inbox
}

func (l *GroupAC) Handle(_ context.Context, m *listener.Message) error { l.in.add(m); return nil }

func TestDistinctGroupsOnOneTopic(t *testing.T) {
	b, ac := &GroupB{in: newInbox()}, &GroupAC{in: newInbox()}
	app := startertest.New(t,
		startertest.Listener(func() *GroupB { return b }),
		startertest.Listener(func() *GroupAC { return ac }))
	for i := range 30 {
		tag := []string{"TagA", "TagB", "TagC"}[i%3]
		if _, err := app.Template.Send(sendCtx(t), "t_luo02:"+tag, tag); err != nil {
			t.Fatal(err)
		}
	}
	gotB := b.in.waitFor(t, 10, 10*time.Second)
	gotAC := ac.in.waitFor(t, 20, 10*time.Second)
	quietWindow(200 * time.Millisecond) // a stray delivery would arrive now
	if b.in.count() != 10 || ac.in.count() != 20 {
		t.Fatalf("group c_luo02 got %d, c_luo03 got %d; want 10 and 20", b.in.count(), ac.in.count())
	}
	for _, m := range gotB {
		if m.Tag != "TagB" {
			t.Errorf("c_luo02 got %s", m.Tag)
		}
	}
	for _, m := range gotAC {
		if m.Tag == "TagB" {
			t.Errorf("c_luo03 got %s", m.Tag)
		}
	}
}
