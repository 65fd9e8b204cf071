package txcheck

// SetAfterLocal makes p call h after each local transaction, before the
// outcome is reported to the broker; h returns the state to report.
func SetAfterLocal(p *Producer, h func(key string, st State) State) { p.hooks.afterLocal = h }
