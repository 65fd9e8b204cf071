// Package backendtest runs tests of code built on the transport seam (the
// outbox, txcheck, the watermill adapter) on both of the kit's backends:
// Backends lists them, ForEachBackend runs a subtest per backend, and
// Native and Official open one on a broker, closed at test end.
//
// It imports the official backend, which registers itself with package
// transport; so it is a package of its own, apart from the contract suite
// (transport/transporttest), whose users may test without that backend.
package backendtest
