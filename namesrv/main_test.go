package namesrv_test

import (
	"testing"

	"github.com/rocketkit/rocketkit/internal/clienttest"
)

func TestMain(m *testing.M) { clienttest.VerifyMain(m) }
