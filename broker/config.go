package broker

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"time"
)

// Flush disk types, spelled as in RocketMQ's broker.conf (flushDiskType).
const (
	// AsyncFlush acknowledges a send once the message is in the page cache;
	// a background flusher syncs the log every FlushInterval.
	AsyncFlush = "ASYNC_FLUSH"
	// SyncFlush acknowledges a send only after the log was synced to disk
	// (group commit); when the sync takes longer than SyncFlushTimeout the
	// send is answered FLUSH_DISK_TIMEOUT.
	SyncFlush = "SYNC_FLUSH"
)

// DefaultDelayLevels is RocketMQ's default messageDelayLevel table.
const DefaultDelayLevels = "1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h"

// Config is everything a user may put in a broker configuration file. A zero
// value means the documented default; New/Start call setDefaults and Validate.
//
// The koanf keys are the kit's; [ParseBrokerConf] reads RocketMQ's own
// broker.conf key names into the same struct.
type Config struct {
	// Listen is the TCP address the name server and broker share.
	// Default "127.0.0.1:9876"; port 0 picks a free port.
	Listen string `koanf:"listen"`
	// AdvertisedAddr is the ip:port put into route data. Default: the
	// listener's address. The official client only accepts IP literals.
	AdvertisedAddr string `koanf:"advertised-addr"`
	// DataDir is the store root (storePathRootDir). Required.
	DataDir string `koanf:"data-dir"`

	// ClusterName is brokerClusterName. Default "DefaultCluster".
	ClusterName string `koanf:"cluster-name"`
	// BrokerName is brokerName. Default "broker-a".
	BrokerName string `koanf:"broker-name"`

	// NamesrvAddr (namesrvAddr) lists name servers, host:port separated
	// by ";", that this broker registers with (cluster.go): at start,
	// every RegisterNameServerPeriod, when a topic is created or deleted,
	// and UNREGISTER_BROKER at Close. The broker then no longer answers
	// name-server requests itself. Empty (the default): the broker is its
	// own name server on Listen.
	NamesrvAddr string `koanf:"namesrv-addr"`
	// BrokerID (brokerId) is the id registered with the name servers: 0
	// (the default) a master, 1 and up a slave of the master of the same
	// BrokerName.
	BrokerID int64 `koanf:"broker-id"`
	// BrokerRole (brokerRole) is AsyncMaster, SyncMaster or Slave
	// (replication.go). Default AsyncMaster, or Slave when BrokerID is
	// above 0. A slave replicates the master's commit log over the HA
	// port, refuses writes and serves reads; a SYNC_MASTER answers a send
	// only once a slave has it (FLUSH_SLAVE_TIMEOUT after SyncFlushTimeout,
	// SLAVE_NOT_AVAILABLE with no slave in sync).
	BrokerRole string `koanf:"broker-role"`
	// HAListen is the address a master serves its slaves on (haListenPort
	// sets its port on Listen's host). Default in cluster mode
	// (NamesrvAddr set): Listen's port plus one, as Java, or port 0 (a
	// free one) when Listen's port is 0. Standalone masters without it
	// open no HA port.
	HAListen string `koanf:"ha-listen"`
	// HAMasterAddress (haMasterAddress) is the master's HA address a slave
	// replicates from. Default: the address the name servers answer to the
	// slave's registration (the master's haServerAddr).
	HAMasterAddress string `koanf:"ha-master-address"`
	// HAHeartbeatInterval (haSendHeartbeatInterval) is how often an idle
	// slave reports its offset and an idle master sends a heartbeat.
	// Default 5s.
	HAHeartbeatInterval time.Duration `koanf:"ha-heartbeat-interval"`
	// HATransferBatchSize (haTransferBatchSize) caps the bytes of one
	// transfer to a slave. Default 32 KiB.
	HATransferBatchSize int `koanf:"ha-transfer-batch-size"`
	// HAMaxGapNotInSync (haMaxGapNotInSync) is how far behind (bytes) a
	// slave may be and still count for SYNC_MASTER. Default 256 MiB.
	HAMaxGapNotInSync int64 `koanf:"ha-max-gap-not-in-sync"`
	// SlaveReadEnable (slaveReadEnable) lets consumers read from the
	// slave: a master whose consumer lags more than InMemoryWindow
	// suggests the slave (suggestWhichBrokerId 1), and a slave serving a
	// pull does not send the consumer back to the master. Off (the
	// default): consumers read the slave only while the master is down.
	SlaveReadEnable bool `koanf:"slave-read-enable"`
	// SlaveSyncInterval is how often a slave copies the master's topics,
	// consumer offsets, delay offsets and subscription groups (Java's
	// SlaveSynchronize, fixed at 10s there). Default 10s.
	SlaveSyncInterval time.Duration `koanf:"slave-sync-interval"`
	// BrokerPermission (brokerPermission) is the broker's own permission:
	// 6 read and write (the default), 4 read only, 2 write only. Topic
	// permissions are masked with it when registering, sends are refused
	// with NO_PERMISSION when it lacks write and pulls when it lacks read.
	BrokerPermission int `koanf:"broker-permission"`
	// RegisterNameServerPeriod (registerNameServerPeriod) is how often the
	// broker registers again. Default 30s; as in Java, the period used is
	// kept within 10s..60s.
	RegisterNameServerPeriod time.Duration `koanf:"register-name-server-period"`

	// FlushDiskType is AsyncFlush (default) or SyncFlush.
	FlushDiskType string `koanf:"flush-disk-type"`
	// FlushInterval is how often the async flusher syncs. Default 500ms.
	FlushInterval time.Duration `koanf:"flush-interval"`
	// SyncFlushTimeout bounds a SYNC_FLUSH wait. Default 5s.
	SyncFlushTimeout time.Duration `koanf:"sync-flush-timeout"`
	// SegmentSize is the commit-log segment size in bytes. Default 1 GiB.
	SegmentSize int64 `koanf:"segment-size"`

	// FileReservedTime (fileReservedTime) is how long a commit-log segment
	// is kept after its last write; older ones are deleted in DeleteWhen
	// hours, with their consume-queue and index files (retention.go).
	// Default 72h; negative: no time (segments go once the next started).
	FileReservedTime time.Duration `koanf:"file-reserved-time"`
	// DeleteWhen (deleteWhen) is the hours of the day, local time, in
	// which expired segments are deleted: "04" or "00;01;02". Default "04".
	DeleteWhen string `koanf:"delete-when"`
	// DiskMaxUsedSpaceRatio (diskMaxUsedSpaceRatio) is the disk usage in
	// percent above which expired segments are deleted at any hour.
	// Default 75 (Java clamps to 10-95, and so does the store).
	DiskMaxUsedSpaceRatio int `koanf:"disk-max-used-space-ratio"`
	// DiskSpaceCleanForciblyRatio (diskSpaceCleanForciblyRatio) and
	// DiskSpaceWarningLevelRatio (diskSpaceWarningLevelRatio) are the disk
	// usages in percent above which segments are deleted whatever their
	// age, oldest first. Defaults 85 and 90 (clamped to 30-85 and 35-90).
	DiskSpaceCleanForciblyRatio int `koanf:"disk-space-clean-forcibly-ratio"`
	DiskSpaceWarningLevelRatio  int `koanf:"disk-space-warning-level-ratio"`
	// DisableForcedClean (cleanFileForciblyEnable=false) keeps the age
	// rule above those two ratios too.
	DisableForcedClean bool `koanf:"disable-forced-clean"`
	// CleanResourceInterval (cleanResourceInterval) is how often the
	// cleaner runs. Default 10s.
	CleanResourceInterval time.Duration `koanf:"clean-resource-interval"`
	// DeleteCommitLogFilesInterval (deleteCommitLogFilesInterval) is the
	// pause between two segment deletions. Default 100ms; negative: none.
	DeleteCommitLogFilesInterval time.Duration `koanf:"delete-commit-log-files-interval"`
	// DeleteFileBatchMax (deleteFileBatchMax) caps the segments one clean
	// deletes. Default 10.
	DeleteFileBatchMax int `koanf:"delete-file-batch-max"`

	// DisableAutoCreateTopic refuses unknown topics with TOPIC_NOT_EXIST
	// (autoCreateTopicEnable=false). Default: topics are auto-created.
	DisableAutoCreateTopic bool `koanf:"disable-auto-create-topic"`
	// DisableAutoCreateSubscriptionGroup refuses pulls of consumer groups
	// no administrator created (UPDATE_AND_CREATE_SUBSCRIPTIONGROUP) with
	// SUBSCRIPTION_GROUP_NOT_EXIST (autoCreateSubscriptionGroup=false).
	// Default: any group is served with RocketMQ's default settings.
	DisableAutoCreateSubscriptionGroup bool `koanf:"disable-auto-create-subscription-group"`
	// BrokerConfigPath is the broker.conf the broker was started with
	// (brokerConfigPath; LoadBrokerConf sets it): UPDATE_BROKER_CONFIG
	// writes the keys it changes back to it. Empty: runtime changes last
	// until the broker stops.
	BrokerConfigPath string `koanf:"broker-config-path"`
	// DefaultTopicQueueNums is the queue count of auto-created topics. Default 4.
	DefaultTopicQueueNums int `koanf:"default-topic-queue-nums"`
	// MaxMessageSize is the largest accepted body in bytes. Default 4 MiB.
	MaxMessageSize int `koanf:"max-message-size"`
	// MaxFrameSize is the largest accepted remoting frame. Default 16 MiB,
	// and never less than MaxMessageSize plus 64 KiB.
	MaxFrameSize int `koanf:"max-frame-size"`

	// MessageDelayLevel is the delay table, levels 1..n separated by spaces,
	// each a number with unit ms, s, m, h or d. Default DefaultDelayLevels.
	MessageDelayLevel string `koanf:"message-delay-level"`

	// TransactionTimeout is the age at which a half message is first checked
	// back (transactionTimeOut). Default 6s.
	TransactionTimeout time.Duration `koanf:"transaction-timeout"`
	// TransactionCheckInterval is how often half messages are checked
	// (transactionCheckInterval). Default 30s.
	TransactionCheckInterval time.Duration `koanf:"transaction-check-interval"`
	// TransactionCheckMax is the number of checks before a half message is
	// discarded (transactionCheckMax). Default 15.
	TransactionCheckMax int `koanf:"transaction-check-max"`

	// RebalanceLockMaxLiveTime is the orderly queue lock expiry. Default 60s.
	RebalanceLockMaxLiveTime time.Duration `koanf:"rebalance-lock-max-live-time"`
	// ChannelExpiredTimeout is how long a client may go without a heartbeat
	// before it is dropped. Default 120s.
	ChannelExpiredTimeout time.Duration `koanf:"channel-expired-timeout"`
	// MaxPullHold caps how long a pull is held when no message is there
	// (long polling). The client asks for 20s; default 20s.
	MaxPullHold time.Duration `koanf:"max-pull-hold"`
	// InMemoryWindow is how many bytes at the end of the commit log count as
	// "in memory" for a new group's start position: a queue whose first
	// message lies within it is young and a group without an offset reads
	// it from the start whatever its ConsumeFromWhere, as Java does.
	// Default: 40% of physical memory (Java's
	// accessMessageInMemoryMaxRatio); negative: no queue is young.
	InMemoryWindow int64 `koanf:"in-memory-window"`

	// ACLEnable checks every request against the plain_acl.yml at ACLFile
	// (aclEnable): RocketMQ 4.x's ACL 1.0, package broker/acl. Refused
	// requests get NO_PERMISSION. Default off: every client is accepted.
	ACLEnable bool `koanf:"acl-enable"`
	// ACLFile is the plain_acl.yml ACLEnable reads; it is reloaded when it
	// changes. Default $ROCKETMQ_HOME/conf/plain_acl.yml, as the Java
	// broker looks (LoadBrokerConf prefers one next to the broker.conf).
	ACLFile string `koanf:"acl-file"`

	// TLSMode is TLSDisabled, TLSPermissive (TLS and plain TCP on the
	// listener) or TLSEnforcing (TLS only), as tls.server.mode. Default
	// TLSEnforcing when TLSCertFile is set (or WithTLSConfig is given),
	// else TLSDisabled (Java's default is permissive, which with no
	// certificate serves a self-signed test one). The name server requests
	// are served on the same listener, so they get TLS too.
	TLSMode string `koanf:"tls-mode"`
	// TLSCertFile is the PEM certificate chain the listener presents
	// (tls.server.certPath); TLSKeyFile its unencrypted PEM private key
	// (tls.server.keyPath). Set both or neither.
	TLSCertFile string `koanf:"tls-cert-file"`
	TLSKeyFile  string `koanf:"tls-key-file"`

	// MaxConnections caps the open client connections; one more is
	// closed as soon as it is accepted (logged at most every 10s).
	// Default 16384; negative: no limit.
	MaxConnections int `koanf:"max-connections"`
	// MaxInflightRequests caps the requests one connection has sent that
	// are not answered yet (held pulls, SYNC_FLUSH sends, the request
	// being served). At the cap the broker stops reading that connection
	// until an answer goes out. Default 1024; negative: no limit.
	MaxInflightRequests int `koanf:"max-inflight-requests"`
	// IdleTimeout closes a connection that sends no frame for this long
	// (serverChannelMaxIdleTimeSeconds). Clients heartbeat every 30s and
	// pulls are held at most MaxPullHold, so keep it above both. Default
	// 120s; negative: never.
	IdleTimeout time.Duration `koanf:"idle-timeout"`
	// FrameTimeout bounds the time from a frame's first byte to its last
	// (so a slow sender cannot pin a buffer), a TLS handshake and the
	// write of each answer. Default 30s; negative: no limit.
	FrameTimeout time.Duration `koanf:"frame-timeout"`
}

