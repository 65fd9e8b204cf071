package main

import (
	"bytes"
	"compress/zlib"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/rocketkit/rocketkit/admin"
	"github.com/rocketkit/rocketkit/protocol/message"
	"github.com/rocketkit/rocketkit/internal/suggest"
)

// defaultNamesrv is the name server admin and bench use unless -n is given.
const defaultNamesrv = "127.0.0.1:9876"

// adminArgs holds every flag of every admin command; each command defines
// the ones it takes.
type adminArgs struct {
	namesrv string
	output  string
	timeout time.Duration

	topic, group, key, id string
	timestamp, begin, end string
	max                   int
	readQueues            int
	writeQueues           int
	perm                  int
	order                 bool
	brokerAddr, cluster   string
	bodyMax               int
}

// adminCommand is one `rocketkit admin` command, named as in mqadmin.
type adminCommand struct {
	name    string
	args    string // synopsis of its own flags
	summary string
	flags   func(fs *flag.FlagSet, a *adminArgs)
	// required names the flags (by long name) that must be set.
	required []string
	run      func(ctx context.Context, e *adminEnv) error
}

// adminCommands are listed in this order by `rocketkit admin help`.
var adminCommands = []adminCommand{
	{name: "clusterList", summary: "list the clusters and their brokers (BID 0 = master)", run: adminClusterList},
	{name: "topicList", summary: "list every topic the name server knows", run: adminTopicList},
	{name: "topicRoute", args: "-t topic", summary: "show the brokers and queue counts of a topic",
		flags: topicFlag, required: []string{"topic"}, run: adminTopicRoute},
	{name: "topicStatus", args: "-t topic", summary: "show the min and max offset of every queue of a topic",
		flags: topicFlag, required: []string{"topic"}, run: adminTopicStatus},
	{name: "consumerProgress", args: "-g group [-t topic]", summary: "show a group's broker offset, consumer offset and lag per queue",
		flags: func(fs *flag.FlagSet, a *adminArgs) {
			groupFlag(fs, a)
			stringFlag(fs, &a.topic, "t", "topic", "", "only this topic (default: all the group's topics)")
		}, required: []string{"consumerGroup"}, run: adminConsumerProgress},
	{name: "consumerConnection", args: "-g group", summary: "list a group's live members and their subscriptions",
		flags: groupFlag, required: []string{"consumerGroup"}, run: adminConsumerConnection},
	{name: "resetOffsetByTime", args: "-g group -t topic -s time", summary: "move a stopped group's offsets to the first message stored at or after a time",
		flags: func(fs *flag.FlagSet, a *adminArgs) {
			groupFlag(fs, a)
			topicFlag(fs, a)
			stringFlag(fs, &a.timestamp, "s", "timestamp", "", "the time: "+timeFormats)
		}, required: []string{"consumerGroup", "topic", "timestamp"}, run: adminResetOffsetByTime},
	{name: "printMsg", args: "-t topic [-b time] [-e time]", summary: "print a topic's messages stored between two times, without consuming them",
		flags: func(fs *flag.FlagSet, a *adminArgs) {
			topicFlag(fs, a)
			stringFlag(fs, &a.begin, "b", "beginTimestamp", "", "from this store time (default: the oldest); "+timeFormats)
			stringFlag(fs, &a.end, "e", "endTimestamp", "", "before this store time (default: the newest); "+timeFormats)
			fs.IntVar(&a.max, "max", 100, "print at most this many messages")
			bodyFlag(fs, a)
		}, required: []string{"topic"}, run: adminPrintMsg},
	{name: "queryMsgByKey", args: "-t topic -k key", summary: "find messages by key (KEYS) or client message id",
		flags: func(fs *flag.FlagSet, a *adminArgs) {
			topicFlag(fs, a)
			stringFlag(fs, &a.key, "k", "key", "", "the message key")
			bodyFlag(fs, a)
		}, required: []string{"topic", "key"}, run: adminQueryMsgByKey},
	{name: "queryMsgById", args: "-i id [-t topic]", summary: "show a message's properties and body by offset message id",
		flags: func(fs *flag.FlagSet, a *adminArgs) {
			stringFlag(fs, &a.id, "i", "msgId", "", "the offset message id (or, with -t, the client message id)")
			stringFlag(fs, &a.topic, "t", "topic", "", "the topic, to look the id up as a client message id (UNIQ_KEY) too")
			bodyFlag(fs, a)
		}, required: []string{"msgId"}, run: adminQueryMsgByID},
	{name: "updateTopic", args: "-t topic [-r n] [-w n]", summary: "create a topic or change its queue counts",
		flags: func(fs *flag.FlagSet, a *adminArgs) {
			topicFlag(fs, a)
			intFlag(fs, &a.readQueues, "r", "readQueueNums", 8, "read queues per broker")
			intFlag(fs, &a.writeQueues, "w", "writeQueueNums", 8, "write queues per broker")
			intFlag(fs, &a.perm, "p", "perm", admin.PermRead|admin.PermWrite, "permission: 2 write, 4 read, 6 both")
			fs.BoolVar(&a.order, "order", false, "mark the topic as ordered")
			stringFlag(fs, &a.brokerAddr, "b", "brokerAddr", "", "create it on this broker only (default: every master)")
			stringFlag(fs, &a.cluster, "c", "clusterName", "", "create it on every master of this cluster")
		}, required: []string{"topic"}, run: adminUpdateTopic},
	{name: "deleteTopic", args: "-t topic", summary: "delete a topic from its brokers and the name servers",
		flags: topicFlag, required: []string{"topic"}, run: adminDeleteTopic},
}

