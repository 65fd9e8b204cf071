package main

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the tests when goroutines outlive them. The scenarios run
// on the kit's own client; the one goroutine ignored is not theirs: the
// starter (S4, S6, S15) links the official client as its second backend,
// whose internal package starts a go-cache janitor when it initialises and
// keeps it for the life of the process, whether the client is used or not.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreTopFunction("github.com/patrickmn/go-cache.(*janitor).Run"))
}