// Defaults applied by setDefaults.
const (
	defaultListen          = "127.0.0.1:9876"
	defaultClusterName     = "DefaultCluster"
	defaultBrokerName      = "broker-a"
	defaultRegisterPeriod  = 30 * time.Second
	defaultQueueNums       = 4
	defaultMaxMessageSize  = 4 << 20
	defaultMaxFrameSize    = 16 << 20
	defaultSegmentSize     = 1 << 30
	defaultFlushInterval   = 500 * time.Millisecond
	defaultSyncFlushTimout = 5 * time.Second
	defaultTxTimeout       = 6 * time.Second
	defaultTxCheckInterval = 30 * time.Second
	defaultTxCheckMax      = 15
	defaultLockLiveTime    = 60 * time.Second
	defaultChannelExpiry   = 120 * time.Second
	defaultMaxPullHold     = 20 * time.Second
	defaultMaxConnections  = 16384
	defaultMaxInflight     = 1024
	defaultIdleTimeout     = 120 * time.Second
	defaultFrameTimeout    = 30 * time.Second
)

// WithDefaults returns c with every zero field set to its documented
// default, as Start does before it validates; calling Validate on the
// result reports configuration errors without starting a broker.
func (c Config) WithDefaults() Config {
	c.setDefaults()
	return c
}