func topicFlag(fs *flag.FlagSet, a *adminArgs) {
	stringFlag(fs, &a.topic, "t", "topic", "", "the topic")
}

func groupFlag(fs *flag.FlagSet, a *adminArgs) {
	stringFlag(fs, &a.group, "g", "consumerGroup", "", "the consumer group")
}

func bodyFlag(fs *flag.FlagSet, a *adminArgs) {
	fs.IntVar(&a.bodyMax, "body", 200, "show at most this many bytes of a body (0: none)")
}

// stringFlag defines -short and --long for the same value.
func stringFlag(fs *flag.FlagSet, p *string, short, long, value, usage string) {
	fs.StringVar(p, short, value, usage)
	fs.StringVar(p, long, value, "same as -"+short)
}

func intFlag(fs *flag.FlagSet, p *int, short, long string, value int, usage string) {
	fs.IntVar(p, short, value, usage)
	fs.IntVar(p, long, value, "same as -"+short)
}

// commonAdminFlags defines the flags every admin command takes, with
// defaults from a (so they may be given before or after the command name).
func commonAdminFlags(fs *flag.FlagSet, a *adminArgs) {
	stringFlag(fs, &a.namesrv, "n", "namesrv", a.namesrv, `name server address(es), "host:port;host:port"`)
	fs.StringVar(&a.output, "o", a.output, "output format: text or json")
	fs.StringVar(&a.output, "output", a.output, "same as -o")
	fs.DurationVar(&a.timeout, "timeout", a.timeout, "timeout of each request")
}

