package broker

// Master/slave replication (Config.BrokerRole), Java's HAService and
// SlaveSynchronize wired into the broker: the commit-log stream itself is
// package broker/ha's. A master with an HA address streams its log to the
// slaves that connect; a SYNC_MASTER answers a send once a slave has it.
// A slave finds its master through its registration with the name servers
// (or haMasterAddress), replicates the log into its own store, copies the
// master's metadata (slave_sync.go), refuses writes and serves reads.

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/rocketkit/rocketkit/broker/ha"
	"github.com/rocketkit/rocketkit/broker/store"
	"github.com/rocketkit/rocketkit/protocol/message"
	"github.com/rocketkit/rocketkit/protocol/remoting"
)

// replication is the broker's side of master/slave replication.
type replication struct {
	role        string
	syncTimeout time.Duration // SYNC_MASTER's wait for a slave (syncFlushTimeout)

	master *ha.Master // a master with an HA listener, else nil
	haAddr string     // the advertised HA address, "" without one

	slave      *ha.Slave // a slave, else nil
	dial       func(ctx context.Context, network, addr string) (net.Conn, error)
	masterAddr atomic.Pointer[string] // slave: the master's broker address, as the name servers last said
	haMaster   atomic.Pointer[string] // slave: the master's HA address (haMasterAddress or registration)
}

// startReplication opens the HA listener of a master, or starts a slave's
// replication and metadata copy. It runs after the broker's listener is
// open (the HA address takes the advertised host).
func (b *Broker) startReplication(o *options) error {
	r := &replication{role: b.cfg.BrokerRole, syncTimeout: b.cfg.SyncFlushTimeout}
	b.repl = r
	switch {
	case b.cfg.isSlave():
		if b.cfg.HAMasterAddress != "" {
			addr := b.cfg.HAMasterAddress
			r.haMaster.Store(&addr)
		}
		r.dial = o.dial
		if r.dial == nil {
			r.dial = (&net.Dialer{}).DialContext
		}
		r.slave = ha.NewSlave(ha.SlaveConfig{
			Store:             b.store,
			MasterAddr:        r.currentHAMaster,
			Dial:              r.dial,
			HeartbeatInterval: b.cfg.HAHeartbeatInterval,
			Log:               b.log.With("component", "ha-slave"),
		})
		b.wg.Go(func() { r.slave.Run(b.life) })
		b.wg.Go(func() { b.syncFromMasterLoop(b.life) })
	case b.cfg.HAListen != "":
		ln, err := o.listen("tcp", b.cfg.HAListen)
		if err != nil {
			return fmt.Errorf("broker: listen for slaves on %s (haListenPort): %w", b.cfg.HAListen, err)
		}
		host, _, _ := net.SplitHostPort(b.addr)
		_, port, _ := net.SplitHostPort(ln.Addr().String())
		r.haAddr = net.JoinHostPort(host, port)
		r.master = ha.NewMaster(ha.MasterConfig{
			Store:             b.store,
			Log:               b.log.With("component", "ha-master"),
			TransferBatch:     b.cfg.HATransferBatchSize,
			HeartbeatInterval: b.cfg.HAHeartbeatInterval,
			MaxGapNotInSync:   b.cfg.HAMaxGapNotInSync,
		})
		b.wg.Go(func() {
			if err := r.master.Serve(ln); err != nil {
				b.log.Error("HA listener stopped", "addr", r.haAddr, "err", err)
			}
		})
	}
	return nil
}

// stop closes the master's HA side; a slave's stops with the broker's done.
func (r *replication) stop() error {
	if r == nil || r.master == nil {
		return nil
	}
	return r.master.Close()
}

// appended tells the master's streams that records were appended.
func (r *replication) appended() {
	if r != nil && r.master != nil {
		r.master.Notify()
	}
}

// learnMaster records what a name server answered the slave's
// registration: the master's broker and HA addresses. An empty answer
// (the master is down) keeps what was known, as Java does.
func (r *replication) learnMaster(masterAddr, haAddr string) {
	if r == nil || r.slave == nil {
		return
	}
	if masterAddr != "" {
		r.masterAddr.Store(&masterAddr)
	}
	if haAddr != "" && haAddr != r.currentHAMaster() {
		r.haMaster.Store(&haAddr)
	}
}

func (r *replication) currentHAMaster() string {
	if p := r.haMaster.Load(); p != nil {
		return *p
	}
	return ""
}

// knowsMaster reports whether a slave knows its master's broker address
// (the registrar registers more often until it does).
func (r *replication) knowsMaster() bool {
	return r == nil || r.slave == nil || r.masterAddr.Load() != nil
}

// awaitSlave waits, on a SYNC_MASTER, until a slave has the log up to end
// and returns the send code that outcome means: Success,
// FLUSH_SLAVE_TIMEOUT or SLAVE_NOT_AVAILABLE (Java's
// CommitLog.handleHA). Other roles answer Success at once.
func (r *replication) awaitSlave(end int64) int16 {
	if r == nil || r.role != SyncMaster || r.master == nil {
		return remoting.Success
	}
	switch r.master.WaitReplicated(context.Background(), end, r.syncTimeout) {
	case ha.Replicated:
		return remoting.Success
	case ha.SlaveNotAvailable:
		return remoting.SlaveNotAvailable
	default:
		return remoting.FlushSlaveTimeout
	}
}