func (c *Config) setDefaults() {
	if c.Listen == "" {
		c.Listen = defaultListen
	}
	if c.ClusterName == "" {
		c.ClusterName = defaultClusterName
	}
	if c.BrokerName == "" {
		c.BrokerName = defaultBrokerName
	}
	c.RegisterNameServerPeriod = cmp.Or(c.RegisterNameServerPeriod, defaultRegisterPeriod)
	if c.FlushDiskType == "" {
		c.FlushDiskType = AsyncFlush
	}
	if c.FlushInterval == 0 {
		c.FlushInterval = defaultFlushInterval
	}
	if c.SyncFlushTimeout == 0 {
		c.SyncFlushTimeout = defaultSyncFlushTimout
	}
	if c.SegmentSize == 0 {
		c.SegmentSize = defaultSegmentSize
	}
	if c.DefaultTopicQueueNums == 0 {
		c.DefaultTopicQueueNums = defaultQueueNums
	}
	if c.MaxMessageSize == 0 {
		c.MaxMessageSize = defaultMaxMessageSize
	}
	if c.MaxFrameSize == 0 {
		c.MaxFrameSize = max(defaultMaxFrameSize, c.MaxMessageSize+64<<10)
	}
	if c.MessageDelayLevel == "" {
		c.MessageDelayLevel = DefaultDelayLevels
	}
	if c.TransactionTimeout == 0 {
		c.TransactionTimeout = defaultTxTimeout
	}
	if c.TransactionCheckInterval == 0 {
		c.TransactionCheckInterval = defaultTxCheckInterval
	}
	if c.TransactionCheckMax == 0 {
		c.TransactionCheckMax = defaultTxCheckMax
	}
	if c.RebalanceLockMaxLiveTime == 0 {
		c.RebalanceLockMaxLiveTime = defaultLockLiveTime
	}
	if c.ChannelExpiredTimeout == 0 {
		c.ChannelExpiredTimeout = defaultChannelExpiry
	}
	if c.MaxPullHold == 0 {
		c.MaxPullHold = defaultMaxPullHold
	}
	if c.InMemoryWindow == 0 {
		c.InMemoryWindow = physicalMemory() * 40 / 100
	}
	if c.TLSMode == "" {
		c.TLSMode = TLSDisabled
		if c.TLSCertFile != "" {
			c.TLSMode = TLSEnforcing
		}
	}
	c.MaxConnections = cmp.Or(c.MaxConnections, defaultMaxConnections)
	c.MaxInflightRequests = cmp.Or(c.MaxInflightRequests, defaultMaxInflight)
	c.IdleTimeout = cmp.Or(c.IdleTimeout, defaultIdleTimeout)
	c.FrameTimeout = cmp.Or(c.FrameTimeout, defaultFrameTimeout)
	c.setRetentionDefaults()
	c.setReplicationDefaults()
}

