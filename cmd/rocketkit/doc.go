// Command rocketkit is RocketKit's command line: one binary with a
// subcommand per task.
//
//	rocketkit <command> [flags]
//	rocketkit help [command]
//
// The commands are:
//
//	admin    administer a cluster with mqadmin's commands
//	bench    benchmark a cluster (RocketMQ's producer.sh and consumer.sh)
//	broker   run a RocketMQ-compatible name server and broker
//	console  serve the web console against a cluster
//	demo     run the embedded broker end to end through a client (-client)
//	new      write a new service that runs on the embedded broker
//
// "rocketkit help", "rocketkit -h" and
// "rocketkit <command> -h" print usage to stdout and exit 0. An unknown
// command prints usage to stderr and exits 2.
//
// Flags use the standard flag package: -flag and --flag are the same, and
// a value follows as "--flag value" or "--flag=value".
//
// # rocketkit broker
//
// Runs the broker of package [github.com/rocketkit/rocketkit/broker]: a name
// server and broker sharing one TCP listener, speaking RocketMQ's remoting
// protocol, so the official clients work against it unchanged.
//
//	--listen address   TCP address to listen on (default 127.0.0.1:9876;
//	                   port 0 picks a free port). 0.0.0.0:9876 serves
//	                   every interface; without ACL that needs --insecure.
//	--data directory   store root (default $HOME/.rocketkit/broker, or
//	                   ./rocketkit-data when there is no home directory).
//	-c file            a RocketMQ broker.conf to read first.
//	--flush type       ASYNC_FLUSH (default) or SYNC_FLUSH.
//	--acl file         a RocketMQ 4.x plain_acl.yml: check every request
//	                   against it (as aclEnable=true); reloaded on change.
//	--log-level level  debug, info (default), warn or error.
//	--tls-cert file    serve TLS with this PEM certificate and --tls-key
//	                   (tls.server.certPath, keyPath); --tls-mode
//	                   enforcing (default), permissive or disabled.
//	--max-connections, --max-inflight, --idle-timeout, --frame-timeout:
//	                   the connection limits of [broker.Config].
//
// The configuration is built in three layers: the flag defaults, then the
// -c file, then the flags given explicitly on the command line, so
// "-c broker.conf --listen 0.0.0.0:9876" takes everything from the file but
// the listen address. The file is read by [broker.LoadBrokerConf]: keys
// that have no effect here (brokerRole, haListenPort, ...) are logged at
// info level with the reason, and keys it does not know at warn level,
// with a suggestion when one is close. Without namesrvAddr this broker
// also serves as the name server, on the same port: a file's listenPort
// (10911 in most RocketMQ setups) becomes the address clients must use as
// their name server. With namesrvAddr (name servers run by rocketkit
// namesrv or Apache RocketMQ's mqnamesrv) it registers with them, and
// clients use those. A brokerIP1 in the file is both bound and advertised; with
// an explicit --listen, brokerIP1 stays the advertised address, on the
// --listen port.
//
// A malformed file, a bad flag or an invalid configuration prints every
// problem, naming the key and the file line or flag it came from, and exits
// 2 without starting the broker.
//
// Logs go to stderr as log/slog text. When the broker is serving, one line
// goes to stdout:
//
//	rocketkit broker listening on 127.0.0.1:9876 (data /home/me/.rocketkit/broker)
//
// On SIGINT or SIGTERM the broker stops serving, flushes the store, writes
// its checkpoint and exits 0. A second signal exits at once with status 1,
// leaving the store to crash recovery at the next start.
//
// # rocketkit namesrv
//
// Runs a standalone name server (package namesrv) for a cluster of
// brokers; run two or more and list them all in each broker's namesrvAddr
// and in the clients' name server addresses:
//
//	rocketkit namesrv --listen 127.0.0.1:9876
//	rocketkit broker -c broker-a.conf   # namesrvAddr=127.0.0.1:9876;127.0.0.1:9877
//
// Flags: --listen (default 127.0.0.1:9876; a non-loopback address needs
// --insecure, as anyone who reaches it can register a broker),
// --broker-expiry (default 2m), --log-level. It prints "rocketkit namesrv
// listening on ADDR" and stops on SIGINT or SIGTERM. Routes are in memory
// only; brokers re-register every 30 seconds.
//
// # rocketkit admin
//
// Does what mqadmin and the web console are used for, against this kit's
// broker or an Apache RocketMQ cluster, through package
// [github.com/rocketkit/rocketkit/admin]. Commands keep mqadmin's names and
// flags, so
//
//	rocketkit admin clusterList -n 10.0.0.1:9876
//
// works as it does in Java. The commands are:
//
//	clusterList                          clusters and brokers (BID 0 = master)
//	topicList                            every topic the name server knows
//	topicRoute -t topic                  brokers and queue counts of a topic
//	topicStatus -t topic                 min and max offset of every queue
//	consumerProgress -g group [-t topic] broker offset, consumer offset and
//	                                     lag per queue, with totals
//	consumerConnection -g group          live members and their subscriptions
//	resetOffsetByTime -g group -t topic -s time
//	                                     move a group's offsets to the first
//	                                     message stored at or after the time
//	                                     (-s: now, Unix ms, RFC 3339 or
//	                                     yyyy-MM-dd#HH:mm:ss:SSS); live
//	                                     consumers are moved by the broker
//	consumerStatus -g group [-i clientId] what each live consumer reports:
//	                                     settings, subscriptions, queues
//	brokerStatus [-b addr | -c cluster]  a broker's runtime counters
//	getBrokerConfig [-b addr | -c cluster]  its configuration
//	updateBrokerConfig -k key -v value   change a setting at runtime
//	updateSubGroup -g group [-s bool] [-r n] ...
//	                                     create or change a consumer group's
//	                                     settings (consumeEnable, retryMaxTimes)
//	deleteSubGroup -g group [-r]         delete them (-r: and its offsets)
//	printMsg -t topic [-b time] [-e time] a topic's messages stored between
//	                                     two times (--max, default 100),
//	                                     read without consuming them
//	queryMsgByKey -t topic -k key        messages by key (KEYS) or client id
//	queryMsgById -i id [-t topic]        one message: properties and body
//	updateTopic -t topic [-r n] [-w n]   create a topic or change its queues
//	                                     (-p perm, --order, -b addr or
//	                                     -c cluster; default every master)
//	deleteTopic -t topic                 delete it from brokers and name servers
//
// Every command takes -n/--namesrv "host:port;host:port" (default
// 127.0.0.1:9876), -o/--output text|json, --timeout and the connection
// flags (ACL credentials and TLS, see Credentials and TLS below). Flags may
// come before or after the command name. Text output is aligned tables with
// mqadmin's column names; -o json prints the same data as JSON for scripts.
//
// queryMsgById takes the offset message id (OffsetMsgID in a send result,
// it names the broker); a client message id (MsgID, the UNIQ_KEY property)
// is looked up too when the topic is given with -t. Bodies are shown up to
// --body bytes: text as is (quoted if it holds control characters), binary
// in hex.
//
// Read-only commands check the topic list before looking a topic up,
// because a broker with auto-creation on (this kit's default) would create
// the topic on its first route lookup. consumerConnection warns on stderr
// when members of one group subscribe to a topic with different
// expressions (the study's S6 pitfall: the group has one subscription, so
// members miss messages; examples/scenarios/README.md lists the study's
// experiments).
//
// An unknown command, a missing required flag or a bad flag prints what is
// wrong and exits 2; a name server that cannot be reached, an unknown
// topic or an offline group print the reason and exit 1.
//
// # rocketkit bench
//
// RocketMQ's producer.sh and consumer.sh, through the kit's client (or
// --client official, the official Go client), against this kit's broker or
// any cluster:
//
//	rocketkit bench produce -n 127.0.0.1:9876 -t BenchmarkTest -w 20 -s 1024 --duration 1m
//	rocketkit bench consume -n 127.0.0.1:9876 -t BenchmarkTest -g bench --count 100000
//
// Flags of both:
//
//	-n, --namesrv host:port  name server(s) (default 127.0.0.1:9876)
//	-t, --topic topic        default BenchmarkTest
//	--client name            rocketkit (default) or official
//	-w, --threads n          sending goroutines, or the consumer's
//	                         consuming goroutines (default 4)
//	--count n                stop after n messages sent or received
//	--duration d             stop after d
//	--log-level level        stderr log level (default info)
//	--ak, --sk, --tls ...    see Credentials and TLS below
//
// Without --count or --duration they run until interrupted (SIGINT), then
// print their summary. produce also takes -s/--size (body bytes, default
// 128), --mode sync|async|oneway (default sync), --inflight (most async
// sends awaiting their result, default 256), --tag, --keys (a unique key
// per message, bench-<pid>-<n>, as producer.sh -k) and -g/--group (the
// producer group); consume takes -g/--group (default
// rocketkit-bench-consumer), -e/--expression (tags, default *) and --from
// first|last (where a new group starts; default first, so that consume
// after produce reads what was sent).
//
// Every second a progress line goes to stdout:
//
//	[   2s] sent 47192  21715 msg/s  latency avg 11.7ms max 32.8ms  errors 0
//
// and at the end a summary: messages and errors, duration, msg/s and MB/s,
// and latency percentiles (p50, p90, p99, max; log-linear histogram,
// within 3%). For produce that is the send latency, from the call to the
// broker's answer (for oneway, which has no answer, only the time the call
// took: nothing confirms a oneway message was stored, so compare with
// rocketkit admin topicStatus). For consume it is end to end: produce puts
// its send time (Unix nanoseconds) in the RKBENCH_SENT_NS property, and
// consume subtracts it from its receive time; messages without it fall back
// to their born time (milliseconds). Across machines the clocks must agree,
// and a backlog consumed later measures its age, not the pipeline: start
// consume first for pipeline latency. Logs (and the client's warnings) go
// to stderr through log/slog.
//
// An unreachable name server is reported before anything is sent (exit
// 1); bench consume with --count exits 1 if fewer messages arrived before
// --duration or an interrupt, and bench produce exits 1 if every send
// failed.
//
// # rocketkit console
//
// Serves the web console of package
// [github.com/rocketkit/rocketkit/console] against any cluster (this
// broker or Apache RocketMQ), signing as --ak/--sk (the admin command's
// credential and TLS flags), on --http (default 127.0.0.1:8080), with the
// cluster's Prometheus metrics at /metrics (package brokermetrics):
//
//	rocketkit console -n 10.0.0.1:9876 --http 127.0.0.1:8080
//
// `rocketkit broker --http 127.0.0.1:8080` serves the same console, and
// the embedded broker's own metrics at /metrics, beside the broker
// (signing as $ROCKETMQ_ACCESS_KEY and $ROCKETMQ_SECRET_KEY when it checks
// ACL). The console has no login of its own, so a non-loopback --http is
// refused without --insecure; --read-only leaves out the producer (no test
// messages, no DLQ resend).
//
// # Credentials and TLS
//
// admin and bench sign every request for a cluster with ACL (RocketMQ
// 4.x plain_acl.yml, as rocketkit broker --acl enforces) and dial over TLS
// as these flags say:
//
//	--ak key                  access key (default $ROCKETMQ_ACCESS_KEY)
//	--sk secret               secret key (default $ROCKETMQ_SECRET_KEY)
//	--security-token token    temporary credentials' token
//	                          (default $ROCKETMQ_SECURITY_TOKEN)
//	--tls                     TLS, verified against the system's roots
//	--tls-ca file.pem         verify against these CAs instead (implies
//	                          --tls; the official client cannot)
//	--tls-insecure-skip-verify  accept any certificate (implies --tls)
//
// Prefer the environment for the secret key: a flag shows in ps. -h never
// prints it. An access key without a secret key (or the reverse) is a
// usage error (exit 2); a refused request prints the broker's
// NO_PERMISSION remark, which says why, and exits 1. The official client
// (bench --client official) never verifies the broker's certificate.
//
// demo takes --ak/--sk too: its embedded broker then enforces ACL, with a
// plain_acl.yml in the data directory granting that account PUB|SUB, and
// the flow runs signed.
//
// # rocketkit new
//
// Writes a new service for a module path (package
// [github.com/rocketkit/rocketkit/templates]): an fx application on
// starter.Module with a listener, the producer template, config.yaml and a
// test, which builds, runs on the embedded broker (go run .) and passes its
// test (go test ./...) straight away.
//
//	rocketkit new github.com/acme/billing
//
//	-o directory        where to write it (default: the module path's last
//	                    element); it must not exist or be empty.
//	-name name          the service name (default: from the module path).
//	-kit-version v      the RocketKit version to require (default: this
//	                    binary's own); `go mod tidy` downloads it and
//	                    fills in go.sum.
//	-kit-dir directory  build against a local RocketKit checkout instead
//	                    (a replace directive, and the checkout's
//	                    requirements and go.sum, so nothing is
//	                    downloaded). A development build of rocketkit uses
//	                    the checkout around the current directory.
//	-tidy=false         skip `go mod tidy`, which otherwise runs last:
//	                    go.mod and go.sum then hold exactly what the
//	                    service needs, as `go mod tidy` leaves them.
//
// # Exit status
//
//	0  success, or stopped by a signal
//	1  a runtime failure (the broker failed to start or to close, a name
//	   server could not be reached, ...), or a second signal
//	2  bad command line or configuration
package main