// waitsForSlave reports whether sends wait for a slave (SYNC_MASTER).
func (r *replication) waitsForSlave() bool {
	return r != nil && r.role == SyncMaster && r.master != nil
}

// refuseWrite answers a request that would store a message on a broker
// that must not: a slave (SERVICE_NOT_AVAILABLE, as Java's store answers
// "message store is slave mode") or a broker without write permission
// (NO_PERMISSION). nil: the write may go ahead.
func (b *Broker) refuseWrite(req *remoting.Command) *remoting.Command {
	if b.cfg.isSlave() {
		return errorResponse(req, remoting.ServiceNotAvailable, "broker "+b.cfg.BrokerName+" id "+
			strconv.FormatInt(b.cfg.BrokerID, 10)+" at "+b.addr+" is a slave (brokerRole=SLAVE): it does not accept writes; send to its master")
	}
	if b.cfg.BrokerPermission&PermWrite == 0 {
		return errorResponse(req, remoting.NoPermission, "the broker["+b.addr+"] sending message is forbidden (brokerPermission="+
			strconv.Itoa(b.cfg.BrokerPermission)+")")
	}
	return nil
}

// pullSuggestion returns how a pull answer picks suggestWhichBrokerId for
// group (Java's PullMessageProcessor): without slaveReadEnable always the
// master (0); with it, the group's whichBrokerWhenConsumeSlowly when the
// consumer reads further than InMemoryWindow behind the end of the log,
// else the group's brokerId.
func (b *Broker) pullSuggestion(group string) func(res *store.GetResult) int64 {
	if !b.cfg.SlaveReadEnable {
		return nil
	}
	return func(res *store.GetResult) int64 {
		sg, ok := b.subGroups.find(group)
		if !ok {
			sg = defaultSubscriptionGroup(group)
		}
		if off, ok := message.RecordCommitLogOffset(res.Records); ok && b.cfg.InMemoryWindow >= 0 &&
			b.store.MaxPhysicalOffset()-off > b.cfg.InMemoryWindow {
			return sg.WhichBrokerWhenConsumeSlowly
		}
		return sg.BrokerID
	}
}

// ReplicationStatus is a broker's side of replication, as
// GET_BROKER_RUNTIME_INFO and the console report it.
type ReplicationStatus struct {
	// Role is BrokerRole: AsyncMaster, SyncMaster or Slave.
	Role string
	// MaxOffset is the end of the broker's commit log.
	MaxOffset int64
	// HAAddr is where a master's slaves connect; "" without an HA port.
	HAAddr string
	// Slaves are the slaves connected to a master, with how far each has
	// acknowledged the log.
	Slaves []ReplicaStatus
	// MasterAddr and MasterHAAddr are a slave's master, as the name
	// servers (or haMasterAddress) gave them; "" while unknown.
	MasterAddr, MasterHAAddr string
	// MasterConnected reports whether a slave is streaming from its master.
	MasterConnected bool
}

// ReplicaStatus is one slave as its master sees it.
type ReplicaStatus struct {
	Addr        string    // the slave's end of the HA connection
	AckOffset   int64     // the log is on the slave up to here
	ConnectedAt time.Time // when the connection was made
}

// Replication reports the broker's replication state.
func (b *Broker) Replication() ReplicationStatus {
	r := b.repl
	st := ReplicationStatus{Role: b.cfg.BrokerRole, MaxOffset: b.store.MaxPhysicalOffset(), HAAddr: r.haAddr}
	if r.master != nil {
		for _, s := range r.master.Slaves() {
			st.Slaves = append(st.Slaves, ReplicaStatus{Addr: s.Addr, AckOffset: s.AckOffset, ConnectedAt: s.ConnectedAt})
		}
	}
	if r.slave != nil {
		if p := r.masterAddr.Load(); p != nil {
			st.MasterAddr = *p
		}
		st.MasterHAAddr = r.currentHAMaster()
		st.MasterConnected = r.slave.Status().Connected
	}
	return st
}

// replicationInfo adds the replication keys to GET_BROKER_RUNTIME_INFO's
// table (the kit's own; Java 4.x reports none): brokerRole; on a master
// with an HA port haServerAddr, haSlaveCount and haSlaveAckOffset (the
// furthest a slave acknowledged, -1 with none); on a slave masterAddr,
// haMasterAddress and haMasterConnected. commitLogMaxOffset, already in the
// table, is each broker's own end, so a slave's lag is the master's minus
// its own.
func (b *Broker) replicationInfo(info map[string]string) {
	st := b.Replication()
	info["brokerRole"] = st.Role
	if st.HAAddr != "" {
		ack := int64(-1)
		for _, s := range st.Slaves {
			ack = max(ack, s.AckOffset)
		}
		info["haServerAddr"] = st.HAAddr
		info["haSlaveCount"] = strconv.Itoa(len(st.Slaves))
		info["haSlaveAckOffset"] = strconv.FormatInt(ack, 10)
	}
	if st.Role == Slave {
		info["masterAddr"] = st.MasterAddr
		info["haMasterAddress"] = st.MasterHAAddr
		info["haMasterConnected"] = strconv.FormatBool(st.MasterConnected)
	}
}
