package broker

import (
	"errors"
	"fmt"
	"math"
	"net"
	"strconv"
	"strings"
	"time"
)

// confKey is a supported broker.conf key.
type confKey struct {
	field string // koanf key of the Config field
	set   func(p *confParser, e *ConfEntry) error
}

// confKeys maps the broker.conf keys that set a Config field (the list in
// ParseBrokerConf's documentation) to the field and its setter. A setter
// gets a non-empty value and returns an error that ConfError wraps.
var confKeys = map[string]confKey{
	"brokerClusterName": {"cluster-name", func(p *confParser, e *ConfEntry) error {
		return confSetName(&p.cfg.ClusterName, e.Value)
	}},
	"brokerName": {"broker-name", func(p *confParser, e *ConfEntry) error {
		return confSetName(&p.cfg.BrokerName, e.Value)
	}},
	"namesrvAddr": {"namesrv-addr", func(p *confParser, e *ConfEntry) error {
		if _, err := ParseNamesrvAddr(e.Value); err != nil {
			return err
		}
		p.cfg.NamesrvAddr = e.Value
		return nil
	}},
	"brokerId": {"broker-id", func(p *confParser, e *ConfEntry) error {
		n, err := strconv.ParseInt(e.Value, 10, 64)
		if err != nil || n < 0 {
			return fmt.Errorf("%q is not a broker id (0 for a master, 1 and up for slaves)", e.Value)
		}
		p.cfg.BrokerID = n
		return nil
	}},
	"brokerRole": {"broker-role", func(p *confParser, e *ConfEntry) error {
		switch e.Value {
		case AsyncMaster, SyncMaster, Slave:
			p.cfg.BrokerRole = e.Value
			return nil
		}
		return fmt.Errorf("%q is not %s, %s or %s", e.Value, AsyncMaster, SyncMaster, Slave)
	}},
	"haListenPort": {"ha-listen", func(p *confParser, e *ConfEntry) error {
		n, err := strconv.Atoi(e.Value)
		if err != nil || n < 0 || n > 65535 {
			return fmt.Errorf("%q is not a port number (0-65535)", e.Value)
		}
		p.haPort = e
		return nil
	}},
	"haMasterAddress": {"ha-master-address", func(p *confParser, e *ConfEntry) error {
		if _, port, err := net.SplitHostPort(e.Value); err != nil || port == "" {
			return fmt.Errorf("%q is not host:port (the master's haListenPort)", e.Value)
		}
		p.cfg.HAMasterAddress = e.Value
		return nil
	}},
	"haSendHeartbeatInterval": {"ha-heartbeat-interval", func(p *confParser, e *ConfEntry) error {
		return confSetMillis(&p.cfg.HAHeartbeatInterval, e.Value, 32)
	}},
	"haTransferBatchSize": {"ha-transfer-batch-size", func(p *confParser, e *ConfEntry) error {
		return confSetInt(&p.cfg.HATransferBatchSize, e.Value)
	}},
	"haMaxGapNotInSync": {"ha-max-gap-not-in-sync", func(p *confParser, e *ConfEntry) error {
		n, err := confParsePositive(e.Value, 32, "a number of bytes")
		p.cfg.HAMaxGapNotInSync = n
		return err
	}},
	"slaveReadEnable": {"slave-read-enable", func(p *confParser, e *ConfEntry) error {
		return confSetBool(&p.cfg.SlaveReadEnable, e.Value)
	}},
	"brokerPermission": {"broker-permission", func(p *confParser, e *ConfEntry) error {
		n, err := strconv.Atoi(e.Value)
		if err != nil || n < 1 || n > 7 {
			return fmt.Errorf("%q is not a permission (6 read-write, 4 read-only, 2 write-only)", e.Value)
		}
		p.cfg.BrokerPermission = n
		return nil
	}},
	"registerNameServerPeriod": {"register-name-server-period", func(p *confParser, e *ConfEntry) error {
		return confSetMillis(&p.cfg.RegisterNameServerPeriod, e.Value, 32)
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
	// Retention (retention.go).
	"fileReservedTime": {"file-reserved-time", func(p *confParser, e *ConfEntry) error {
		return confSetHoursZeroNone(&p.cfg.FileReservedTime, e.Value)
	}},
	"deleteWhen": {"delete-when", func(p *confParser, e *ConfEntry) error {
		if _, err := ParseDeleteWhen(e.Value); err != nil {
			return err
		}
		p.cfg.DeleteWhen = e.Value
		return nil
	}},
	"diskMaxUsedSpaceRatio": {"disk-max-used-space-ratio", func(p *confParser, e *ConfEntry) error {
		return confSetInt(&p.cfg.DiskMaxUsedSpaceRatio, e.Value)
	}},
	"diskSpaceCleanForciblyRatio": {"disk-space-clean-forcibly-ratio", func(p *confParser, e *ConfEntry) error {
		return confSetInt(&p.cfg.DiskSpaceCleanForciblyRatio, e.Value)
	}},
	"diskSpaceWarningLevelRatio": {"disk-space-warning-level-ratio", func(p *confParser, e *ConfEntry) error {
		return confSetInt(&p.cfg.DiskSpaceWarningLevelRatio, e.Value)
	}},
	"cleanFileForciblyEnable": {"disable-forced-clean", func(p *confParser, e *ConfEntry) error {
		var on bool
		if err := confSetBool(&on, e.Value); err != nil {
			return err
		}
		p.cfg.DisableForcedClean = !on
		return nil
	}},
	"cleanResourceInterval": {"clean-resource-interval", func(p *confParser, e *ConfEntry) error {
		return confSetMillis(&p.cfg.CleanResourceInterval, e.Value, 32)
	}},
	"deleteCommitLogFilesInterval": {"delete-commit-log-files-interval", func(p *confParser, e *ConfEntry) error {
		return confSetMillisZeroNone(&p.cfg.DeleteCommitLogFilesInterval, e.Value)
	}},
	"deleteFileBatchMax": {"delete-file-batch-max", func(p *confParser, e *ConfEntry) error {
		return confSetInt(&p.cfg.DeleteFileBatchMax, e.Value)
	}},
	"aclEnable": {"acl-enable", func(p *confParser, e *ConfEntry) error {
		return confSetBool(&p.cfg.ACLEnable, e.Value)
	}},
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
	"autoCreateSubscriptionGroup": {"disable-auto-create-subscription-group", func(p *confParser, e *ConfEntry) error {
		var on bool
		if err := confSetBool(&on, e.Value); err != nil {
			return err
		}
		p.cfg.DisableAutoCreateSubscriptionGroup = !on
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
	"serverChannelMaxIdleTimeSeconds": {"idle-timeout", func(p *confParser, e *ConfEntry) error {
		n, err := confParsePositive(e.Value, 32, "a number of seconds")
		if err != nil {
			return err
		}
		p.cfg.IdleTimeout = time.Duration(n) * time.Second
		return nil
	}},
	// TLS keys: Java reads them as system properties or from the
	// tls.config.file (a properties file of the same syntax); here they
	// may stand in the broker.conf.
	"tls.server.mode": {"tls-mode", func(p *confParser, e *ConfEntry) error {
		if !validTLSMode(e.Value) {
			return fmt.Errorf("%q %v", e.Value, errTLSMode)
		}
		p.cfg.TLSMode = e.Value
		return nil
	}},
	"tls.server.certPath": {"tls-cert-file", func(p *confParser, e *ConfEntry) error {
		p.cfg.TLSCertFile = e.Value
		return nil
	}},
	"tls.server.keyPath": {"tls-key-file", func(p *confParser, e *ConfEntry) error {
		p.cfg.TLSKeyFile = e.Value
		return nil
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

// confSetBool sets *dst from "true" or "false" (any case, as Java's
// Boolean.parseBoolean reads them; anything else is an error here).
func confSetBool(dst *bool, v string) error {
	switch {
	case strings.EqualFold(v, "true"):
		*dst = true
	case strings.EqualFold(v, "false"):
		*dst = false
	default:
		return fmt.Errorf("%q is neither true nor false", v)
	}
	return nil
}
