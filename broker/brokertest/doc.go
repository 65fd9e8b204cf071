// Package brokertest starts an in-process RocketKit broker for tests.
//
// Start picks a free loopback port and a temporary data directory, waits
// until the broker accepts connections, and closes it when the test ends:
//
//	func TestOrders(t *testing.T) {
//		b := brokertest.Start(t)
//		p, err := producer.NewDefaultProducer(producer.WithNameServer(primitive.NamesrvAddr{b.Addr()}))
//		...
//	}
//
// Defaults are tuned for tests: pulls are held at most two seconds (so
// clients shut down quickly), delay levels and transaction checks keep the
// broker's defaults unless changed with WithConfig.
//
// WithACL starts the broker with ACL on (RocketMQ 4.x plain_acl.yml,
// package broker/acl), reading the file again every 20ms, so a test can
// rewrite it and wait for the change to apply.
//
// WithTLS (certificate and key files) and WithTLSConfig start the broker
// serving TLS only; with Config.TLSMode broker.TLSPermissive it serves
// plain clients on the same port too.
//
// CheckBackNow makes the broker check back pending half messages at once
// (broker.Broker.CheckTransactionsNow): with a long TransactionTimeout, a
// test of a transactional producer's check-back logic decides when the
// check happens instead of waiting for the broker's interval.
//
// StartCluster starts a whole cluster in-process for a service's failover
// tests: name servers, broker groups of a master and slaves replicating
// it over their HA ports, each node on its own port and data directory.
// A test crashes a node (Node.Crash: as a killed process, nothing
// unregistered or persisted), stops it (Node.Stop) and starts it again on
// the same addresses (Node.Start); Group.WaitSlaves and Group.WaitCaughtUp
// wait for replication. LaunchCluster does the same outside tests (a demo,
// a program), and Cluster.Close stops it; ExampleLaunchCluster sends to a
// SYNC_MASTER, crashes it and reads the message from its slave.
package brokertest
