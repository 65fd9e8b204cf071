package broker

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/rocketkit/rocketkit/internal/javaprops"
	"github.com/rocketkit/rocketkit/internal/suggest"
)

// ConfReport says what [ParseBrokerConf] did with each entry of a
// broker.conf, so that a caller can tell the user what a migrated file does
// not carry over. Every well-formed entry of the file is in exactly one of
// the lists, each in file order; a malformed one is an error instead.
type ConfReport struct {
	// Applied lists the entries that set a Config field.
	Applied []ConfEntry
	// Ignored lists real RocketMQ keys that have no effect on this broker;
	// Reason says why.
	Ignored []ConfEntry
	// Unknown lists every other key: a typo, or a key this parser does not
	// know. Reason may suggest the key that was meant.
	Unknown []ConfEntry
}

// ConfEntry is one key/value entry of a broker.conf.
type ConfEntry struct {
	// Line is the 1-based line the entry starts on.
	Line int
	// Key is the unescaped key.
	Key string
	// Value is the unescaped value without leading or trailing blanks.
	Value string
	// Field is the koanf key of the Config field an Applied entry set, for
	// example "data-dir"; empty for Ignored and Unknown entries.
	Field string
	// Reason explains an Ignored entry, or suggests a key for an Unknown one
	// ("did you mean brokerName?"); empty for Applied entries.
	Reason string
}

// ConfError is a malformed entry of a broker.conf: a value that does not
// parse as its key's type, or a broken escape sequence. ParseBrokerConf
// returns one per bad entry, joined with errors.Join. Its message reads
// "broker.conf:7: defaultTopicQueueNums: "four" is not an integer".
type ConfError struct {
	// File is the path given to LoadBrokerConf, or "broker.conf".
	File string
	// Line is the 1-based line the entry starts on.
	Line int
	// Key is the entry's key.
	Key string
	// Err says what is wrong with the value.
	Err error
}

// Error returns "file:line: key: problem".
func (e *ConfError) Error() string {
	return fmt.Sprintf("%s:%d: %s: %v", e.File, e.Line, e.Key, e.Err)
}

// Unwrap returns e.Err.
func (e *ConfError) Unwrap() error { return e.Err }

// maxConfSize bounds what ParseBrokerConf reads; real files are a few KiB.
const maxConfSize = 1 << 20

// LoadBrokerConf reads the broker.conf at path into a copy of base; see
// [ParseBrokerConf]. Errors name the file as path.
func LoadBrokerConf(path string, base Config) (Config, ConfReport, error) {
	f, err := os.Open(path)
	if err != nil {
		return base, ConfReport{}, fmt.Errorf("broker: load broker.conf: %w", err)
	}
	defer f.Close()
	cfg, report, err := parseBrokerConf(path, f, base)
	if err == nil {
		cfg.BrokerConfigPath = path // UPDATE_BROKER_CONFIG writes changes back
	}
	if err == nil && cfg.ACLEnable && cfg.ACLFile == "" {
		// The Java broker reads $ROCKETMQ_HOME/conf/plain_acl.yml, usually
		// the broker.conf's own directory.
		next := filepath.Join(filepath.Dir(path), "plain_acl.yml")
		if _, serr := os.Stat(next); serr == nil {
			cfg.ACLFile = next
		}
	}
	return cfg, report, err
}

