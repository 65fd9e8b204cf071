// Package clienttest prepares a test binary that drives the official
// RocketMQ Go client: Main gives the process a temporary HOME (the client
// writes broadcasting offsets under $HOME/.rocketmq_client_go, a path fixed
// when its package initialises) and silences the client's logger, so tests
// leave nothing behind and print nothing the test did not ask for.
//
// Use it from TestMain, with the goroutine leak check (VerifyMain) or
// without it (Main):
//
//	func TestMain(m *testing.M) { clienttest.VerifyMain(m) }
//
// GoleakOptions are the leak check's options, which ignore only the
// goroutines the client itself leaves behind after Shutdown, for binaries
// that must keep their HOME (they run the go command, say):
//
//	func TestMain(m *testing.M) { goleak.VerifyTestMain(m, clienttest.GoleakOptions()...) }
//
// It also has the helpers such tests share: Consumer (a push consumer that
// settles before its Shutdown), KeyLookup (the outbox's key lookup against
// a test broker), UniqueName (names for topics, groups and client
// instances) and LockedBuffer (a log sink read while it is written).
package clienttest
