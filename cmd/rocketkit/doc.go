// Command rocketkit is RocketKit's command line: one binary with a
// subcommand per task.
//
//	rocketkit <command> [flags]
//	rocketkit help [command]
//
// The commands are:
//
//	broker   run a RocketMQ-compatible name server and broker
//
// (admin, new and bench follow.) "rocketkit help", "rocketkit -h" and
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
//	                   every interface.
//	--data directory   store root (default $HOME/.rocketkit/broker, or
//	                   ./rocketkit-data when there is no home directory).
//	-c file            a RocketMQ broker.conf to read first.
//	--flush type       ASYNC_FLUSH (default) or SYNC_FLUSH.
//	--log-level level  debug, info (default), warn or error.
//
// The configuration is built in three layers: the flag defaults, then the
// -c file, then the flags given explicitly on the command line, so
// "-c broker.conf --listen 0.0.0.0:9876" takes everything from the file but
// the listen address. The file is read by [broker.LoadBrokerConf]: keys
// that have no effect here (brokerId, brokerRole, namesrvAddr, ...) are
// logged at info level with the reason, and keys it does not know at warn
// level, with a suggestion when one is close. Note that this broker also
// serves as the name server, on the same port: a file's listenPort (10911
// in most RocketMQ setups) becomes the address clients must use as their
// name server. A brokerIP1 in the file is both bound and advertised; with
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
// # Exit status
//
//	0  success, or stopped by a signal
//	1  the broker failed to start or to close, or a second signal
//	2  bad command line or configuration
package main
