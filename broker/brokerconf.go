package broker

import (
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"

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
	return parseBrokerConf(path, f, base)
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
// odd number of backslashes propContinues on the next line. Escapes \t \n \r \f
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
//	listenPort                port of Listen
//	bindAddress               host of Listen (RocketMQ 5)
//	brokerIP1                 host of AdvertisedAddr (and of Listen, see below)
//	storePathRootDir          DataDir
//	flushDiskType             FlushDiskType: ASYNC_FLUSH or SYNC_FLUSH
//	flushIntervalCommitLog    FlushInterval, milliseconds
//	syncFlushTimeout          SyncFlushTimeout, milliseconds
//	mappedFileSizeCommitLog   SegmentSize, bytes (also the old spelling
//	                          mapedFileSizeCommitLog)
//	autoCreateTopicEnable     true or false: the inverse of DisableAutoCreateTopic
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
//
// Ranges that depend on other fields (the segment size minimum, the queue
// count maximum, and so on) are left to [Config.Validate].
//
// # Listen address
//
// Java's broker binds every interface (bindAddress 0.0.0.0) on listenPort
// and advertises brokerIP1 in its routes; here the name server and the
// broker share one listener that defaults to loopback. So Listen is built
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
// Real RocketMQ keys that have no effect here (brokerId, brokerRole,
// namesrvAddr, deleteWhen, thread pool sizes, …) are listed in
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
	for _, e := range readProperties(string(data)) {
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
	portNo int
}

func (p *confParser) fail(line int, key string, err error) {
	p.errs = append(p.errs, &ConfError{File: p.file, Line: line, Key: key, Err: err})
}

func (p *confParser) apply(e propEntry) {
	if e.err != nil {
		p.fail(e.line, e.key, e.err)
		return
	}
	entry := ConfEntry{Line: e.line, Key: e.key, Value: e.value}
	if k, ok := confKeys[e.key]; ok {
		err := errors.New("empty value (remove the line to keep the default)")
		if e.value != "" {
			err = k.set(p, &entry)
		}
		if err != nil {
			if strings.Contains(e.value, "#") {
				err = fmt.Errorf("%w (a '#' starts a comment only at the beginning of a line)", err)
			}
			p.fail(e.line, e.key, err)
			return
		}
		entry.Field = k.field
		p.report.Applied = append(p.report.Applied, entry)
		return
	}
	if reason, ok := ignoredConfKeys[e.key]; ok {
		entry.Reason = reason
		p.report.Ignored = append(p.report.Ignored, entry)
		return
	}
	entry.Reason = suggestConfKey(e.key)
	p.report.Unknown = append(p.report.Unknown, entry)
}

// finishListen combines listenPort, bindAddress and brokerIP1 with
// base.Listen as ParseBrokerConf documents.
func (p *confParser) finishListen() {
	if p.port == nil && p.bind == nil && p.ip == nil {
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

// confKey is a supported broker.conf key.
type confKey struct {
	field string // koanf key of the Config field
	set   func(p *confParser, e *ConfEntry) error
}

var confKeys = map[string]confKey{
	"brokerClusterName": {"cluster-name", func(p *confParser, e *ConfEntry) error {
		return confSetName(&p.cfg.ClusterName, e.Value)
	}},
	"brokerName": {"broker-name", func(p *confParser, e *ConfEntry) error {
		return confSetName(&p.cfg.BrokerName, e.Value)
	}},
	"listenPort": {"listen", func(p *confParser, e *ConfEntry) error {
		n, err := strconv.Atoi(e.Value)
		if err != nil || n < 0 || n > 65535 {
			return fmt.Errorf("%q is not a port number (0-65535)", e.Value)
		}
		p.port, p.portNo = e, n
		return nil
	}},
	"bindAddress": {"listen", func(p *confParser, e *ConfEntry) error {
		if net.ParseIP(e.Value) == nil && strings.ContainsAny(e.Value, " \t\f[]/:%") {
			return fmt.Errorf("%q is not an IP address or host name", e.Value)
		}
		p.bind = e
		return nil
	}},
	"brokerIP1": {"advertised-addr", func(p *confParser, e *ConfEntry) error {
		if net.ParseIP(e.Value) == nil {
			return fmt.Errorf("%q is not an IP address (the official client accepts only IP literals)", e.Value)
		}
		p.ip = e
		return nil
	}},
	"storePathRootDir": {"data-dir", func(p *confParser, e *ConfEntry) error {
		p.cfg.DataDir = e.Value
		return nil
	}},
	"flushDiskType": {"flush-disk-type", func(p *confParser, e *ConfEntry) error {
		if e.Value != AsyncFlush && e.Value != SyncFlush {
			return fmt.Errorf("%q is neither %s nor %s", e.Value, AsyncFlush, SyncFlush)
		}
		p.cfg.FlushDiskType = e.Value
		return nil
	}},
	"flushIntervalCommitLog": {"flush-interval", func(p *confParser, e *ConfEntry) error {
		return confSetMillis(&p.cfg.FlushInterval, e.Value, 32)
	}},
	"syncFlushTimeout": {"sync-flush-timeout", func(p *confParser, e *ConfEntry) error {
		return confSetMillis(&p.cfg.SyncFlushTimeout, e.Value, 64)
	}},
	"mappedFileSizeCommitLog": {"segment-size", confSetSegmentSize},
	"mapedFileSizeCommitLog":  {"segment-size", confSetSegmentSize},
	"autoCreateTopicEnable": {"disable-auto-create-topic", func(p *confParser, e *ConfEntry) error {
		switch {
		case strings.EqualFold(e.Value, "true"):
			p.cfg.DisableAutoCreateTopic = false
		case strings.EqualFold(e.Value, "false"):
			p.cfg.DisableAutoCreateTopic = true
		default:
			return fmt.Errorf("%q is neither true nor false", e.Value)
		}
		return nil
	}},
	"defaultTopicQueueNums": {"default-topic-queue-nums", func(p *confParser, e *ConfEntry) error {
		return confSetInt(&p.cfg.DefaultTopicQueueNums, e.Value)
	}},
	"maxMessageSize": {"max-message-size", func(p *confParser, e *ConfEntry) error {
		return confSetInt(&p.cfg.MaxMessageSize, e.Value)
	}},
	"messageDelayLevel": {"message-delay-level", func(p *confParser, e *ConfEntry) error {
		if _, err := ParseDelayLevels(e.Value); err != nil {
			return err
		}
		p.cfg.MessageDelayLevel = e.Value
		return nil
	}},
	"transactionTimeOut": {"transaction-timeout", func(p *confParser, e *ConfEntry) error {
		return confSetMillis(&p.cfg.TransactionTimeout, e.Value, 64)
	}},
	"transactionCheckInterval": {"transaction-check-interval", func(p *confParser, e *ConfEntry) error {
		return confSetMillis(&p.cfg.TransactionCheckInterval, e.Value, 64)
	}},
	"transactionCheckMax": {"transaction-check-max", func(p *confParser, e *ConfEntry) error {
		return confSetInt(&p.cfg.TransactionCheckMax, e.Value)
	}},
	"rebalanceLockMaxLiveTime":                  {"rebalance-lock-max-live-time", confSetLockLiveTime},
	"rocketmq.broker.rebalance.lockMaxLiveTime": {"rebalance-lock-max-live-time", confSetLockLiveTime},
	"channelExpiredTimeout": {"channel-expired-timeout", func(p *confParser, e *ConfEntry) error {
		return confSetMillis(&p.cfg.ChannelExpiredTimeout, e.Value, 64)
	}},
}

func confSetSegmentSize(p *confParser, e *ConfEntry) error {
	n, err := confParsePositive(e.Value, 64, "an integer")
	if err != nil {
		return err
	}
	p.cfg.SegmentSize = n
	return nil
}

func confSetLockLiveTime(p *confParser, e *ConfEntry) error {
	return confSetMillis(&p.cfg.RebalanceLockMaxLiveTime, e.Value, 64)
}

func confSetName(dst *string, v string) error {
	if ValidateTopic(v) != nil {
		return fmt.Errorf("%q is not a valid name (1-127 characters of [%%|a-zA-Z0-9_-])", v)
	}
	*dst = v
	return nil
}

// confSetInt parses a positive Java int (32 bits).
func confSetInt(dst *int, v string) error {
	n, err := confParsePositive(v, 32, "an integer")
	if err != nil {
		return err
	}
	*dst = int(n)
	return nil
}

// confSetMillis parses a positive number of milliseconds that fits a Java int
// (bits 32) or long (bits 64) and a time.Duration.
func confSetMillis(dst *time.Duration, v string, bits int) error {
	n, err := confParsePositive(v, bits, "a number of milliseconds")
	if err != nil {
		return err
	}
	if n > math.MaxInt64/int64(time.Millisecond) {
		return fmt.Errorf("%q milliseconds is out of range", v)
	}
	*dst = time.Duration(n) * time.Millisecond
	return nil
}

// confParsePositive parses v as a decimal integer of the given size, as Java's
// Integer.parseInt (bits 32) or Long.parseLong (bits 64) does, and requires
// it to be positive. what names the expected value in errors.
func confParsePositive(v string, bits int, what string) (int64, error) {
	n, err := strconv.ParseInt(v, 10, bits)
	switch {
	case errors.Is(err, strconv.ErrRange):
		return 0, fmt.Errorf("%q is out of range for %s", v, what)
	case err != nil:
		return 0, fmt.Errorf("%q is not %s", v, what)
	case n <= 0:
		return 0, fmt.Errorf("%q is not positive (a zero field would mean the default)", v)
	}
	return n, nil
}

// Reasons for ignored keys.
const (
	confWhyReplication = "replication is not supported: this broker is a standalone master"
	confWhyRaft        = "DLedger and controller mode are not supported: this broker is a standalone master"
	confWhyNameServer  = "the name server runs in this process, on the broker's listener"
	confWhyStorePath   = "store files live under storePathRootDir in a fixed layout"
	confWhyNotAKey     = "store files live under storePathRootDir in a fixed layout (RocketMQ has no such key either; it derives the path from storePathRootDir)"
	confWhyStoreTuning = "store tuning with no equivalent in this store"
	confWhyRetention   = "file retention and disk clean-up are not configurable here"
	confWhyThreads     = "requests run on goroutines: there are no thread pools or request queues to size"
	confWhySockets     = "socket tuning is left to the operating system's defaults"
	confWhyACL         = "ACL is not supported: every client is accepted"
	confWhyStats       = "statistics and metrics go through hooks, not broker settings"
	confWhyInstall     = "there is no installation directory to point at"
)

// ignoredConfKeys maps real RocketMQ broker.conf keys (BrokerConfig,
// MessageStoreConfig, NettyServerConfig, AuthConfig, and keys common in
// published broker.conf examples) that have no effect here to the reason.
var ignoredConfKeys = map[string]string{
	// Replication, DLedger, controller.
	"brokerId":                        confWhyReplication,
	"brokerRole":                      confWhyReplication,
	"brokerIP2":                       confWhyReplication,
	"haListenPort":                    confWhyReplication,
	"haMasterAddress":                 confWhyReplication,
	"haSendHeartbeatInterval":         confWhyReplication,
	"haHousekeepingInterval":          confWhyReplication,
	"haTransferBatchSize":             confWhyReplication,
	"haMaxGapNotInSync":               confWhyReplication,
	"slaveReadEnable":                 confWhyReplication,
	"enableSlaveActingMaster":         confWhyReplication,
	"totalReplicas":                   confWhyReplication,
	"inSyncReplicas":                  confWhyReplication,
	"minInSyncReplicas":               confWhyReplication,
	"allAckInSyncStateSet":            confWhyReplication,
	"enableAutoInSyncReplicas":        confWhyReplication,
	"enableDLegerCommitLog":           confWhyRaft,
	"dLegerGroup":                     confWhyRaft,
	"dLegerPeers":                     confWhyRaft,
	"dLegerSelfId":                    confWhyRaft,
	"preferredLeaderId":               confWhyRaft,
	"storePathDLedgerCommitLog":       confWhyRaft,
	"enableControllerMode":            confWhyRaft,
	"controllerAddr":                  confWhyRaft,
	"fetchControllerAddrByDnsLookup":  confWhyRaft,
	"syncBrokerMetadataPeriod":        confWhyRaft,
	"checkSyncStateSetPeriod":         confWhyRaft,
	"syncControllerMetadataPeriod":    confWhyRaft,
	"controllerHeartBeatTimeoutMills": confWhyRaft,
	"brokerElectionPriority":          confWhyRaft,
	"storePathEpochFile":              confWhyRaft,
	"storePathBrokerIdentity":         confWhyRaft,

	// Name server.
	"namesrvAddr":                     confWhyNameServer,
	"fetchNamesrvAddrByAddressServer": confWhyNameServer,
	"fetchNameSrvAddrByDnsLookup":     confWhyNameServer,
	"rmqAddressServerDomain":          confWhyNameServer,
	"rmqAddressServerSubGroup":        confWhyNameServer,
	"registerBrokerTimeoutMills":      confWhyNameServer,
	"registerNameServerPeriod":        confWhyNameServer,
	"updateNameServerAddrPeriod":      confWhyNameServer,
	"fetchNamesrvAddrInterval":        confWhyNameServer,
	"forceRegister":                   confWhyNameServer,
	"compressedRegister":              confWhyNameServer,
	"enableSplitRegistration":         confWhyNameServer,
	"splitRegistrationSize":           confWhyNameServer,
	"brokerNotActiveTimeoutMillis":    confWhyNameServer,
	"brokerHeartbeatInterval":         confWhyNameServer,

	// Store layout and tuning.
	"storePathCommitLog":                confWhyStorePath,
	"readOnlyCommitLogStorePaths":       confWhyStorePath,
	"storePathConsumeQueue":             confWhyNotAKey,
	"storePathIndex":                    confWhyNotAKey,
	"storeCheckpoint":                   confWhyNotAKey,
	"abortFile":                         confWhyNotAKey,
	"storeType":                         confWhyStoreTuning,
	"mappedFileSizeConsumeQueue":        confWhyStoreTuning,
	"mapedFileSizeConsumeQueue":         confWhyStoreTuning,
	"mappedFileSizeConsumeQueueExt":     confWhyStoreTuning,
	"enableConsumeQueueExt":             confWhyStoreTuning,
	"flushIntervalConsumeQueue":         confWhyStoreTuning,
	"flushCommitLogLeastPages":          confWhyStoreTuning,
	"flushConsumeQueueLeastPages":       confWhyStoreTuning,
	"flushCommitLogThoroughInterval":    confWhyStoreTuning,
	"flushConsumeQueueThoroughInterval": confWhyStoreTuning,
	"flushCommitLogTimed":               confWhyStoreTuning,
	"commitIntervalCommitLog":           confWhyStoreTuning,
	"commitCommitLogLeastPages":         confWhyStoreTuning,
	"commitCommitLogThoroughInterval":   confWhyStoreTuning,
	"transientStorePoolEnable":          confWhyStoreTuning,
	"transientStorePoolSize":            confWhyStoreTuning,
	"fastFailIfNoBufferInStorePool":     confWhyStoreTuning,
	"warmMapedFileEnable":               confWhyStoreTuning,
	"flushLeastPagesWhenWarmMapedFile":  confWhyStoreTuning,
	"writeWithoutMmap":                  confWhyStoreTuning,
	"maxTransferBytesOnMessageInMemory": confWhyStoreTuning,
	"maxTransferCountOnMessageInMemory": confWhyStoreTuning,
	"maxTransferBytesOnMessageInDisk":   confWhyStoreTuning,
	"maxTransferCountOnMessageInDisk":   confWhyStoreTuning,
	"accessMessageInMemoryMaxRatio":     confWhyStoreTuning,
	"maxHashSlotNum":                    confWhyStoreTuning,
	"maxIndexNum":                       confWhyStoreTuning,
	"messageIndexEnable":                "the key index is always kept",
	"messageIndexSafe":                  confWhyStoreTuning,
	"checkCRCOnRecover":                 "CRCs are always checked on recovery",
	"useReentrantLockWhenPutMessage":    confWhyStoreTuning,
	"osPageCacheBusyTimeOutMills":       confWhyStoreTuning,
	"duplicationEnable":                 confWhyStoreTuning,
	"flushDelayOffsetInterval":          confWhyStoreTuning,
	"flushConsumerOffsetInterval":       confWhyStoreTuning,
	"timerWheelEnable":                  "timer messages are not supported; use delay levels",

	// Retention.
	"deleteWhen":                       confWhyRetention,
	"fileReservedTime":                 confWhyRetention,
	"diskMaxUsedSpaceRatio":            confWhyRetention,
	"diskSpaceWarningLevelRatio":       confWhyRetention,
	"diskSpaceCleanForciblyRatio":      confWhyRetention,
	"cleanFileForciblyEnable":          confWhyRetention,
	"cleanResourceInterval":            confWhyRetention,
	"deleteCommitLogFilesInterval":     confWhyRetention,
	"deleteConsumeQueueFilesInterval":  confWhyRetention,
	"destroyMapedFileIntervalForcibly": confWhyRetention,
	"redeleteHangedFileInterval":       confWhyRetention,
	"deleteFileBatchMax":               confWhyRetention,

	// Threads and queues.
	"sendMessageThreadPoolNums":              confWhyThreads,
	"putMessageFutureThreadPoolNums":         confWhyThreads,
	"pullMessageThreadPoolNums":              confWhyThreads,
	"litePullMessageThreadPoolNums":          confWhyThreads,
	"ackMessageThreadPoolNums":               confWhyThreads,
	"processReplyMessageThreadPoolNums":      confWhyThreads,
	"queryMessageThreadPoolNums":             confWhyThreads,
	"adminBrokerThreadPoolNums":              confWhyThreads,
	"clientManageThreadPoolNums":             confWhyThreads,
	"consumerManageThreadPoolNums":           confWhyThreads,
	"loadBalanceProcessorThreadPoolNums":     confWhyThreads,
	"heartbeatThreadPoolNums":                confWhyThreads,
	"recoverThreadPoolNums":                  confWhyThreads,
	"endTransactionThreadPoolNums":           confWhyThreads,
	"sendThreadPoolQueueCapacity":            confWhyThreads,
	"putThreadPoolQueueCapacity":             confWhyThreads,
	"pullThreadPoolQueueCapacity":            confWhyThreads,
	"litePullThreadPoolQueueCapacity":        confWhyThreads,
	"queryThreadPoolQueueCapacity":           confWhyThreads,
	"clientManagerThreadPoolQueueCapacity":   confWhyThreads,
	"consumerManagerThreadPoolQueueCapacity": confWhyThreads,
	"heartbeatThreadPoolQueueCapacity":       confWhyThreads,
	"endTransactionPoolQueueCapacity":        confWhyThreads,
	"adminBrokerThreadPoolQueueCapacity":     confWhyThreads,
	"waitTimeMillsInSendQueue":               confWhyThreads,
	"waitTimeMillsInPullQueue":               confWhyThreads,
	"waitTimeMillsInHeartbeatQueue":          confWhyThreads,
	"waitTimeMillsInTransactionQueue":        confWhyThreads,
	"brokerFastFailureEnable":                confWhyThreads,
	"serverWorkerThreads":                    confWhyThreads,
	"serverCallbackExecutorThreads":          confWhyThreads,
	"serverSelectorThreads":                  confWhyThreads,
	"serverOnewaySemaphoreValue":             confWhyThreads,
	"serverAsyncSemaphoreValue":              confWhyThreads,
	"useEpollNativeSelector":                 confWhyThreads,
	"serverNettyWorkerGroupEnable":           confWhyThreads,
	"serverPooledByteBufAllocatorEnable":     confWhyThreads,

	// Sockets.
	"serverSocketSndBufSize":          confWhySockets,
	"serverSocketRcvBufSize":          confWhySockets,
	"serverSocketBacklog":             confWhySockets,
	"serverChannelMaxIdleTimeSeconds": confWhySockets,
	"writeBufferHighWaterMark":        confWhySockets,
	"writeBufferLowWaterMark":         confWhySockets,

	// Security.
	"aclEnable":              confWhyACL,
	"enableAcl":              confWhyACL,
	"authenticationEnabled":  confWhyACL,
	"authorizationEnabled":   confWhyACL,
	"authConfigPath":         confWhyACL,
	"authenticationProvider": confWhyACL,
	"authorizationProvider":  confWhyACL,

	// Features that always behave one way here, or are absent.
	"brokerPermission":               "the broker is always readable and writable",
	"autoCreateSubscriptionGroup":    "consumer groups are always accepted",
	"clusterTopicEnable":             "no cluster-named system topic is created",
	"brokerTopicEnable":              "no broker-named system topic is created",
	"traceTopicEnable":               "trace topics are ordinary topics here",
	"msgTraceTopicName":              "trace topics are ordinary topics here",
	"longPollingEnable":              "pulls are always long-polled",
	"shortPollingTimeMills":          "pulls are always long-polled",
	"notifyConsumerIdsChangedEnable": "consumers are always notified when their group changes",
	"enablePropertyFilter":           "SQL92 filtering is not supported; tag filtering is",
	"filterSupportRetry":             "SQL92 filtering is not supported; tag filtering is",
	"enableCalcFilterBitMap":         "SQL92 filtering is not supported; tag filtering is",
	"rejectTransactionMessage":       "transactional messages are always accepted",
	"highSpeedMode":                  confWhyStoreTuning,
	"transferMsgByHeap":              confWhyStoreTuning,
	"enableDetailStat":               confWhyStats,
	"autoDeleteUnusedStats":          confWhyStats,
	"accountStatsEnable":             confWhyStats,
	"metricsExporterType":            confWhyStats,
	"rocketmqHome":                   confWhyInstall,
	"brokerConfigPath":               confWhyInstall,
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

// propEntry is one logical entry of a properties file.
type propEntry struct {
	line       int
	key, value string
	err        error // a malformed escape in key or value
}

// readProperties splits src into entries the way Java's Properties.load
// does, except that trailing blanks of values are cut.
func readProperties(src string) []propEntry {
	src = strings.TrimPrefix(src, "\uFEFF")
	src = strings.ReplaceAll(src, "\r\n", "\n")
	src = strings.ReplaceAll(src, "\r", "\n")
	lines := strings.Split(src, "\n")
	var out []propEntry
	for i := 0; i < len(lines); i++ {
		first := i + 1
		logical := strings.TrimLeft(lines[i], propBlanks)
		if logical == "" || logical[0] == '#' || logical[0] == '!' {
			continue
		}
		for propContinues(logical) {
			logical = logical[:len(logical)-1]
			if i+1 == len(lines) {
				break
			}
			i++
			logical += strings.TrimLeft(lines[i], propBlanks)
		}
		rawKey, rawValue := propSplitKeyValue(logical)
		e := propEntry{line: first}
		var kerr, verr error
		if e.key, kerr = propUnescape(rawKey); kerr != nil {
			e.key = rawKey
		}
		e.value, verr = propUnescape(propTrimTrailingBlanks(rawValue))
		e.err = errors.Join(kerr, verr)
		out = append(out, e)
	}
	return out
}

// propBlanks are the characters Java's Properties treats as white space.
const propBlanks = " \t\f"

func propIsBlank(c byte) bool { return c == ' ' || c == '\t' || c == '\f' }

// propContinues reports whether s ends in an odd number of backslashes.
func propContinues(s string) bool {
	n := 0
	for n < len(s) && s[len(s)-1-n] == '\\' {
		n++
	}
	return n%2 == 1
}

// propSplitKeyValue splits a logical line at the first unescaped '=', ':' or
// blank; blanks around the separator are skipped, and after a blank one '='
// or ':' may follow.
func propSplitKeyValue(s string) (key, value string) {
	keyEnd, valStart, sep := len(s), len(s), false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\\' {
			i++ // the escaped character is part of the key
			continue
		}
		if c == '=' || c == ':' || propIsBlank(c) {
			keyEnd, valStart, sep = i, i+1, c == '=' || c == ':'
			break
		}
	}
	for valStart < len(s) {
		c := s[valStart]
		if propIsBlank(c) {
			valStart++
			continue
		}
		if !sep && (c == '=' || c == ':') {
			sep = true
			valStart++
			continue
		}
		break
	}
	return s[:keyEnd], s[valStart:]
}

// propTrimTrailingBlanks cuts trailing blanks that are not escaped.
func propTrimTrailingBlanks(s string) string {
	for len(s) > 0 && propIsBlank(s[len(s)-1]) && !propContinues(s[:len(s)-1]) {
		s = s[:len(s)-1]
	}
	return s
}

// propUnescape decodes the escapes of a properties key or value.
func propUnescape(s string) (string, error) {
	if !strings.Contains(s, `\`) {
		return s, nil
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		i++
		if i == len(s) {
			break
		}
		switch c = s[i]; c {
		case 't':
			b.WriteByte('\t')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 'f':
			b.WriteByte('\f')
		case 'u':
			r, ok := propHex4(s[i+1:])
			if !ok {
				return "", errors.New(`malformed \uxxxx escape`)
			}
			i += 4
			if utf16.IsSurrogate(r) && strings.HasPrefix(s[i+1:], `\u`) {
				if r2, ok := propHex4(s[i+3:]); ok {
					if pair := utf16.DecodeRune(r, r2); pair != '\uFFFD' {
						r = pair
						i += 6
					}
				}
			}
			b.WriteRune(r)
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}

// propHex4 decodes the four hex digits at the start of s.
func propHex4(s string) (rune, bool) {
	if len(s) < 4 {
		return 0, false
	}
	n, err := strconv.ParseUint(s[:4], 16, 16)
	if err != nil {
		return 0, false
	}
	return rune(n), true
}
