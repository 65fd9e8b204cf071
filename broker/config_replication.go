package broker

import (
	"cmp"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/rocketkit/rocketkit/protocol/payload"
)

// Broker roles, spelled as brokerRole in RocketMQ's broker.conf.
const (
	// AsyncMaster answers a send once it is stored; slaves catch up behind.
	AsyncMaster = "ASYNC_MASTER"
	// SyncMaster answers a send once a slave has it too.
	SyncMaster = "SYNC_MASTER"
	// Slave replicates a master and serves reads only.
	Slave = "SLAVE"
)

// Replication defaults, Java's.
const (
	defaultHAHeartbeat     = 5 * time.Second
	defaultHATransferBatch = 32 << 10
	defaultHAMaxGap        = 256 << 20
	defaultSlaveSync       = 10 * time.Second
)

func (c *Config) setReplicationDefaults() {
	if c.BrokerRole == "" {
		c.BrokerRole = AsyncMaster
		if c.BrokerID > 0 {
			c.BrokerRole = Slave
		}
	}
	c.HAHeartbeatInterval = cmp.Or(c.HAHeartbeatInterval, defaultHAHeartbeat)
	c.HATransferBatchSize = cmp.Or(c.HATransferBatchSize, defaultHATransferBatch)
	c.HAMaxGapNotInSync = cmp.Or(c.HAMaxGapNotInSync, defaultHAMaxGap)
	c.SlaveSyncInterval = cmp.Or(c.SlaveSyncInterval, defaultSlaveSync)
	c.BrokerPermission = cmp.Or(c.BrokerPermission, payload.PermRead|payload.PermWrite)
	if c.HAListen == "" && c.NamesrvAddr != "" && c.BrokerRole != Slave {
		if host, port, err := net.SplitHostPort(c.Listen); err == nil {
			if p, err := strconv.Atoi(port); err == nil && p > 0 && p < 65535 {
				c.HAListen = net.JoinHostPort(host, strconv.Itoa(p+1))
			} else if p == 0 {
				c.HAListen = net.JoinHostPort(host, "0")
			}
		}
	}
}

// validateReplication reports the replication fields out of range.
func (c *Config) validateReplication() []error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("broker config %s: %s", key, fmt.Sprintf(format, args...)))
	}
	switch c.BrokerRole {
	case AsyncMaster, SyncMaster:
		if c.BrokerID != 0 {
			bad("broker-id", "%d: a master's brokerId is 0 (brokerRole is %s)", c.BrokerID, c.BrokerRole)
		}
	case Slave:
		if c.BrokerID < 1 {
			bad("broker-id", "%d: a slave's brokerId must be 1 or more", c.BrokerID)
		}
		if c.NamesrvAddr == "" && c.HAMasterAddress == "" {
			bad("broker-role", "a slave needs namesrvAddr (to find its master) or haMasterAddress")
		}
	default:
		bad("broker-role", "%q is not %s, %s or %s", c.BrokerRole, AsyncMaster, SyncMaster, Slave)
	}
	for key, addr := range map[string]string{"ha-listen": c.HAListen, "ha-master-address": c.HAMasterAddress} {
		if addr == "" {
			continue
		}
		if _, port, err := net.SplitHostPort(addr); err != nil {
			bad(key, "%q is not host:port: %v", addr, err)
		} else if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
			bad(key, "%q: port %q is not 0-65535", addr, port)
		}
	}
	if c.BrokerRole == SyncMaster && c.HAListen == "" {
		bad("broker-role", "SYNC_MASTER needs an HA port for its slaves: set haListenPort (ha-listen), or namesrvAddr, which opens one on the listen port plus one")
	}
	if c.HAListen != "" && c.BrokerRole == Slave {
		bad("ha-listen", "%q is set on a slave; only masters serve the HA port", c.HAListen)
	}
	if c.HAHeartbeatInterval < 0 {
		bad("ha-heartbeat-interval", "%v must not be negative", c.HAHeartbeatInterval)
	}
	if c.HATransferBatchSize < 1<<10 || c.HATransferBatchSize > 64<<20 {
		bad("ha-transfer-batch-size", "%d is outside 1 KiB..64 MiB", c.HATransferBatchSize)
	}
	if c.HAMaxGapNotInSync < 0 {
		bad("ha-max-gap-not-in-sync", "%d must not be negative", c.HAMaxGapNotInSync)
	}
	if c.SlaveSyncInterval < 0 {
		bad("slave-sync-interval", "%v must not be negative", c.SlaveSyncInterval)
	}
	if c.BrokerPermission&^(payload.PermRead|payload.PermWrite|payload.PermInherit) != 0 {
		bad("broker-permission", "%d is not a permission (6 read-write, 4 read-only, 2 write-only)", c.BrokerPermission)
	}
	return errs
}

// isSlave reports whether the broker replicates a master.
func (c *Config) isSlave() bool { return c.BrokerRole == Slave }