// Validate reports the first field that is out of range, by its koanf key.
// It expects defaults to have been applied.
func (c *Config) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("broker config %s: %s", key, fmt.Sprintf(format, args...)))
	}
	if c.DataDir == "" {
		bad("data-dir", "is required")
	}
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		bad("listen", "%q is not host:port: %v", c.Listen, err)
	}
	if c.AdvertisedAddr != "" {
		host, _, err := net.SplitHostPort(c.AdvertisedAddr)
		if err != nil || net.ParseIP(host) == nil {
			bad("advertised-addr", "%q must be ip:port (the official client accepts only IP literals)", c.AdvertisedAddr)
		}
	}
	if err := ValidateTopic(c.ClusterName); err != nil {
		bad("cluster-name", "%v", err)
	}
	if err := ValidateTopic(c.BrokerName); err != nil {
		bad("broker-name", "%v", err)
	}
	if _, err := ParseNamesrvAddr(c.NamesrvAddr); err != nil {
		bad("namesrv-addr", "%v", err)
	}
	if c.BrokerID < 0 {
		bad("broker-id", "%d is negative (0 is a master, 1 and up slaves)", c.BrokerID)
	}
	if c.RegisterNameServerPeriod < 0 {
		bad("register-name-server-period", "%v must not be negative", c.RegisterNameServerPeriod)
	}
	switch c.FlushDiskType {
	case AsyncFlush, SyncFlush:
	default:
		bad("flush-disk-type", "%q is neither %s nor %s", c.FlushDiskType, AsyncFlush, SyncFlush)
	}
	if c.SegmentSize < 1<<16 {
		bad("segment-size", "%d is below the 64 KiB minimum", c.SegmentSize)
	}
	if c.DefaultTopicQueueNums < 1 || c.DefaultTopicQueueNums > 1024 {
		bad("default-topic-queue-nums", "%d is outside 1..1024", c.DefaultTopicQueueNums)
	}
	if c.MaxMessageSize < 1 {
		bad("max-message-size", "%d must be positive", c.MaxMessageSize)
	}
	if c.MaxFrameSize < c.MaxMessageSize+1024 {
		bad("max-frame-size", "%d must exceed max-message-size (%d) by at least 1 KiB", c.MaxFrameSize, c.MaxMessageSize)
	}
	if _, err := ParseDelayLevels(c.MessageDelayLevel); err != nil {
		bad("message-delay-level", "%v", err)
	}
	for key, d := range map[string]time.Duration{
		"flush-interval": c.FlushInterval, "sync-flush-timeout": c.SyncFlushTimeout,
		"transaction-timeout": c.TransactionTimeout, "transaction-check-interval": c.TransactionCheckInterval,
		"rebalance-lock-max-live-time": c.RebalanceLockMaxLiveTime,
		"channel-expired-timeout":      c.ChannelExpiredTimeout, "max-pull-hold": c.MaxPullHold,
	} {
		if d < 0 {
			bad(key, "%v must not be negative", d)
		}
	}
	if c.TransactionCheckMax < 1 {
		bad("transaction-check-max", "%d must be at least 1", c.TransactionCheckMax)
	}
	if c.ACLFile != "" && !c.ACLEnable {
		bad("acl-file", "%q is set but acl-enable is false: set acl-enable (aclEnable=true) to check requests", c.ACLFile)
	}
	if !validTLSMode(c.TLSMode) {
		bad("tls-mode", "%q %v", c.TLSMode, errTLSMode)
	}
	if (c.TLSCertFile == "") != (c.TLSKeyFile == "") {
		bad("tls-cert-file", "tls-cert-file and tls-key-file go together (got cert %q, key %q)", c.TLSCertFile, c.TLSKeyFile)
	}
	errs = append(errs, c.validateRetention()...)
	errs = append(errs, c.validateReplication()...)
	if c.MaxPullHold > 25*time.Second {
		bad("max-pull-hold", "%v exceeds 25s; the client's pull RPC times out at 30s", c.MaxPullHold)
	}
	return errors.Join(errs...)
}

