// Package clienttest prepares a test binary that drives the official
// RocketMQ Go client: Main gives the process a temporary HOME (the client
// writes broadcasting offsets under $HOME/.rocketmq_client_go, a path fixed
// when its package initialises) and silences the client's logger, so tests
// leave nothing behind and print nothing the test did not ask for.
//
// Use it from TestMain:
//
//	func TestMain(m *testing.M) { clienttest.Main(m) }
//
// It also has the helpers such tests share: Consumer (a push consumer that
// settles before its Shutdown), KeyLookup (the outbox's key lookup against
// a test broker), UniqueName (names for topics, groups and client
// instances) and LockedBuffer (a log sink read while it is written).
package clienttest
