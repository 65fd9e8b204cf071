// Package tlstest tests the official-client backend (transport/official)
// against a broker serving TLS. It is a package of its own, holding no
// code but its tests, because the official client's TLS switch is
// process-global: client.Config{TLS: true} makes the backend's producers
// and consumers write remote.DefaultRemotingClientConfig, after which
// every official client the process creates dials TLS. In its own test
// binary, no plain official client of another test runs after it.
package tlstest
