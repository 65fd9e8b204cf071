package starter

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/rocketkit/rocketkit/admin"
	"github.com/rocketkit/rocketkit/listener"
	"github.com/rocketkit/rocketkit/protocol/message"
)

// One group, one subscription (S6). The broker keeps one subscription per
// (group, topic), the one in the latest heartbeat, and filters every
// member's pulls with it: members of one group that subscribe differently
// silently steal each other's messages. The starter therefore refuses
//
//   - two listeners of the application sharing a group (checkLocalGroups,
//     at construction), and
//   - a listener whose group has a live member elsewhere with another
//     subscription (checkLiveMembers, on start, before any consumer
//     starts), unless rocketmq.listener.subscription-check says warn or
//     off.

// checkLocalGroups fails when two listeners share a group.
func checkLocalGroups(specs []*listener.Spec) error {
	byGroup := map[string]*listener.Spec{}
	var errs []error
	for _, s := range specs {
		other, dup := byGroup[s.Group]
		if !dup {
			byGroup[s.Group] = s
			continue
		}
		what := "the same subscription"
		if !listener.SameSubscription(s, other) {
			what = "different subscriptions"
		}
		errs = append(errs, fmt.Errorf("%w: listeners %s and %s share group %s with %s; a group belongs to exactly one listener (S6): give one of them its own group tag",
			ErrSubscriptionConflict, other, s, s.Group, what))
	}
	return errors.Join(errs...)
}

// checkLiveMembers asks the broker for the live members of each listener's
// group, signing with the listener's credentials (adminOf), and reports
// those subscribing differently: an error in fail mode, a warning in warn
// mode. A group without live members passes. When the broker cannot be
// asked, fail mode fails (a dead cluster should stop the start, S15) and
// warn mode warns.
func checkLiveMembers(ctx context.Context, mode, namespace string, adminOf func(*listener.Spec) (*admin.Client, error),
	specs []*listener.Spec, log *slog.Logger) error {
	if mode == CheckOff {
		return nil
	}
	var errs []error
	report := func(s *listener.Spec, err error) {
		if mode == CheckFail {
			errs = append(errs, err)
			return
		}
		log.Warn("subscription check", "listener", s.Listener, "group", s.Group, "err", err)
	}
	for _, s := range specs {
		group, topic := withNamespace(namespace, s.Group), withNamespace(namespace, s.Topic)
		adm, err := adminOf(s)
		if err != nil {
			return fmt.Errorf("starter: subscription check: %w", err)
		}
		members, err := adm.GroupMembers(ctx, group)
		if errors.Is(err, admin.ErrGroupOffline) {
			continue
		}
		if err != nil {
			report(s, fmt.Errorf("listener %s: cannot check the live members of group %s: %w", s.Listener, s.Group, err))
			continue
		}
		want := listener.NormalizeExpression(s.Expression())
		for _, m := range members {
			if diff := subscriptionDiff(m.Subscriptions, topic, want); diff != "" {
				report(s, fmt.Errorf("%w: listener %s: live member %s (%s) of group %s %s; this listener subscribes %s=%q. One group must have one subscription (S6): give this listener its own group, or stop that member (rocketmq.listener.subscription-check: warn starts anyway)",
					ErrSubscriptionConflict, s, m.ClientID, m.Addr, s.Group, diff, s.Topic, want))
				break
			}
		}
	}
	return errors.Join(errs...)
}

// subscriptionDiff describes how a member's subscriptions differ from
// topic=want, "" when they match. Retry topics are ignored.
func subscriptionDiff(subs map[string]string, topic, want string) string {
	var other []string
	for t, expr := range subs {
		if message.IsRetryTopic(t) {
			continue
		}
		if t == topic {
			if got := listener.NormalizeExpression(expr); got != want {
				return fmt.Sprintf("subscribes %s=%q", t, got)
			}
			continue
		}
		other = append(other, t)
	}
	if len(other) > 0 {
		return "also subscribes " + strings.Join(other, ", ")
	}
	if _, ok := subs[topic]; !ok && len(subs) > 0 {
		return "does not subscribe " + topic
	}
	return ""
}

func withNamespace(ns, name string) string {
	if ns == "" {
		return name
	}
	return ns + "%" + name
}
