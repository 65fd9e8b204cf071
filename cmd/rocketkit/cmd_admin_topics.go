package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/rocketkit/rocketkit/admin"
	"github.com/rocketkit/rocketkit/protocol/message"
)

func adminTopicList(ctx context.Context, e *adminEnv) error {
	topics, err := e.c.Topics(ctx)
	if err != nil {
		return err
	}
	if topics == nil {
		topics = []string{}
	}
	return e.emit(topics, func(w io.Writer) {
		for _, t := range topics {
			fmt.Fprintln(w, t)
		}
	})
}

// permString is Java's PermName.perm2String: R, W and X (inherit) or -.
func permString(p int) string {
	b := []byte("---")
	if p&admin.PermRead != 0 {
		b[0] = 'R'
	}
	if p&admin.PermWrite != 0 {
		b[1] = 'W'
	}
	if p&1 != 0 {
		b[2] = 'X'
	}
	return string(b)
}

func adminTopicRoute(ctx context.Context, e *adminEnv) error {
	if err := e.requireTopic(ctx, e.a.topic); err != nil {
		return err
	}
	r, err := e.c.Route(ctx, e.a.topic)
	if err != nil {
		return err
	}
	if r.Queues == nil {
		r.Queues = []admin.QueueData{}
	}
	if r.Brokers == nil {
		r.Brokers = []admin.BrokerData{}
	}
	slices.SortFunc(r.Brokers, func(a, b admin.BrokerData) int { return strings.Compare(a.BrokerName, b.BrokerName) })
	slices.SortFunc(r.Queues, func(a, b admin.QueueData) int { return strings.Compare(a.BrokerName, b.BrokerName) })
	return e.emit(r, func(w io.Writer) {
		fmt.Fprintln(w, "#Broker Name\t#Cluster\t#BID\t#Addr")
		for _, b := range r.Brokers {
			for _, id := range slices.Sorted(maps.Keys(b.Addrs)) {
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", b.BrokerName, b.Cluster, id, b.Addrs[id])
			}
		}
		fmt.Fprintln(w)
		fmt.Fprintln(w, "#Broker Name\t#Read Queues\t#Write Queues\t#Perm")
		for _, q := range r.Queues {
			fmt.Fprintf(w, "%s\t%d\t%d\t%s\n", q.BrokerName, q.ReadQueues, q.WriteQueues, permString(q.Perm))
		}
	})
}

func adminTopicStatus(ctx context.Context, e *adminEnv) error {
	if err := e.requireTopic(ctx, e.a.topic); err != nil {
		return err
	}
	stats, err := e.c.TopicStats(ctx, e.a.topic)
	if err != nil {
		return err
	}
	st := stats.Queues
	if st == nil {
		st = []admin.QueueStatus{}
	}
	return e.emit(st, func(w io.Writer) {
		var total int64
		fmt.Fprintln(w, "#Broker Name\t#QID\t#Min Offset\t#Max Offset\t#Last Updated")
		for _, q := range st {
			total += q.MaxOffset - q.MinOffset
			fmt.Fprintf(w, "%s\t%d\t%d\t%d\t%s\n", q.BrokerName, q.QueueID, q.MinOffset, q.MaxOffset, formatMillis(q.LastUpdate))
		}
		fmt.Fprintf(w, "\nMessages stored: %d in %d queues\n", total, len(st))
		pendingLine(w, e.a.topic, stats.PendingTransactions)
	})
}

type updateReport struct {
	Topic       string   `json:"topic"`
	Brokers     []string `json:"brokers"`
	ReadQueues  int      `json:"readQueueNums"`
	WriteQueues int      `json:"writeQueueNums"`
	Perm        int      `json:"perm"`
	Order       bool     `json:"order"`
}

func adminUpdateTopic(ctx context.Context, e *adminEnv) error {
	a := e.a
	if err := message.ValidateTopic(a.topic); err != nil {
		return err
	}
	if a.readQueues < 1 || a.writeQueues < 1 {
		return errors.New("-r and -w must be at least 1")
	}
	if a.perm < 1 || a.perm > 7 {
		return errors.New("-p must be 2 (write), 4 (read) or 6 (both)")
	}
	if a.brokerAddr != "" && a.cluster != "" {
		return errors.New("give -b or -c, not both")
	}
	spec := admin.TopicSpec{Topic: a.topic, ReadQueues: a.readQueues, WriteQueues: a.writeQueues,
		Perm: a.perm, Order: a.order, Cluster: a.cluster}
	if a.brokerAddr != "" {
		spec.Brokers = []string{a.brokerAddr}
	}
	brokers, err := e.c.UpdateTopic(ctx, spec)
	if err != nil {
		return err
	}
	rep := updateReport{Topic: a.topic, Brokers: brokers, ReadQueues: a.readQueues, WriteQueues: a.writeQueues, Perm: a.perm, Order: a.order}
	return e.emit(rep, func(w io.Writer) {
		for _, b := range brokers {
			fmt.Fprintf(w, "create topic %s on %s success: %d read and %d write queues, perm %s\n",
				a.topic, b, a.readQueues, a.writeQueues, permString(a.perm))
		}
	})
}

func adminDeleteTopic(ctx context.Context, e *adminEnv) error {
	if err := e.requireTopic(ctx, e.a.topic); err != nil {
		return err
	}
	if err := e.c.DeleteTopic(ctx, e.a.topic); err != nil {
		return err
	}
	return e.emit(map[string]any{"topic": e.a.topic, "deleted": true}, func(w io.Writer) {
		fmt.Fprintf(w, "delete topic %s from its brokers and the name servers success\n", e.a.topic)
	})
}