// ParseBrokerConf reads RocketMQ's own broker configuration file (the file
// mqbroker takes with -c) into a copy of base, so an existing broker.conf can
// start this broker unchanged. Errors name the file "broker.conf"; use
// [LoadBrokerConf] to read a file by path.
//
// # Syntax
//
// The file is a Java properties file, read as Java's Properties.load reads
// it: one "key=value", "key: value" or "key value" entry per line; blank
// lines, and lines whose first non-blank character is '#' or '!', are
// skipped. A '#' later in a line is part of the value. A line ending in an
// odd number of backslashes continues on the next line. Escapes \t \n \r \f
// \uXXXX are decoded and a backslash before any other character stands for
// that character (so a Windows path is written C:\\data). Keys are case
// sensitive; when a key repeats, the last entry wins. Unlike Java, the file
// is read as UTF-8, a leading byte order mark is skipped, and trailing
// blanks are cut from values.
//
// # Keys
//
// These keys set Config fields; every value must be well formed, non-empty
// and, where it is a number, positive (a zero Config field would silently
// mean the default instead):
//
//	brokerClusterName         ClusterName
//	brokerName                BrokerName
//	brokerId                  BrokerID: 0 a master (the default), 1 and up slaves
//	namesrvAddr               NamesrvAddr: name servers to register with,
//	                          host:port separated by ";"
//	registerNameServerPeriod  RegisterNameServerPeriod, milliseconds
//	brokerRole                BrokerRole: ASYNC_MASTER, SYNC_MASTER or SLAVE
//	haListenPort              port of HAListen (on Listen's host)
//	haMasterAddress           HAMasterAddress, host:port
//	haSendHeartbeatInterval   HAHeartbeatInterval, milliseconds
//	haTransferBatchSize       HATransferBatchSize, bytes
//	haMaxGapNotInSync         HAMaxGapNotInSync, bytes
//	slaveReadEnable           true or false: SlaveReadEnable
//	brokerPermission          BrokerPermission: 6, 4 or 2
//	listenPort                port of Listen
//	bindAddress               host of Listen (RocketMQ 5)
//	brokerIP1                 host of AdvertisedAddr (and of Listen, see below)
//	storePathRootDir          DataDir
//	flushDiskType             FlushDiskType: ASYNC_FLUSH or SYNC_FLUSH
//	flushIntervalCommitLog    FlushInterval, milliseconds
//	syncFlushTimeout          SyncFlushTimeout, milliseconds
//	mappedFileSizeCommitLog   SegmentSize, bytes (also the old spelling
//	                          mapedFileSizeCommitLog)
//	fileReservedTime          FileReservedTime, hours; 0: none
//	deleteWhen                DeleteWhen, checked by ParseDeleteWhen
//	diskMaxUsedSpaceRatio     DiskMaxUsedSpaceRatio, percent
//	diskSpaceCleanForciblyRatio  DiskSpaceCleanForciblyRatio, percent
//	diskSpaceWarningLevelRatio   DiskSpaceWarningLevelRatio, percent
//	cleanFileForciblyEnable   true or false: the inverse of DisableForcedClean
//	cleanResourceInterval     CleanResourceInterval, milliseconds
//	deleteCommitLogFilesInterval  DeleteCommitLogFilesInterval,
//	                          milliseconds; 0: none
//	deleteFileBatchMax        DeleteFileBatchMax
//	autoCreateTopicEnable     true or false: the inverse of DisableAutoCreateTopic
//	autoCreateSubscriptionGroup  true or false: the inverse of
//	                          DisableAutoCreateSubscriptionGroup
//	defaultTopicQueueNums     DefaultTopicQueueNums
//	maxMessageSize            MaxMessageSize, bytes
//	messageDelayLevel         MessageDelayLevel, checked by ParseDelayLevels
//	transactionTimeOut        TransactionTimeout, milliseconds
//	transactionCheckInterval  TransactionCheckInterval, milliseconds
//	transactionCheckMax       TransactionCheckMax
//	rebalanceLockMaxLiveTime  RebalanceLockMaxLiveTime, milliseconds; Java
//	                          reads it only from the system property
//	                          rocketmq.broker.rebalance.lockMaxLiveTime,
//	                          which is accepted here too
//	channelExpiredTimeout     ChannelExpiredTimeout, milliseconds
//	aclEnable                 true or false: ACLEnable; LoadBrokerConf sets
//	                          ACLFile to the plain_acl.yml next to the
//	                          broker.conf when there is one and ACLFile is
//	                          empty
//	serverChannelMaxIdleTimeSeconds  IdleTimeout, seconds
//	tls.server.mode           TLSMode: disabled, permissive or enforcing
//	tls.server.certPath       TLSCertFile (Java reads the tls.* keys as
//	tls.server.keyPath        TLSKeyFile   system properties or from
//	                          tls.config.file; here they go in the file)
//
// Ranges that depend on other fields (the segment size minimum, the queue
// count maximum, and so on) are left to [Config.Validate].
//
// # Listen address
//
// Java's broker binds every interface (bindAddress 0.0.0.0) on listenPort
// and advertises brokerIP1 in its routes (and registrations, with
// namesrvAddr); here the listener defaults to loopback, and without
// namesrvAddr the name server shares it. So Listen is built
// from: the host of bindAddress, else of brokerIP1, else of base.Listen
// (127.0.0.1 when base.Listen is empty); and the port of listenPort, else of
// base.Listen (9876 when empty). Binding brokerIP1 rather than loopback
// keeps the advertised address reachable; to bind every interface as Java
// does, add bindAddress=0.0.0.0. brokerIP1 must be an IP literal, since the
// official client accepts nothing else; it sets AdvertisedAddr to
// brokerIP1:port, or leaves AdvertisedAddr empty when the port is 0 and
// Listen's host is brokerIP1 (the listener's own address is then right). A
// listenPort without brokerIP1 leaves base.AdvertisedAddr as it was.
//
// # Other keys
//
// Real RocketMQ keys that have no effect here (brokerRole, haListenPort,
// thread pool sizes, …) are listed in
// ConfReport.Ignored with a reason, and any other key in
// ConfReport.Unknown; neither is an error.
//
// # Errors
//
// Every malformed entry is reported, as a *[ConfError] naming the file, line
// and key, joined with errors.Join. On error the returned Config is base
// unchanged; the report is still filled in.
func ParseBrokerConf(r io.Reader, base Config) (Config, ConfReport, error) {
	return parseBrokerConf("broker.conf", r, base)
}

