// The broker-level admin commands, named as in mqadmin: brokerStatus,
// getBrokerConfig, updateBrokerConfig, updateSubGroup, deleteSubGroup and
// consumerStatus. They join the table of cmd_admin.go at init.

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/rocketkit/rocketkit/admin"
)

// brokerArgs are the flags of the commands in this file.
type brokerArgs struct {
	value    string // -v of updateBrokerConfig
	clientID string // -i of consumerStatus
	// updateSubGroup's settings, as given ("" = keep the current value).
	consumeEnable, consumeFromMin, broadcast, orderly, notify string
	retryQueues, retryMax                                     string
	removeOffset                                              bool // -r of deleteSubGroup
}

func init() {
	adminCommands = append(adminCommands,
		adminCommand{name: "brokerStatus", args: "[-b addr | -c cluster]",
			summary: "show a broker's runtime counters (message totals, TPS, commit log, uptime)",
			flags:   brokerAddrFlags, run: adminBrokerStatus},
		adminCommand{name: "getBrokerConfig", args: "[-b addr | -c cluster]",
			summary: "show a broker's configuration by RocketMQ's key names",
			flags:   brokerAddrFlags, run: adminGetBrokerConfig},
		adminCommand{name: "updateBrokerConfig", args: "-k key -v value [-b addr | -c cluster]",
			summary: "change a broker setting at runtime (written back to its broker.conf)",
			flags: func(fs *flag.FlagSet, a *adminArgs) {
				brokerAddrFlags(fs, a)
				stringFlag(fs, &a.key, "k", "key", "", "the broker.conf key")
				stringFlag(fs, &a.broker.value, "v", "value", "", "its new value")
			}, required: []string{"key"}, run: adminUpdateBrokerConfig},
		adminCommand{name: "updateSubGroup", args: "-g group [-s bool] [-r n] ... [-b addr | -c cluster]",
			summary: "create a consumer group's settings or change them (consumeEnable, retryMaxTimes, ...)",
			flags: func(fs *flag.FlagSet, a *adminArgs) {
				brokerAddrFlags(fs, a)
				groupFlag(fs, a)
				sa := &a.broker
				stringFlag(fs, &sa.consumeEnable, "s", "consumeEnable", "", "true or false: false stops the group's consumption")
				stringFlag(fs, &sa.consumeFromMin, "m", "consumeFromMinEnable", "", "true or false")
				stringFlag(fs, &sa.broadcast, "d", "consumeBroadcastEnable", "", "true or false")
				fs.StringVar(&sa.orderly, "consumeMessageOrderly", "", "true or false")
				stringFlag(fs, &sa.notify, "a", "notifyConsumerIdsChanged", "", "true or false")
				stringFlag(fs, &sa.retryQueues, "q", "retryQueueNums", "", "number of retry queues")
				stringFlag(fs, &sa.retryMax, "r", "retryMaxTimes", "", "redeliveries before the dead-letter topic, for consumers that name no limit")
			}, required: []string{"consumerGroup"}, run: adminUpdateSubGroup},
		adminCommand{name: "deleteSubGroup", args: "-g group [-r] [-b addr | -c cluster]",
			summary: "delete a consumer group's settings (with -r its offsets too)",
			flags: func(fs *flag.FlagSet, a *adminArgs) {
				brokerAddrFlags(fs, a)
				groupFlag(fs, a)
				fs.BoolVar(&a.broker.removeOffset, "r", false, "remove the group's committed offsets too")
				fs.BoolVar(&a.broker.removeOffset, "removeOffset", false, "same as -r")
			}, required: []string{"consumerGroup"}, run: adminDeleteSubGroup},
		adminCommand{name: "consumerStatus", args: "-g group [-i clientId]",
			summary: "ask a group's live consumers for their state: settings, subscriptions, queues held",
			flags: func(fs *flag.FlagSet, a *adminArgs) {
				groupFlag(fs, a)
				stringFlag(fs, &a.broker.clientID, "i", "clientId", "", "only this member (default: every member)")
			}, required: []string{"consumerGroup"}, run: adminConsumerStatus},
	)
}

