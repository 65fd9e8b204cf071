package store

// Abandon closes the store as a killed process leaves it, for failover
// tests (broker.Halt): background work stops and the files close, but
// nothing is synced, no checkpoint is written and the abort marker stays,
// so the next Open recovers as after a crash. What was written stays in
// the files (a killed process's writes stay in the page cache). It shares
// Close's once: after either, both return the first result.
func (s *Store) Abandon() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed.Store(true)
		s.mu.Unlock()
		close(s.stop)
		s.wg.Wait()
		s.flush.finish(ErrClosed)
		s.ckMu.Lock()
		_ = s.ix.closeFiles()
		s.ckMu.Unlock()
		s.closeFiles()
	})
	return s.closeErr
}