// runAdmin implements `rocketkit admin [flags] <command> [flags]`.
func runAdmin(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	a := &adminArgs{namesrv: defaultNamesrv, output: "text", timeout: 5 * time.Second}
	fs := flag.NewFlagSet("admin", flag.ContinueOnError)
	fs.SetOutput(stderr)
	commonAdminFlags(fs, a)
	fs.Usage = func() { adminUsage(fs.Output(), fs) }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			adminUsage(stdout, fs)
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() == 0 {
		fmt.Fprint(stderr, "rocketkit admin: no command given\n\n")
		adminUsage(stderr, fs)
		return exitUsage
	}
	name := fs.Arg(0)
	if name == "help" {
		if fs.NArg() == 1 {
			adminUsage(stdout, fs)
			return exitOK
		}
		return runAdmin(ctx, []string{fs.Arg(1), "-h"}, stdout, stderr)
	}
	cmd := lookupAdmin(name)
	if cmd == nil {
		fmt.Fprintf(stderr, "rocketkit admin: unknown command %q%s\n\n", name, suggestAdmin(name))
		adminUsage(stderr, fs)
		return exitUsage
	}

	prefix := "rocketkit admin " + cmd.name
	sub := flag.NewFlagSet(prefix, flag.ContinueOnError)
	sub.SetOutput(stderr)
	if cmd.flags != nil {
		cmd.flags(sub, a)
	}
	commonAdminFlags(sub, a)
	sub.Usage = func() {
		w := sub.Output()
		fmt.Fprintf(w, "Usage: rocketkit admin %s %s [-n host:port] [-o text|json]\n\n%s.\n\nFlags:\n", cmd.name, cmd.args, upperFirst(cmd.summary))
		sub.PrintDefaults()
	}
	if err := sub.Parse(fs.Args()[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			sub.SetOutput(stdout)
			sub.Usage()
			return exitOK
		}
		return exitUsage
	}
	if sub.NArg() > 0 {
		fmt.Fprintf(stderr, "%s: unexpected argument %q\n", prefix, sub.Arg(0))
		return exitUsage
	}
	set := map[string]bool{}
	sub.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var missing []string
	for _, long := range cmd.required {
		if !set[long] && !set[shortOf(long)] {
			missing = append(missing, "-"+shortOf(long)+"/--"+long)
		}
	}
	if len(missing) > 0 {
		fmt.Fprintf(stderr, "%s: missing required flag %s\n", prefix, strings.Join(missing, " and "))
		fmt.Fprintf(stderr, "Usage: rocketkit admin %s %s (see rocketkit admin %s -h)\n", cmd.name, cmd.args, cmd.name)
		return exitUsage
	}
	if a.output != "text" && a.output != "json" {
		fmt.Fprintf(stderr, "%s: -o %q: want text or json\n", prefix, a.output)
		return exitUsage
	}
	nameServers := admin.ParseNameServers(a.namesrv)
	c, err := admin.New(admin.Config{NameServers: nameServers, Timeout: a.timeout})
	if err != nil {
		fmt.Fprintf(stderr, "%s: -n %q: %v\n", prefix, a.namesrv, strings.TrimPrefix(err.Error(), "admin: "))
		return exitUsage
	}
	e := &adminEnv{c: c, a: a, out: stdout, stderr: stderr}
	if err := cmd.run(ctx, e); err != nil {
		fmt.Fprintf(stderr, "%s: %s\n", prefix, describeAdminError(err, nameServers))
		return exitFailure
	}
	return exitOK
}

func lookupAdmin(name string) *adminCommand {
	for i := range adminCommands {
		if adminCommands[i].name == name {
			return &adminCommands[i]
		}
	}
	for i := range adminCommands { // mqadmin's names are case-sensitive; be kinder
		if strings.EqualFold(adminCommands[i].name, name) {
			return &adminCommands[i]
		}
	}
	return nil
}

// suggestAdmin returns " (did you mean X?)" for a near miss, else "".
func suggestAdmin(name string) string {
	lower := strings.ToLower(name)
	for _, c := range adminCommands {
		l := strings.ToLower(c.name)
		if suggest.Distance(lower, l, 3) <= 2 || (len(lower) >= 4 && strings.HasPrefix(l, lower)) {
			return " (did you mean " + c.name + "?)"
		}
	}
	return ""
}