func brokerAddrFlags(fs *flag.FlagSet, a *adminArgs) {
	stringFlag(fs, &a.brokerAddr, "b", "brokerAddr", "", "this broker only (default: every master)")
	stringFlag(fs, &a.cluster, "c", "clusterName", "", "every master of this cluster")
}

// brokers resolves -b and -c into broker addresses.
func (e *adminEnv) brokers(ctx context.Context) ([]string, error) {
	switch {
	case e.a.brokerAddr != "" && e.a.cluster != "":
		return nil, errors.New("give -b or -c, not both")
	case e.a.brokerAddr != "":
		return []string{e.a.brokerAddr}, nil
	}
	return e.c.BrokerAddrs(ctx, e.a.cluster)
}

type brokerTable struct {
	Broker string            `json:"broker"`
	Table  map[string]string `json:"table"`
}

func adminBrokerStatus(ctx context.Context, e *adminEnv) error {
	addrs, err := e.brokers(ctx)
	if err != nil {
		return err
	}
	var rows []brokerTable
	for _, addr := range addrs {
		info, err := e.c.BrokerRuntimeInfo(ctx, addr)
		if err != nil {
			return err
		}
		rows = append(rows, brokerTable{Broker: addr, Table: info})
	}
	return e.emit(rows, func(w io.Writer) { printTables(w, rows, ":") })
}

func adminGetBrokerConfig(ctx context.Context, e *adminEnv) error {
	addrs, err := e.brokers(ctx)
	if err != nil {
		return err
	}
	var rows []brokerTable
	for _, addr := range addrs {
		cfg, err := e.c.BrokerConfig(ctx, addr)
		if err != nil {
			return err
		}
		rows = append(rows, brokerTable{Broker: addr, Table: cfg.Properties})
	}
	return e.emit(rows, func(w io.Writer) { printTables(w, rows, "=") })
}

// printTables prints each broker's keys sorted, mqadmin's way.
func printTables(w io.Writer, rows []brokerTable, sep string) {
	for _, r := range rows {
		if len(rows) > 1 {
			fmt.Fprintf(w, "============%s============\n", r.Broker)
		}
		for _, k := range slices.Sorted(maps.Keys(r.Table)) {
			fmt.Fprintf(w, "%s\t%s %s\n", k, sep, r.Table[k])
		}
	}
}

func adminUpdateBrokerConfig(ctx context.Context, e *adminEnv) error {
	if e.a.broker.value == "" {
		return errors.New("missing -v/--value: the new value")
	}
	addrs, err := e.brokers(ctx)
	if err != nil {
		return err
	}
	for _, addr := range addrs {
		if err := e.c.UpdateBrokerConfig(ctx, addr, map[string]string{e.a.key: e.a.broker.value}); err != nil {
			return err
		}
		fmt.Fprintf(e.out, "update broker config success, %s: %s=%s\n", addr, e.a.key, e.a.broker.value)
	}
	return nil
}

func adminUpdateSubGroup(ctx context.Context, e *adminEnv) error {
	addrs, err := e.brokers(ctx)
	if err != nil {
		return err
	}
	var done []admin.SubscriptionGroup
	for _, addr := range addrs {
		groups, err := e.c.SubscriptionGroups(ctx, addr)
		if err != nil {
			return err
		}
		sg, ok := groups[e.a.group]
		if !ok {
			sg = admin.NewSubscriptionGroup(e.a.group)
		}
		if err := e.a.broker.apply(&sg); err != nil {
			return err
		}
		if err := e.c.UpdateSubscriptionGroup(ctx, addr, sg); err != nil {
			return err
		}
		done = append(done, sg)
		if e.a.output != "json" {
			fmt.Fprintf(e.out, "create subscription group to %s success.\n", addr)
		}
	}
	if e.a.output == "json" {
		return e.emit(done, nil)
	}
	return e.emit(done, func(w io.Writer) {
		sg := done[len(done)-1]
		fmt.Fprintf(w, "groupName\t%s\nconsumeEnable\t%t\nconsumeFromMinEnable\t%t\nconsumeBroadcastEnable\t%t\n"+
			"consumeMessageOrderly\t%t\nretryQueueNums\t%d\nretryMaxTimes\t%d\nnotifyConsumerIdsChangedEnable\t%t\n",
			sg.GroupName, sg.ConsumeEnable, sg.ConsumeFromMinEnable, sg.ConsumeBroadcastEnable, sg.ConsumeMessageOrderly,
			sg.RetryQueueNums, sg.RetryMaxTimes, sg.NotifyConsumerIDsChangedEnable)
	})
}

