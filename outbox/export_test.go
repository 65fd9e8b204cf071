package outbox

// TestHooks stop a relay at chosen points (crash tests). Set them before
// Start; each runs on the goroutine that reached the point, with the
// token of the claim it belongs to (workers process claims at once).
// SendPlan runs before a claim's sends with their number (chunks: single
// messages or batches).
type TestHooks struct {
	AfterClaim  func(token int64, rows int)
	SendPlan    func(token int64, chunks int)
	BeforeSend  func(token int64)
	AfterSend   func(token int64, err error)
	BeforeMark  func(token int64)
	AfterMarked func(token int64, rows int)
}

// SetTestHooks installs h on r.
func SetTestHooks(r *Relay, h TestHooks) {
	r.hooks = hooks{afterClaim: h.AfterClaim, sendPlan: h.SendPlan, beforeSend: h.BeforeSend, afterSend: h.AfterSend,
		beforeMark: h.BeforeMark, afterMarked: h.AfterMarked}
}