// ParseDelayLevels parses a messageDelayLevel table such as
// "1s 5s 10s 30s 1m 2h" into durations, level 1 first.
func ParseDelayLevels(s string) ([]time.Duration, error) {
	fields := strings.Fields(s)
	if len(fields) == 0 {
		return nil, errors.New("empty delay level table")
	}
	out := make([]time.Duration, 0, len(fields))
	for i, f := range fields {
		unit := time.Duration(0)
		num := f
		switch {
		case strings.HasSuffix(f, "ms"):
			unit, num = time.Millisecond, strings.TrimSuffix(f, "ms")
		case strings.HasSuffix(f, "s"):
			unit, num = time.Second, strings.TrimSuffix(f, "s")
		case strings.HasSuffix(f, "m"):
			unit, num = time.Minute, strings.TrimSuffix(f, "m")
		case strings.HasSuffix(f, "h"):
			unit, num = time.Hour, strings.TrimSuffix(f, "h")
		case strings.HasSuffix(f, "d"):
			unit, num = 24*time.Hour, strings.TrimSuffix(f, "d")
		default:
			return nil, fmt.Errorf("level %d %q: unit must be ms, s, m, h or d", i+1, f)
		}
		var n int64
		if _, err := fmt.Sscanf(num, "%d", &n); err != nil || n < 0 || fmt.Sprint(n) != num {
			return nil, fmt.Errorf("level %d %q: not a whole number of %s", i+1, f, unit)
		}
		out = append(out, time.Duration(n)*unit)
	}
	return out, nil
}

// Option injects what only code can provide. Options are sealed.
type Option interface{ apply(*options) }

type options struct {
	tls     *tls.Config
	logger  *slog.Logger
	listen  func(network, addr string) (net.Listener, error)
	dial    func(ctx context.Context, network, addr string) (net.Conn, error)
	aclPoll time.Duration
}

type optionFunc func(*options)

func (f optionFunc) apply(o *options) { f(o) }

// WithLogger routes the broker's logs to l. nil (the default) discards them.
func WithLogger(l *slog.Logger) Option {
	return optionFunc(func(o *options) { o.logger = l })
}

// WithDialFunc replaces the dialer the broker reaches its name servers
// with (Config.NamesrvAddr), e.g. to run over an in-memory network.
func WithDialFunc(f func(ctx context.Context, network, addr string) (net.Conn, error)) Option {
	return optionFunc(func(o *options) { o.dial = f })
}

// WithListenFunc replaces net.Listen, e.g. to serve over an in-memory network.
func WithListenFunc(f func(network, addr string) (net.Listener, error)) Option {
	return optionFunc(func(o *options) { o.listen = f })
}
