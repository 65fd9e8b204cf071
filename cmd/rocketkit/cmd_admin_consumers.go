package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rocketkit/rocketkit/admin"
	"github.com/rocketkit/rocketkit/protocol/message"
)

type progressRow struct {
	Topic          string `json:"topic"`
	BrokerName     string `json:"brokerName"`
	QueueID        int    `json:"queueId"`
	BrokerOffset   int64  `json:"brokerOffset"`
	ConsumerOffset int64  `json:"consumerOffset"`
	Lag            int64  `json:"lag"`
}

type progressReport struct {
	Group               string        `json:"group"`
	Queues              []progressRow `json:"queues"`
	TotalBrokerOffset   int64         `json:"totalBrokerOffset"`
	TotalConsumerOffset int64         `json:"totalConsumerOffset"`
	TotalLag            int64         `json:"totalLag"`
	// PendingTransactions is the topic's half messages (-t only, and
	// only from brokers that report them).
	PendingTransactions *int `json:"pendingTransactions,omitempty"`
}

func adminConsumerProgress(ctx context.Context, e *adminEnv) error {
	if e.a.topic != "" {
		if err := e.requireTopic(ctx, e.a.topic); err != nil {
			return err
		}
	}
	stats, err := e.c.ConsumeStats(ctx, e.a.group, e.a.topic)
	if errors.Is(err, admin.ErrTopicNotFound) && e.a.topic == "" {
		return fmt.Errorf("consumer group %s not found: it has never consumed (no %s topic)", e.a.group, message.RetryTopic(e.a.group))
	}
	if err != nil {
		return err
	}
	rep := progressReport{Group: e.a.group, Queues: []progressRow{}}
	for _, q := range stats {
		rep.Queues = append(rep.Queues, progressRow{Topic: q.Topic, BrokerName: q.BrokerName, QueueID: q.QueueID,
			BrokerOffset: q.BrokerOffset, ConsumerOffset: q.ConsumerOffset, Lag: q.Lag()})
		rep.TotalBrokerOffset += q.BrokerOffset
		rep.TotalConsumerOffset += q.ConsumerOffset
		rep.TotalLag += q.Lag()
	}
	if len(rep.Queues) == 0 {
		what := "any topic"
		if e.a.topic != "" {
			what = "topic " + e.a.topic
		}
		return fmt.Errorf("consumer group %s has no offsets on %s (it has never consumed there)", e.a.group, what)
	}
	if e.a.topic != "" {
		st, err := e.c.TopicStats(ctx, e.a.topic)
		if err != nil {
			return err
		}
		if st.PendingTransactions >= 0 {
			rep.PendingTransactions = &st.PendingTransactions
		}
	}
	return e.emit(rep, func(w io.Writer) {
		fmt.Fprintln(w, "#Topic\t#Broker Name\t#QID\t#Broker Offset\t#Consumer Offset\t#Lag")
		for _, q := range rep.Queues {
			fmt.Fprintf(w, "%s\t%s\t%d\t%d\t%d\t%d\n", q.Topic, q.BrokerName, q.QueueID, q.BrokerOffset, q.ConsumerOffset, q.Lag)
		}
		fmt.Fprintf(w, "Total\t\t\t%d\t%d\t%d\n", rep.TotalBrokerOffset, rep.TotalConsumerOffset, rep.TotalLag)
		if rep.PendingTransactions != nil {
			pendingLine(w, e.a.topic, *rep.PendingTransactions)
		}
	})
}

type connectionRow struct {
	ClientID      string            `json:"clientId"`
	ClientAddr    string            `json:"clientAddr"`
	Subscriptions map[string]string `json:"subscriptions"`
}

func adminConsumerConnection(ctx context.Context, e *adminEnv) error {
	members, err := e.c.GroupMembers(ctx, e.a.group)
	if errors.Is(err, admin.ErrGroupOffline) {
		return fmt.Errorf("consumer group %s is not online: no live member", e.a.group)
	}
	if err != nil {
		return err
	}
	rows := make([]connectionRow, 0, len(members))
	exprs := map[string]map[string]bool{} // topic -> expressions
	for _, m := range members {
		rows = append(rows, connectionRow{ClientID: m.ClientID, ClientAddr: m.Addr, Subscriptions: m.Subscriptions})
		for topic, expr := range m.Subscriptions {
			if exprs[topic] == nil {
				exprs[topic] = map[string]bool{}
			}
			exprs[topic][expr] = true
		}
	}
	err = e.emit(rows, func(w io.Writer) {
		fmt.Fprintln(w, "#ClientId\t#ClientAddr\t#Topic\t#SubExpression")
		for _, r := range rows {
			for _, topic := range slices.Sorted(maps.Keys(r.Subscriptions)) {
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", r.ClientID, r.ClientAddr, topic, r.Subscriptions[topic])
			}
		}
	})
	for _, topic := range slices.Sorted(maps.Keys(exprs)) {
		if len(exprs[topic]) > 1 {
			fmt.Fprintf(e.stderr, "warning: members of group %s subscribe to %s with different expressions (%s): "+
				"a group has one subscription per topic, so some members miss messages; use one group per subscription\n",
				e.a.group, topic, strings.Join(slices.Sorted(maps.Keys(exprs[topic])), ", "))
		}
	}
	return err
}

type resetReport struct {
	Group  string             `json:"group"`
	Topic  string             `json:"topic"`
	Time   time.Time          `json:"time"`
	Queues []admin.QueueReset `json:"queues"`
}

func adminResetOffsetByTime(ctx context.Context, e *adminEnv) error {
	at, err := parseTime("s", e.a.timestamp, time.Now())
	if err != nil {
		return err
	}
	resets, err := e.c.ResetOffset(ctx, e.a.group, e.a.topic, at)
	switch {
	case errors.Is(err, admin.ErrTopicNotFound):
		return fmt.Errorf("topic %s not found (rocketkit admin topicList lists the topics)", e.a.topic)
	case errors.Is(err, admin.ErrGroupOnline):
		return fmt.Errorf("%w\n(its consumers keep their offsets in memory and would overwrite the reset ones; rocketkit admin consumerConnection -g %s lists them)", err, e.a.group)
	case err != nil:
		return err
	}
	return e.emit(resetReport{Group: e.a.group, Topic: e.a.topic, Time: at, Queues: resets}, func(w io.Writer) {
		fmt.Fprintf(w, "reset %s on %s to %s\n", e.a.group, e.a.topic, at.Format(time.RFC3339Nano))
		fmt.Fprintln(w, "#Broker Name\t#QID\t#Old Offset\t#New Offset")
		for _, q := range resets {
			old := strconv.FormatInt(q.OldOffset, 10)
			if q.OldOffset < 0 {
				old = "-"
			}
			fmt.Fprintf(w, "%s\t%d\t%s\t%d\n", q.BrokerName, q.QueueID, old, q.NewOffset)
		}
	})
}