func parseBrokerConf(file string, r io.Reader, base Config) (Config, ConfReport, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxConfSize+1))
	if err != nil {
		return base, ConfReport{}, fmt.Errorf("broker: read %s: %w", file, err)
	}
	if len(data) > maxConfSize {
		return base, ConfReport{}, fmt.Errorf("broker: read %s: larger than %d bytes", file, maxConfSize)
	}
	p := confParser{file: file, cfg: base}
	for _, e := range javaprops.Read(string(data)) {
		p.apply(e)
	}
	p.finishListen()
	if len(p.errs) > 0 {
		return base, p.report, errors.Join(p.errs...)
	}
	return p.cfg, p.report, nil
}

// confParser applies entries to cfg. The listen keys are only recorded and
// combined by finishListen, so their order in the file does not matter.
type confParser struct {
	file   string
	cfg    Config
	report ConfReport
	errs   []error

	port   *ConfEntry // last listenPort
	bind   *ConfEntry // last bindAddress
	ip     *ConfEntry // last brokerIP1
	haPort *ConfEntry // last haListenPort
	portNo int
}

func (p *confParser) fail(line int, key string, err error) {
	p.errs = append(p.errs, &ConfError{File: p.file, Line: line, Key: key, Err: err})
}

func (p *confParser) apply(e javaprops.Entry) {
	if e.Err != nil {
		p.fail(e.Line, e.Key, e.Err)
		return
	}
	entry := ConfEntry{Line: e.Line, Key: e.Key, Value: e.Value}
	if k, ok := confKeys[e.Key]; ok {
		err := errors.New("empty value (remove the line to keep the default)")
		if e.Value != "" {
			err = k.set(p, &entry)
		}
		if err != nil {
			if strings.Contains(e.Value, "#") {
				err = fmt.Errorf("%w (a '#' starts a comment only at the beginning of a line)", err)
			}
			p.fail(e.Line, e.Key, err)
			return
		}
		entry.Field = k.field
		p.report.Applied = append(p.report.Applied, entry)
		return
	}
	if reason, ok := ignoredConfKeys[e.Key]; ok {
		entry.Reason = reason
		p.report.Ignored = append(p.report.Ignored, entry)
		return
	}
	entry.Reason = suggestConfKey(e.Key)
	p.report.Unknown = append(p.report.Unknown, entry)
}

// finishListen combines listenPort, bindAddress and brokerIP1 with
// base.Listen as ParseBrokerConf documents.
func (p *confParser) finishListen() {
	if p.port == nil && p.bind == nil && p.ip == nil && p.haPort == nil {
		return
	}
	host, port, err := net.SplitHostPort(p.cfg.Listen)
	if err != nil {
		host, port, _ = net.SplitHostPort(defaultListen)
	}
	switch {
	case p.bind != nil:
		host = p.bind.Value
	case p.ip != nil:
		host = p.ip.Value
	}
	if p.port != nil {
		port = strconv.Itoa(p.portNo)
	}
	p.cfg.Listen = net.JoinHostPort(host, port)
	if p.haPort != nil {
		p.cfg.HAListen = net.JoinHostPort(host, p.haPort.Value)
	}
	if p.ip == nil {
		return
	}
	adv, err := confAdvertisedAddr(p.ip.Value, p.cfg.Listen)
	if err != nil {
		p.fail(p.ip.Line, p.ip.Key, err)
		return
	}
	p.cfg.AdvertisedAddr = adv
}

// confAdvertisedAddr returns the AdvertisedAddr for brokerIP1 ip on listener
// listen: ip:port, or "" when the port is 0 and listen's host is ip.
func confAdvertisedAddr(ip, listen string) (string, error) {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return "", fmt.Errorf("listen address %q: %w", listen, err)
	}
	if port != "0" {
		return net.JoinHostPort(ip, port), nil
	}
	if host == ip {
		return "", nil
	}
	return "", fmt.Errorf("%s cannot be advertised: the listener on %s picks a random port; set listenPort", ip, listen)
}

// suggestConfKey returns "did you mean X?" for an unknown key that is close
// to a known one, or "".
func suggestConfKey(key string) string {
	if key == "" {
		return "no key before the separator"
	}
	known := make([]string, 0, len(confKeys)+len(ignoredConfKeys))
	for k := range confKeys {
		known = append(known, k)
	}
	for k := range ignoredConfKeys {
		known = append(known, k)
	}
	best, bestDist := suggest.Closest(key, known, 3)
	// Allow one typo in a short key, two in a long one.
	if best == "" || bestDist > 1 && len(key) < 10 {
		return ""
	}
	return "did you mean " + best + "?"
}