// shortOf returns the one-letter alias of the flag named long.
func shortOf(long string) string {
	return map[string]string{"topic": "t", "consumerGroup": "g", "key": "k", "msgId": "i", "timestamp": "s",
		"beginTimestamp": "b", "endTimestamp": "e"}[long]
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func adminUsage(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprint(w, "Usage: rocketkit admin <command> [flags]\n\n"+
		"Administers a RocketMQ cluster (this kit's broker or Apache RocketMQ) through its\n"+
		"name server, with mqadmin's command names.\n\nCommands:\n\n")
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	for _, c := range adminCommands {
		fmt.Fprintf(tw, "\t%s %s\t%s\n", c.name, c.args, c.summary)
	}
	tw.Flush()
	fmt.Fprint(w, "\nFlags of every command:\n\n"+
		"  -n, --namesrv host:port  name server(s), \"a:9876;b:9876\" (default 127.0.0.1:9876)\n"+
		"  -o, --output format      text (aligned tables, default) or json\n"+
		"  --timeout duration       timeout of each request (default 5s)\n\n"+
		"Run \"rocketkit admin <command> -h\" for a command's flags.\n")
}

// describeAdminError words err for the command line.
func describeAdminError(err error, nameServers []string) string {
	var dial *admin.DialError
	if errors.As(err, &dial) && slices.Contains(nameServers, dial.Addr) {
		what := "name server " + dial.Addr
		if len(nameServers) > 1 {
			what = "any name server (" + strings.Join(nameServers, ", ") + ")"
		}
		return fmt.Sprintf("cannot reach %s: %v\n(is a broker or name server running there? give its address with -n host:port)", what, dial.Err)
	}
	if errors.As(err, &dial) {
		return fmt.Sprintf("cannot reach broker %s (its address comes from the name server): %v", dial.Addr, dial.Err)
	}
	return strings.ReplaceAll(err.Error(), "admin: ", "")
}

// adminEnv is what a command runs with.
type adminEnv struct {
	c      *admin.Client
	a      *adminArgs
	out    io.Writer
	stderr io.Writer
}

// emit writes v as indented JSON with -o json, else calls text with an
// aligned table writer.
func (e *adminEnv) emit(v any, text func(w io.Writer)) error {
	if e.a.output == "json" {
		enc := json.NewEncoder(e.out)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	tw := tabwriter.NewWriter(e.out, 0, 8, 2, ' ', 0)
	text(tw)
	return tw.Flush()
}

// requireTopic fails unless the name server lists topic. Read-only
// commands check first because some brokers (this kit's, with
// auto-creation on) create a topic on its first route lookup.
func (e *adminEnv) requireTopic(ctx context.Context, topic string) error {
	topics, err := e.c.Topics(ctx)
	if err != nil {
		return err
	}
	if !slices.Contains(topics, topic) {
		return fmt.Errorf("topic %s not found (rocketkit admin topicList lists the topics)", topic)
	}
	return nil
}

type clusterRow struct {
	Cluster    string `json:"cluster"`
	BrokerName string `json:"brokerName"`
	BrokerID   string `json:"brokerId"`
	Addr       string `json:"addr"`
}

func adminClusterList(ctx context.Context, e *adminEnv) error {
	info, err := e.c.Cluster(ctx)
	if err != nil {
		return err
	}
	rows := []clusterRow{}
	for _, cluster := range slices.Sorted(maps.Keys(info.Clusters)) {
		names := slices.Clone(info.Clusters[cluster])
		slices.Sort(names)
		for _, name := range names {
			b := info.Brokers[name]
			ids := slices.SortedFunc(maps.Keys(b.Addrs), func(x, y string) int {
				nx, _ := strconv.Atoi(x)
				ny, _ := strconv.Atoi(y)
				return nx - ny
			})
			for _, id := range ids {
				rows = append(rows, clusterRow{Cluster: cluster, BrokerName: name, BrokerID: id, Addr: b.Addrs[id]})
			}
		}
	}
	return e.emit(rows, func(w io.Writer) {
		fmt.Fprintln(w, "#Cluster Name\t#Broker Name\t#BID\t#Addr")
		for _, r := range rows {
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", r.Cluster, r.BrokerName, r.BrokerID, r.Addr)
		}
	})
}

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

func formatMillis(ms int64) string {
	if ms <= 0 {
		return "-"
	}
	return time.UnixMilli(ms).Format("2006-01-02 15:04:05.000")
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

// pendingLine explains the topic's half messages, when the broker reports
// them: produced but invisible until committed, which consumer lag does
// not count (the study's S12 confusion).
func pendingLine(w io.Writer, topic string, pending int) {
	if pending >= 0 {
		fmt.Fprintf(w, "Transactional messages of %s awaiting commit or rollback: %d (not visible yet, so not lag)\n", topic, pending)
	}
}

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

// timeFormats describes the times parseTime reads, for flag usage.
const timeFormats = `"now", Unix milliseconds, RFC 3339 (2026-12-04T18:00:00Z) or yyyy-MM-dd#HH:mm:ss:SSS (local time)`

// javaTimeLayout is mqadmin's resetOffsetByTime format,
// yyyy-MM-dd#HH:mm:ss:SSS, with the last colon read as the decimal point
// (Go layouts take fractional seconds only after '.' or ',').
const javaTimeLayout = "2006-01-02#15:04:05.000"

// parseTime reads the time flag named flagName (-s of resetOffsetByTime,
// -b and -e of printMsg): "now", Unix milliseconds, RFC 3339, or
// mqadmin's yyyy-MM-dd#HH:mm:ss:SSS in local time.
func parseTime(flagName, s string, now time.Time) (time.Time, error) {
	if s == "now" {
		return now, nil
	}
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil {
		if ms < 0 {
			return time.Time{}, fmt.Errorf("-%s %q: a time before 1970", flagName, s)
		}
		return time.UnixMilli(ms), nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if i := strings.LastIndexByte(s, ':'); i > 0 && strings.Contains(s, "#") {
		if t, err := time.ParseInLocation(javaTimeLayout, s[:i]+"."+s[i+1:], time.Local); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("-%s %q: want %s", flagName, s, timeFormats)
}

func adminPrintMsg(ctx context.Context, e *adminEnv) error {
	q := admin.BrowseQuery{Topic: e.a.topic, Max: e.a.max}
	now := time.Now()
	var err error
	if e.a.begin != "" {
		if q.Begin, err = parseTime("b", e.a.begin, now); err != nil {
			return err
		}
	}
	if e.a.end != "" {
		if q.End, err = parseTime("e", e.a.end, now); err != nil {
			return err
		}
	}
	if e.a.max <= 0 {
		return fmt.Errorf("--max %d: want at least 1", e.a.max)
	}
	msgs, err := e.c.Browse(ctx, q)
	if errors.Is(err, admin.ErrTopicNotFound) {
		return fmt.Errorf("topic %s not found (rocketkit admin topicList lists the topics)", e.a.topic)
	}
	if err != nil {
		return err
	}
	views := viewsOf(msgs)
	return e.emit(views, func(w io.Writer) {
		fmt.Fprintln(w, "#QID\t#Offset\t#Store Time\t#Message ID\t#Tags\t#Keys\t#Body")
		for _, v := range views {
			fmt.Fprintf(w, "%d\t%d\t%s\t%s\t%s\t%s\t%s\n", v.QueueID, v.QueueOffset, formatMillis(v.StoreTimestamp),
				v.MsgID, v.Tags, v.Keys, preview(v.body, min(e.a.bodyMax, 40)))
		}
		fmt.Fprintf(w, "%d messages\n", len(views))
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

// msgView is a message as admin commands show it.
type msgView struct {
	MsgID           string            `json:"msgId"`
	OffsetMsgID     string            `json:"offsetMsgId"`
	Topic           string            `json:"topic"`
	Tags            string            `json:"tags,omitempty"`
	Keys            string            `json:"keys,omitempty"`
	QueueID         int32             `json:"queueId"`
	QueueOffset     int64             `json:"queueOffset"`
	CommitLogOffset int64             `json:"commitLogOffset"`
	ReconsumeTimes  int32             `json:"reconsumeTimes"`
	BornTimestamp   int64             `json:"bornTimestamp"`
	StoreTimestamp  int64             `json:"storeTimestamp"`
	BornHost        string            `json:"bornHost"`
	StoreHost       string            `json:"storeHost"`
	SysFlag         int32             `json:"sysFlag"`
	Properties      map[string]string `json:"properties"`
	BodySize        int               `json:"bodySize"`
	Body            *string           `json:"body,omitempty"`       // when UTF-8
	BodyBase64      []byte            `json:"bodyBase64,omitempty"` // otherwise

	body []byte
}

func viewsOf(msgs []message.Ext) []msgView {
	views := make([]msgView, 0, len(msgs))
	for _, m := range msgs {
		views = append(views, viewOf(m))
	}
	return views
}

func viewOf(m message.Ext) msgView {
	props := message.ParseProperties(m.Properties)
	body := m.Body
	if m.SysFlag&message.FlagCompressed != 0 {
		if r, err := zlib.NewReader(bytes.NewReader(body)); err == nil {
			if plain, err := io.ReadAll(r); err == nil {
				body = plain
			}
		}
	}
	v := msgView{
		MsgID: props[message.PropertyUniqKey], OffsetMsgID: message.OffsetMsgID(m.StoreHost, m.CommitLogOffset),
		Topic: m.Topic, Tags: props[message.PropertyTags], Keys: props[message.PropertyKeys],
		QueueID: m.QueueID, QueueOffset: m.QueueOffset, CommitLogOffset: m.CommitLogOffset,
		ReconsumeTimes: m.ReconsumeTimes, BornTimestamp: m.BornTimestamp, StoreTimestamp: m.StoreTimestamp,
		BornHost: m.BornHost.String(), StoreHost: m.StoreHost.String(), SysFlag: m.SysFlag,
		Properties: props, BodySize: len(body), body: body,
	}
	if v.MsgID == "" {
		v.MsgID = v.OffsetMsgID
	}
	if utf8.Valid(body) {
		s := string(body)
		v.Body = &s
	} else {
		v.BodyBase64 = body
	}
	return v
}

// preview returns at most n bytes of body for a terminal: text as a Go
// quoted string when it holds control characters, else as is; binary as
// hex.
func preview(body []byte, n int) string {
	if n <= 0 {
		return fmt.Sprintf("(%d bytes)", len(body))
	}
	cut := body
	more := ""
	if len(cut) > n {
		cut = cut[:n]
		for len(cut) > 0 && !utf8.Valid(cut) && utf8.Valid(body) {
			cut = cut[:len(cut)-1] // do not split a rune
		}
		more = fmt.Sprintf("... (%d bytes)", len(body))
	}
	if !utf8.Valid(cut) {
		return fmt.Sprintf("binary %X%s", cut, more)
	}
	s := string(cut)
	if strings.ContainsFunc(s, func(r rune) bool { return r < ' ' || r == 0x7f }) {
		s = strconv.Quote(s)
	}
	return s + more
}

func adminQueryMsgByKey(ctx context.Context, e *adminEnv) error {
	if err := e.requireTopic(ctx, e.a.topic); err != nil {
		return err
	}
	msgs, err := e.c.QueryByKey(ctx, admin.Query{Topic: e.a.topic, Key: e.a.key, Max: 64})
	if err != nil {
		return err
	}
	if len(msgs) == 0 {
		return fmt.Errorf("no message of topic %s has key %s", e.a.topic, e.a.key)
	}
	views := viewsOf(msgs)
	return e.emit(views, func(w io.Writer) {
		fmt.Fprintln(w, "#Message ID\t#Offset Message ID\t#QID\t#Offset\t#Store Time\t#Body")
		for _, v := range views {
			fmt.Fprintf(w, "%s\t%s\t%d\t%d\t%s\t%s\n", v.MsgID, v.OffsetMsgID, v.QueueID, v.QueueOffset,
				formatMillis(v.StoreTimestamp), preview(v.body, min(e.a.bodyMax, 40)))
		}
	})
}

func adminQueryMsgByID(ctx context.Context, e *adminEnv) error {
	var views []msgView
	m, viewErr := e.c.ViewMessage(ctx, e.a.id)
	if viewErr == nil {
		views = append(views, viewOf(m))
	} else if e.a.topic != "" { // perhaps a client message id (UNIQ_KEY)
		if err := e.requireTopic(ctx, e.a.topic); err != nil {
			return err
		}
		msgs, err := e.c.QueryByKey(ctx, admin.Query{Topic: e.a.topic, Key: e.a.id})
		if err != nil {
			return err
		}
		for _, m := range msgs {
			if uniq, _ := message.GetProperty(m.Properties, message.PropertyUniqKey); uniq == e.a.id {
				views = append(views, viewOf(m))
			}
		}
		if len(views) == 0 {
			return fmt.Errorf("message %s not found, neither as an offset message id (%v) nor as a client message id of topic %s", e.a.id, viewErr, e.a.topic)
		}
	} else {
		var dial *admin.DialError
		if errors.As(viewErr, &dial) || errors.Is(viewErr, message.ErrMalformed) {
			return fmt.Errorf("%w\n(-i takes an offset message id, which names the broker; for a client message id give its topic too: -i ID -t TOPIC)", viewErr)
		}
		return viewErr
	}
	if e.a.output == "json" {
		if len(views) == 1 {
			return e.emit(views[0], nil)
		}
		return e.emit(views, nil)
	}
	return e.emit(views, func(w io.Writer) {
		for i, v := range views {
			if i > 0 {
				fmt.Fprintln(w)
			}
			fmt.Fprintf(w, "Message ID:\t%s\n", v.MsgID)
			fmt.Fprintf(w, "Offset Message ID:\t%s\n", v.OffsetMsgID)
			fmt.Fprintf(w, "Topic:\t%s\n", v.Topic)
			fmt.Fprintf(w, "Tags:\t[%s]\n", v.Tags)
			fmt.Fprintf(w, "Keys:\t[%s]\n", v.Keys)
			fmt.Fprintf(w, "Queue ID:\t%d\n", v.QueueID)
			fmt.Fprintf(w, "Queue Offset:\t%d\n", v.QueueOffset)
			fmt.Fprintf(w, "CommitLog Offset:\t%d\n", v.CommitLogOffset)
			fmt.Fprintf(w, "Reconsume Times:\t%d\n", v.ReconsumeTimes)
			fmt.Fprintf(w, "Born Timestamp:\t%s\n", formatMillis(v.BornTimestamp))
			fmt.Fprintf(w, "Store Timestamp:\t%s\n", formatMillis(v.StoreTimestamp))
			fmt.Fprintf(w, "Born Host:\t%s\n", v.BornHost)
			fmt.Fprintf(w, "Store Host:\t%s\n", v.StoreHost)
			fmt.Fprintf(w, "System Flag:\t%d\n", v.SysFlag)
			fmt.Fprintf(w, "Properties:\t")
			for j, k := range slices.Sorted(maps.Keys(v.Properties)) {
				if j > 0 {
					fmt.Fprint(w, "\n\t")
				}
				fmt.Fprintf(w, "%s=%s", k, preview([]byte(v.Properties[k]), 120))
			}
			fmt.Fprintln(w)
			fmt.Fprintf(w, "Body Size:\t%d\n", v.BodySize)
			fmt.Fprintf(w, "Body:\t%s\n", preview(v.body, e.a.bodyMax))
		}
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