// apply sets the settings given on the command line.
func (b *brokerArgs) apply(sg *admin.SubscriptionGroup) error {
	for _, f := range []struct {
		flag, v string
		dst     *bool
	}{{"-s", b.consumeEnable, &sg.ConsumeEnable}, {"-m", b.consumeFromMin, &sg.ConsumeFromMinEnable},
		{"-d", b.broadcast, &sg.ConsumeBroadcastEnable}, {"--consumeMessageOrderly", b.orderly, &sg.ConsumeMessageOrderly},
		{"-a", b.notify, &sg.NotifyConsumerIDsChangedEnable}} {
		if f.v == "" {
			continue
		}
		v, err := strconv.ParseBool(f.v)
		if err != nil {
			return fmt.Errorf("%s %q: want true or false", f.flag, f.v)
		}
		*f.dst = v
	}
	for _, f := range []struct {
		flag, v string
		dst     *int
	}{{"-q", b.retryQueues, &sg.RetryQueueNums}, {"-r", b.retryMax, &sg.RetryMaxTimes}} {
		if f.v == "" {
			continue
		}
		v, err := strconv.Atoi(f.v)
		if err != nil || v < 0 {
			return fmt.Errorf("%s %q: want a whole number, 0 or more", f.flag, f.v)
		}
		*f.dst = v
	}
	return nil
}

func adminDeleteSubGroup(ctx context.Context, e *adminEnv) error {
	addrs, err := e.brokers(ctx)
	if err != nil {
		return err
	}
	for _, addr := range addrs {
		if err := e.c.DeleteSubscriptionGroup(ctx, addr, e.a.group, e.a.broker.removeOffset); err != nil {
			return err
		}
		fmt.Fprintf(e.out, "delete subscription group [%s] from broker [%s] success.\n", e.a.group, addr)
	}
	return nil
}

type memberStatus struct {
	ClientID string            `json:"clientId"`
	Info     admin.RunningInfo `json:"runningInfo"`
}

func adminConsumerStatus(ctx context.Context, e *adminEnv) error {
	ids := []string{e.a.broker.clientID}
	if ids[0] == "" {
		members, err := e.c.GroupMembers(ctx, e.a.group)
		if errors.Is(err, admin.ErrGroupOffline) || err == nil && len(members) == 0 {
			return fmt.Errorf("consumer group %s is not online: no live member", e.a.group)
		}
		if err != nil {
			return err
		}
		ids = ids[:0]
		for _, m := range members {
			ids = append(ids, m.ClientID)
		}
	}
	var rows []memberStatus
	for _, id := range ids {
		info, err := e.c.ConsumerRunningInfo(ctx, e.a.group, id)
		if err != nil {
			return err
		}
		rows = append(rows, memberStatus{ClientID: id, Info: info})
	}
	return e.emit(rows, func(w io.Writer) {
		for _, r := range rows {
			fmt.Fprintf(w, "#ClientId\t%s\n", r.ClientID)
			for _, k := range slices.Sorted(maps.Keys(r.Info.Properties)) {
				fmt.Fprintf(w, "%s\t%s\n", k, r.Info.Properties[k])
			}
			for _, s := range r.Info.Subscriptions {
				fmt.Fprintf(w, "#Subscription\t%s\t%s\n", s.Topic, s.Expression)
			}
			fmt.Fprintln(w, "#Topic\t#Broker Name\t#QID\t#Commit Offset\t#Cached\t#Locked")
			for _, q := range r.Info.Queues {
				fmt.Fprintf(w, "%s\t%s\t%d\t%d\t%d\t%t\n", q.Topic, q.BrokerName, q.QueueID, q.CommitOffset,
					q.CachedMsgCount, q.Locked)
			}
			fmt.Fprintln(w, strings.Repeat("-", 20))
		}
	})
}
