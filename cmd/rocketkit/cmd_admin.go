// The commands of `rocketkit admin` live in cmd_admin_<noun>.go (topics,
// consumers, messages, cluster); this file holds their table, dispatch,
// flags and the helpers several of them share.

package main

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/rocketkit/rocketkit/admin"
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
	conn    connFlags

	topic, group, key, id string
	timestamp, begin, end string
	max                   int
	readQueues            int
	writeQueues           int
	perm                  int
	order                 bool
	brokerAddr, cluster   string
	bodyMax               int
	broker                brokerArgs // cmd_admin_broker.go
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
	{name: "resetOffsetByTime", args: "-g group -t topic -s time", summary: "move a group's offsets (its live consumers' too) to the first message stored at or after a time",
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
	a.conn.define(fs)
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
		fmt.Fprintf(w, "Usage: rocketkit admin %s %s [-n host:port] [-o text|json] [--ak key --sk secret] [--tls]\n\n%s.\n\nFlags:\n", cmd.name, cmd.args, upperFirst(cmd.summary))
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
	cn, err := a.conn.resolve()
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", prefix, err)
		return exitUsage
	}
	nameServers := admin.ParseNameServers(a.namesrv)
	c, err := cn.admin(nameServers, admin.Config{Timeout: a.timeout})
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
		"  --timeout duration       timeout of each request (default 5s)\n"+
		"  --ak key, --sk secret    ACL credentials (default $ROCKETMQ_ACCESS_KEY, $ROCKETMQ_SECRET_KEY)\n"+
		"  --security-token token   temporary credentials' token (default $ROCKETMQ_SECURITY_TOKEN)\n"+
		"  --tls                    TLS, verified against the system's roots\n"+
		"  --tls-ca file            PEM CAs to verify against instead (implies --tls)\n"+
		"  --tls-insecure-skip-verify  accept any certificate (implies --tls)\n\n"+
		"Run \"rocketkit admin <command> -h\" for a command's flags.\n")
}

// describeAdminError words err for the command line.
func describeAdminError(err error, nameServers []string) string {
	var verify *tls.CertificateVerificationError
	if errors.As(err, &verify) {
		return fmt.Sprintf("%s\n(trust the broker's CA with --tls-ca FILE, or accept any certificate with --tls-insecure-skip-verify)",
			strings.ReplaceAll(err.Error(), "admin: ", ""))
	}
	var header tls.RecordHeaderError
	if errors.As(err, &header) {
		return fmt.Sprintf("%s\n(it does not answer TLS: drop --tls)", strings.ReplaceAll(err.Error(), "admin: ", ""))
	}
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

func formatMillis(ms int64) string {
	if ms <= 0 {
		return "-"
	}
	return time.UnixMilli(ms).Format("2006-01-02 15:04:05.000")
}

// pendingLine explains the topic's half messages, when the broker reports
// them: produced but invisible until committed, which consumer lag does
// not count (the study's S12 confusion, see examples/scenarios).
func pendingLine(w io.Writer, topic string, pending int) {
	if pending >= 0 {
		fmt.Fprintf(w, "Transactional messages of %s awaiting commit or rollback: %d (not visible yet, so not lag)\n", topic, pending)
	}
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
