package outbox

// TestHooks stop a relay at chosen points (crash tests). Set them before
// Start; each runs on the goroutine that reached the point.
type TestHooks struct {
	AfterClaim  func(rows int)
	BeforeSend  func()
	AfterSend   func()
	BeforeMark  func()
	AfterMarked func(rows int)
}

// SetTestHooks installs h on r.
func SetTestHooks(r *Relay, h TestHooks) {
	r.hooks = hooks{afterClaim: h.AfterClaim, beforeSend: h.BeforeSend, afterSend: h.AfterSend,
		beforeMark: h.BeforeMark, afterMarked: h.AfterMarked}
}
